// Analytics against the real binary on SQLite and PostgreSQL: the exact shapes of
// GET /api/v1/analytics/sessions/:id and /analytics/overview, tz=Asia/Jakarta, weekly
// and monthly breakdowns, uptime, CSV, 400s naming the parameter, another user's session 404.
// Rows are seeded with SQL into analytics (the triggers of migration 0010 keep the rollups the
// endpoints read); the expected numbers are worked out by hand in the comments.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { call, dialects, sql, startGateway } from './harness.mjs';
import { createSession, newUser } from './wa_env.mjs';

const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000' };

const SUMMARY_KEYS = ['average_response_time_ms', 'group_mentions', 'group_messages', 'messages_handled_by_ai',
  'private_messages', 'success_rate', 'total_errors', 'total_messages', 'uptime_percentage'];
const TYPES = ['audio', 'contact', 'document', 'image', 'location', 'poll', 'reaction', 'sticker', 'text', 'unknown', 'video'];
const ms = (iso) => Date.parse(iso);

for (const dialect of dialects()) {
  describe(`analytics on ${dialect}`, () => {
    let gw, user, other, sessionId, quietId;
    const bool = (v) => (dialect === 'postgres' ? (v ? 'TRUE' : 'FALSE') : (v ? '1' : '0'));
    const lit = (v) => (v === null || v === undefined ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v));
    const addRow = (session, at, { type = 'text', group = false, mention = false, sent = false, ok = false, rt = null, error = null } = {}) =>
      sql(gw, `INSERT INTO analytics (session_id, message_id, message_type, is_group, is_mention, webhook_sent, `
        + `webhook_success, webhook_response_time_ms, error_message, created_at) VALUES ('${session}', `
        + `'M${Math.random().toString(36).slice(2)}', '${type}', ${bool(group)}, ${bool(mention)}, ${bool(sent)}, `
        + `${bool(ok)}, ${lit(rt)}, ${lit(error)}, '${at}')`);
    const get = (p, token = user.token) => call(gw, 'GET', p, { token });
    const report = (q, id = sessionId, token = user.token) => get(`/api/v1/analytics/sessions/${id}${q}`, token);

    before(async () => {
      gw = await startGateway({ dialect, env: relaxed });
      user = await newUser(gw);
      other = await newUser(gw);
      sessionId = (await createSession(gw, user.token, 'Agent 1')).session_id;
      quietId = (await createSession(gw, user.token, 'Agent 2')).session_id;
      // November 2024 (UTC):
      addRow(sessionId, '2024-11-01T09:15:00.000Z', { sent: true, ok: true, rt: 400 });
      addRow(sessionId, '2024-11-01T09:45:00.000Z', { sent: true, ok: true, rt: 600 });
      addRow(sessionId, '2024-11-01T23:30:00.000Z', { type: 'image', group: true, mention: true, sent: true, rt: 30000, error: 'HTTP 500' });
      addRow(sessionId, '2024-11-02T10:00:00.000Z', { group: true });
      addRow(sessionId, '2024-11-15T14:10:00.000Z', { type: 'document', sent: true, ok: true, rt: 200 });
      addRow(sessionId, '2024-11-30T23:59:59.000Z', { type: 'unknown', error: 'undecryptable: signal_no_session' });
      addRow(sessionId, '2024-10-31T23:59:59.000Z');
      addRow(sessionId, '2024-12-01T00:00:00.000Z');
      // Created on 10 November; connected 30 Oct - 11 Nov and 20 - 25 Nov.
      sql(gw, `UPDATE sessions SET created_ms = ${ms('2024-11-10T00:00:00Z')} WHERE id = '${sessionId}'`);
      sql(gw, `INSERT INTO session_connections (session_id, connected_ms, disconnected_ms, last_seen_ms) VALUES `
        + `('${sessionId}', ${ms('2024-10-30T00:00:00Z')}, ${ms('2024-11-11T00:00:00Z')}, ${ms('2024-11-11T00:00:00Z')}), `
        + `('${sessionId}', ${ms('2024-11-20T00:00:00Z')}, ${ms('2024-11-25T00:00:00Z')}, ${ms('2024-11-25T00:00:00Z')})`);
    });
    after(async () => { await gw?.cleanup(); });

    test('the session report has exactly the documented shape, computed in UTC by default', async () => {
      const r = await report('?period=daily&start_date=2024-11-01&end_date=2024-11-30');
      assert.equal(r.status, 200, r.text);
      const d = r.json.data;
      assert.deepEqual(Object.keys(d).sort(), ['daily_breakdown', 'end_date', 'message_types', 'peak_hours', 'period',
        'session_id', 'session_name', 'start_date', 'summary', 'timezone']);
      assert.equal(d.session_id, sessionId);
      assert.equal(d.session_name, 'Agent 1');
      assert.equal(d.period, 'daily');
      assert.equal(d.start_date, '2024-11-01');
      assert.equal(d.end_date, '2024-11-30');
      assert.equal(d.timezone, 'UTC');
      assert.deepEqual(Object.keys(d.summary).sort(), SUMMARY_KEYS);
      // 6 messages in range; 4 forwarded, 3 answered (75 %, (400+600+200)/3 ms); 2 in groups,
      // 1 mention; errors: the HTTP 500 and the undecryptable one. Existed 10 Nov - 1 Dec (21 days),
      // connected 10-11 Nov and 20-25 Nov (6 days): 28.6 %.
      assert.deepEqual(d.summary, {
        total_messages: 6, messages_handled_by_ai: 3, success_rate: 75, average_response_time_ms: 400,
        private_messages: 4, group_messages: 2, group_mentions: 1, uptime_percentage: 28.6, total_errors: 2,
      });
      assert.equal(d.peak_hours.length, 24);
      assert.deepEqual(d.peak_hours.map((h) => h.hour), [...Array(24).keys()]);
      assert.deepEqual(Object.fromEntries(d.peak_hours.filter((h) => h.count).map((h) => [h.hour, h.count])),
        { 9: 2, 10: 1, 14: 1, 23: 2 });
      assert.equal(d.daily_breakdown.length, 30);
      assert.deepEqual(d.daily_breakdown[0], { date: '2024-11-01', total_messages: 3, ai_handled: 2, avg_response_time_ms: 500, errors: 1 });
      assert.deepEqual(d.daily_breakdown[1], { date: '2024-11-02', total_messages: 1, ai_handled: 0, avg_response_time_ms: 0, errors: 0 });
      assert.deepEqual(d.daily_breakdown[2], { date: '2024-11-03', total_messages: 0, ai_handled: 0, avg_response_time_ms: 0, errors: 0 });
      assert.deepEqual(Object.keys(d.message_types).sort(), TYPES);
      assert.equal(d.message_types.text, 3);
      assert.equal(d.message_types.image, 1);
      assert.equal(d.message_types.document, 1);
      assert.equal(d.message_types.unknown, 1);
    });

    test('tz=Asia/Jakarta moves messages across midnight', async () => {
      const r = await report('?start_date=2024-11-01&end_date=2024-11-30&tz=Asia/Jakarta');
      assert.equal(r.status, 200, r.text);
      const d = r.json.data;
      assert.equal(d.timezone, 'Asia/Jakarta');
      // 31 Oct 23:59:59Z is 1 Nov 06:59 in Jakarta (in); 30 Nov 23:59:59Z is 1 Dec (out).
      assert.equal(d.summary.total_messages, 6);
      assert.equal(d.summary.total_errors, 1);
      assert.equal(d.message_types.text, 4);
      assert.deepEqual(d.daily_breakdown[0], { date: '2024-11-01', total_messages: 3, ai_handled: 2, avg_response_time_ms: 500, errors: 0 });
      assert.deepEqual(d.daily_breakdown[1], { date: '2024-11-02', total_messages: 2, ai_handled: 0, avg_response_time_ms: 0, errors: 1 });
      assert.equal(d.daily_breakdown[29].total_messages, 0);
      assert.deepEqual(Object.fromEntries(d.peak_hours.filter((h) => h.count).map((h) => [h.hour, h.count])),
        { 6: 2, 16: 2, 17: 1, 21: 1 });
    });

    test('weekly (ISO weeks) and monthly breakdowns', async () => {
      const w = await report('?period=weekly&start_date=2024-10-28&end_date=2024-11-10');
      assert.equal(w.status, 200, w.text);
      assert.deepEqual(w.json.data.weekly_breakdown, [
        { date: '2024-W44', start_date: '2024-10-28', end_date: '2024-11-03', total_messages: 5, ai_handled: 2, avg_response_time_ms: 500, errors: 1 },
        { date: '2024-W45', start_date: '2024-11-04', end_date: '2024-11-10', total_messages: 0, ai_handled: 0, avg_response_time_ms: 0, errors: 0 },
      ]);
      const m = await report('?period=monthly&start_date=2024-10-15&end_date=2024-12-31');
      assert.equal(m.status, 200, m.text);
      assert.deepEqual(m.json.data.monthly_breakdown.map((b) => [b.date, b.start_date, b.end_date, b.total_messages]), [
        ['2024-10', '2024-10-15', '2024-10-31', 1],
        ['2024-11', '2024-11-01', '2024-11-30', 6],
        ['2024-12', '2024-12-01', '2024-12-31', 1],
      ]);
    });

    test('the last 30 days by default', async () => {
      const r = await report('');
      assert.equal(r.status, 200, r.text);
      const today = new Date().toISOString().slice(0, 10);
      const start = new Date(Date.now() - 29 * 86400000).toISOString().slice(0, 10);
      assert.equal(r.json.data.end_date, today);
      assert.equal(r.json.data.start_date, start);
      assert.equal(r.json.data.daily_breakdown.length, 30);
    });

    test('format=csv returns the breakdown with a header row', async () => {
      const r = await report('?period=daily&start_date=2024-11-01&end_date=2024-11-03&format=csv');
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers.get('content-type'), /^text\/csv/);
      assert.match(r.headers.get('content-disposition'), /attachment; filename="analytics-.*-2024-11-01-2024-11-03\.csv"/);
      assert.equal(r.text,
        'date,start_date,end_date,total_messages,ai_handled,avg_response_time_ms,errors\r\n'
        + '2024-11-01,2024-11-01,2024-11-01,3,2,500,1\r\n'
        + '2024-11-02,2024-11-02,2024-11-02,1,0,0,0\r\n'
        + '2024-11-03,2024-11-03,2024-11-03,0,0,0,0\r\n');
    });

    test('bad input is a 400 naming the parameter', async () => {
      const cases = [
        ['?period=hourly', 'period'],
        ['?start_date=2024-13-01', 'start_date'],
        ['?start_date=2023-02-29', 'start_date'],
        ['?end_date=yesterday', 'end_date'],
        ['?start_date=2024-11-30&end_date=2024-11-01', 'start_date'],
        ['?start_date=2024-01-01&end_date=2025-01-01', 'end_date'],  // 367 days
        ['?tz=Asia/Atlantis', 'tz'],
        ['?tz=../../etc/passwd', 'tz'],
        ['?format=xml', 'format'],
      ];
      for (const [q, name] of cases) {
        const r = await report(q);
        assert.equal(r.status, 400, `${q}: ${r.text}`);
        assert.equal(r.json.success, false);
        assert.ok(r.json.error.details[name], `${q} names ${name}: ${r.text}`);
      }
      assert.equal((await report('?start_date=2024-01-01&end_date=2024-12-31')).status, 200);  // 366 days
      assert.equal((await get('/api/v1/analytics/overview?tz=Nowhere/Land')).json.error.details.tz !== undefined, true);
      assert.equal((await report('', 'not-a-uuid')).status, 400);
    });

    test("another user's session and an unknown one are 404; no token is 401", async () => {
      assert.equal((await report('', sessionId, other.token)).status, 404);
      assert.equal((await report('', '00000000-0000-4000-8000-000000000000')).status, 404);
      assert.equal((await call(gw, 'GET', `/api/v1/analytics/sessions/${sessionId}`)).status, 401);
      assert.equal((await call(gw, 'GET', '/api/v1/analytics/overview')).status, 401);
    });

    test('the overview has exactly the documented shape, over the user\'s own sessions', async () => {
      const now = new Date();
      const iso = (t) => new Date(t).toISOString();
      // Now: two answered (100 and 300 ms) on Agent 2 and one failure on Agent 1.
      addRow(quietId, iso(now.getTime() - 1000), { sent: true, ok: true, rt: 100 });
      addRow(quietId, iso(now.getTime() - 2000), { sent: true, ok: true, rt: 300 });
      addRow(sessionId, iso(now.getTime() - 3000), { sent: true, rt: 30000, error: 'timeout' });
      const theirs = (await createSession(gw, other.token, 'Not mine')).session_id;
      addRow(theirs, iso(now.getTime() - 1000), { sent: true, ok: true, rt: 1 });
      const r = await get('/api/v1/analytics/overview');
      assert.equal(r.status, 200, r.text);
      const d = r.json.data;
      assert.deepEqual(Object.keys(d).sort(), ['active_sessions', 'avg_response_time_ms', 'overall_success_rate',
        'top_performing_sessions', 'total_messages_this_month', 'total_messages_this_week', 'total_messages_today',
        'total_sessions']);
      assert.equal(d.total_sessions, 2);
      assert.equal(d.active_sessions, 0);
      assert.equal(d.total_messages_today, 3);
      assert.ok(d.total_messages_this_week >= 3 && d.total_messages_this_month >= 3);
      assert.equal(d.avg_response_time_ms, 200);
      assert.equal(d.overall_success_rate, 66.7);
      assert.deepEqual(d.top_performing_sessions, [
        { session_id: quietId, session_name: 'Agent 2', total_messages: 2, success_rate: 100, avg_response_time_ms: 200 },
        { session_id: sessionId, session_name: 'Agent 1', total_messages: 1, success_rate: 0, avg_response_time_ms: 0 },
      ]);
      const csv = await get('/api/v1/analytics/overview?format=csv&tz=Asia/Jakarta');
      assert.equal(csv.status, 200, csv.text);
      assert.match(csv.headers.get('content-type'), /^text\/csv/);
      const lines = csv.text.trim().split('\r\n');
      assert.equal(lines[0], 'session_id,session_name,status,messages_today,messages_this_week,messages_this_month,'
        + 'messages_last_30_days,ai_handled_last_30_days,success_rate,avg_response_time_ms');
      assert.equal(lines.length, 3);
      assert.ok(lines.includes(`${quietId},Agent 2,disconnected,2,2,2,2,2,100.0,200`)
        || lines.some((l) => l.startsWith(`${quietId},Agent 2,disconnected,`)), csv.text);
    });

    test('/metrics has the per-session message and webhook families', async () => {
      const r = await call(gw, 'GET', '/metrics');
      for (const family of ['messages_received_total', 'messages_forwarded_total', 'messages_ignored_total',
        'webhook_attempts_by_outcome_total', 'webhook_request_duration_seconds']) {
        assert.match(r.text, new RegExp(`# TYPE ${family} (counter|histogram)\n`), family);
      }
    });

    test('the rollups follow a webhook outcome written after the row', async () => {
      const id = (await createSession(gw, user.token, 'Agent 3')).session_id;
      addRow(id, '2024-06-01T08:00:00.000Z', { group: true, mention: true });
      const before = (await report('?start_date=2024-06-01&end_date=2024-06-01', id)).json.data.summary;
      assert.equal(before.messages_handled_by_ai, 0);
      sql(gw, `UPDATE analytics SET webhook_sent = ${bool(true)}, webhook_success = ${bool(true)}, `
        + `webhook_response_time_ms = 250, webhook_status_code = 200 WHERE session_id = '${id}'`);
      const s = (await report('?start_date=2024-06-01&end_date=2024-06-01', id)).json.data.summary;
      assert.deepEqual([s.total_messages, s.messages_handled_by_ai, s.success_rate, s.average_response_time_ms, s.group_mentions],
        [1, 1, 100, 250, 1]);
    });
  });
}
