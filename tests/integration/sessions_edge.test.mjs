// Validation, two users, WebSocket rules, QR timeout,
// giving up after failed reconnects, an outdated client version, corrupt keys, concurrent
// operations on one session. Real gateway binary, the project's emulator, real sockets.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { call, dialects, sleep, startGateway } from './harness.mjs';
import { WsClient, createSession, newUser, startEmulator, waitSession, wsUrl } from './wa_env.mjs';

const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };

/** Starts a session and scans its QR as `phone`; returns the session id. */
async function linkedSession(gw, emu, token, name, phone) {
  const s = await createSession(gw, token, name);
  const r = await call(gw, 'POST', `/api/v1/sessions/${s.session_id}/start`, { token });
  assert.equal(r.json.data.status, 'qr', r.text);
  await emu.scan(phone, r.json.data.qr_text);
  await waitSession(gw, token, s.session_id, (d) => d.status === 'connected', { what: 'connected' });
  return s.session_id;
}

for (const dialect of dialects()) {
  describe(`sessions API on ${dialect}`, () => {
    let emu, gw;
    before(async () => {
      emu = await startEmulator();
      gw = await startGateway({ dialect, env: { ...relaxed, ...emu.env } });
    });
    after(async () => {
      await gw?.cleanup();
      await emu?.stop();
    });

    test('create, list, update and validate', async () => {
      const { token } = await newUser(gw);
      const bad = async (body, field) => {
        const r = await call(gw, 'POST', '/api/v1/sessions', { token, body });
        assert.equal(r.status, 400, `${JSON.stringify(body)} -> ${r.text}`);
        assert.equal(r.json.error.code, 'validation_failed');
        assert.ok(r.json.error.details[field], `${field} named in ${r.text}`);
      };
      await bad({ webhook_url: 'http://n8n:5678/webhook/x' }, 'session_name');
      await bad({ session_name: '   ', webhook_url: 'http://n8n:5678/webhook/x' }, 'session_name');
      await bad({ session_name: 'a\u0007b', webhook_url: 'http://n8n:5678/webhook/x' }, 'session_name');
      await bad({ session_name: 'x'.repeat(101), webhook_url: 'http://n8n:5678/webhook/x' }, 'session_name');
      await bad({ session_name: 'ok' }, 'webhook_url');
      await bad({ session_name: 'ok', webhook_url: 'ftp://n8n/x' }, 'webhook_url');
      await bad({ session_name: 'ok', webhook_url: '/relative' }, 'webhook_url');
      await bad({ session_name: 'ok', webhook_url: 'http://169.254.169.254/latest/meta-data' }, 'webhook_url');
      await bad({ session_name: 'ok', webhook_url: 'http://[fd00:ec2::254]/' }, 'webhook_url');
      await bad({ session_name: 'ok', webhook_url: `https://n8n.example.com/${'a'.repeat(2050)}` }, 'webhook_url');
      await bad({ session_name: 42, webhook_url: 'http://n8n/x' }, 'session_name');
      assert.equal((await call(gw, 'POST', '/api/v1/sessions', { token, body: '{"session_name":' })).status, 400);

      const a = await createSession(gw, token, '  Agent A  ', 'https://n8n.example.com/webhook/a');
      assert.equal(a.session_name, 'Agent A', 'name trimmed');
      const dup = await call(gw, 'POST', '/api/v1/sessions', { token, body: { session_name: 'Agent A', webhook_url: 'http://n8n/x' } });
      assert.equal(dup.status, 409, dup.text);
      const b = await createSession(gw, token, 'Agent B', 'http://10.0.0.5:5678/webhook/b');
      const list = await call(gw, 'GET', '/api/v1/sessions', { token });
      assert.equal(list.status, 200);
      assert.deepEqual(list.json.data.map((s) => s.session_name).sort(), ['Agent A', 'Agent B']);
      for (const s of list.json.data) {
        assert.equal(s.status, 'disconnected');
        assert.equal(s.uptime_percentage, 0);
        assert.equal(s.last_connected, null);
      }
      const up = await call(gw, 'PUT', `/api/v1/sessions/${b.session_id}`, { token, body: { session_name: 'Agent B2' } });
      assert.equal(up.status, 200, up.text);
      assert.equal(up.json.data.session_name, 'Agent B2');
      assert.equal(up.json.data.webhook_url, 'http://10.0.0.5:5678/webhook/b');
      // The list (cached per user for up to a second) shows a change at once.
      const relisted = await call(gw, 'GET', '/api/v1/sessions', { token });
      assert.deepEqual(relisted.json.data.map((s) => s.session_name).sort(), ['Agent A', 'Agent B2']);
      const clash = await call(gw, 'PUT', `/api/v1/sessions/${b.session_id}`, { token, body: { session_name: 'Agent A' } });
      assert.equal(clash.status, 409);
      const empty = await call(gw, 'PUT', `/api/v1/sessions/${b.session_id}`, { token, body: {} });
      assert.equal(empty.status, 400);
      const meta = await call(gw, 'PUT', `/api/v1/sessions/${b.session_id}`, { token, body: { webhook_url: 'http://169.254.1.1/' } });
      assert.equal(meta.status, 400);
      assert.equal((await call(gw, 'GET', '/api/v1/sessions/not-a-uuid', { token })).status, 400);
      assert.equal((await call(gw, 'GET', '/api/v1/sessions/00000000-0000-4000-8000-000000000000', { token })).status, 404);
      assert.equal((await call(gw, 'POST', '/api/v1/sessions/00000000-0000-4000-8000-000000000000/start', { token })).status, 404);
      const pc = await call(gw, 'POST', `/api/v1/sessions/${a.session_id}/pair-code`, { token, body: { phone: '12ab' } });
      assert.equal(pc.status, 400);
      assert.ok(pc.json.error.details.phone);
      const qr = await call(gw, 'GET', `/api/v1/sessions/${a.session_id}/qr`, { token });
      assert.equal(qr.status, 409, 'no QR before start');
      assert.equal((await call(gw, 'GET', '/api/v1/sessions')).status, 401);
    });

    test("another user's session is 404 on every route and both sockets", async () => {
      const alice = await newUser(gw);
      const bob = await newUser(gw);
      const id = await linkedSession(gw, emu, alice.token, 'Alice bot', dialect === 'sqlite' ? '6281200000001' : '6281200000002');
      const routes = [
        ['GET', ''], ['PUT', '', { session_name: 'stolen' }], ['DELETE', ''], ['POST', '/start'], ['POST', '/stop'],
        ['POST', '/reconnect'], ['GET', '/qr'], ['POST', '/pair-code', { phone: '6281234567890' }],
      ];
      for (const [method, suffix, body] of routes) {
        const r = await call(gw, method, `/api/v1/sessions/${id}${suffix}`, { token: bob.token, body });
        assert.equal(r.status, 404, `${method} ${suffix} -> ${r.status} ${r.text}`);
      }
      assert.ok(!(await call(gw, 'GET', '/api/v1/sessions', { token: bob.token })).json.data.some((s) => s.session_id === id));
      await assert.rejects(WsClient.open(wsUrl(gw, `/ws/sessions/${id}`, bob.token)), (e) => e.status === 404);
      await assert.rejects(WsClient.open(wsUrl(gw, `/ws/sessions/${id}`, 'garbage')), (e) => e.status === 401);
      await assert.rejects(WsClient.open(`ws://127.0.0.1:${gw.port}/ws`), (e) => e.status === 401);
      // Bob's all-sessions socket never sees Alice's events; Alice's does.
      const bobWs = await WsClient.open(wsUrl(gw, '/ws', bob.token));
      const aliceWs = await WsClient.open(wsUrl(gw, '/ws', alice.token));
      await aliceWs.next((m) => m.session_id === id);
      const rec = await call(gw, 'POST', `/api/v1/sessions/${id}/reconnect`, { token: alice.token });
      assert.equal(rec.json.data.status, 'connected', rec.text);
      await aliceWs.next((m) => m.session_id === id && m.data.status === 'connected');
      await sleep(300);
      assert.ok(!bobWs.messages.some((m) => m.session_id === id), JSON.stringify(bobWs.messages));
      // Still Alice's, untouched.
      const mine = await call(gw, 'GET', `/api/v1/sessions/${id}`, { token: alice.token });
      assert.equal(mine.json.data.session_name, 'Alice bot');
      assert.equal(mine.json.data.status, 'connected');
      bobWs.close();
      aliceWs.close();
    });

    test('WebSocket: garbage and huge frames close only that socket; logout closes within 5 s', async () => {
      const u = await newUser(gw);
      const s = await createSession(gw, u.token, 'ws rules');
      const good = await WsClient.open(wsUrl(gw, `/ws/sessions/${s.session_id}`, u.token));
      await good.next('status_update');
      const garbage = await WsClient.open(wsUrl(gw, '/ws', u.token));
      garbage.ws.send('not json at all {{{');
      assert.equal((await garbage.closedWith()).code, 1003);
      const huge = await WsClient.open(wsUrl(gw, '/ws', u.token));
      huge.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(200_000) }));
      const hc = await huge.closedWith();
      assert.ok(hc && hc.code !== 1000, `huge frame closed: ${JSON.stringify(hc)}`);
      good.ws.send(JSON.stringify({ type: 'ping' }));
      const pong = await good.next('pong');
      assert.match(pong.timestamp, /Z$/);
      assert.equal(good.closed, null, 'the well-behaved socket is unaffected');
      // A plain GET on a WebSocket route is not an upgrade.
      const plain = await call(gw, 'GET', `/ws?token=${u.token}`);
      assert.equal(plain.status, 426, plain.text);
      assert.equal(plain.json.error.code, 'upgrade_required');
      // Logout revokes the token: the open socket closes with 1008 within 5 s.
      const lo = await call(gw, 'POST', '/api/v1/auth/logout', { token: u.token });
      assert.equal(lo.status, 200);
      const closed = await good.closedWith(5000);
      assert.equal(closed?.code, 1008, `closed: ${JSON.stringify(closed)}`);
    });

    test('concurrent start, stop, reconnect and delete of one session leave a consistent state', async () => {
      const u = await newUser(gw);
      const phone = dialect === 'sqlite' ? '6281300000001' : '6281300000002';
      const id = await linkedSession(gw, emu, u.token, 'racy', phone);
      const ops = ['start', 'stop', 'reconnect', 'start', 'stop', 'start'];
      const results = await Promise.all(ops.map((op) => call(gw, 'POST', `/api/v1/sessions/${id}/${op}`, { token: u.token })));
      for (const r of results) assert.equal(r.status, 200, r.text);
      // The last operation in lock order wins; whatever it was, the API and the emulator agree.
      const final = await waitSession(gw, u.token, id, (d) => d.status === 'connected' || d.status_reason === 'stopped', { what: 'settled' });
      await sleep(500);
      const devs = await emu.devices(phone);
      const connected = devs.some((d) => d.connected);
      const now = (await call(gw, 'GET', `/api/v1/sessions/${id}`, { token: u.token })).json.data;
      assert.equal(now.status, final.status);
      assert.equal(connected, now.status === 'connected', `emulator ${JSON.stringify(devs)} vs ${JSON.stringify(now)}`);
      // Delete racing with start and stop: the session ends up deleted and logged out.
      const racing = await Promise.all([
        call(gw, 'POST', `/api/v1/sessions/${id}/start`, { token: u.token }),
        call(gw, 'DELETE', `/api/v1/sessions/${id}`, { token: u.token }),
        call(gw, 'POST', `/api/v1/sessions/${id}/stop`, { token: u.token }),
        call(gw, 'POST', `/api/v1/sessions/${id}/start`, { token: u.token }),
      ]);
      assert.equal(racing[1].status, 200, racing[1].text);
      for (const r of racing) assert.ok([200, 404].includes(r.status), r.text);
      assert.equal((await call(gw, 'GET', `/api/v1/sessions/${id}`, { token: u.token })).status, 404);
      await sleep(500);
      assert.ok(!(await emu.devices(phone)).some((d) => d.connected), 'nothing left running for a deleted session');
      assert.equal((await call(gw, 'GET', '/health')).status, 200);
    });
  });
}

describe('session lifecycle edges', () => {
  test('every QR expires without a scan -> disconnected, qr_timeout', async () => {
    const emu = await startEmulator({ qrFirstMs: 1200, qrNextMs: 300 });
    const gw = await startGateway({ env: { ...relaxed, ...emu.env, WHATSAPP_QR_TIMEOUT_SECONDS: '1200ms', WHATSAPP_QR_REFRESH_SECONDS: '300ms' } });
    try {
      const u = await newUser(gw);
      const s = await createSession(gw, u.token, 'nobody scans');
      const ws = await WsClient.open(wsUrl(gw, `/ws/sessions/${s.session_id}`, u.token));
      const r = await call(gw, 'POST', `/api/v1/sessions/${s.session_id}/start`, { token: u.token });
      assert.equal(r.json.data.status, 'qr');
      const qrs = new Set();
      const end = await ws.next((m) => {
        if (m.type === 'qr_update') qrs.add(m.data.qr_text);
        return m.type === 'status_update' && m.data.status_reason === 'qr_timeout';
      }, 20000);
      assert.equal(end.data.status, 'disconnected');
      assert.ok(qrs.size >= 2, `QR codes rotated: ${qrs.size}`);
      // Not resumed after a restart (nobody would see the QR).
      await gw.stop();
      const gw2 = await startGateway({ dataDir: gw.dir, env: gw.env });
      await sleep(1000);
      const d = (await call(gw2, 'GET', `/api/v1/sessions/${s.session_id}`, { token: u.token })).json.data;
      assert.equal(d.status, 'disconnected');
      assert.equal(d.qr_code, null);
      await gw2.stop();
    } finally {
      await gw.cleanup();
      await emu.stop();
    }
  });

  test('consecutive failed reconnects end in status_reason failed, with the cause', async () => {
    // A port that refuses connections.
    const srv = net.createServer();
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    const port = srv.address().port;
    await new Promise((r) => srv.close(r));
    const gw = await startGateway({
      env: { ...relaxed, WHATSAPP_SERVER_URL: `ws://127.0.0.1:${port}/ws/chat`, WHATSAPP_RECONNECT_INTERVAL_SECONDS: '50ms', WHATSAPP_MAX_RECONNECT_ATTEMPTS: '3' },
    });
    try {
      const u = await newUser(gw);
      const s = await createSession(gw, u.token, 'unreachable');
      await call(gw, 'POST', `/api/v1/sessions/${s.session_id}/start`, { token: u.token });
      const d = await waitSession(gw, u.token, s.session_id, (x) => x.status_reason === 'failed', { what: 'failed' });
      assert.equal(d.status, 'disconnected');
      assert.match(d.status_detail, /gave up after 3 consecutive failed reconnects/);
      assert.match(d.status_detail, /connect_failed/);
    } finally {
      await gw.cleanup();
    }
  });

  test('WhatsApp refusing the version (405) -> client_outdated naming WHATSAPP_VERSION', async () => {
    const emu = await startEmulator();
    const original = emu.emu.onClientPayload.bind(emu.emu);
    emu.emu.onClientPayload = async (conn, clientStatic, payload) => {
      if ((payload.userAgent?.appVersion?.tertiary ?? 0) < 1000) {
        conn.end({ tag: 'failure', attrs: { reason: '405', location: 'emulator' } });
        return;
      }
      return original(conn, clientStatic, payload);
    };
    const gw = await startGateway({ env: { ...relaxed, ...emu.env, WHATSAPP_VERSION: '2.3000.1' } });
    try {
      const u = await newUser(gw);
      const s = await createSession(gw, u.token, 'old version');
      const r = await call(gw, 'POST', `/api/v1/sessions/${s.session_id}/start`, { token: u.token });
      assert.equal(r.json.data.status, 'disconnected', r.text);
      assert.equal(r.json.data.status_reason, 'client_outdated');
      assert.match(r.json.data.status_detail, /WHATSAPP_VERSION/);
    } finally {
      await gw.cleanup();
      await emu.stop();
    }
  });

  test('corrupt stored keys show disconnected with a reason and do not crash the gateway', async () => {
    const emu = await startEmulator();
    const gw = await startGateway({ env: { ...relaxed, ...emu.env } });
    try {
      const u = await newUser(gw);
      const id = await linkedSession(gw, emu, u.token, 'to corrupt', '6281400000001');
      const other = await linkedSession(gw, emu, u.token, 'healthy', '6281400000002');
      assert.equal((await gw.stop()).code, 0);
      execFileSync('sqlite3', [path.join(gw.dir, 'gateway.db'),
        `UPDATE wa_devices SET jid = 'not a jid' WHERE session_id = '${id}'`]);
      const gw2 = await startGateway({ dataDir: gw.dir, env: gw.env });
      try {
        await waitSession(gw2, u.token, other, (d) => d.status === 'connected', { what: 'healthy session connected' });
        const d = await waitSession(gw2, u.token, id, (x) => x.status_reason === 'keys_unreadable', { what: 'keys_unreadable' });
        assert.equal(d.status, 'disconnected');
        assert.match(d.status_detail, /delete the session/);
        assert.equal((await call(gw2, 'GET', '/health')).status, 200);
        assert.equal(gw2.child.exitCode, null, 'still running');
      } finally {
        await gw2.stop();
      }
    } finally {
      await gw.cleanup();
      await emu.stop();
    }
  });

  test('SIGTERM closes dashboard sockets with 1001 and keeps sessions for the next start', async () => {
    const emu = await startEmulator();
    const gw = await startGateway({ env: { ...relaxed, ...emu.env } });
    try {
      const u = await newUser(gw);
      const id = await linkedSession(gw, emu, u.token, 'term', '6281500000001');
      const ws = await WsClient.open(wsUrl(gw, '/ws', u.token));
      await ws.next('status_update');
      const r = await gw.stop('SIGTERM');
      assert.equal(r.code, 0);
      assert.equal((await ws.closedWith())?.code, 1001);
      assert.ok(!(await emu.devices('6281500000001')).some((d) => d.connected));
      const gw2 = await startGateway({ dataDir: gw.dir, env: gw.env });
      await waitSession(gw2, u.token, id, (d) => d.status === 'connected', { what: 'resumed' });
      const d = (await call(gw2, 'GET', `/api/v1/sessions/${id}`, { token: u.token })).json.data;
      assert.ok(d.uptime_percentage > 0 && d.uptime_percentage <= 100, `uptime ${d.uptime_percentage}`);
      await gw2.stop();
    } finally {
      await gw.cleanup();
      await emu.stop();
    }
  });
});

if (process.env.TEST_DATABASE_URL) {
  test('50 sessions paired in one gateway on PostgreSQL', async () => {
    const emu = await startEmulator();
    const gw = await startGateway({ dialect: 'postgres', env: { ...relaxed, ...emu.env } });
    try {
      const u = await newUser(gw);
      const ids = [];
      for (let i = 0; i < 50; i++) ids.push((await createSession(gw, u.token, `bot ${i}`)).session_id);
      for (let b = 0; b < 50; b += 10) {
        await Promise.all(ids.slice(b, b + 10).map(async (id, j) => {
          const r = await call(gw, 'POST', `/api/v1/sessions/${id}/start`, { token: u.token });
          assert.equal(r.json.data.status, 'qr', r.text);
          await emu.scan(String(6281600000000 + b + j), r.json.data.qr_text);
        }));
      }
      const deadline = Date.now() + 120000;
      let list;
      while (Date.now() < deadline) {
        list = (await call(gw, 'GET', '/api/v1/sessions', { token: u.token })).json.data;
        if (list.every((s) => s.status === 'connected')) break;
        await sleep(250);
      }
      assert.equal(list.filter((s) => s.status === 'connected').length, 50);
      assert.equal(new Set(list.map((s) => s.phone_number)).size, 50);
      assert.equal((await call(gw, 'GET', '/health')).json.active_sessions, 50);
    } finally {
      await gw.cleanup();
      await emu.stop();
    }
  });
}
