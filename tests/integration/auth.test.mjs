// Accounts and API security against the real binary, on SQLite and PostgreSQL.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { call, dialects, generatePin, login, rawRequest, sleep, startGateway, statusOf } from './harness.mjs';

const PIN_RE = /^[A-Z0-9]{6}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000', LOGIN_FAILURES_GLOBAL_PER_MINUTE: '1000000' };

function b64url(x) { return Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url'); }
function signToken(secret, header, payload, alg = 'sha256') {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${crypto.createHmac(alg, secret).update(input).digest('base64url')}`;
}

/** Every stored byte of the users data, to look for PINs in clear. */
function storedBytes(gw, dialect) {
  if (dialect === 'sqlite') {
    return ['gateway.db', 'gateway.db-wal'].map((f) => path.join(gw.dir, f)).filter(existsSync)
      .map((f) => readFileSync(f).toString('latin1')).join('\n');
  }
  return execFileSync('psql', [gw.env.DATABASE_URL, '-At', '-c', 'COPY (SELECT * FROM users) TO STDOUT'], { encoding: 'utf8' });
}

for (const dialect of dialects()) {
  describe(`accounts on ${dialect}`, () => {
    let gw;
    before(async () => { gw = await startGateway({ dialect, env: relaxed }); });
    after(async () => { await gw.cleanup(); });

    test('8 x 200 concurrent generate-pin calls give 1,600 distinct valid PINs, none stored or logged in clear', async () => {
      const results = [];
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 200; i++) {
          const r = await call(gw, 'POST', '/api/v1/auth/generate-pin');
          assert.equal(r.status, 201, r.text);
          assert.equal(r.json.success, true);
          assert.equal(r.json.message, 'PIN generated successfully. Please save this PIN for login.');
          results.push(r.json.data);
        }
      }));
      assert.equal(results.length, 1600);
      for (const { pin, user_id } of results) {
        assert.match(pin, PIN_RE);
        assert.match(user_id, UUID_RE);
      }
      assert.equal(new Set(results.map((r) => r.pin)).size, 1600);
      assert.equal(new Set(results.map((r) => r.user_id)).size, 1600);
      const stored = storedBytes(gw, dialect);
      assert.ok(stored.length > 0);
      const logs = JSON.stringify(gw.logs);
      // Digits-only PINs could occur inside hex hashes by chance; every other PIN must not appear.
      for (const { pin } of results.filter((r) => /[A-Z]/.test(r.pin))) {
        assert.ok(!stored.includes(pin), `PIN ${pin} found in the database`);
        assert.ok(!logs.includes(pin), `PIN ${pin} found in the logs`);
      }
      // A sample of them logs in.
      for (const { pin, user_id } of results.slice(0, 5)) {
        const r = await call(gw, 'POST', '/api/v1/auth/login', { body: { pin } });
        assert.equal(r.status, 200);
        assert.equal(r.json.data.user_id, user_id);
      }
    });

    test('login with Basic and with JSON; me reports the account and last_login moves', async () => {
      const { pin, user_id } = await generatePin(gw);
      const b = await call(gw, 'POST', '/api/v1/auth/login', { basic: `${pin}:` });
      assert.equal(b.status, 200);
      assert.deepEqual(Object.keys(b.json.data).sort(), ['pin', 'token', 'user_id']);
      assert.equal(b.json.data.user_id, user_id);
      assert.equal(b.json.data.pin, pin);
      assert.equal(b.json.message, 'Login successful');
      const me1 = await call(gw, 'GET', '/api/v1/auth/me', { token: b.json.data.token });
      assert.equal(me1.status, 200);
      assert.equal(me1.json.data.user_id, user_id);
      assert.match(me1.json.data.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(me1.json.data.last_login, /Z$/);
      await sleep(20);
      const j = await call(gw, 'POST', '/api/v1/auth/login', { body: { pin } });
      assert.equal(j.status, 200);
      assert.equal(j.json.data.user_id, user_id);
      assert.notEqual(j.json.data.token, b.json.data.token);
      const me2 = await call(gw, 'GET', '/api/v1/auth/me', { token: j.json.data.token });
      assert.ok(me2.json.data.last_login > me1.json.data.last_login, 'last_login updated');
      // JWT claims as specified.
      const claims = JSON.parse(Buffer.from(j.json.data.token.split('.')[1], 'base64url'));
      assert.equal(claims.sub, user_id);
      assert.equal(claims.exp - claims.iat, 24 * 3600);
      assert.match(claims.jti, /^[0-9a-f]{32}$/);
      const header = JSON.parse(Buffer.from(j.json.data.token.split('.')[0], 'base64url'));
      assert.equal(header.alg, 'HS256');
    });

    test('wrong, malformed or missing credentials all get the same 401', async () => {
      const { pin } = await generatePin(gw);
      const other = pin === 'ZZZZZZ' ? 'YYYYYY' : 'ZZZZZZ';
      const attempts = [
        { basic: `${other}:` }, { basic: `${pin.toLowerCase()}:` }, { basic: `${pin}:secret` },
        { basic: `${pin.slice(0, 5)}:` }, { basic: 'nocolon' }, { body: { pin: other } }, { body: { pin: 'abc' } },
        { headers: { authorization: 'Basic !!!notbase64' } }, { headers: { authorization: 'Bearer xyz' } }, {},
      ];
      for (const a of attempts) {
        const r = await call(gw, 'POST', '/api/v1/auth/login', a);
        assert.equal(r.status, 401, `${JSON.stringify(a)} -> ${r.text}`);
        assert.equal(r.json.success, false);
        assert.equal(r.json.message, 'invalid PIN');
        assert.equal(r.json.error.code, 'unauthorized');
      }
    });

    test('bad bodies: 415 for a wrong Content-Type, 400 naming the problem for bad JSON', async () => {
      let r = await call(gw, 'POST', '/api/v1/auth/login', { body: 'pin=ABC123', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(r.status, 415);
      assert.equal(r.json.error.code, 'unsupported_media_type');
      r = await call(gw, 'POST', '/api/v1/auth/login', { body: '{"pin": "ABC123"' });
      assert.equal(r.status, 400);
      assert.match(r.json.message, /invalid JSON/);
      r = await call(gw, 'POST', '/api/v1/auth/login', { body: '[1,2]' });
      assert.equal(r.status, 400);
      assert.match(r.json.message, /JSON object/);
      r = await call(gw, 'POST', '/api/v1/auth/login', { body: { code: 'ABC123' } });
      assert.equal(r.status, 400);
      assert.match(r.json.message, /pin/);
      r = await call(gw, 'POST', '/api/v1/auth/login', { body: `{"pin":${'['.repeat(50)}${']'.repeat(50)}}` });
      assert.equal(r.status, 400);
      assert.match(r.json.message, /nesting|deep/);
      r = await call(gw, 'POST', '/api/v1/auth/login', { body: { pin: 'x'.repeat(5000) } });
      assert.equal(r.status, 413);
    });

    test('tokens: tampered, wrong algorithm, missing exp, expired or absent all get 401', async () => {
      const { pin, user_id } = await generatePin(gw);
      const token = await login(gw, pin);
      const ok = await call(gw, 'GET', '/api/v1/auth/me', { token });
      assert.equal(ok.status, 200);
      const secret = readFileSync(path.join(gw.dir, 'jwt_secret'), 'utf8').trim();
      const now = Math.floor(Date.now() / 1000);
      const claims = { sub: user_id, iat: now, exp: now + 3600, jti: crypto.randomBytes(16).toString('hex') };
      // Our own HS256 signing is right: such a token is accepted...
      assert.equal((await call(gw, 'GET', '/api/v1/auth/me', { token: signToken(secret, { alg: 'HS256', typ: 'JWT' }, claims) })).status, 200);
      const [h, p, s] = token.split('.');
      const flipped = s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1);
      const bad = {
        tampered_signature: `${h}.${p}.${flipped}`,
        tampered_payload: `${h}.${b64url({ ...JSON.parse(Buffer.from(p, 'base64url')), sub: crypto.randomUUID() })}.${s}`,
        alg_none: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`,
        alg_hs512: signToken(secret, { alg: 'HS512', typ: 'JWT' }, claims, 'sha512'),
        missing_exp: signToken(secret, { alg: 'HS256', typ: 'JWT' }, { sub: user_id, iat: now, jti: claims.jti }),
        expired: signToken(secret, { alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now - 7200, exp: now - 60 }),
        wrong_key: signToken('another-secret-another-secret-xx', { alg: 'HS256', typ: 'JWT' }, claims),
        unknown_user: signToken(secret, { alg: 'HS256', typ: 'JWT' }, { ...claims, sub: crypto.randomUUID() }),
        garbage: 'not.a.token', empty: '',
      };
      for (const [name, t] of Object.entries(bad)) {
        const r = await call(gw, 'GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${t}` } });
        assert.equal(r.status, 401, `${name}: ${r.text}`);
        assert.equal(r.headers.get('www-authenticate'), 'Bearer');
        assert.equal(r.json.error.code, 'unauthorized');
      }
      assert.equal((await call(gw, 'GET', '/api/v1/auth/me')).status, 401);
      assert.equal((await call(gw, 'POST', '/api/v1/auth/logout')).status, 401);
    });

    test('odd Authorization headers never cause a 5xx', async () => {
      const values = ['Basic', 'Basic ', 'Basic ====', `Basic ${'A'.repeat(5000)}`, 'Bearer', 'Bearer  ', `Bearer ${'a.'.repeat(3000)}`,
        'basic QUJDMTIzOg==', 'Digest x', '\tBasic QUJDMTIzOg==', 'Bearer a.b.c.d', 'Bearer ..', 'Basic Og=='];
      for (const v of values) {
        for (const p of ['/api/v1/auth/login', '/api/v1/auth/me']) {
          const raw = await rawRequest(gw.port, `${p.endsWith('login') ? 'POST' : 'GET'} ${p} HTTP/1.1\r\nHost: x\r\nAuthorization: ${v}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
          const st = statusOf(raw);
          assert.ok(st >= 400 && st < 500, `${JSON.stringify(v.slice(0, 30))} on ${p}: ${st}`);
        }
      }
    });
  });

  describe(`token lifetime and logout on ${dialect}`, () => {
    test('a token expires after JWT_TTL', async () => {
      // Expiry is in whole seconds from a whole-second issue time: a token lives between TTL - 1
      // and TTL seconds. 3 s leaves the first request 2 s, however loaded the machine.
      const gw = await startGateway({ dialect, env: { ...relaxed, JWT_TTL: '3s' } });
      try {
        const token = await login(gw, (await generatePin(gw)).pin);
        assert.equal((await call(gw, 'GET', '/api/v1/auth/me', { token })).status, 200);
        await sleep(3100);
        assert.equal((await call(gw, 'GET', '/api/v1/auth/me', { token })).status, 401);
      } finally {
        await gw.cleanup();
      }
    });

    test('logout revokes the token everywhere, also after a restart; other tokens keep working', async () => {
      let gw = await startGateway({ dialect, env: relaxed });
      const { dir } = gw;
      const dbUrl = gw.env.DATABASE_URL;
      const { pin } = await generatePin(gw);
      const revoked = await login(gw, pin);
      const kept = await login(gw, pin);
      const out = await call(gw, 'POST', '/api/v1/auth/logout', { token: revoked });
      assert.equal(out.status, 200);
      assert.deepEqual(out.json, { success: true, message: 'Logout successful' });
      assert.equal((await call(gw, 'GET', '/api/v1/auth/me', { token: revoked })).status, 401);
      assert.equal((await call(gw, 'POST', '/api/v1/auth/logout', { token: revoked })).status, 401);
      assert.equal((await call(gw, 'GET', '/api/v1/auth/me', { token: kept })).status, 200);
      assert.equal((await gw.stop()).code, 0);
      gw = await startGateway({ dialect, dataDir: dir, env: { ...relaxed, ...(dbUrl ? { DATABASE_URL: dbUrl } : {}) } });
      try {
        assert.equal((await call(gw, 'GET', '/api/v1/auth/me', { token: revoked })).status, 401, 'still revoked after restart');
        assert.equal((await call(gw, 'GET', '/api/v1/auth/me', { token: kept })).status, 200, 'tokens survive a restart');
      } finally {
        await gw.stop();
      }
    });
  });
}

describe('rate limits', () => {
  test('request 101 in a minute gets 429 with Retry-After and X-RateLimit-*; other users unaffected', async () => {
    const gw = await startGateway({ env: { GENERATE_PIN_PER_HOUR: '100' } });
    try {
      const a = await login(gw, (await generatePin(gw)).pin);
      const b = await login(gw, (await generatePin(gw)).pin);
      let last;
      for (let i = 1; i <= 100; i++) {
        last = await call(gw, 'GET', '/api/v1/auth/me', { token: a });
        assert.equal(last.status, 200, `request ${i}`);
        assert.equal(last.headers.get('x-ratelimit-limit'), '100');
        assert.equal(last.headers.get('x-ratelimit-remaining'), String(100 - i));
      }
      const r = await call(gw, 'GET', '/api/v1/auth/me', { token: a });
      assert.equal(r.status, 429);
      assert.equal(r.json.error.code, 'rate_limited');
      const retry = Number(r.headers.get('retry-after'));
      assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
      assert.equal(r.headers.get('x-ratelimit-remaining'), '0');
      const reset = Number(r.headers.get('x-ratelimit-reset'));
      assert.ok(reset > Date.now() / 1000 && reset <= Date.now() / 1000 + 61);
      assert.equal((await call(gw, 'GET', '/api/v1/auth/me', { token: b })).status, 200);
      assert.equal((await fetch(`${gw.base}/health`)).status, 200, 'health is not rate limited');
    } finally {
      await gw.cleanup();
    }
  });

  test('failed logins lock out the client IP, even for a correct PIN; X-Forwarded-For only from trusted proxies', async () => {
    const gw = await startGateway({ env: { LOGIN_FAILURES_PER_MINUTE: '3', TRUSTED_PROXIES: '127.0.0.1' } });
    try {
      const { pin } = await generatePin(gw);
      const from = (ip) => ({ 'x-forwarded-for': ip });
      for (let i = 0; i < 3; i++) {
        assert.equal((await call(gw, 'POST', '/api/v1/auth/login', { basic: 'WRONG1:', headers: from('203.0.113.7') })).status, 401);
      }
      const locked = await call(gw, 'POST', '/api/v1/auth/login', { basic: `${pin}:`, headers: from('203.0.113.7') });
      assert.equal(locked.status, 429);
      assert.ok(Number(locked.headers.get('retry-after')) >= 1);
      assert.equal((await call(gw, 'POST', '/api/v1/auth/login', { basic: `${pin}:`, headers: from('198.51.100.9') })).status, 200);
    } finally {
      await gw.cleanup();
    }
    const untrusted = await startGateway({ env: { LOGIN_FAILURES_PER_MINUTE: '2' } });
    try {
      const { pin } = await generatePin(untrusted);
      for (let i = 0; i < 2; i++) {
        await call(untrusted, 'POST', '/api/v1/auth/login', { basic: 'WRONG1:', headers: { 'x-forwarded-for': `10.0.0.${i}` } });
      }
      const r = await call(untrusted, 'POST', '/api/v1/auth/login', { basic: `${pin}:`, headers: { 'x-forwarded-for': '10.9.9.9' } });
      assert.equal(r.status, 429, 'a spoofed X-Forwarded-For from an untrusted peer is ignored');
    } finally {
      await untrusted.cleanup();
    }
  });

  test('generate-pin is limited per IP per hour', async () => {
    const gw = await startGateway({ env: { GENERATE_PIN_PER_HOUR: '2' } });
    try {
      assert.equal((await call(gw, 'POST', '/api/v1/auth/generate-pin')).status, 201);
      assert.equal((await call(gw, 'POST', '/api/v1/auth/generate-pin')).status, 201);
      const r = await call(gw, 'POST', '/api/v1/auth/generate-pin');
      assert.equal(r.status, 429);
      const retry = Number(r.headers.get('retry-after'));
      assert.ok(retry > 60 && retry <= 3600, `Retry-After ${retry}`);
    } finally {
      await gw.cleanup();
    }
  });

  test('limiter memory stays bounded under many distinct client IPs', async () => {
    const gw = await startGateway({ env: { RATE_LIMIT_MAX_KEYS: '100', TRUSTED_PROXIES: '127.0.0.1' } });
    try {
      for (let i = 0; i < 600; i++) {
        const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        const r = await call(gw, 'GET', '/api/v1/auth/me', { headers: { 'x-forwarded-for': ip } });
        assert.equal(r.status, 401);
        assert.equal(r.headers.get('x-ratelimit-remaining'), '99', 'each IP has its own budget');
      }
      const metrics = await (await fetch(`${gw.base}/metrics`)).text();
      const m = /^rate_limiter_keys\{limiter="api"\} (\d+)/m.exec(metrics);
      assert.ok(m, 'rate_limiter_keys gauge present');
      assert.ok(Number(m[1]) <= 100 && Number(m[1]) > 0, `tracked keys ${m[1]}`);
    } finally {
      await gw.cleanup();
    }
  });
});

describe('CORS and security headers', () => {
  let gw;
  before(async () => {
    gw = await startGateway({ env: { CORS_ALLOWED_ORIGINS: 'http://localhost:3000,https://app.example.com', PUBLIC_URL: 'https://wa.example.com' } });
  });
  after(async () => { await gw.cleanup(); });

  test('allowed origins are echoed with Vary: Origin; others get no CORS header; never *', async () => {
    const ok = await fetch(`${gw.base}/health`, { headers: { origin: 'https://app.example.com' } });
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(ok.headers.get('vary'), /Origin/);
    const no = await fetch(`${gw.base}/health`, { headers: { origin: 'https://evil.example' } });
    assert.equal(no.headers.get('access-control-allow-origin'), null);
    const err = await fetch(`${gw.base}/api/v1/auth/me`, { headers: { origin: 'http://localhost:3000' } });
    assert.equal(err.status, 401);
    assert.equal(err.headers.get('access-control-allow-origin'), 'http://localhost:3000', 'errors carry CORS too');
  });

  test('preflight is answered for allowed origins and refused for others', async () => {
    const pre = await fetch(`${gw.base}/api/v1/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
    assert.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
    assert.match(pre.headers.get('access-control-allow-headers'), /Content-Type/);
    const bad = await fetch(`${gw.base}/api/v1/auth/login`, {
      method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(bad.status, 403);
    assert.equal(bad.headers.get('access-control-allow-origin'), null);
  });

  test('security headers on JSON and HTML responses; CSP on HTML; HSTS when served over TLS', async () => {
    for (const p of ['/health', '/api/v1/auth/me', '/no-such-page', '/']) {
      const r = await fetch(`${gw.base}${p}`);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer', p);
      assert.equal(r.headers.get('x-frame-options'), 'DENY', p);
      assert.match(r.headers.get('strict-transport-security'), /max-age=\d+/, p);
    }
    const html = await fetch(`${gw.base}/`);
    assert.match(html.headers.get('content-type'), /text\/html/);
    const csp = html.headers.get('content-security-policy');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-eval/);
    const plain = await startGateway();
    try {
      const r = await fetch(`${plain.base}/health`);
      assert.equal(r.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
      assert.equal(r.headers.get('access-control-allow-origin'), null);
    } finally {
      await plain.cleanup();
    }
  });
});
