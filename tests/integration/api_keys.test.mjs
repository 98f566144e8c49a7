// API keys for machine clients (n8n), against the real binary on SQLite and
// PostgreSQL: created and shown once, stored hashed, sent as `Authorization: Bearer` or
// `X-Api-Key`, optionally limited to sessions, refused at once after revocation, on HTTP and on
// the WebSocket.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { call, dialects, sql, sleep, startGateway } from './harness.mjs';
import { WsClient, createSession, newUser, startEmulator, wsUrl } from './wa_env.mjs';

const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };
const KEY_RE = /^wag_[A-Za-z0-9_-]{43}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function createKey(gw, token, body) {
  const r = await call(gw, 'POST', '/api/v1/api-keys', { token, body });
  assert.equal(r.status, 201, r.text);
  return r.json.data;
}

const withKey = (key) => ({ headers: { 'x-api-key': key } });

for (const dialect of dialects()) {
  describe(`API keys on ${dialect}`, () => {
    let gw, emu;
    before(async () => {
      emu = await startEmulator();
      gw = await startGateway({ dialect, env: { ...relaxed, ...emu.env } });
    });
    after(async () => {
      await gw?.cleanup();
      await emu?.stop();
    });

    test('a key is shown once, stored only as a hash, and works as Bearer and as X-Api-Key', async () => {
      const alice = await newUser(gw);
      const a = await createSession(gw, alice.token, 'A');
      const b = await createSession(gw, alice.token, 'B');
      const r = await call(gw, 'POST', '/api/v1/api-keys', { token: alice.token, body: { name: '  n8n production  ' } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.message, 'API key created. Copy the key now: it is not shown again.');
      const k = r.json.data;
      assert.deepEqual(Object.keys(k).sort(), ['created_at', 'id', 'key', 'last_used_at', 'name', 'prefix', 'session_ids']);
      assert.match(k.key, KEY_RE);
      assert.match(k.id, UUID_RE);
      assert.equal(k.name, 'n8n production');
      assert.equal(k.prefix, k.key.slice(0, 12));
      assert.equal(k.session_ids, null);
      assert.equal(k.last_used_at, null);
      assert.match(k.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      // Both header forms list the user's sessions and act on one.
      for (const opts of [{ token: k.key }, withKey(k.key)]) {
        const list = await call(gw, 'GET', '/api/v1/sessions', opts);
        assert.equal(list.status, 200, list.text);
        assert.deepEqual(list.json.data.map((s) => s.session_id).sort(), [a.session_id, b.session_id].sort());
        assert.ok(list.headers.get('x-ratelimit-limit'), 'rate limited like any request');
        const stop = await call(gw, 'POST', `/api/v1/sessions/${a.session_id}/stop`, opts);
        assert.equal(stop.status, 200, stop.text);
        assert.equal(stop.json.data.status_reason, 'stopped');
      }
      const put = await call(gw, 'PUT', `/api/v1/sessions/${b.session_id}`, { ...withKey(k.key), body: { session_name: 'B renamed' } });
      assert.equal(put.status, 200, put.text);
      assert.equal(put.json.data.session_name, 'B renamed');
      const me = await call(gw, 'GET', '/api/v1/auth/me', withKey(k.key));
      assert.equal(me.status, 200);
      assert.equal(me.json.data.user_id, alice.userId);
      // A reverse proxy's Basic login beside X-Api-Key does not get in the way.
      const proxied = await call(gw, 'GET', '/api/v1/sessions', { headers: { 'x-api-key': k.key, authorization: 'Basic dXNlcjpwYXNz' } });
      assert.equal(proxied.status, 200, proxied.text);

      // The list never shows the secret; it shows when the key was last used.
      const listed = await call(gw, 'GET', '/api/v1/api-keys', { token: alice.token });
      assert.equal(listed.status, 200, listed.text);
      assert.equal(listed.json.data.length, 1);
      const item = listed.json.data[0];
      assert.deepEqual(Object.keys(item).sort(), ['created_at', 'id', 'last_used_at', 'name', 'prefix', 'session_ids']);
      assert.equal(item.id, k.id);
      assert.equal(item.prefix, k.prefix);
      assert.match(item.last_used_at, /Z$/);
      assert.ok(!listed.text.includes(k.key.slice(12)), 'no secret in the list');

      // Stored: SHA-256 of the key and its prefix; the secret part is nowhere, logs included.
      const rows = sql(gw, `SELECT key_hash, prefix, name, user_id FROM api_keys WHERE id = '${k.id}'`);
      assert.equal(rows.length, 1);
      assert.equal(rows[0][0], crypto.createHash('sha256').update(k.key).digest('hex'));
      assert.equal(rows[0][1], k.prefix);
      const everything = JSON.stringify(sql(gw, 'SELECT * FROM api_keys'));
      assert.ok(!everything.includes(k.key.slice(12)), 'no secret in the database');
      assert.ok(!JSON.stringify(gw.logs).includes(k.key.slice(12)), 'no secret in the logs');
    });

    test('a limited key sees only its sessions: 404 for the others, 403 for creating, deleting and key management', async () => {
      const alice = await newUser(gw);
      const a = await createSession(gw, alice.token, 'A');
      const b = await createSession(gw, alice.token, 'B');
      const limited = await createKey(gw, alice.token, { name: 'only A', session_ids: [a.session_id.toUpperCase()] });
      assert.deepEqual(limited.session_ids, [a.session_id]);
      const key = limited.key;

      const list = await call(gw, 'GET', '/api/v1/sessions', withKey(key));
      assert.equal(list.status, 200);
      assert.deepEqual(list.json.data.map((s) => s.session_id), [a.session_id]);
      // The user's own list is not narrowed by that (each answer is cached separately).
      assert.equal((await call(gw, 'GET', '/api/v1/sessions', { token: alice.token })).json.data.length, 2);
      assert.deepEqual((await call(gw, 'GET', '/api/v1/sessions', { token: key })).json.data.map((s) => s.session_id), [a.session_id]);

      assert.equal((await call(gw, 'GET', `/api/v1/sessions/${a.session_id}`, withKey(key))).status, 200);
      assert.equal((await call(gw, 'POST', `/api/v1/sessions/${a.session_id}/stop`, withKey(key))).status, 200);
      assert.equal((await call(gw, 'GET', `/api/v1/sessions/${a.session_id}/webhook-secret`, withKey(key))).status, 200);
      for (const [method, suffix, body] of [['GET', ''], ['PUT', '', { session_name: 'x' }], ['POST', '/stop'], ['POST', '/start'],
        ['GET', '/qr'], ['GET', '/webhook-secret'], ['GET', '/deliveries'], ['POST', '/pair-code', { phone: '6281234567890' }]]) {
        const r = await call(gw, method, `/api/v1/sessions/${b.session_id}${suffix}`, { ...withKey(key), body });
        assert.equal(r.status, 404, `${method} ${suffix}: ${r.text}`);
        assert.equal(r.json.message, 'session not found');
      }
      assert.equal((await call(gw, 'GET', `/api/v1/sessions/${b.session_id}`, { token: alice.token })).status, 200, 'still there');

      const forbidden = [
        ['POST', '/api/v1/sessions', { session_name: 'new', webhook_url: 'http://127.0.0.1:9/h' }],
        ['DELETE', `/api/v1/sessions/${a.session_id}`],
        ['GET', '/api/v1/api-keys'], ['POST', '/api/v1/api-keys', { name: 'more' }], ['DELETE', `/api/v1/api-keys/${limited.id}`],
        ['POST', '/api/v1/auth/logout'],
      ];
      for (const [method, p, body] of forbidden) {
        const r = await call(gw, method, p, { ...withKey(key), body });
        assert.equal(r.status, 403, `${method} ${p}: ${r.text}`);
        assert.equal(r.json.error.code, 'forbidden');
      }
      assert.match((await call(gw, 'GET', '/api/v1/api-keys', withKey(key))).json.message, /log in/);
      assert.equal((await call(gw, 'GET', `/api/v1/sessions/${a.session_id}`, { token: alice.token })).status, 200, 'not deleted');

      // An unlimited key may create and delete sessions, but not manage keys or log out.
      const full = await createKey(gw, alice.token, { name: 'everything', session_ids: null });
      assert.equal(full.session_ids, null);
      const made = await call(gw, 'POST', '/api/v1/sessions', { ...withKey(full.key), body: { session_name: 'by key', webhook_url: 'http://127.0.0.1:9/h' } });
      assert.equal(made.status, 201, made.text);
      const del = await call(gw, 'DELETE', `/api/v1/sessions/${made.json.data.session_id}`, withKey(full.key));
      assert.equal(del.status, 200, del.text);
      for (const [method, p, body] of forbidden.slice(2)) {
        assert.equal((await call(gw, method, p, { ...withKey(full.key), body })).status, 403, `${method} ${p}`);
      }

      // Deleting a session takes it out of the key's list; the key does not become unlimited.
      assert.equal((await call(gw, 'DELETE', `/api/v1/sessions/${a.session_id}`, { token: alice.token })).status, 200);
      const after = await call(gw, 'GET', '/api/v1/sessions', withKey(key));
      assert.equal(after.status, 200);
      assert.deepEqual(after.json.data, []);
      assert.equal((await call(gw, 'GET', `/api/v1/sessions/${b.session_id}`, withKey(key))).status, 404);
      const keys = (await call(gw, 'GET', '/api/v1/api-keys', { token: alice.token })).json.data;
      assert.deepEqual(keys.find((x) => x.id === limited.id).session_ids, []);
    });

    test("one user's key never reaches another user's sessions or keys", async () => {
      const alice = await newUser(gw);
      const bob = await newUser(gw);
      const a = await createSession(gw, alice.token, 'alice bot');
      const aliceKey = await createKey(gw, alice.token, { name: 'alice' });
      const bobKey = await createKey(gw, bob.token, { name: 'bob' });
      for (const [method, suffix] of [['GET', ''], ['POST', '/stop'], ['DELETE', ''], ['GET', '/webhook-secret']]) {
        const r = await call(gw, method, `/api/v1/sessions/${a.session_id}${suffix}`, withKey(bobKey.key));
        assert.equal(r.status, 404, `${method} ${suffix}: ${r.text}`);
      }
      assert.deepEqual((await call(gw, 'GET', '/api/v1/sessions', withKey(bobKey.key))).json.data, []);
      await assert.rejects(WsClient.open(wsUrl(gw, `/ws/sessions/${a.session_id}`, bobKey.key)), (e) => e.status === 404);
      // Limiting a key to someone else's session is refused, naming the id.
      const r = await call(gw, 'POST', '/api/v1/api-keys', { token: bob.token, body: { name: 'steal', session_ids: [a.session_id] } });
      assert.equal(r.status, 400, r.text);
      assert.match(r.json.error.details.session_ids, new RegExp(a.session_id));
      // Bob cannot see or revoke Alice's key.
      assert.ok(!(await call(gw, 'GET', '/api/v1/api-keys', { token: bob.token })).text.includes(aliceKey.id));
      const del = await call(gw, 'DELETE', `/api/v1/api-keys/${aliceKey.id}`, { token: bob.token });
      assert.equal(del.status, 404, del.text);
      assert.equal((await call(gw, 'GET', '/api/v1/sessions', withKey(aliceKey.key))).status, 200, 'still valid');
    });

    test('a revoked key gets 401 at once, on HTTP and on the WebSocket', async () => {
      const u = await newUser(gw);
      const s = await createSession(gw, u.token, 'revocable');
      const k = await createKey(gw, u.token, { name: 'to revoke' });
      const ws = await WsClient.open(wsUrl(gw, `/ws/sessions/${s.session_id}`, k.key));
      const first = await ws.next('status_update');
      assert.equal(first.session_id, s.session_id);
      // Warm the gateway's confirmation cache, then revoke: the very next request is refused.
      for (let i = 0; i < 5; i++) assert.equal((await call(gw, 'GET', '/api/v1/sessions', withKey(k.key))).status, 200);
      const del = await call(gw, 'DELETE', `/api/v1/api-keys/${k.id}`, { token: u.token });
      assert.equal(del.status, 200, del.text);
      assert.deepEqual(del.json, { success: true, data: { id: k.id }, message: 'API key revoked' });
      for (const opts of [withKey(k.key), { token: k.key }]) {
        const r = await call(gw, 'GET', '/api/v1/sessions', opts);
        assert.equal(r.status, 401, r.text);
        assert.equal(r.json.error.code, 'unauthorized');
      }
      await assert.rejects(WsClient.open(wsUrl(gw, '/ws', k.key)), (e) => e.status === 401);
      const closed = await ws.closedWith(5000);
      assert.equal(closed?.code, 1008, `open socket closed: ${JSON.stringify(closed)}`);
      assert.equal((await call(gw, 'DELETE', `/api/v1/api-keys/${k.id}`, { token: u.token })).status, 404, 'already gone');
      assert.deepEqual((await call(gw, 'GET', '/api/v1/api-keys', { token: u.token })).json.data, []);
      // The user's login token is untouched.
      assert.equal((await call(gw, 'GET', '/api/v1/sessions', { token: u.token })).status, 200);
    });

    test('WebSocket with a limited key: /ws carries only its sessions, others are 404', async () => {
      const u = await newUser(gw);
      const a = await createSession(gw, u.token, 'A');
      const b = await createSession(gw, u.token, 'B');
      const k = await createKey(gw, u.token, { name: 'A only', session_ids: [a.session_id] });
      const all = await WsClient.open(wsUrl(gw, '/ws', k.key));
      const initial = await all.next('status_update');
      assert.equal(initial.session_id, a.session_id);
      await assert.rejects(WsClient.open(wsUrl(gw, `/ws/sessions/${b.session_id}`, k.key)), (e) => e.status === 404);
      // Both sessions start (QR codes are pushed); the key's socket hears only of A.
      for (const id of [b.session_id, a.session_id]) {
        const r = await call(gw, 'POST', `/api/v1/sessions/${id}/start`, { token: u.token });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.data.status, 'qr');
      }
      const qr = await all.next('qr_update');
      assert.equal(qr.session_id, a.session_id);
      await sleep(300);
      assert.ok(all.messages.every((m) => m.session_id === a.session_id), JSON.stringify(all.messages));
      all.close();
      for (const id of [a.session_id, b.session_id]) await call(gw, 'POST', `/api/v1/sessions/${id}/stop`, { token: u.token });
    });

    test('bad input gets 400 naming the field; unknown ids 404; a user holds at most 50 keys', async () => {
      const alice = await newUser(gw);
      const bob = await newUser(gw);
      const bobs = await createSession(gw, bob.token, 'bob');
      const bad = [
        [{}, 'name', /required/],
        [{ name: '' }, 'name', /empty/],
        [{ name: '   ' }, 'name', /empty/],
        [{ name: 'x'.repeat(101) }, 'name', /100/],
        [{ name: 'a\u0001b' }, 'name', /control/],
        [{ name: 'a\nb' }, 'name', /control/],
        [{ name: 42 }, 'name', /string/],
        [{ name: 'k', session_ids: 'abc' }, 'session_ids', /array/],
        [{ name: 'k', session_ids: [] }, 'session_ids', /at least one/],
        [{ name: 'k', session_ids: ['nope'] }, 'session_ids', /"nope"/],
        [{ name: 'k', session_ids: [7] }, 'session_ids', /7/],
        [{ name: 'k', session_ids: ['7f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b'] }, 'session_ids', /7f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b/],
        [{ name: 'k', session_ids: [bobs.session_id] }, 'session_ids', new RegExp(bobs.session_id)],
        [{ name: 'k', session_ids: Array.from({ length: 1001 }, () => crypto.randomUUID()) }, 'session_ids', /1000/],
      ];
      for (const [body, field, re] of bad) {
        const r = await call(gw, 'POST', '/api/v1/api-keys', { token: alice.token, body });
        assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
        assert.equal(r.json.error.code, 'validation_failed');
        assert.match(r.json.error.details[field], re, `${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
      }
      let r = await call(gw, 'POST', '/api/v1/api-keys', { token: alice.token, body: '{"name": ' });
      assert.equal(r.status, 400);
      r = await call(gw, 'POST', '/api/v1/api-keys', { token: alice.token, body: '["name"]' });
      assert.equal(r.status, 400);
      r = await call(gw, 'POST', '/api/v1/api-keys', { token: alice.token, body: 'name=x', headers: { 'content-type': 'text/plain' } });
      assert.equal(r.status, 415);
      r = await call(gw, 'DELETE', '/api/v1/api-keys/not-a-uuid', { token: alice.token });
      assert.equal(r.status, 400);
      assert.equal(r.json.error.details.id, 'not a UUID');
      assert.equal((await call(gw, 'DELETE', `/api/v1/api-keys/${crypto.randomUUID()}`, { token: alice.token })).status, 404);
      assert.equal((await call(gw, 'GET', '/api/v1/api-keys')).status, 401);
      assert.deepEqual((await call(gw, 'GET', '/api/v1/api-keys', { token: alice.token })).json.data, [], 'nothing was created');

      // Credentials that are not keys are 401, never a crash.
      const fake = [
        { 'x-api-key': 'garbage' }, { 'x-api-key': `wag_${'A'.repeat(43)}` }, { 'x-api-key': alice.token },
        { authorization: 'Bearer wag_' }, { authorization: `Bearer wag_${'-'.repeat(43)}` }, { 'x-api-key': `wag_${'A'.repeat(4000)}` },
      ];
      for (const headers of fake) {
        const f = await call(gw, 'GET', '/api/v1/sessions', { headers });
        assert.equal(f.status, 401, `${JSON.stringify(headers).slice(0, 60)}: ${f.text}`);
      }

      // The cap holds under concurrent creations: 55 at once give 50 keys and 5 refusals.
      const made = await Promise.all(Array.from({ length: 55 }, (_, i) => call(gw, 'POST', '/api/v1/api-keys', { token: alice.token, body: { name: `k${i}` } })));
      assert.equal(made.filter((m) => m.status === 201).length, 50, made.map((m) => m.status).join(','));
      const refused = made.filter((m) => m.status !== 201);
      assert.ok(refused.every((m) => m.status === 409), refused.map((m) => m.text).join('\n'));
      assert.match(refused[0].json.message, /50 API keys/);
      r = await call(gw, 'POST', '/api/v1/api-keys', { token: alice.token, body: { name: 'k55' } });
      assert.equal(r.status, 409, r.text);
      assert.equal((await call(gw, 'GET', '/api/v1/api-keys', { token: alice.token })).json.data.length, 50);
      assert.equal((await call(gw, 'POST', '/api/v1/api-keys', { token: bob.token, body: { name: 'bob' } })).status, 201, 'per user');
    });
  });
}

describe('API key rate limits', () => {
  test("a key's requests count against its user's budget, shared with the user's login token", async () => {
    const gw = await startGateway({ env: { RATE_LIMIT_PER_MINUTE: '6', GENERATE_PIN_PER_HOUR: '100' } });
    try {
      const u = await newUser(gw); // generate-pin and login count against the client IP
      const k = await createKey(gw, u.token, { name: 'busy' }); // 1 for the user
      for (let i = 2; i <= 5; i++) {
        const r = await call(gw, 'GET', '/api/v1/sessions', withKey(k.key));
        assert.equal(r.status, 200, `request ${i}`);
        assert.equal(r.headers.get('x-ratelimit-remaining'), String(6 - i));
      }
      assert.equal((await call(gw, 'GET', '/api/v1/sessions', { token: u.token })).status, 200); // 6
      const r = await call(gw, 'GET', '/api/v1/sessions', withKey(k.key));
      assert.equal(r.status, 429);
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      assert.equal((await call(gw, 'GET', '/api/v1/sessions', { token: u.token })).status, 429, 'one budget per user');
      const other = await newUser(gw);
      assert.equal((await call(gw, 'GET', '/api/v1/sessions', { token: other.token })).status, 200, 'others unaffected');
    } finally {
      await gw.cleanup();
    }
  });
});
