// Webhook subscriptions (extra receivers with their own secret, as the n8n trigger node registers)
// and the chat actions "mark read" and "typing": real gateway binary on SQLite and PostgreSQL, a
// Baileys peer through the project's emulator, real local HTTP servers as receivers.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { pairedPeer } from '../../emulator/src/peer.mjs';
import { call, dialects, lastTestNoSanitizerReports, sleep, sql, startGateway, waitFor } from './harness.mjs';
import { createSession, newUser, startEmulator, waitSession } from './wa_env.mjs';
import { startReceiver } from './receiver.mjs';

const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };

const signed = (secret, h, body) =>
  h['x-webhook-signature'] === `sha256=${crypto.createHmac('sha256', secret).update(`${h['x-webhook-timestamp']}.${body}`).digest('hex')}`;

for (const dialect of dialects()) {
  describe(`webhook subscriptions on ${dialect}`, () => {
    let emu, gw, own, sub, user, sessionId, alice;
    const bot = dialect === 'sqlite' ? '6281760000001' : '6281760000002';
    const alicePhone = dialect === 'sqlite' ? '6281760000011' : '6281760000012';
    const api = (method, p, body) => call(gw, method, `/api/v1/sessions/${sessionId}${p}`, { token: user.token, body });

    before(async () => {
      emu = await startEmulator();
      own = await startReceiver();
      sub = await startReceiver();
      // The outbox scan's safety net only once a minute: every delivery here must find its way
      // without it (chat by chat, wakes for retries and events; docs/ARCHITECTURE.md).
      gw = await startGateway({ dialect, env: { ...relaxed, ...emu.env, WEBHOOK_TIMEOUT_SECONDS: '2s', WEBHOOK_POLL_INTERVAL_SECONDS: '60s' } });
      user = await newUser(gw);
      sessionId = (await createSession(gw, user.token, 'subs bot', own.url)).session_id;
      const st = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/start`, { token: user.token });
      await emu.scan(bot, st.json.data.qr_text);
      await waitSession(gw, user.token, sessionId, (d) => d.status === 'connected', { what: 'connected' });
      alice = await pairedPeer(emu.control_url, alicePhone, { pushName: 'Alice' });
    });
    after(async () => {
      await alice?.stop();
      await gw?.cleanup();
      await own?.close();
      await sub?.close();
      await emu?.stop();
    });

    test('bad bodies are 400 naming the field; unknown sessions and subscriptions are 404', async () => {
      let r = await api('POST', '/webhooks', { events: ['message.received'] });
      assert.equal(r.status, 400);
      assert.equal(r.json.error.details.url, 'required');
      r = await api('POST', '/webhooks', { url: 'ftp://x.example/hook' });
      assert.equal(r.status, 400);
      assert.ok(r.json.error.details.url);
      r = await api('POST', '/webhooks', { url: sub.url, events: ['message.deleted'] });
      assert.equal(r.status, 400);
      assert.match(r.json.error.details.events, /unknown event: message\.deleted/);
      r = await api('POST', '/webhooks', { url: sub.url, events: [] });
      assert.equal(r.status, 400);
      assert.ok(r.json.error.details.events);
      r = await call(gw, 'POST', '/api/v1/sessions/00000000-0000-4000-8000-000000000000/webhooks', { token: user.token, body: { url: sub.url } });
      assert.equal(r.status, 404);
      r = await api('DELETE', '/webhooks/00000000-0000-4000-8000-000000000000');
      assert.equal(r.status, 404);
      assert.match(r.json.message, /webhook subscription not found/);
      const other = await newUser(gw);
      r = await call(gw, 'GET', `/api/v1/sessions/${sessionId}/webhooks`, { token: other.token });
      assert.equal(r.status, 404, "another user's session");
    });

    test('a subscription gets the events it chose, signed with its own secret, and its reply is sent', async () => {
      const made = await api('POST', '/webhooks', { url: sub.url, events: ['message.received', 'session.status'] });
      assert.equal(made.status, 201, made.text);
      const { webhook_id: webhookId, secret } = made.json.data;
      assert.match(secret, /^[0-9a-f]{64}$/);
      assert.deepEqual(made.json.data.events, ['message.received', 'session.status']);
      const listed = await api('GET', '/webhooks');
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.json.data.map((s) => [s.webhook_id, s.url]), [[webhookId, sub.url]]);
      assert.equal(listed.json.data[0].secret, undefined, 'the secret is shown once');
      const sessionSecret = (await api('GET', '/webhook-secret')).json.data.secret;

      own.respond = () => ({ status: 200, body: '{}' });
      sub.respond = (q) => ({ status: 200, body: q.json.event === 'message.received' ? JSON.stringify({ reply: 'answer from the subscription' }) : '{}' });
      const sent = await alice.sendText(`${bot}@s.whatsapp.net`, 'hello both');
      const viaSub = await sub.next((q) => q.json.message?.id === sent.key.id);
      const viaOwn = await own.next((q) => q.json.message?.id === sent.key.id);
      assert.ok(signed(secret, viaSub.headers, viaSub.body), "signed with the subscription's secret");
      assert.ok(!signed(sessionSecret, viaSub.headers, viaSub.body), "not with the session's");
      assert.ok(signed(sessionSecret, viaOwn.headers, viaOwn.body));
      assert.notEqual(viaSub.headers['x-webhook-id'], viaOwn.headers['x-webhook-id']);
      assert.equal(viaSub.json.event_id, viaSub.headers['x-webhook-id']);
      assert.equal(viaSub.json.message.content, 'hello both');
      assert.deepEqual({ ...viaSub.json, event_id: 0 }, { ...viaOwn.json, event_id: 0 }, 'the same payload');
      const reply = await alice.waitMessage((x) => (x.message?.conversation ?? x.message?.extendedTextMessage?.text) === 'answer from the subscription');
      assert.ok(reply);
      // Recorded in the outbox under the subscription, delivered.
      const rows = sql(gw, `SELECT status, subscription_id FROM webhook_deliveries WHERE delivery_id = '${viaSub.headers['x-webhook-id']}'`);
      assert.equal(rows.length, 1);
      assert.equal(rows[0][1], webhookId);
      await waitFor(() => sql(gw, `SELECT status FROM webhook_deliveries WHERE delivery_id = '${viaSub.headers['x-webhook-id']}'`)[0][0] === 'delivered');

      // session.status goes to the subscription although the session's webhook_events lack it.
      const before = own.requests.length;
      await api('POST', '/reconnect');
      const st = await sub.next((q) => q.json.event === 'session.status', 30000);
      assert.ok(signed(secret, st.headers, st.body));
      await waitSession(gw, user.token, sessionId, (d) => d.status === 'connected', { what: 'connected again' });
      await sleep(300);
      assert.ok(!own.requests.slice(before).some((q) => q.json.event === 'session.status'), "the session's webhook did not ask for it");

      // Deleted: listed no more, its queue gone, nothing more delivered to it.
      const del = await api('DELETE', `/webhooks/${webhookId}`);
      assert.equal(del.status, 200);
      assert.deepEqual((await api('GET', '/webhooks')).json.data, []);
      assert.equal(sql(gw, `SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = '${webhookId}'`)[0][0], '0');
      const n = sub.requests.length;
      const later = await alice.sendText(`${bot}@s.whatsapp.net`, 'only the session webhook');
      await own.next((q) => q.json.message?.id === later.key.id);
      await sleep(500);
      assert.equal(sub.requests.length, n);
    });

    test("a slow session webhook does not hold back a subscription's queue", async () => {
      const made = await api('POST', '/webhooks', { url: sub.url, events: ['message.received'] });
      assert.equal(made.status, 201, made.text);
      // The session's receiver takes 1.5 s per message: its rows wait behind each other, while
      // the subscription's own queue (its own chat key) is idle when each message comes in.
      own.respond = () => ({ status: 200, body: '{}', delayMs: 1500 });
      sub.respond = () => ({ status: 200, body: '{}' });
      const ids = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await alice.sendText(`${bot}@s.whatsapp.net`, `queue ${i}`)).key.id);
        await sleep(200);
      }
      // With the outbox scan only once a minute, the subscription gets them as they come, long
      // before the session's receiver has had the last one.
      await sub.next((q) => q.json.message?.id === ids[2], 10000);
      assert.deepEqual(sub.requests.filter((q) => ids.includes(q.json.message?.id)).map((q) => q.json.message.content), ['queue 0', 'queue 1', 'queue 2']);
      assert.ok(!own.requests.some((q) => q.json.message?.id === ids[2]), "the session's receiver is still on an earlier one");
      await own.next((q) => q.json.message?.id === ids[2], 15000);
      own.respond = () => ({ status: 200, body: '{}' });
      assert.equal((await api('DELETE', `/webhooks/${made.json.data.webhook_id}`)).status, 200);
    });

    test('mark read sends a read receipt; typing shows "typing…"; bad input is 400 naming the field', async () => {
      own.respond = () => ({ status: 200, body: '{}' });
      const updates = [];
      alice.on('update', (u) => updates.push(u));
      const sent = await alice.sendText(`${bot}@s.whatsapp.net`, 'read me');
      await own.next((q) => q.json.message?.id === sent.key.id);
      // The gateway's own "read" moves alice's message to status READ (4) or beyond.
      const r = await api('POST', `/messages/${encodeURIComponent(sent.key.id)}/read`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.data, { message_id: sent.key.id, read: true });
      await waitFor(() => updates.some((u) => u.key?.id === sent.key.id && u.update?.status >= 4), { timeoutMs: 10000 });
      let bad = await api('POST', '/messages/NO-SUCH-ID/read');
      assert.equal(bad.status, 404);
      assert.match(bad.json.message, /message not found/);

      const t0 = Date.now();
      const t = await api('POST', '/typing', { to: `+${alicePhone}` });
      assert.equal(t.status, 200, t.text);
      assert.deepEqual(t.json.data, { to: `${alicePhone}@s.whatsapp.net`, state: 'composing' });
      await waitFor(() => alice.presences.some((u) => u.at >= t0 && Object.values(u.presences).some((v) => v.lastKnownPresence === 'composing')), { timeoutMs: 10000 });
      const p = await api('POST', '/typing', { to: alicePhone, state: 'paused' });
      assert.equal(p.json.data.state, 'paused');
      bad = await api('POST', '/typing', { to: 'not a number', state: 'shouting' });
      assert.equal(bad.status, 400);
      assert.ok(bad.json.error.details.to);
      assert.ok(bad.json.error.details.state);
      bad = await api('POST', '/typing', {});
      assert.equal(bad.status, 400);
      assert.match(bad.json.error.details.to, /required/);
    });
  });
}

lastTestNoSanitizerReports();
