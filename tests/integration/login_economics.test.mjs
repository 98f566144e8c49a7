// Brute-force economics of PIN logins against the real binary — the failed-login
// limit counted atomically, IPv6 grouped by /48, the global failed-login budget that slows
// logins down for everyone, and PIN_SECRET kept away from the database.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call, gatewayBin, generatePin, startGateway } from './harness.mjs';

const login = (gw, pin, headers = {}) => call(gw, 'POST', '/api/v1/auth/login', { basic: `${pin}:`, headers });
const metric = (text, name) => {
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe('failed-login limits', () => {
  test('concurrent wrong PINs: exactly LOGIN_FAILURES_PER_MINUTE are tried, the rest get 429', async () => {
    // Before the fix every request checked the count before any was recorded, so a burst of
    // concurrent wrong PINs was tried in full.
    const gw = await startGateway({ env: { LOGIN_FAILURES_PER_MINUTE: '3', LOGIN_FAILURES_GLOBAL_PER_MINUTE: '1000000' } });
    try {
      const { pin } = await generatePin(gw);
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login(gw, `WRONG${i % 10}`)));
      const statuses = answers.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 401).length, 3, `statuses ${statuses}`);
      assert.equal(statuses.filter((s) => s === 429).length, 37, `statuses ${statuses}`);
      // The budget is spent: the right PIN from the same address waits for the window too.
      assert.equal((await login(gw, pin)).status, 429);
    } finally {
      await gw.cleanup();
    }
  });

  test('right PINs do not use up the budget', async () => {
    // (Each attempt holds a place in the budget while its PIN is tested, so at most
    // LOGIN_FAILURES_PER_MINUTE logins from one client can be in flight at once.)
    const gw = await startGateway({ env: { LOGIN_FAILURES_PER_MINUTE: '2', LOGIN_FAILURES_GLOBAL_PER_MINUTE: '1000000' } });
    try {
      const { pin } = await generatePin(gw);
      for (let i = 0; i < 10; i++) assert.equal((await login(gw, pin)).status, 200);
      const pair = await Promise.all([login(gw, pin), login(gw, pin)]);
      assert.deepEqual(pair.map((r) => r.status), [200, 200]);
      assert.equal((await login(gw, 'WRONG1')).status, 401);
      assert.equal((await login(gw, 'WRONG2')).status, 401);
      assert.equal((await login(gw, pin)).status, 429);
    } finally {
      await gw.cleanup();
    }
  });

  test('IPv6 clients share one budget per /48; IPv4 per address', async () => {
    const gw = await startGateway({
      env: { LOGIN_FAILURES_PER_MINUTE: '2', LOGIN_FAILURES_GLOBAL_PER_MINUTE: '1000000', TRUSTED_PROXIES: '127.0.0.1' },
    });
    try {
      const { pin } = await generatePin(gw);
      const from = (ip) => ({ 'x-forwarded-for': ip });
      // Two different /64s of 2001:db8:1::/48.
      assert.equal((await login(gw, 'WRONG1', from('2001:db8:1:1::1'))).status, 401);
      assert.equal((await login(gw, 'WRONG1', from('2001:db8:1:2::99'))).status, 401);
      assert.equal((await login(gw, pin, from('2001:db8:1:ffff:aaaa::5'))).status, 429, 'a third /64 of the /48 is locked out');
      assert.equal((await login(gw, pin, from('2001:db8:2::1'))).status, 200, 'the next /48 is not');
      // IPv4: one address, and its IPv4-mapped form, share a budget; the neighbour does not.
      assert.equal((await login(gw, 'WRONG1', from('203.0.113.7'))).status, 401);
      assert.equal((await login(gw, 'WRONG1', from('::ffff:203.0.113.7'))).status, 401);
      assert.equal((await login(gw, pin, from('203.0.113.7'))).status, 429);
      assert.equal((await login(gw, pin, from('203.0.113.8'))).status, 200);
    } finally {
      await gw.cleanup();
    }
  });
});

describe('global failed-login budget', () => {
  test('beyond LOGIN_FAILURES_GLOBAL_PER_MINUTE logins slow down for everyone, logged and in /metrics', async () => {
    // Budget 120 a minute: beyond it one login every 500 ms, from any address.
    const gw = await startGateway({
      env: {
        LOGIN_FAILURES_PER_MINUTE: '1000000',
        LOGIN_FAILURES_GLOBAL_PER_MINUTE: '120',
        LOGIN_SLOWDOWN_MAX_DELAY: '3s',
        RATE_LIMIT_PER_MINUTE: '1000000',
        TRUSTED_PROXIES: '127.0.0.1',
      },
    });
    try {
      const { pin } = await generatePin(gw);
      // 120 wrong PINs from 120 addresses (the per-address limit is not what stops them).
      for (let batch = 0; batch < 12; batch++) {
        const rs = await Promise.all(Array.from({ length: 10 }, (_, i) =>
          login(gw, 'WRONG1', { 'x-forwarded-for': `198.51.100.${batch * 10 + i}` })));
        for (const r of rs) assert.equal(r.status, 401);
      }
      let text = await (await fetch(`${gw.base}/metrics`)).text();
      assert.equal(metric(text, 'login_slowed_total'), 0);
      assert.equal(metric(text, 'login_failures_global_budget'), 120);
      assert.ok(metric(text, 'login_failures_global_window') >= 120);

      // Now everyone waits for a slot, 500 ms apart: the delay grows with the queue.
      const started = Date.now();
      const timed = async (p) => { const r = await p; return { status: r.status, ms: Date.now() - started }; };
      const rs = await Promise.all([
        timed(login(gw, 'WRONG2', { 'x-forwarded-for': '192.0.2.1' })),
        timed(login(gw, 'WRONG2', { 'x-forwarded-for': '192.0.2.2' })),
        timed(login(gw, 'WRONG2', { 'x-forwarded-for': '192.0.2.3' })),
        timed(login(gw, pin, { 'x-forwarded-for': '192.0.2.4' })),
      ]);
      const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
      assert.deepEqual(rs.map((r) => r.status), [401, 401, 401, 200], 'slowed, not refused; the right PIN still logs in');
      assert.ok(ms[3] >= 1400, `the fourth waited three slots (${ms})`);
      assert.ok(ms[1] >= 400, `the second waited one slot (${ms})`);

      // A burst that would wait longer than LOGIN_SLOWDOWN_MAX_DELAY (3 s, 6 slots) is refused.
      const burst = await Promise.all(Array.from({ length: 12 }, (_, i) =>
        login(gw, 'WRONG3', { 'x-forwarded-for': `192.0.2.${100 + i}` })));
      const refused = burst.filter((r) => r.status === 429);
      assert.ok(refused.length >= 4 && refused.length <= 8, `refused ${refused.length} of 12`);
      for (const r of refused) {
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
        assert.match(r.json.message, /slowed down/);
      }
      assert.equal(burst.filter((r) => r.status === 401).length, 12 - refused.length);

      text = await (await fetch(`${gw.base}/metrics`)).text();
      assert.ok(metric(text, 'login_slowed_total') >= 4 + 12 - refused.length, text);
      assert.ok(metric(text, 'login_slowdown_refused_total') >= 4);
      assert.ok(metric(text, 'login_failures_total') >= 120 + 3 + 12 - refused.length);
      assert.ok(metric(text, 'login_delay_seconds') >= 0);
      const warned = gw.logs.filter((l) => l.msg === 'failed logins over the global budget: logins slowed down');
      assert.equal(warned.length, 1, 'logged once per window');
      assert.equal(warned[0].budget_per_minute, 120);
    } finally {
      await gw.cleanup();
    }
  });
});

describe('PIN_SECRET', () => {
  const run = (env) => spawnSync(gatewayBin, [], {
    env: { PATH: process.env.PATH, ASAN_OPTIONS: 'detect_leaks=0', PORT: '0', DATA_DIR: path.join(os.tmpdir(), 'never-created'), ...env },
    encoding: 'utf8',
    timeout: 20000,
  });

  test('production refuses to start without a PIN_SECRET of at least 32 characters', () => {
    const jwt = 'j'.repeat(32);
    for (const pinSecret of [undefined, '', 'p'.repeat(31)]) {
      const r = run({ ENV: 'production', JWT_SECRET: jwt, ...(pinSecret === undefined ? {} : { PIN_SECRET: pinSecret }) });
      assert.equal(r.status, 2, `PIN_SECRET=${pinSecret}: ${r.stderr}`);
      assert.match(r.stderr, /PIN_SECRET.*at least 32 characters/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  test('production with PIN_SECRET starts, and generates no PIN key anywhere', async () => {
    const secrets = path.join(os.tmpdir(), `gw-no-secrets-${process.pid}`);
    const gw = await startGateway({ env: { ENV: 'production', JWT_SECRET: 'j'.repeat(32), PIN_SECRET: 'p'.repeat(32), SECRETS_DIR: secrets } });
    try {
      const { pin } = await generatePin(gw);
      assert.equal((await login(gw, pin)).status, 200);
      assert.ok(!existsSync(secrets), 'SECRETS_DIR is not used in production');
      assert.ok(!readdirSync(gw.dir).some((f) => f.includes('pin')));
    } finally {
      await gw.cleanup();
    }
  });

  test('development generates the PIN key in SECRETS_DIR, not next to the database', async () => {
    const secrets = mkdtempSync(path.join(os.tmpdir(), 'gw-secrets-'));
    const data = mkdtempSync(path.join(os.tmpdir(), 'gw-data-'));
    try {
      let gw = await startGateway({ dataDir: data, env: { SECRETS_DIR: secrets } });
      const { pin } = await generatePin(gw);
      assert.equal((await login(gw, pin)).status, 200);
      await gw.stop();
      assert.ok(existsSync(path.join(secrets, 'pin_secret')));
      assert.ok(!readdirSync(data).some((f) => f.includes('pin')), `DATA_DIR holds ${readdirSync(data)}`);
      // The same database with the same key: the PIN works; with another key directory it does not.
      gw = await startGateway({ dataDir: data, env: { SECRETS_DIR: secrets } });
      assert.equal((await login(gw, pin)).status, 200);
      await gw.stop();
      const other = mkdtempSync(path.join(os.tmpdir(), 'gw-secrets-'));
      gw = await startGateway({ dataDir: data, env: { SECRETS_DIR: other } });
      assert.equal((await login(gw, pin)).status, 401, 'the database and DATA_DIR alone do not make the PIN usable');
      await gw.stop();
      rmSync(other, { recursive: true, force: true });
    } finally {
      rmSync(secrets, { recursive: true, force: true });
      rmSync(data, { recursive: true, force: true });
    }
  });
});
