// Caps on concurrent HTTP and WebSocket connections, per client address and in
// total, against the real binary. Beyond a cap a new connection is answered 503 (JSON error,
// Connection: close, Retry-After) and closed; connections already open keep working.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startGateway, waitFor } from './harness.mjs';
import { WsClient, newUser, wsUrl } from './wa_env.mjs';

const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };

/** Opens a TCP connection (from `localAddress`, a 127/8 address) and keeps it. */
function open(gw, localAddress = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: gw.port, localAddress });
    s.data = '';
    s.ended = false;
    s.on('data', (d) => { s.data += d; });
    s.on('close', () => { s.ended = true; });
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends one GET on a socket and waits for the whole answer (or the close). */
async function get(s, path = '/health') {
  const before = s.data.length;
  s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const done = await waitFor(() => {
    const got = s.data.slice(before);
    const head = got.indexOf('\r\n\r\n');
    if (head < 0) return s.ended ? got : null;
    const len = /content-length: *(\d+)/i.exec(got.slice(0, head));
    return len && got.length >= head + 4 + Number(len[1]) ? got : (s.ended ? got : null);
  }, { timeoutMs: 5000 });
  assert.ok(done, `no answer on the socket (got ${JSON.stringify(s.data.slice(before))})`);
  return done;
}

function assertRefused(raw, message) {
  assert.match(raw, /^HTTP\/1\.1 503 /, raw);
  assert.match(raw, /\r\nconnection: close\r\n/i, raw);
  assert.match(raw, /\r\nretry-after: 1\r\n/i, raw);
  assert.match(raw, /\r\ncontent-type: application\/json/i, raw);
  const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
  assert.equal(body.success, false);
  assert.equal(body.error.code, 'service_unavailable');
  assert.match(body.message, message);
}

async function metrics(gw) {
  return (await fetch(`${gw.base}/metrics`)).text();
}

describe('HTTP connection caps', () => {
  test('per address: the connection over HTTP_MAX_CONNECTIONS_PER_IP gets 503 and is closed; others are unaffected', async () => {
    const gw = await startGateway({ env: { HTTP_MAX_CONNECTIONS_PER_IP: '4', HTTP_MAX_CONNECTIONS: '100' } });
    const held = [];
    try {
      for (let i = 0; i < 4; i++) held.push(await open(gw));
      const over = await open(gw);
      const raw = await get(over);
      assertRefused(raw, /too many connections from this address/);
      assert.ok(await waitFor(() => over.ended), 'the refused connection is closed by the server');
      // The held connections still work, several requests each (keep-alive).
      for (const s of held) {
        assert.match(await get(s), /^HTTP\/1\.1 200 /);
        assert.match(await get(s), /^HTTP\/1\.1 200 /);
        assert.ok(!s.ended);
      }
      // Another address is not held by this one's cap.
      const other = await open(gw, '127.0.0.2');
      assert.match(await get(other), /^HTTP\/1\.1 200 /);
      other.destroy();
      // A closed connection gives its place back.
      held.pop().destroy();
      assert.ok(await waitFor(async () => {
        const s = await open(gw);
        const r = await get(s);
        s.destroy();
        return r.startsWith('HTTP/1.1 200 ');
      }), 'a freed place is usable again');
      const text = await metrics(gw).catch(() => '');
      // /metrics itself needs a place: the held three plus this one fit.
      assert.match(text, /^http_connections_refused_total\{kind="http",cap="per_ip"\} [1-9]/m);
      assert.match(text, /^http_open_connections\{kind="http"\} \d+/m);
    } finally {
      for (const s of held) s.destroy();
      await gw.cleanup();
    }
  });

  test('in total: the connection over HTTP_MAX_CONNECTIONS gets 503, from any address', async () => {
    const gw = await startGateway({ env: { HTTP_MAX_CONNECTIONS: '3', HTTP_MAX_CONNECTIONS_PER_IP: '100' } });
    const held = [];
    try {
      held.push(await open(gw, '127.0.0.1'), await open(gw, '127.0.0.2'), await open(gw, '127.0.0.3'));
      for (const from of ['127.0.0.4', '127.0.0.1']) {
        const over = await open(gw, from);
        assertRefused(await get(over), /too many connections; try again later/);
        over.destroy();
      }
      for (const s of held) assert.match(await get(s), /^HTTP\/1\.1 200 /);
      // A burst past the cap: every extra one refused cleanly, none hangs, the held ones live on.
      const burst = await Promise.all(Array.from({ length: 20 }, () => open(gw, '127.0.0.5')));
      const answers = await Promise.all(burst.map((s) => get(s)));
      for (const raw of answers) assertRefused(raw, /too many connections/);
      burst.forEach((s) => s.destroy());
      for (const s of held) assert.match(await get(s), /^HTTP\/1\.1 200 /);
      held.pop().destroy();
      assert.ok(await waitFor(async () => {
        const text = await metrics(gw).catch(() => '');
        return /^http_connections_refused_total\{kind="http",cap="total"\} 2[2-9]/m.test(text);
      }), 'refusals counted in /metrics');
    } finally {
      for (const s of held) s.destroy();
      await gw.cleanup();
    }
  });

  test('a flood past the cap: every connection is answered 503 or closed, none hangs, nothing leaks', async () => {
    const gw = await startGateway({ env: { HTTP_MAX_CONNECTIONS: '3', HTTP_MAX_CONNECTIONS_PER_IP: '100' } });
    const held = [];
    try {
      for (let i = 0; i < 3; i++) held.push(await open(gw, '127.0.0.1'));
      // More at once than the server answers (256 refusals in flight): the rest are closed at accept.
      const flood = await Promise.all(Array.from({ length: 400 }, (_, i) => open(gw, `127.0.1.${i % 250}`).catch(() => null)));
      const answers = await Promise.all(flood.map(async (s) => {
        if (!s) return 'reset';
        s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
        const done = await waitFor(() => s.ended || s.data.endsWith('}'), { timeoutMs: 8000 });
        s.destroy();
        if (!done) return 'hung';
        return s.data.startsWith('HTTP/1.1 503 ') ? '503' : (s.data === '' ? 'closed' : `other: ${s.data.slice(0, 40)}`);
      }));
      assert.deepEqual(answers.filter((a) => a !== '503' && a !== 'closed' && a !== 'reset'), []);
      assert.ok(answers.filter((a) => a === '503').length >= 1);
      for (const s of held) assert.match(await get(s), /^HTTP\/1\.1 200 /);
      // Everything refused is gone: once the held ones close, new connections are served again.
      held.splice(0).forEach((s) => s.destroy());
      assert.ok(await waitFor(async () => (await fetch(`${gw.base}/health`).catch(() => null))?.status === 200), 'served again');
    } finally {
      for (const s of held) s.destroy();
      await gw.cleanup();
    }
  });

  test('a trusted proxy is held by the total cap only', async () => {
    const gw = await startGateway({ env: { HTTP_MAX_CONNECTIONS_PER_IP: '2', HTTP_MAX_CONNECTIONS: '100', TRUSTED_PROXIES: '127.0.0.1' } });
    const held = [];
    try {
      for (let i = 0; i < 5; i++) held.push(await open(gw, '127.0.0.1'));
      for (const s of held) assert.match(await get(s), /^HTTP\/1\.1 200 /);
      held.push(await open(gw, '127.0.0.9'), await open(gw, '127.0.0.9'));
      const over = await open(gw, '127.0.0.9');
      assertRefused(await get(over), /from this address/);
      over.destroy();
    } finally {
      for (const s of held) s.destroy();
      await gw.cleanup();
    }
  });
});

describe('WebSocket connection caps', () => {
  test('the WebSocket over WS_MAX_CONNECTIONS_PER_IP / WS_MAX_CONNECTIONS gets 503 before the upgrade; open ones keep receiving', async () => {
    const gw = await startGateway({ env: { ...relaxed, WS_MAX_CONNECTIONS_PER_IP: '2', WS_MAX_CONNECTIONS: '3' } });
    const sockets = [];
    const raws = [];
    try {
      const u = await newUser(gw);
      sockets.push(await WsClient.open(wsUrl(gw, '/ws', u.token)), await WsClient.open(wsUrl(gw, '/ws', u.token)));
      await assert.rejects(WsClient.open(wsUrl(gw, '/ws', u.token)), (e) => e.status === 503);
      // The refusal body, read raw: JSON error and Connection: close; no authentication ran.
      const s = await open(gw);
      s.write(`GET /ws?token=${u.token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      const raw = await waitFor(() => (s.data.includes('\r\n\r\n{') && s.data.endsWith('}') ? s.data : null));
      assert.ok(raw, `answer: ${s.data}`);
      assertRefused(raw, /too many WebSocket connections from this address/);
      assert.ok(await waitFor(() => s.ended));
      // Plain HTTP from the same address is not held by the WebSocket cap.
      const me = await fetch(`${gw.base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${u.token}` } });
      assert.equal(me.status, 200);
      // The total cap (3): another address may open one, the fourth socket overall is refused.
      const handshake = async (from) => {
        const h = await open(gw, from);
        h.write(`GET /ws?token=${u.token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
        assert.ok(await waitFor(() => h.data.includes('\r\n\r\n')), `answer: ${h.data}`);
        return h;
      };
      const third = await handshake('127.0.0.2');
      assert.match(third.data, /^HTTP\/1\.1 101 /);
      raws.push(third);
      const fourth = await handshake('127.0.0.3');
      assert.ok(await waitFor(() => fourth.data.endsWith('}')), fourth.data);
      assertRefused(fourth.data, /too many WebSocket connections; try again later/);
      fourth.destroy();
      raws.pop().destroy();
      // The open sockets are untouched.
      for (const ws of sockets) assert.equal(ws.ws.readyState, 1);
      // One closes: its place is free again.
      sockets.pop().ws.close();
      const again = await waitFor(async () => {
        try {
          sockets.push(await WsClient.open(wsUrl(gw, '/ws', u.token)));
          return true;
        } catch (e) {
          if (e.status !== 503) throw e;
          return false;
        }
      });
      assert.ok(again, 'a freed WebSocket place is usable again');
      const text = await waitFor(async () => {
        const t = await metrics(gw);
        return /^http_open_connections\{kind="websocket"\} 2$/m.test(t) ? t : null;
      });
      assert.ok(text, 'two WebSockets open');
      assert.match(text, /^http_connections_refused_total\{kind="websocket",cap="per_ip"\} [2-9]/m);
      // At least the fourth socket; the retries above may meet the total cap too while the third
      // is still being released.
      assert.match(text, /^http_connections_refused_total\{kind="websocket",cap="total"\} [1-9]\d*$/m);
    } finally {
      for (const ws of sockets) ws.ws.close();
      for (const r of raws) r.destroy();
      await gw.cleanup();
    }
  });
});
