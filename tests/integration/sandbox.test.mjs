// Sandbox mode (docs/SANDBOX.md): the real gateway started with --sandbox runs the project's
// emulator as a child; its simulated phone scans a session's QR, simulated contacts (real Baileys
// clients) send DMs and group messages through the real pipeline to a real local webhook
// receiver, and what the bot sends back shows up in the sandbox outbox.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, gatewayBin, sleep, startGateway, waitFor } from './harness.mjs';
import { startReceiver } from './receiver.mjs';
import { createSession, newUser } from './wa_env.mjs';

const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };
const verify = (secret, h, body) =>
  h['x-webhook-signature'] === `sha256=${crypto.createHmac('sha256', secret).update(`${h['x-webhook-timestamp']}.${body}`).digest('hex')}`;

describe('sandbox mode', () => {
  let gw, rx, user, sessionId, secret;
  const alice = '6281900000011';
  const bob = '6281900000021';
  const incoming = (body, id = sessionId) => call(gw, 'POST', `/api/v1/sandbox/sessions/${id}/incoming`, { token: user.token, body });
  const outbox = async () => (await call(gw, 'GET', `/api/v1/sandbox/sessions/${sessionId}/outbox`, { token: user.token })).json.data.messages;

  before(async () => {
    rx = await startReceiver();
    gw = await startGateway({ args: ['--sandbox'], env: { ...relaxed, WEBHOOK_TIMEOUT_SECONDS: '5s' } });
    user = await newUser(gw);
    sessionId = (await createSession(gw, user.token, 'sandbox bot', rx.url)).session_id;
    secret = (await call(gw, 'GET', `/api/v1/sessions/${sessionId}/webhook-secret`, { token: user.token })).json.data.secret;
  });
  after(async () => {
    await gw?.cleanup();
    await rx?.close();
  });

  test('/health says sandbox; the log says so too', async () => {
    const r = await call(gw, 'GET', '/health');
    assert.equal(r.status, 200);
    assert.equal(r.json.sandbox, true);
    assert.ok(gw.logs.some((l) => /SANDBOX MODE/.test(l.msg ?? '')), 'a sandbox warning is logged');
  });

  test('scan needs a QR on screen: 409 naming the state before /start', async () => {
    const r = await call(gw, 'POST', `/api/v1/sandbox/sessions/${sessionId}/scan`, { token: user.token });
    assert.equal(r.status, 409, r.text);
    assert.match(r.json.message, /no QR code is showing.*disconnected/);
    const i = await incoming({ from: alice, text: 'too early' });
    assert.equal(i.status, 409, i.text);
    assert.match(i.json.message, /not connected/);
  });

  test('another user\'s session is 404 on every sandbox route', async () => {
    const other = await newUser(gw);
    for (const [m, p] of [['POST', 'scan'], ['POST', 'incoming'], ['GET', 'outbox']]) {
      const r = await call(gw, m, `/api/v1/sandbox/sessions/${sessionId}/${p}`, { token: other.token, body: p === 'incoming' ? { from: alice, text: 'x' } : undefined });
      assert.equal(r.status, 404, `${p}: ${r.text}`);
    }
    const anon = await call(gw, 'GET', `/api/v1/sandbox/sessions/${sessionId}/outbox`);
    assert.equal(anon.status, 401);
  });

  test('the sandbox phone scans the QR and the session connects', async () => {
    const st = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/start`, { token: user.token });
    assert.equal(st.json.data.status, 'qr', st.text);
    const r = await call(gw, 'POST', `/api/v1/sandbox/sessions/${sessionId}/scan`, { token: user.token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.data.status, 'connected');
    assert.match(r.json.data.phone, /^\d+$/);
    const s = await call(gw, 'GET', `/api/v1/sessions/${sessionId}`, { token: user.token });
    assert.equal(s.json.data.status, 'connected');
    assert.equal(s.json.data.phone_number.replace(/\D/g, ''), r.json.data.phone);
    const again = await call(gw, 'POST', `/api/v1/sandbox/sessions/${sessionId}/scan`, { token: user.token });
    assert.equal(again.status, 409);
    assert.match(again.json.message, /connected already/);
  });

  test('a contact\'s DM reaches the webhook signed; the {"reply"} lands in the outbox', async () => {
    rx.respond = (q) => ({ status: 200, body: JSON.stringify({ reply: `pong: ${q.json.message?.content}` }) });
    const r = await incoming({ from: alice, name: 'Alice', text: 'ping' });
    assert.equal(r.status, 201, r.text);
    const id = r.json.data.message_id;
    const req = await rx.next((q) => q.json.message?.id === id);
    assert.ok(verify(secret, req.headers, req.body), 'signature verifies with the session\'s secret');
    assert.equal(req.json.event, 'message.received');
    assert.equal(req.json.message.from, alice);
    assert.equal(req.json.message.from_name, 'Alice');
    assert.equal(req.json.message.content, 'ping');
    assert.equal(req.json.message.is_group, false);
    const got = await waitFor(async () => (await outbox()).find((m) => m.text === 'pong: ping'), { timeoutMs: 20000 });
    assert.ok(got, `reply in the outbox: ${JSON.stringify(await outbox())}`);
    assert.equal(got.to, alice);
    assert.equal(got.group, undefined);
    // A quoted reply to the bot's message reaches the webhook with the quote.
    const q = await incoming({ from: alice, text: 'thanks', quote: got.id });
    assert.equal(q.status, 201, q.text);
    const qreq = await rx.next((x) => x.json.message?.id === q.json.data.message_id);
    assert.equal(qreq.json.message.quoted_message?.id, got.id, JSON.stringify(qreq.json.message));
  });

  test('groups: without a mention nothing reaches the webhook, with one it does', async () => {
    rx.respond = () => ({ status: 200, body: '{}' });
    const quiet = await incoming({ from: bob, name: 'Bob', group: 'Sandbox team', text: 'hello everyone' });
    assert.equal(quiet.status, 201, quiet.text);
    const loud = await incoming({ from: alice, group: 'Sandbox team', mention_bot: true, text: 'bot, what is up' });
    assert.equal(loud.status, 201, loud.text);
    const req = await rx.next((q) => q.json.message?.id === loud.json.data.message_id);
    assert.equal(req.json.message.is_group, true);
    assert.equal(req.json.message.is_mention, true);
    assert.ok(verify(secret, req.headers, req.body));
    // Messages of one chat are forwarded in order: the unmentioned one would have come first.
    await sleep(300);
    assert.ok(!rx.requests.some((q) => q.json.message?.id === quiet.json.data.message_id), 'the message without a mention was not forwarded');
  });

  test('a picture from a contact reaches the webhook as an image', async () => {
    const r = await incoming({ from: alice, text: 'look', media: { type: 'image' } });
    assert.equal(r.status, 201, r.text);
    const req = await rx.next((q) => q.json.message?.id === r.json.data.message_id, 30000);
    assert.equal(req.json.message.type, 'image');
  });

  test('bad bodies: 400 naming the field', async () => {
    const cases = [
      [{ text: 'no sender' }, 'from'],
      [{ from: 'abc', text: 'x' }, 'from'],
      [{ from: alice }, 'text'],
      [{ from: alice, text: 'x', mention_bot: true }, 'mention_bot'],
      [{ from: alice, text: 'x', mention_bot: 'yes', group: 'g' }, 'mention_bot'],
      [{ from: alice, text: 'x', group: '' }, 'group'],
      [{ from: alice, text: 'x', media: { type: 'video' } }, 'media.type'],
      [{ from: alice, text: 'x', media: { type: 'image', data: 'not base64!' } }, 'media.data'],
      [{ from: alice, text: 'x', colour: 'red' }, 'colour'],
      [{ from: alice, text: 'x', quote: 'NOSUCHMESSAGE' }, 'quote'],
    ];
    for (const [body, field] of cases) {
      const r = await incoming(body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.ok(r.json.error.details?.[field], `${JSON.stringify(body)} names ${field}: ${r.text}`);
    }
    const raw = await call(gw, 'POST', `/api/v1/sandbox/sessions/${sessionId}/incoming`, { token: user.token, body: '{"from":' });
    assert.equal(raw.status, 400);
  });
});

describe('sandbox off', () => {
  test('sandbox routes are 404 in normal mode and /health does not say sandbox', async () => {
    const gw = await startGateway({ env: relaxed });
    try {
      const user = await newUser(gw);
      const id = (await createSession(gw, user.token, 'plain')).session_id;
      for (const [m, p] of [['POST', 'scan'], ['POST', 'incoming'], ['GET', 'outbox']]) {
        const r = await call(gw, m, `/api/v1/sandbox/sessions/${id}/${p}`, { token: user.token, body: p === 'incoming' ? { from: '6281234567890', text: 'x' } : undefined });
        assert.equal(r.status, 404, `${p}: ${r.text}`);
      }
      const h = await call(gw, 'GET', '/health');
      assert.notEqual(h.json.sandbox, true);
    } finally {
      await gw.cleanup();
    }
  });

  const run = (env, args = ['--sandbox']) => new Promise((resolve) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-sbx-'));
    const child = spawn(gatewayBin, args, { cwd: dir, env: { PATH: process.env.PATH, ASAN_OPTIONS: 'detect_leaks=0', DATA_DIR: dir, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('exit', (code) => { clearTimeout(timer); rmSync(dir, { recursive: true, force: true }); resolve({ code, out }); });
  });

  test('`routes` lists the sandbox routes only with --sandbox', async () => {
    const sandboxRoutes = (out) => JSON.parse(out.slice(out.indexOf('['))).filter((r) => r.pattern.startsWith('/api/v1/sandbox/')).map((r) => `${r.method} ${r.pattern} ${r.access}`).sort();
    const plain = await run({}, ['routes']);
    assert.equal(plain.code, 0, plain.out);
    assert.deepEqual(sandboxRoutes(plain.out), []);
    const withSandbox = await run({}, ['routes', '--sandbox']);
    assert.equal(withSandbox.code, 0, withSandbox.out);
    assert.deepEqual(sandboxRoutes(withSandbox.out), [
      'GET /api/v1/sandbox/sessions/:id/outbox authenticated',
      'POST /api/v1/sandbox/sessions/:id/incoming authenticated',
      'POST /api/v1/sandbox/sessions/:id/scan authenticated',
    ]);
  });

  test('--sandbox with ENV=production refuses to start', async () => {
    const r = await run({ ENV: 'production', JWT_SECRET: 'x'.repeat(64), PIN_SECRET: 'y'.repeat(64) });
    assert.notEqual(r.code, 0);
    assert.match(r.out, /--sandbox is refused with ENV=production/);
    assert.doesNotMatch(r.out, /listening/);
  });

  test('a missing emulator is a clear start-up error', async () => {
    const r = await run({ SANDBOX_EMULATOR_DIR: '/nonexistent/emulator' });
    assert.equal(r.code, 1);
    assert.match(r.out, /cannot start the sandbox: the emulator is missing: no \/nonexistent\/emulator\/src\/sandbox\.mjs/);
  });
});
