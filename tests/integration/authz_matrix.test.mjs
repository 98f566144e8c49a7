// The authorization matrix, against the real binary on SQLite and PostgreSQL.
// Every route the router has (listed by `wa-gateway routes`) is called with no token, a bad
// token, an expired token, a revoked token, another user's login token and another user's API key,
// on another user's session / message / delivery / API key / media ids, and must answer the status
// that docs/API.md documents. A route missing from ROUTES below (or listed there but gone from
// the router) fails the test, so a new route cannot ship without its row.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { call, dialects, gatewayBin, generatePin, login, sql, startGateway } from './harness.mjs';
import { createSession } from './wa_env.mjs';

const relaxed = {
  GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000',
  LOGIN_FAILURES_GLOBAL_PER_MINUTE: '1000000',
};

// How each route answers a caller that is authenticated but is not the owner of the ids in the
// path (`token`: another user's login token, `key`: another user's API key for all sessions), or
// the answer that does not depend on credentials at all (`public`). Ids are filled from the victim
// (Alice): :id is her session (her API key id for /api-keys/:id), :message_id, :delivery_id hers.
// `body`: a valid body, so that no answer is a 400 that hides what authorization decided.
// `own`: the route acts on the caller's own data only; its answer must not mention the victim.
// `limited`: the victim's own API key limited to another of her sessions, on the first one (the
// API-key table of docs/API.md: another session 404, a route naming none or managing keys 403).
const ROUTES = {
  'GET /health': { public: 200 },
  'GET /metrics': { public: 200 },
  'GET /': { public: 200 },
  'HEAD /': { public: 200 },
  'GET /api/openapi.json': { public: 200 },
  'GET /api/docs': { public: 200 },
  'POST /api/v1/auth/generate-pin': { public: 201 },
  'POST /api/v1/auth/login': { public: 401 }, // no PIN: "invalid PIN"
  'POST /api/v1/auth/logout': { token: 200, key: 403, limited: 403, own: true, freshToken: true },
  'GET /api/v1/auth/me': { token: 200, key: 200, limited: 200, own: true },
  'POST /api/v1/api-keys': { token: 201, key: 403, limited: 403, own: true, body: { name: 'matrix' } },
  'GET /api/v1/api-keys': { token: 200, key: 403, limited: 403, own: true },
  'DELETE /api/v1/api-keys/:id': { token: 404, key: 403, limited: 403 },
  'POST /api/v1/sessions': { token: 201, key: 201, limited: 403, own: true, body: () => ({ session_name: `m-${crypto.randomUUID()}`, webhook_url: 'http://127.0.0.1:9/hook' }) },
  'GET /api/v1/sessions': { token: 200, key: 200, limited: 200, own: true },
  'GET /api/v1/sessions/:id': { token: 404, key: 404, limited: 404 },
  'PUT /api/v1/sessions/:id': { token: 404, key: 404, limited: 404, body: { session_name: 'taken over' } },
  'DELETE /api/v1/sessions/:id': { token: 404, key: 404, limited: 403 },
  'POST /api/v1/sessions/:id/start': { token: 404, key: 404, limited: 404 },
  'POST /api/v1/sessions/:id/stop': { token: 404, key: 404, limited: 404 },
  'POST /api/v1/sessions/:id/reconnect': { token: 404, key: 404, limited: 404 },
  'GET /api/v1/sessions/:id/qr': { token: 404, key: 404, limited: 404 },
  'GET /api/v1/sessions/:id/webhook-secret': { token: 404, key: 404, limited: 404 },
  'POST /api/v1/sessions/:id/webhook-secret/rotate': { token: 404, key: 404, limited: 404 },
  'POST /api/v1/sessions/:id/pair-code': { token: 404, key: 404, limited: 404, body: { phone: '+62 812-3456-7890' } },
  'GET /ws': { ws: true, token: 426, key: 426, limited: 426, own: true }, // a plain GET with a good token: 426
  'GET /ws/sessions/:id': { ws: true, token: 404, key: 404, limited: 404 },
  'GET /api/v1/sessions/:id/deliveries': { token: 404, key: 404, limited: 404 },
  'POST /api/v1/sessions/:id/deliveries/:delivery_id/retry': { token: 404, key: 404, limited: 404 },
  'POST /api/v1/sessions/:id/send': { token: 404, key: 404, limited: 404, body: { to: '6281234567890', text: 'hello' } },
  'GET /api/v1/sessions/:id/messages/:message_id': { token: 404, key: 404, limited: 404 },
  'GET /api/v1/sessions/:id/messages': { token: 404, key: 404, limited: 404 },
  'GET /media/:id': { public: 403 }, // signed URLs only: no or a bad signature
  'HEAD /media/:id': { public: 403 },
  'GET /api/v1/analytics/sessions/:id': { token: 404, key: 404, limited: 404 },
  'GET /api/v1/analytics/overview': { token: 200, key: 200, limited: 403, own: true },
  'POST /api/v1/sessions/:id/webhooks': { token: 404, key: 404, limited: 404, body: { url: 'http://127.0.0.1:9/sub', events: ['message.received'] } },
  'GET /api/v1/sessions/:id/webhooks': { token: 404, key: 404, limited: 404 },
  'DELETE /api/v1/sessions/:id/webhooks/:webhook_id': { token: 404, key: 404, limited: 404 },
  'POST /api/v1/sessions/:id/messages/:message_id/read': { token: 404, key: 404, limited: 404 },
  'POST /api/v1/sessions/:id/typing': { token: 404, key: 404, limited: 404, body: { to: '6281234567890' } },
};

function listRoutes(gw) {
  const r = spawnSync(gatewayBin, ['routes'], { env: gw.env, cwd: gw.dir, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith('['));
  assert.ok(line, `no JSON route list in: ${r.stdout}`);
  return JSON.parse(line);
}

function b64url(x) { return Buffer.from(JSON.stringify(x)).toString('base64url'); }
function signToken(secret, payload) {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}`;
  return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
}

async function newUser(gw) {
  const { pin, user_id: userId } = await generatePin(gw);
  const token = await login(gw, pin);
  const r = await call(gw, 'POST', '/api/v1/api-keys', { token, body: { name: 'n8n' } });
  assert.equal(r.status, 201, r.text);
  return { pin, userId, token, key: r.json.data.key, keyId: r.json.data.id };
}

function fill(pattern, ids) {
  return pattern.replace(/:([a-z_]+)/g, (_, name) => {
    const v = ids[name];
    assert.ok(v, `no id for :${name} in ${pattern}`);
    return encodeURIComponent(v);
  });
}

for (const dialect of dialects()) {
  describe(`authorization matrix on ${dialect}`, () => {
    let gw;
    let alice;
    let bob;
    let aliceIds;
    let bobSession;
    const aliceMessage = `ALICE${crypto.randomBytes(6).toString('hex').toUpperCase()}`;
    const bobMessage = `BOB${crypto.randomBytes(6).toString('hex').toUpperCase()}`;
    const aliceDelivery = crypto.randomUUID();
    const bobDelivery = crypto.randomUUID();

    before(async () => {
      gw = await startGateway({ dialect, env: relaxed });
      alice = await newUser(gw);
      bob = await newUser(gw);
      const aliceSession = (await createSession(gw, alice.token, 'alice')).session_id;
      bobSession = (await createSession(gw, bob.token, 'bob')).session_id;
      for (const [sid, mid, did] of [[aliceSession, aliceMessage, aliceDelivery], [bobSession, bobMessage, bobDelivery]]) {
        sql(gw, `INSERT INTO messages_log (session_id, direction, message_id, to_number, message_type, content)
                 VALUES ('${sid}', 'outgoing', '${mid}', '6281234567890', 'text', 'secret text of ${mid}')`);
        sql(gw, `INSERT INTO webhook_deliveries (delivery_id, session_id, event, chat_key, payload, status, next_attempt_ms, created_ms)
                 VALUES ('${did}', '${sid}', 'message.received', 'chat', '{}', 'failed', 0, 0)`);
      }
      const sub = await call(gw, 'POST', `/api/v1/sessions/${aliceSession}/webhooks`, { token: alice.token, body: { url: 'http://127.0.0.1:9/alice-sub' } });
      assert.equal(sub.status, 201, sub.text);
      aliceIds = {
        id: aliceSession, message_id: aliceMessage, delivery_id: aliceDelivery, webhook_id: sub.json.data.webhook_id,
        media: crypto.randomBytes(16).toString('hex'),
      };
    });
    after(async () => { await gw.cleanup(); });

    test('every route of the router has a row in the matrix, and every row a route', () => {
      const routes = listRoutes(gw).map((r) => `${r.method} ${r.pattern}`);
      assert.ok(routes.length >= 30, `${routes.length} routes`);
      const missing = routes.filter((r) => !(r in ROUTES));
      assert.deepEqual(missing, [], 'routes without a row in the authorization matrix (add them to ROUTES)');
      const stale = Object.keys(ROUTES).filter((r) => !routes.includes(r));
      assert.deepEqual(stale, [], 'matrix rows for routes the router no longer has');
      for (const r of listRoutes(gw)) {
        const row = ROUTES[`${r.method} ${r.pattern}`];
        assert.equal(r.access === 'public', row.public !== undefined || row.ws === true, `${r.method} ${r.pattern} is ${r.access}`);
      }
    });

    test('no, bad, expired and revoked credentials: 401 on every protected route; public routes ignore them', async () => {
      const secret = readFileSync(path.join(gw.dir, 'jwt_secret'), 'utf8').trim();
      const now = Math.floor(Date.now() / 1000);
      const expired = signToken(secret, { sub: alice.userId, iat: now - 7200, exp: now - 60, jti: crypto.randomBytes(16).toString('hex') });
      const revoked = await login(gw, alice.pin);
      assert.equal((await call(gw, 'POST', '/api/v1/auth/logout', { token: revoked })).status, 200);
      const revokedKey = (await call(gw, 'POST', '/api/v1/api-keys', { token: alice.token, body: { name: 'gone' } })).json.data;
      assert.equal((await call(gw, 'DELETE', `/api/v1/api-keys/${revokedKey.id}`, { token: alice.token })).status, 200);
      const callers = {
        none: undefined,
        bad_token: 'not.a.token',
        bad_key: `wag_${'A'.repeat(43)}`,
        expired_token: expired,
        revoked_token: revoked,
        revoked_key: revokedKey.key,
      };
      const failures = [];
      for (const [route, row] of Object.entries(ROUTES)) {
        const [method, pattern] = route.split(' ');
        const p = fill(pattern, { ...aliceIds, id: pattern.startsWith('/media') ? aliceIds.media : pattern.startsWith('/api/v1/api-keys') ? alice.keyId : aliceIds.id });
        for (const [who, cred] of Object.entries(callers)) {
          let r;
          if (row.ws) {
            r = await call(gw, method, cred === undefined ? p : `${p}?token=${encodeURIComponent(cred)}`);
          } else {
            const body = typeof row.body === 'function' ? row.body() : row.body;
            r = await call(gw, method, p, { token: cred, body });
          }
          const expected = row.public ?? 401;
          if (r.status !== expected) failures.push(`${who} ${method} ${p}: ${r.status} (expected ${expected}) ${r.text.slice(0, 120)}`);
          if (expected === 401 && method !== 'HEAD' && r.json?.error?.code !== 'unauthorized') failures.push(`${who} ${route}: error code ${r.text.slice(0, 120)}`);
        }
      }
      assert.deepEqual(failures, []);
      // Nothing of Alice's changed.
      const s = await call(gw, 'GET', `/api/v1/sessions/${aliceIds.id}`, { token: alice.token });
      assert.equal(s.status, 200);
      assert.equal(s.json.data.session_name, 'alice');
    });

    test("another user's login token and API key: the documented status on every route, never the victim's data", async () => {
      const failures = [];
      const aliceNeedles = [aliceIds.id, alice.userId, alice.keyId, aliceMessage, aliceDelivery, aliceIds.webhook_id];
      for (const [route, row] of Object.entries(ROUTES)) {
        if (row.public !== undefined) continue;
        const [method, pattern] = route.split(' ');
        const p = fill(pattern, { ...aliceIds, id: pattern.startsWith('/api/v1/api-keys') ? alice.keyId : aliceIds.id });
        for (const [who, expected] of [['token', row.token], ['key', row.key]]) {
          let cred = who === 'token' ? bob.token : bob.key;
          if (row.freshToken && who === 'token') cred = await login(gw, bob.pin);
          let r;
          if (row.ws) {
            r = await call(gw, method, `${p}?token=${encodeURIComponent(cred)}`);
          } else {
            const body = typeof row.body === 'function' ? row.body() : row.body;
            r = await call(gw, method, p, who === 'key' ? { body, headers: { 'x-api-key': cred } } : { token: cred, body });
          }
          if (r.status !== expected) failures.push(`bob's ${who} ${method} ${p}: ${r.status} (expected ${expected}) ${r.text.slice(0, 160)}`);
          for (const needle of aliceNeedles) {
            if (r.text.includes(needle)) failures.push(`bob's ${who} ${method} ${p}: the answer shows ${needle}`);
          }
        }
      }
      assert.deepEqual(failures, []);
      // The victim's data is untouched.
      const s = await call(gw, 'GET', `/api/v1/sessions/${aliceIds.id}`, { token: alice.token });
      assert.equal(s.status, 200);
      assert.equal(s.json.data.session_name, 'alice');
      assert.equal((await call(gw, 'GET', '/api/v1/sessions/' + aliceIds.id + '/messages/' + aliceMessage, { token: alice.token })).status, 200);
      assert.ok((await call(gw, 'GET', '/api/v1/api-keys', { token: alice.token })).text.includes(alice.keyId));
    });

    test("an API key limited to one session: the documented 404/403 on every route for the user's other session", async () => {
      const second = (await createSession(gw, alice.token, 'alice second')).session_id;
      const r0 = await call(gw, 'POST', '/api/v1/api-keys', { token: alice.token, body: { name: 'second only', session_ids: [second] } });
      assert.equal(r0.status, 201, r0.text);
      const limitedKey = r0.json.data.key;
      const failures = [];
      for (const [route, row] of Object.entries(ROUTES)) {
        if (row.public !== undefined) continue;
        const [method, pattern] = route.split(' ');
        const p = fill(pattern, { ...aliceIds, id: pattern.startsWith('/api/v1/api-keys') ? alice.keyId : aliceIds.id });
        const body = typeof row.body === 'function' ? row.body() : row.body;
        const r = row.ws
          ? await call(gw, method, `${p}?token=${encodeURIComponent(limitedKey)}`)
          : await call(gw, method, p, { body, headers: { 'x-api-key': limitedKey } });
        if (r.status !== row.limited) failures.push(`limited key ${method} ${p}: ${r.status} (expected ${row.limited}) ${r.text.slice(0, 160)}`);
        if (r.text.includes(aliceIds.id) || r.text.includes(aliceMessage)) failures.push(`limited key ${method} ${p}: shows the other session`);
      }
      assert.deepEqual(failures, []);
      // Its own session answers.
      assert.equal((await call(gw, 'GET', `/api/v1/sessions/${second}`, { headers: { 'x-api-key': limitedKey } })).status, 200);
    });

    test("another user's message and delivery ids under the caller's own session: 404, as unknown ones", async () => {
      for (const cred of [{ token: bob.token }, { headers: { 'x-api-key': bob.key } }]) {
        // The caller's own ids answer (the rows are real), the victim's are 404.
        const own = await call(gw, 'GET', `/api/v1/sessions/${bobSession}/messages/${bobMessage}`, cred);
        assert.equal(own.status, 200, own.text);
        const other = await call(gw, 'GET', `/api/v1/sessions/${bobSession}/messages/${aliceMessage}`, cred);
        assert.equal(other.status, 404, other.text);
        assert.ok(!other.text.includes('secret text'));
        const retry = await call(gw, 'POST', `/api/v1/sessions/${bobSession}/deliveries/${aliceDelivery}/retry`, cred);
        assert.equal(retry.status, 404, retry.text);
        const list = await call(gw, 'GET', `/api/v1/sessions/${bobSession}/deliveries?status=failed`, cred);
        assert.equal(list.status, 200, list.text);
        assert.ok(!list.text.includes(aliceDelivery));
        const msgs = await call(gw, 'GET', `/api/v1/sessions/${bobSession}/messages`, cred);
        assert.equal(msgs.status, 200, msgs.text);
        assert.ok(!msgs.text.includes(aliceMessage));
      }
      const status = sql(gw, `SELECT status FROM webhook_deliveries WHERE delivery_id = '${aliceDelivery}'`);
      assert.deepEqual(status, [['failed']], "the victim's delivery was not retried");
    });
  });
}
