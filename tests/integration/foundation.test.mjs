// The built gateway as a black box — health, metrics, limits, malformed input,
// keep-alive, request ids, graceful shutdown, configuration errors, migrations CLI, and the
// database going away and coming back.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  bodyOf, dialects, freshPostgresDatabase, gatewayBin, pgCtl, rawRequest, sleep, startGateway,
  statusOf, waitFor,
} from './harness.mjs';

/** Parses Prometheus text exposition; throws on a malformed line. Returns [{name, labels, value}]. */
function parsePrometheus(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    assert.ok(m, `malformed metrics line: ${JSON.stringify(line)}`);
    const labels = {};
    if (m[3]) {
      for (const part of m[3].match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
        const eq = part.indexOf('=');
        labels[part.slice(0, eq)] = part.slice(eq + 2, -1);
      }
    }
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return samples;
}

function counter(samples, name, labels) {
  const s = samples.find(
    (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
  return s ? s.value : 0;
}

for (const dialect of dialects()) {
  describe(`gateway foundation on ${dialect}`, () => {
    let gw;
    before(async () => {
      gw = await startGateway({ dialect, env: { HTTP_MAX_BODY_BYTES: '4096', HTTP_MAX_HEADER_BYTES: '2048' } });
    });
    after(async () => {
      const r = await gw.stop();
      assert.equal(r.code, 0, `exit code after SIGTERM; stderr:\n${gw.stderr}`);
      await gw.cleanup();
    });

    test('/health reports the documented fields with their types', async () => {
      const res = await fetch(`${gw.base}/health`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /application\/json/);
      const body = await res.json();
      assert.deepEqual(Object.keys(body).sort(),
        ['active_sessions', 'database', 'memory_usage_mb', 'status', 'uptime_seconds']);
      assert.equal(body.status, 'healthy');
      assert.equal(body.database, 'connected');
      assert.ok(Number.isInteger(body.active_sessions) && body.active_sessions >= 0);
      assert.ok(Number.isInteger(body.memory_usage_mb) && body.memory_usage_mb > 0);
      assert.ok(Number.isInteger(body.uptime_seconds) && body.uptime_seconds >= 0);
    });

    test('/metrics parses as Prometheus text and counts the requests made', async () => {
      const before = parsePrometheus(await (await fetch(`${gw.base}/metrics`)).text());
      const n = 7;
      for (let i = 0; i < n; i++) assert.equal((await fetch(`${gw.base}/health`)).status, 200);
      await fetch(`${gw.base}/api/v1/no/such/route`); // a page path would be the dashboard
      const text = await (await fetch(`${gw.base}/metrics`)).text();
      const after = parsePrometheus(text);
      const labels = { method: 'GET', route: '/health', status: '200' };
      assert.equal(counter(after, 'http_requests_total', labels) - counter(before, 'http_requests_total', labels), n);
      assert.ok(counter(after, 'http_requests_total', { route: 'unmatched', status: '404' }) >= 1);
      assert.ok(counter(after, 'http_request_duration_seconds_count', { route: '/health' }) >= n);
      for (const name of ['process_resident_memory_bytes', 'process_cpu_seconds_total', 'process_open_fds']) {
        assert.ok(after.some((s) => s.name === name && s.value > 0), name);
      }
      assert.ok(after.some((s) => s.name === 'db_pool_connections' && s.labels.state === 'idle'));
      assert.ok(after.some((s) => s.name === 'db_pool_connections' && s.labels.state === 'in_use'));
      // SQLite's one writer: the turns taken so far (the migrations at least) and how long they
      // were held; PostgreSQL has no such thing.
      const sqliteWriter = ['db_sqlite_write_turns_total', 'db_sqlite_write_turn_seconds_total',
        'db_sqlite_write_waiting', 'db_sqlite_grouped_commits_total'];
      for (const name of sqliteWriter) {
        assert.equal(after.some((s) => s.name === name), dialect === 'sqlite', name);
      }
      if (dialect === 'sqlite') {
        assert.ok(counter(after, 'db_sqlite_write_turns_total', {}) >= 1);
        assert.ok(counter(after, 'db_sqlite_write_turn_seconds_total', {}) > 0);
      }
      assert.match(text, /# TYPE http_request_duration_seconds histogram/);
    });

    test('unknown route is 404 and wrong method is 405, both in the error envelope', async () => {
      const nf = await fetch(`${gw.base}/api/v1/nothing-here`);
      assert.equal(nf.status, 404);
      const nfb = await nf.json();
      assert.equal(nfb.success, false);
      assert.equal(nfb.error.code, 'not_found');
      assert.match(nfb.message, /\/api\/v1\/nothing-here/);
      const na = await fetch(`${gw.base}/health`, { method: 'DELETE' });
      assert.equal(na.status, 405);
      assert.equal(na.headers.get('allow'), 'GET');
      assert.equal((await na.json()).error.code, 'method_not_allowed');
    });

    test('X-Request-Id is echoed when valid and generated otherwise', async () => {
      const a = await fetch(`${gw.base}/health`, { headers: { 'X-Request-Id': 'abc-123.X_y' } });
      assert.equal(a.headers.get('x-request-id'), 'abc-123.X_y');
      const b = await fetch(`${gw.base}/health`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
      assert.match(b.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
      const c = await fetch(`${gw.base}/health`);
      assert.match(c.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
      assert.notEqual(b.headers.get('x-request-id'), c.headers.get('x-request-id'));
      await waitFor(() => gw.logs.some((l) => l.request_id === 'abc-123.X_y'));
      const line = gw.logs.find((l) => l.request_id === 'abc-123.X_y');
      assert.equal(line.msg, 'request');
      assert.equal(line.method, 'GET');
      assert.equal(line.route, '/health');
      assert.equal(line.status, 200);
      assert.equal(typeof line.duration_ms, 'number');
    });

    test('access-log lines stay valid JSON whatever the path holds', async () => {
      const raw = await rawRequest(gw.port, 'GET /we"ird\\path\u00e9x%22 HTTP/1.1\r\nHost: x\r\nX-Request-Id: weird-path-1\r\nConnection: close\r\n\r\n');
      assert.equal(statusOf(raw), 404);
      const line = await waitFor(() => gw.logs.find((l) => l.request_id === 'weird-path-1'));
      assert.ok(line, 'the line parsed as JSON');
      assert.equal(line.path, '/we"ird\\path\u00e9x%22');
      assert.equal(line.status, 404);
    });

    test('oversize body gets 413 and the server keeps serving', async () => {
      const res = await fetch(`${gw.base}/api/v1/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(5000),
      });
      assert.equal(res.status, 413);
      assert.equal((await res.json()).error.code, 'payload_too_large');
      // Chunked body without a declared length is cut off at the limit too.
      const raw = await rawRequest(gw.port, [
        'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
        `1388\r\n${'y'.repeat(5000)}\r\n0\r\n\r\n`,
      ]);
      assert.equal(statusOf(raw), 413, raw);
      assert.equal((await fetch(`${gw.base}/health`)).status, 200);
    });

    test('oversize headers get 431', async () => {
      const raw = await rawRequest(gw.port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`);
      assert.equal(statusOf(raw), 431);
      assert.equal(JSON.parse(bodyOf(raw)).error.code, 'headers_too_large');
    });

    test('malformed request line gets 400 and the server keeps serving', async () => {
      for (const garbage of ['GARBAGE\r\n\r\n', 'GET /health HTTP/9.9\r\n\r\n', 'GET  HTTP/1.1\r\n\r\n', '\x00\x01\x02\r\n\r\n']) {
        const raw = await rawRequest(gw.port, garbage);
        assert.equal(statusOf(raw), 400, `for ${JSON.stringify(garbage)} got ${JSON.stringify(raw.slice(0, 80))}`);
        const body = JSON.parse(bodyOf(raw));
        assert.equal(body.success, false);
        assert.match(body.message, /malformed/);
      }
      assert.equal((await fetch(`${gw.base}/health`)).status, 200);
    });

    test('keep-alive serves several requests on one connection', async () => {
      const raw = await rawRequest(gw.port,
        'GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.equal((raw.match(/HTTP\/1\.1 200 OK/g) ?? []).length, 3);
    });

    test('a client too slow to send its headers is disconnected', async () => {
      // HTTP_HEADER_TIMEOUT is 10 s by default; this gateway uses a short one.
      const slow = await startGateway({ dialect, env: { HTTP_HEADER_TIMEOUT: '300ms' } });
      try {
        const started = Date.now();
        const raw = await rawRequest(slow.port, ['GET /health HTTP/1.1\r\n', 'Host: x\r\n', 'X-A: 1\r\n', 'X-B: 2\r\n', 'X-C: 3\r\n'], { delayMs: 150, timeoutMs: 5000 });
        assert.ok(Date.now() - started < 4000);
        assert.ok(raw === '' || statusOf(raw) === 408, `unexpected: ${raw.slice(0, 60)}`);
        // An idle connection that never sends anything is closed too.
        const idle = await rawRequest(slow.port, [], { timeoutMs: 5000 });
        assert.equal(idle, '');
      } finally {
        await slow.cleanup();
      }
    });
  });

  describe(`graceful shutdown on ${dialect}`, () => {
    test('SIGTERM during a slow request: the request completes, then exit 0', async () => {
      const gw = await startGateway({ dialect });
      const sock = net.connect(gw.port, '127.0.0.1');
      let data = '';
      sock.on('data', (d) => { data += d; });
      const closed = new Promise((r) => sock.on('close', r));
      await new Promise((r) => sock.on('connect', r));
      const body = JSON.stringify({ pin: 'ABC123' });
      sock.write(`POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      await sleep(300); // headers are in: the request is in flight
      gw.child.kill('SIGTERM');
      await sleep(500);
      assert.equal(gw.child.exitCode, null, 'still running while the request is in flight');
      // New connections are refused once shutdown began.
      const refused = await new Promise((r) => {
        const s = net.connect(gw.port, '127.0.0.1');
        s.on('error', () => r(true));
        s.on('connect', () => { s.destroy(); r(false); });
      });
      assert.ok(refused, 'listener closed during shutdown');
      sock.write(body);
      await closed;
      assert.ok(statusOf(data) !== null, `a complete response arrived: ${data.slice(0, 80)}`);
      assert.match(data, /connection: close/i);
      const { code } = await gw.exited;
      assert.equal(code, 0, gw.stderr);
      await gw.cleanup();
    });

    test('SIGINT with nothing in flight exits 0 promptly, closing idle keep-alive connections', async () => {
      const gw = await startGateway({ dialect });
      const agent = new http.Agent({ keepAlive: true });
      await new Promise((resolve) => http.get(`${gw.base}/health`, { agent }, (res) => { res.resume(); res.on('end', resolve); }));
      const started = Date.now();
      gw.child.kill('SIGINT');
      const { code } = await gw.exited;
      assert.equal(code, 0);
      assert.ok(Date.now() - started < 5000);
      agent.destroy();
      await gw.cleanup();
    });
  });
}

describe('configuration and CLI', () => {
  const run = (args, env = {}) => spawnSync(gatewayBin, args, {
    env: { PATH: process.env.PATH, ASAN_OPTIONS: 'detect_leaks=0', ...env }, encoding: 'utf8', cwd: os.tmpdir(),
  });

  test('--help lists every variable with its default; --version prints the version', () => {
    const h = run(['--help']);
    assert.equal(h.status, 0);
    for (const v of ['PORT', 'ENV', 'DATABASE_URL', 'DB_MAX_CONNECTIONS', 'DB_MAX_IDLE_CONNECTIONS',
      'DB_CONNECTION_MAX_LIFETIME', 'LOG_LEVEL', 'LOG_FORMAT', 'DATA_DIR']) {
      assert.match(h.stdout, new RegExp(`^  ${v} .*\\(default: [^)]*\\)$`, 'm'), v);
    }
    const v = run(['--version']);
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^wa-gateway \d+\.\d+\.\d+\n$/);
  });

  test('invalid configuration refuses to start with one line naming the variable', () => {
    for (const [name, value, expected] of [
      ['PORT', 'eighty', /PORT.*0 to 65535/],
      ['LOG_LEVEL', 'loud', /LOG_LEVEL.*debug, info, warn or error/],
      ['DB_MAX_CONNECTIONS', '-1', /DB_MAX_CONNECTIONS/],
      ['DATABASE_URL', 'mysql://x', /DATABASE_URL.*postgres/],
      ['DB_CONNECTION_MAX_LIFETIME', 'forever', /DB_CONNECTION_MAX_LIFETIME.*duration/],
    ]) {
      const r = run([], { [name]: value, DATA_DIR: path.join(os.tmpdir(), 'never-created') });
      assert.equal(r.status, 2, `${name}=${value}`);
      assert.match(r.stderr, expected);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const p = run([], { ENV: 'production', JWT_SECRET: 'short' });
    assert.equal(p.status, 2);
    assert.match(p.stderr, /JWT_SECRET.*32/);
  });

  test('.env file is read and the environment wins over it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-envfile-'));
    writeFileSync(path.join(dir, 'custom.env'), 'LOG_FORMAT=text\nPORT=notaport\n');
    const bad = run([], { ENV_FILE: path.join(dir, 'custom.env'), DATA_DIR: dir });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /PORT="notaport"/);
    const gw = await startGateway({ dataDir: dir, env: { ENV_FILE: path.join(dir, 'custom.env'), LOG_FORMAT: 'json' } });
    assert.equal((await fetch(`${gw.base}/health`)).status, 200);
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('migrate status/down/up on SQLite', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-migrate-'));
    const env = { DATA_DIR: dir };
    let r = run(['migrate', 'status'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^pending 1 init$/m);
    r = run(['migrate', 'up'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /applied \d+ migration/);
    r = run(['migrate', 'status'], env);
    assert.match(r.stdout, /^applied 1 init \d{4}-\d\d-\d\dT/m);
    r = run(['migrate', 'down', '1'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /rolled back 1 migration/);
    r = run(['migrate', 'down', 'x'], env);
    assert.equal(r.status, 2);
    r = run(['migrate', 'sideways'], env);
    assert.equal(r.status, 2);
    rmSync(dir, { recursive: true, force: true });
  });
});

if (process.env.TEST_DATABASE_URL && process.env.TEST_PG_DIR) {
  describe('PostgreSQL outage', () => {
    test('/health goes 503 within 2 s of PostgreSQL stopping, and back to 200 after it returns', async () => {
      const gw = await startGateway({ dialect: 'postgres', env: { DATABASE_URL: freshPostgresDatabase() } });
      try {
        assert.equal((await fetch(`${gw.base}/health`)).status, 200);
        pgCtl('stop');
        const stoppedAt = Date.now();
        const down = await waitFor(async () => {
          const r = await fetch(`${gw.base}/health`);
          return r.status === 503 ? r.json() : null;
        }, { timeoutMs: 2000 });
        assert.ok(down, `503 within 2 s (waited ${Date.now() - stoppedAt} ms)`);
        assert.equal(down.database, 'disconnected');
        assert.equal(down.status, 'unhealthy');
        pgCtl('start');
        const up = await waitFor(async () => (await fetch(`${gw.base}/health`)).status === 200, { timeoutMs: 10000 });
        assert.ok(up, 'back to 200 after PostgreSQL returned, without a restart');
      } finally {
        try { pgCtl('start'); } catch { /* already running */ }
        const r = await gw.stop();
        assert.equal(r.code, 0, gw.stderr);
        await gw.cleanup();
      }
    });
  });
}
