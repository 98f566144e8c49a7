// Incoming messages to n8n: a Baileys peer talks to a linked session through the project's
// emulator; a real local HTTP server is the webhook receiver. Real gateway binary, SQLite and
// PostgreSQL.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pairedPeer } from '../../emulator/src/peer.mjs';
import { call, dialects, lastTestNoSanitizerReports, sleep, sql, startGateway, waitFor } from './harness.mjs';
import { WsClient, createSession, newUser, startEmulator, waitSession, wsUrl } from './wa_env.mjs';
import { startReceiver } from './receiver.mjs';

const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };

const verify = (secret, h, body) => {
  const expected = `sha256=${crypto.createHmac('sha256', secret).update(`${h['x-webhook-timestamp']}.${body}`).digest('hex')}`;
  return h['x-webhook-signature'] === expected;
};

for (const dialect of dialects()) {
  describe(`webhooks on ${dialect}`, () => {
    let emu, gw, rx, user, sessionId, secret, alice, carol;
    const bot = dialect === 'sqlite' ? '6281700000001' : '6281700000002';
    const alicePhone = dialect === 'sqlite' ? '6281700000011' : '6281700000012';
    const carolPhone = dialect === 'sqlite' ? '6281700000021' : '6281700000022';
    before(async () => {
      emu = await startEmulator();
      rx = await startReceiver();
      // The outbox scan's safety net only once a minute: every delivery here must find its way
      // without it (chat by chat, wakes for retries and events; docs/ARCHITECTURE.md).
      gw = await startGateway({ dialect, env: { ...relaxed, ...emu.env, WEBHOOK_TIMEOUT_SECONDS: '2s', WEBHOOK_POLL_INTERVAL_SECONDS: '60s' } });
      user = await newUser(gw);
      const s = await createSession(gw, user.token, 'n8n bot', rx.url);
      sessionId = s.session_id;
      const st = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/start`, { token: user.token });
      await emu.scan(bot, st.json.data.qr_text);
      await waitSession(gw, user.token, sessionId, (d) => d.status === 'connected', { what: 'connected' });
      secret = (await call(gw, 'GET', `/api/v1/sessions/${sessionId}/webhook-secret`, { token: user.token })).json.data.secret;
      alice = await pairedPeer(emu.control_url, alicePhone, { pushName: 'Alice' });
      carol = await pairedPeer(emu.control_url, carolPhone, { pushName: 'Carol' });
    });
    after(async () => {
      await alice?.stop();
      await carol?.stop();
      await gw?.cleanup();
      await rx?.close();
      await emu?.stop();
    });

    test('a DM reaches the webhook signed, exactly as documented, and the reply goes back', async () => {
      assert.match(secret, /^[0-9a-f]{64}$/);
      const live = await WsClient.open(wsUrl(gw, `/ws/sessions/${sessionId}`, user.token));
      // n8n thinks for a while (an AI model): longer than WEBHOOK_TYPING_DELAY_SECONDS (500 ms).
      rx.respond = async () => { await sleep(1200); return { status: 200, body: JSON.stringify({ reply: 'pong from n8n' }) }; };
      const sent = await alice.sendText(`${bot}@s.whatsapp.net`, 'ping');
      const req = await rx.next((q) => q.json.message?.id === sent.key.id);
      assert.ok(verify(secret, req.headers, req.body), 'signature verifies');
      assert.match(req.headers['x-webhook-id'], /^[0-9a-f-]{36}$/);
      assert.match(req.headers['user-agent'], /^wa-gateway\//);
      assert.ok(Math.abs(Number(req.headers['x-webhook-timestamp']) - Date.now() / 1000) < 60);
      const p = req.json;
      assert.equal(p.event, 'message.received');
      assert.equal(p.event_id, req.headers['x-webhook-id']);
      assert.equal(p.session_id, sessionId);
      assert.equal(p.session_name, 'n8n bot');
      assert.match(p.timestamp, /Z$/);
      const m = p.message;
      assert.equal(m.from, alicePhone);
      assert.equal(m.from_name, 'Alice');
      assert.equal(m.to, bot);
      assert.equal(m.type, 'text');
      assert.equal(m.content, 'ping');
      assert.equal(m.is_group, false);
      assert.equal(m.group_id, null);
      assert.equal(m.is_mention, false);
      assert.equal(m.quoted_message, null);
      assert.equal(m.chat_id.split('@')[0], m.chat_id.endsWith('@lid') ? alice.lid.split(':')[0] : alicePhone);
      // The reply from the response body reaches Alice, who saw "typing…" while n8n worked.
      const reply = await alice.waitMessage((x) => (x.message?.conversation ?? x.message?.extendedTextMessage?.text) === 'pong from n8n');
      assert.ok(reply);
      const replyAt = Date.now();
      const composing = alice.presences.filter((u) => u.at >= req.at - 2000 && Object.values(u.presences).some((v) => v.lastKnownPresence === 'composing'));
      assert.ok(composing.length > 0 && composing[0].at <= replyAt, `typing before the reply: ${JSON.stringify(alice.presences)}`);
      await waitFor(() => alice.presences.some((u) => u.at >= composing[0].at && Object.values(u.presences).some((v) => v.lastKnownPresence === 'paused')), { timeoutMs: 5000 });
      // ... and the dashboard saw the message live.
      const lm = await live.next('message_received');
      assert.equal(lm.data.message_id, sent.key.id);
      assert.equal(lm.data.content, 'ping');
      live.close();
    });

    test('a webhook that answers within WEBHOOK_TYPING_DELAY_SECONDS sends no "typing…" at all', async () => {
      rx.respond = () => ({ status: 200, body: JSON.stringify({ reply: 'quick pong' }) });
      const t0 = Date.now();
      const sent = await alice.sendText(`${bot}@s.whatsapp.net`, 'quick ping');
      await rx.next((q) => q.json.message?.id === sent.key.id);
      assert.ok(await alice.waitMessage((x) => (x.message?.conversation ?? x.message?.extendedTextMessage?.text) === 'quick pong'));
      await sleep(1500); // a "paused" or late "composing" would have arrived by now
      const states = alice.presences.filter((u) => u.at >= t0).flatMap((u) => Object.values(u.presences).map((v) => v.lastKnownPresence));
      assert.deepEqual(states.filter((x) => x === 'composing' || x === 'paused'), [], `no typing state for a fast answer: ${JSON.stringify(alice.presences.filter((u) => u.at >= t0))}`);
    });

    test('groups: forwarded only when the bot is mentioned; replies quote the message', async () => {
      const g = await emu.control('POST', '/groups', { subject: 'Team', owner: alicePhone, participants: [bot, carolPhone], addressing_mode: 'pn' });
      assert.equal(g.status, 200, JSON.stringify(g.body));
      const group = g.body.jid;
      rx.respond = (q) => ({ status: 200, body: q.json.message?.is_group ? JSON.stringify({ reply: { type: 'text', content: 'on it' } }) : '{}' });
      const before = rx.requests.length;
      const plain = await alice.sendText(group, 'hello everyone');
      await sleep(1500);
      assert.ok(!rx.requests.slice(before).some((q) => q.json.message?.id === plain.key.id), 'no mention: not forwarded');
      const other = await alice.sendText(group, `@${carolPhone} you?`, { mentions: [`${carolPhone}@s.whatsapp.net`] });
      const mention = await alice.sendText(group, `@${bot} what is up`, { mentions: [`${bot}@s.whatsapp.net`] });
      const req = await rx.next((q) => q.json.message?.id === mention.key.id);
      assert.ok(!rx.requests.some((q) => q.json.message?.id === other.key.id), 'a mention of someone else is not forwarded');
      const m = req.json.message;
      assert.equal(m.is_group, true);
      assert.equal(m.group_id, group);
      assert.equal(m.is_mention, true);
      assert.deepEqual(m.mentioned_numbers, [bot]);
      assert.equal(m.from, alicePhone);
      assert.equal(m.group_name, 'Team', 'group_name from the group metadata');
      assert.ok(verify(secret, req.headers, req.body), 'the body with the group name is what was signed');
      // The reply quotes the mention, in the group.
      const got = await alice.waitMessage((x) => x.key.remoteJid === group && x.message?.extendedTextMessage?.text === 'on it');
      assert.equal(got.message.extendedTextMessage.contextInfo.stanzaId, mention.key.id);
    });

    test('a LID-addressed group: a mention of the bot by its LID is delivered, with phone numbers', async () => {
      const detail = await call(gw, 'GET', `/api/v1/sessions/${sessionId}`, { token: user.token });
      const botLid = detail.json.data.device_info.lid.split(/[:@]/)[0];
      assert.match(botLid, /^\d+$/);
      const g = await emu.control('POST', '/groups', { subject: 'LID team', owner: carolPhone, participants: [bot, alicePhone], addressing_mode: 'lid' });
      assert.equal(g.status, 200, JSON.stringify(g.body));
      const group = g.body.jid;
      rx.respond = () => ({ status: 200, body: '{}' });
      const other = await carol.sendText(group, `@${alice.lid.split(/[:@]/)[0]} hi`, { mentions: [`${alice.lid.split(/[:@]/)[0]}@lid`] });
      const byLid = await carol.sendText(group, `@${botLid} status?`, { mentions: [`${botLid}@lid`] });
      const req = await rx.next((q) => q.json.message?.id === byLid.key.id);
      assert.ok(!rx.requests.some((q) => q.json.message?.id === other.key.id), 'a mention of someone else is not forwarded');
      const m = req.json.message;
      assert.equal(m.is_group, true);
      assert.equal(m.is_mention, true);
      assert.equal(m.group_id, group);
      assert.equal(m.group_name, 'LID team');
      assert.equal(m.from, carolPhone, 'the sender as a phone number, not a LID');
      assert.equal(m.from_lid, carol.lid.split(/[:@]/)[0]);
      assert.deepEqual(m.mentioned_numbers, [bot], 'the mentioned LID as our phone number');
      // Both messages were counted; only the mention went out.
      const counted = sql(gw, `SELECT message_id, is_mention FROM analytics WHERE session_id = '${sessionId}' AND message_id IN ('${other.key.id}', '${byLid.key.id}') ORDER BY message_id`);
      assert.equal(counted.length, 2);
    });

    test('message.waiting: a message we cannot decrypt yet is announced, then delivered with the same id', async () => {
      const put = await call(gw, 'PUT', `/api/v1/sessions/${sessionId}`, { token: user.token, body: { webhook_events: ['message.received', 'message.waiting'] } });
      assert.equal(put.status, 200, put.text);
      const live = await WsClient.open(wsUrl(gw, `/ws/sessions/${sessionId}`, user.token));
      rx.respond = () => ({ status: 200, body: '{}' });
      // Alice and the bot talk on an established session (msg, not pkmsg) ...
      const warm = await alice.sendText(`${bot}@s.whatsapp.net`, 'warm up');
      await rx.next((q) => q.json.message?.id === warm.key.id);
      await sleep(300);
      // ... then the gateway loses its Signal sessions, as after a restore of an old backup.
      sql(gw, `DELETE FROM wa_signal_sessions WHERE session_id = '${sessionId}'`);
      const sent = await alice.sendText(`${bot}@s.whatsapp.net`, 'can you read me?');
      const waiting = await rx.next((q) => q.json.event === 'message.waiting' && q.json.message.id === sent.key.id);
      const received = await rx.next((q) => q.json.event === 'message.received' && q.json.message.id === sent.key.id);
      assert.ok(waiting.at <= received.at, 'waiting first');
      assert.ok(verify(secret, waiting.headers, waiting.body));
      assert.equal(waiting.headers['x-webhook-event'], 'message.waiting');
      assert.equal(waiting.json.event_id, waiting.headers['x-webhook-id']);
      assert.notEqual(waiting.headers['x-webhook-id'], received.headers['x-webhook-id']);
      const w = waiting.json.message;
      assert.equal(w.from, alicePhone);
      assert.equal(w.chat_id, received.json.message.chat_id);
      assert.equal(w.is_group, false);
      assert.equal(w.reason, 'signal_no_session');
      assert.equal(received.json.message.content, 'can you read me?');
      const lw = await live.next('message_waiting');
      assert.equal(lw.data.message_id, sent.key.id);
      const lr = await live.next('message_received');
      assert.equal(lr.data.message_id, sent.key.id);
      live.close();
      // Counted once, and no longer as an error once it decrypted.
      const rows = sql(gw, `SELECT message_type, error_message FROM analytics WHERE session_id = '${sessionId}' AND message_id = '${sent.key.id}'`);
      assert.deepEqual(rows, [['text', '']]);
      assert.match((await call(gw, 'GET', '/metrics')).text, /wa_messages_undecryptable_total [1-9]/);
      await call(gw, 'PUT', `/api/v1/sessions/${sessionId}`, { token: user.token, body: { webhook_events: ['message.received'] } });
    });

    test('500, 500, 500, 200: four attempts 1, 2 and 4 s apart with one X-Webhook-Id', async () => {
      let n = 0;
      rx.respond = () => (++n <= 3 ? { status: 500, body: 'down' } : { status: 200, body: '{}' });
      const before = rx.requests.length;
      const sent = await carol.sendText(`${bot}@s.whatsapp.net`, 'retry me');
      const last = await rx.next((q) => q.json.message?.id === sent.key.id && q.headers['x-webhook-attempt'] === '4', 30000);
      const all = rx.requests.slice(before).filter((q) => q.json.message?.id === sent.key.id);
      assert.equal(all.length, 4);
      assert.equal(new Set(all.map((q) => q.headers['x-webhook-id'])).size, 1);
      const gaps = all.slice(1).map((q, i) => q.at - all[i].at);
      assert.ok(gaps[0] >= 900 && gaps[1] >= 1900 && gaps[2] >= 3900, `gaps ${gaps}`);
      assert.ok(last);
      // 404 is final: one attempt.
      rx.respond = () => ({ status: 404, body: 'no such workflow' });
      const gone = await carol.sendText(`${bot}@s.whatsapp.net`, 'nobody home');
      await rx.next((q) => q.json.message?.id === gone.key.id);
      await sleep(2500);
      assert.equal(rx.requests.filter((q) => q.json.message?.id === gone.key.id).length, 1);
      rx.respond = () => ({ status: 200, body: '{}' });
    });

    test('dead letters: a failed delivery is listed with its attempts and retried through the API', async () => {
      rx.respond = () => ({ status: 410, body: 'gone' });
      const sent = await alice.sendText(`${bot}@s.whatsapp.net`, 'dead letter');
      const first = await rx.next((q) => q.json.message?.id === sent.key.id);
      const id = first.headers['x-webhook-id'];
      const failed = await waitFor(async () => {
        const r = await call(gw, 'GET', `/api/v1/sessions/${sessionId}/deliveries?status=failed`, { token: user.token });
        return r.json.data.find((d) => d.delivery_id === id);
      }, { timeoutMs: 10000 });
      assert.ok(failed, 'listed as failed');
      assert.equal(failed.message_id, sent.key.id);
      assert.equal(failed.last_status_code, 410);
      assert.equal(failed.attempts.length, 1);
      assert.equal(failed.attempts[0].status_code, 410);
      const bad = await call(gw, 'GET', `/api/v1/sessions/${sessionId}/deliveries?status=bogus`, { token: user.token });
      assert.equal(bad.status, 400);
      const other = await newUser(gw);
      assert.equal((await call(gw, 'GET', `/api/v1/sessions/${sessionId}/deliveries`, { token: other.token })).status, 404);
      assert.equal((await call(gw, 'POST', `/api/v1/sessions/${sessionId}/deliveries/${id}/retry`, { token: other.token })).status, 404);
      rx.respond = () => ({ status: 200, body: '{}' });
      const re = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/deliveries/${id}/retry`, { token: user.token });
      assert.equal(re.status, 200, re.text);
      const again = await rx.next((q) => q.headers['x-webhook-id'] === id && q.at > first.at);
      assert.equal(again.json.message.id, sent.key.id);
      const done = await waitFor(async () => {
        const r = await call(gw, 'GET', `/api/v1/sessions/${sessionId}/deliveries?status=delivered`, { token: user.token });
        return r.json.data.find((d) => d.delivery_id === id);
      }, { timeoutMs: 10000 });
      assert.ok(done, 'delivered after the retry');
      const twice = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/deliveries/${id}/retry`, { token: user.token });
      assert.equal(twice.status, 409, 'only failed deliveries are retried');
    });

    test('a receiver that never answers times out (WEBHOOK_TIMEOUT_SECONDS) and is retried; huge or malformed answers are bounded', async () => {
      let n = 0;
      rx.respond = () => (++n === 1
        ? { status: 200, body: '{}', delayMs: 8000 } // longer than the 2 s timeout of this gateway
        : { status: 200, body: `{"reply": "${'x'.repeat(300 * 1024)}` }); // 300 KiB, cut at 64 KiB: not JSON
      const sent = await alice.sendText(`${bot}@s.whatsapp.net`, 'are you there?');
      const second = await rx.next((q) => q.json.message?.id === sent.key.id && q.headers['x-webhook-attempt'] === '2', 20000);
      const first = rx.requests.find((q) => q.json.message?.id === sent.key.id && q.headers['x-webhook-attempt'] === '1');
      assert.ok(second.at - first.at >= 2900 && second.at - first.at < 7000, `timeout (2 s) + backoff (1 s): ${second.at - first.at} ms`);
      const done = await waitFor(async () => {
        const r = await call(gw, 'GET', `/api/v1/sessions/${sessionId}/deliveries?status=delivered`, { token: user.token });
        return r.json.data.find((d) => d.message_id === sent.key.id);
      }, { timeoutMs: 10000 });
      assert.equal(done.attempts.length, 2);
      assert.equal(done.attempts[0].status_code, null);
      assert.match(done.attempts[0].error, /time/i);
      assert.ok(done.attempts[0].duration_ms >= 1900 && done.attempts[0].duration_ms < 4000, `${done.attempts[0].duration_ms}`);
      assert.equal(done.attempts[1].status_code, 200);
      // The cut body is not a reply: nothing is sent back, and the gateway is fine.
      await sleep(1000);
      assert.ok(!alice.inbox.some((x) => (x.message?.conversation ?? '').startsWith('xxxx')));
      assert.equal((await call(gw, 'GET', '/health')).status, 200);
      rx.respond = () => ({ status: 200, body: '{}' });
    });

    test('ignore_jids: an ignored number is not forwarded; removing it forwards again', async () => {
      const put = await call(gw, 'PUT', `/api/v1/sessions/${sessionId}`, { token: user.token, body: { ignore_jids: [`+${carolPhone}`, 'status'] } });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.json.data.ignore_jids, [carolPhone, 'status']);
      const badPut = await call(gw, 'PUT', `/api/v1/sessions/${sessionId}`, { token: user.token, body: { ignore_jids: ['not a jid!'] } });
      assert.equal(badPut.status, 400);
      const ignored = await carol.sendText(`${bot}@s.whatsapp.net`, 'am I ignored?');
      const heard = await alice.sendText(`${bot}@s.whatsapp.net`, 'not ignored');
      await rx.next((q) => q.json.message?.id === heard.key.id);
      await sleep(1000);
      assert.ok(!rx.requests.some((q) => q.json.message?.id === ignored.key.id));
      await call(gw, 'PUT', `/api/v1/sessions/${sessionId}`, { token: user.token, body: { ignore_jids: [] } });
      const back = await carol.sendText(`${bot}@s.whatsapp.net`, 'back again');
      await rx.next((q) => q.json.message?.id === back.key.id);
    });

    test('twenty messages of one chat arrive in order while the receiver is slow, without a scan of the outbox each', async () => {
      const scans = async () => Number(/^webhook_outbox_scans_total (\d+)/m.exec((await call(gw, 'GET', '/metrics')).text)[1]);
      rx.respond = () => ({ status: 200, body: '{}', delayMs: 150 });
      const scansBefore = await scans();
      const t0 = Date.now();
      const ids = [];
      for (let i = 0; i < 20; i++) ids.push((await alice.sendText(`${bot}@s.whatsapp.net`, `n${i}`)).key.id);
      await rx.next((q) => q.json.message?.id === ids[19], 30000);
      const seconds = (Date.now() - t0) / 1000;
      const order = rx.requests.filter((q) => ids.includes(q.json.message?.id)).map((q) => q.json.message.content);
      assert.deepEqual(order, ids.map((_, i) => `n${i}`));
      // Each message after the first waits behind the one in flight; it goes when that one's
      // outcome is written, through one read of its chat. The read of every chat runs about once
      // a second (and at a retry), not once per delivery.
      const scanned = (await scans()) - scansBefore;
      assert.ok(scanned <= Math.ceil(seconds) + 3, `${scanned} outbox scans in ${seconds} s for ${ids.length} deliveries`);
      rx.respond = () => ({ status: 200, body: '{}' });
    });

    test('session.status events reach the webhook when asked for: disconnect, then connect', async () => {
      const put = await call(gw, 'PUT', `/api/v1/sessions/${sessionId}`, { token: user.token, body: { webhook_events: ['message.received', 'session.status'] } });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.json.data.webhook_events, ['message.received', 'session.status']);
      const since = Date.now();
      await emu.fault({ phone: bot, kind: 'drop' });
      const down = await rx.next((q) => q.at >= since && q.json.event === 'session.status' && q.json.status === 'disconnected');
      const up = await rx.next((q) => q.at >= since && q.json.event === 'session.status' && q.json.status === 'connected');
      assert.ok(verify(secret, up.headers, up.body));
      assert.equal(up.json.session_id, sessionId);
      assert.equal(up.json.phone_number, bot);
      assert.ok(down.at <= up.at, 'in order');
      assert.equal(up.headers['x-webhook-event'], 'session.status');
      await call(gw, 'PUT', `/api/v1/sessions/${sessionId}`, { token: user.token, body: { webhook_events: ['message.received'] } });
    });
  });
}

test('kill -9 while a delivery is failing: after the restart it is delivered with the same id', async () => {
  const emu = await startEmulator();
  const rx = await startReceiver();
  rx.respond = () => ({ status: 503, body: 'maintenance' });
  let gw = await startGateway({ env: { ...relaxed, ...emu.env, WEBHOOK_RETRY_BACKOFF_SECONDS: '500ms', WEBHOOK_MAX_RETRIES: '20' } });
  let peer;
  try {
    const u = await newUser(gw);
    const s = await createSession(gw, u.token, 'crashy', rx.url);
    const st = await call(gw, 'POST', `/api/v1/sessions/${s.session_id}/start`, { token: u.token });
    await emu.scan('6281800000001', st.json.data.qr_text);
    await waitSession(gw, u.token, s.session_id, (d) => d.status === 'connected', { what: 'connected' });
    peer = await pairedPeer(emu.control_url, '6281800000002', { pushName: 'Dina' });
    const sent = await peer.sendText('6281800000001@s.whatsapp.net', 'survive this');
    const first = await rx.next((q) => q.json.message?.id === sent.key.id);
    // The backlog is visible in /metrics.
    const backlog = await waitFor(async () => {
      const m = /^webhook_pending (\d+)/m.exec((await call(gw, 'GET', '/metrics')).text);
      return m && Number(m[1]) >= 1 ? Number(m[1]) : null;
    }, { timeoutMs: 5000 });
    assert.equal(backlog, 1);
    assert.match((await call(gw, 'GET', '/metrics')).text, /^webhook_oldest_pending_seconds \d/m);
    assert.equal((await gw.stop('SIGKILL')).signal, 'SIGKILL');
    rx.respond = () => ({ status: 200, body: '{}' });
    const restartedAt = Date.now();
    gw = await startGateway({ dataDir: gw.dir, env: gw.env });
    const ok = await waitFor(() => rx.requests.find((q) => q.json.message?.id === sent.key.id && q.at > restartedAt), { timeoutMs: 20000 });
    assert.equal(first.headers['x-webhook-id'], ok?.headers['x-webhook-id']);
    assert.ok(ok, 'delivered after the restart');
    const all = rx.requests.filter((q) => q.json.message?.id === sent.key.id);
    assert.equal(new Set(all.map((q) => q.headers['x-webhook-id'])).size, 1, 'one X-Webhook-Id across the crash');
    await sleep(1500);
    const after = rx.requests.filter((q) => q.json.message?.id === sent.key.id).length;
    assert.equal(after, all.length, 'nothing more once delivered');
  } finally {
    await peer?.stop();
    await gw.cleanup();
    await rx.close();
    await emu.stop();
  }
});

/**
 * Holds a write lock on the gateway's database from outside (sqlite3: an exclusive transaction;
 * psql: an exclusive lock on messages_log), so that the gateway can receive a message but not
 * store it. Resolves once the lock is held; release() ends it.
 */
async function holdWriteLock(gw) {
  const child = gw.env.DATABASE_URL
    ? spawn('psql', [gw.env.DATABASE_URL, '-qAt'], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn('sqlite3', [path.join(gw.dir, 'gateway.db')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  child.stdin.write(gw.env.DATABASE_URL
    ? 'BEGIN;\nLOCK TABLE messages_log IN ACCESS EXCLUSIVE MODE;\nSELECT 4242;\n'
    : '.timeout 10000\nBEGIN EXCLUSIVE;\nSELECT 4242;\n');
  await waitFor(() => out.includes('4242'), { timeoutMs: 15000 });
  return {
    release: async () => {
      child.stdin.end('ROLLBACK;\n');
      await new Promise((ok) => child.on('exit', ok));
    },
  };
}

for (const dialect of dialects()) {
  test(`kill -9 between receiving and storing (${dialect}): WhatsApp redelivers, the receiver gets it once`, async () => {
    const emu = await startEmulator();
    const rx = await startReceiver();
    let gw = await startGateway({ dialect, env: { ...relaxed, ...emu.env } });
    const botPhone = dialect === 'sqlite' ? '6281800000011' : '6281800000021';
    let peer, lock;
    try {
      const u = await newUser(gw);
      const s = await createSession(gw, u.token, 'crash before commit', rx.url);
      const st = await call(gw, 'POST', `/api/v1/sessions/${s.session_id}/start`, { token: u.token });
      await emu.scan(botPhone, st.json.data.qr_text);
      await waitSession(gw, u.token, s.session_id, (d) => d.status === 'connected', { what: 'connected' });
      peer = await pairedPeer(emu.control_url, dialect === 'sqlite' ? '6281800000012' : '6281800000022', { pushName: 'Eko' });
      const first = await peer.sendText(`${botPhone}@s.whatsapp.net`, 'before');
      await rx.next((q) => q.json.message?.id === first.key.id);
      lock = await holdWriteLock(gw);
      const sent = await peer.sendText(`${botPhone}@s.whatsapp.net`, 'in flight when the gateway dies');
      // The gateway has it (the emulator waits for its receipt) but cannot store it.
      const pending = await waitFor(async () => (await emu.control('GET', '/unacked')).body.find((x) => x.id === sent.key.id && !x.queued), { timeoutMs: 15000 });
      assert.ok(pending, 'delivered to the gateway and not acknowledged');
      await sleep(500);
      assert.equal((await gw.stop('SIGKILL')).signal, 'SIGKILL');
      assert.ok(!rx.requests.some((q) => q.json.message?.id === sent.key.id), 'nothing was forwarded before the crash');
      await lock.release();
      lock = null;
      gw = await startGateway({ dataDir: gw.dir, env: gw.env });
      const got = await rx.next((q) => q.json.message?.id === sent.key.id, 30000);
      assert.equal(got.json.message.content, 'in flight when the gateway dies');
      await sleep(1500);
      assert.equal(rx.requests.filter((q) => q.json.message?.id === sent.key.id).length, 1, 'received once');
      assert.equal(sql(gw, `SELECT COUNT(*) FROM messages_log WHERE session_id = '${s.session_id}' AND content = 'in flight when the gateway dies'`)[0][0], '1');
      assert.equal(sql(gw, `SELECT COUNT(*) FROM analytics WHERE session_id = '${s.session_id}' AND message_id = '${sent.key.id}'`)[0][0], '1');
    } finally {
      await lock?.release();
      await peer?.stop();
      await gw.cleanup();
      await rx.close();
      await emu.stop();
    }
  });
}

for (const dialect of dialects()) {
  test(`a database locked for longer than the store timeout (${dialect}): nothing lost, other sessions stay connected`, async () => {
    const emu = await startEmulator();
    const rx = await startReceiver();
    // One WhatsApp thread: the blocked session and the healthy one share it.
    let gw = await startGateway({ dialect, env: { ...relaxed, ...emu.env, WHATSAPP_THREADS: '1' } });
    const phones = dialect === 'sqlite' ? ['6281800000031', '6281800000032', '6281800000033'] : ['6281800000041', '6281800000042', '6281800000043'];
    let peer, lock;
    try {
      const u = await newUser(gw);
      const ids = [];
      for (const [i, phone] of phones.slice(0, 2).entries()) {
        const s = await createSession(gw, u.token, `bot ${i}`, rx.url);
        const st = await call(gw, 'POST', `/api/v1/sessions/${s.session_id}/start`, { token: u.token });
        await emu.scan(phone, st.json.data.qr_text);
        await waitSession(gw, u.token, s.session_id, (d) => d.status === 'connected', { what: 'connected' });
        ids.push(s.session_id);
      }
      const live = await WsClient.open(wsUrl(gw, `/ws/sessions/${ids[1]}`, u.token));
      await live.next('status_update');
      peer = await pairedPeer(emu.control_url, phones[2], { pushName: 'Fajar' });
      const warm = await peer.sendText(`${phones[0]}@s.whatsapp.net`, 'hello');
      await rx.next((q) => q.json.message?.id === warm.key.id);
      lock = await holdWriteLock(gw);
      const lockedAt = Date.now();
      const sent = await peer.sendText(`${phones[0]}@s.whatsapp.net`, 'written while the database is locked');
      await sleep(15000); // longer than the 10 s a store call may wait
      await lock.release();
      lock = null;
      // The store call gave up, the message stayed unacknowledged, and the session reconnected so
      // that WhatsApp re-sent it: it arrives, once.
      const got = await rx.next((q) => q.json.message?.id === sent.key.id, 40000);
      assert.ok(got.at > lockedAt);
      await sleep(1500);
      assert.equal(rx.requests.filter((q) => q.json.message?.id === sent.key.id).length, 1);
      // The other session never dropped its connection, and still works.
      assert.ok(!live.messages.some((m) => m.type === 'status_update' && m.data.status !== 'connected'), JSON.stringify(live.messages));
      const other = await peer.sendText(`${phones[1]}@s.whatsapp.net`, 'and you?');
      await rx.next((q) => q.json.message?.id === other.key.id);
      live.close();
    } finally {
      await lock?.release();
      await peer?.stop();
      await gw.cleanup();
      await rx.close();
      await emu.stop();
    }
  });
}

// Last: the delivery worker's coroutines can outlive it at shutdown (destroyed with the
// io_context); the test build reports any use of the freed worker on stderr.
lastTestNoSanitizerReports();
