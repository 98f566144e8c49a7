// Incoming messages to n8n: a Baileys peer talks to a linked session through the project's
// emulator; a real local HTTP server is the webhook receiver. Real gateway binary, SQLite and
// PostgreSQL.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { pairedPeer } from '../../emulator/src/peer.mjs';
import { call, dialects, sleep, startGateway, waitFor } from './harness.mjs';
import { WsClient, createSession, newUser, startEmulator, waitSession, wsUrl } from './wa_env.mjs';

const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };

/** A webhook receiver: records every request; `respond(req)` decides each answer. */
async function startReceiver() {
  const r = {
    requests: [],
    respond: () => ({ status: 200, body: '{}' }),
    waiters: [],
  };
  r.server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', async () => {
      const entry = { headers: req.headers, body, json: JSON.parse(body), at: Date.now() };
      r.requests.push(entry);
      for (const w of r.waiters.splice(0)) w();
      const a = await r.respond(entry);
      if (a.delayMs) await sleep(a.delayMs);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body ?? '');
    });
  });
  await new Promise((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${r.server.address().port}/webhook/whatsapp`;
  r.next = async (pred, timeoutMs = 20000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = r.requests.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`receiver: nothing matched; got ${JSON.stringify(r.requests.map((q) => q.json))}`);
      await new Promise((ok) => { const t = setTimeout(ok, 100); r.waiters.push(() => { clearTimeout(t); ok(); }); });
    }
  };
  r.close = () => new Promise((ok) => { r.server.closeAllConnections?.(); r.server.close(ok); });
  return r;
}

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
      gw = await startGateway({ dialect, env: { ...relaxed, ...emu.env, WEBHOOK_TIMEOUT_SECONDS: '2s' } });
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
      rx.respond = () => ({ status: 200, body: JSON.stringify({ reply: 'pong from n8n' }) });
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
      // The reply from the response body reaches Alice.
      const reply = await alice.waitMessage((x) => (x.message?.conversation ?? x.message?.extendedTextMessage?.text) === 'pong from n8n');
      assert.ok(reply);
      // ... and the dashboard saw the message live.
      const lm = await live.next('message_received');
      assert.equal(lm.data.message_id, sent.key.id);
      assert.equal(lm.data.content, 'ping');
      live.close();
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
      // The reply quotes the mention, in the group.
      const got = await alice.waitMessage((x) => x.key.remoteJid === group && x.message?.extendedTextMessage?.text === 'on it');
      assert.equal(got.message.extendedTextMessage.contextInfo.stanzaId, mention.key.id);
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

    test('ten messages of one chat arrive in order while the receiver is slow', async () => {
      rx.respond = () => ({ status: 200, body: '{}', delayMs: 150 });
      const ids = [];
      for (let i = 0; i < 10; i++) ids.push((await alice.sendText(`${bot}@s.whatsapp.net`, `n${i}`)).key.id);
      await rx.next((q) => q.json.message?.id === ids[9], 30000);
      const order = rx.requests.filter((q) => ids.includes(q.json.message?.id)).map((q) => q.json.message.content);
      assert.deepEqual(order, ids.map((_, i) => `n${i}`));
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
