// The n8n community node in a real n8n (the version pinned in tests/n8n-runtime, installed by
// scripts/install-n8n.sh) on loopback, with integrations/n8n/dist loaded as a custom extension
// (N8N_CUSTOM_EXTENSIONS, so its node types are CUSTOM.*), n8n's data in PostgreSQL. The echo
// workflow of examples/n8n is imported and activated: its trigger registers a subscription in the
// real gateway, a Baileys peer sends "ping" through the project's emulator and receives the
// workflow's quoted answer. Requests with a bad or stale signature are refused without an
// execution; deactivation removes the subscription; a wrong key or a gateway that is down make
// activation fail with a message naming the cause.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pairedPeer } from '../../emulator/src/peer.mjs';
import { call, freshPostgresDatabase, repoRoot, sleep, sql, startGateway, waitFor } from '../integration/harness.mjs';
import { createSession, newUser, startEmulator, waitSession } from '../integration/wa_env.mjs';
import { startReceiver } from '../integration/receiver.mjs';

const n8nBin = path.join(repoRoot, 'tests/n8n-runtime/node_modules/n8n/bin/n8n');
const extension = path.join(repoRoot, 'integrations/n8n/dist');
const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };

const freePort = () => new Promise((ok, fail) => {
  const s = net.createServer();
  s.on('error', fail);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

/** Starts n8n; resolves once its REST API answers. */
async function startN8n() {
  if (!process.env.TEST_DATABASE_URL) throw new Error('the n8n test needs TEST_DATABASE_URL (n8n runs on PostgreSQL here)');
  if (!existsSync(n8nBin)) throw new Error(`n8n is not installed (${n8nBin}): run scripts/install-n8n.sh`);
  if (!existsSync(path.join(extension, 'nodes/WaGatewayTrigger/WaGatewayTrigger.node.js'))) {
    throw new Error('integrations/n8n is not built: run scripts/install-n8n.sh');
  }
  const db = new URL(freshPostgresDatabase());
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-'));
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    N8N_USER_FOLDER: dir,
    N8N_PORT: String(port),
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    WEBHOOK_URL: `http://127.0.0.1:${port}/`,
    N8N_RUNNERS_ENABLED: 'false',
    N8N_SECURE_COOKIE: 'false',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
    N8N_ENCRYPTION_KEY: crypto.randomBytes(24).toString('hex'),
    EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
    EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
    DB_TYPE: 'postgresdb',
    DB_POSTGRESDB_HOST: db.hostname,
    DB_POSTGRESDB_PORT: db.port || '5432',
    DB_POSTGRESDB_DATABASE: db.pathname.slice(1),
    DB_POSTGRESDB_USER: decodeURIComponent(db.username || 'postgres'),
    DB_POSTGRESDB_PASSWORD: decodeURIComponent(db.password || ''),
    N8N_CUSTOM_EXTENSIONS: extension,
  };
  const child = spawn(process.execPath, [n8nBin, 'start'], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`n8n exited (${child.exitCode}):\n${log.slice(-3000)}`);
    try {
      // Ready when the REST API no longer answers "n8n is starting up" (health checks and
      // /rest/settings answer earlier).
      const r = await fetch(`${base}/rest/login`);
      if (!(await r.text()).includes('starting up') && r.status !== 404) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`n8n did not start:\n${log.slice(-3000)}`); }
    await sleep(500);
  }
  let cookie = '';
  const rest = async (method, p, body) => {
    const r = await fetch(base + p, {
      method,
      headers: { 'content-type': 'application/json', cookie },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = r.headers.get('set-cookie');
    if (setCookie) cookie = setCookie.split(';')[0];
    const text = await r.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: r.status, json, text };
  };
  return {
    base,
    rest,
    log: () => log,
    stop: async () => {
      child.kill('SIGTERM');
      await Promise.race([new Promise((ok) => child.once('exit', ok)), sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The example workflow with our node types as n8n names a custom extension's, for `sessionId`. */
function echoWorkflow(sessionId, credentialId, name) {
  const w = JSON.parse(readFileSync(path.join(repoRoot, 'examples/n8n/echo-bot.json'), 'utf8'));
  for (const n of w.nodes) {
    n.type = n.type.replace('n8n-nodes-wa-gateway.', 'CUSTOM.');
    if (n.parameters.sessionId === 'REPLACE_WITH_SESSION_ID') n.parameters.sessionId = sessionId;
    if (n.credentials) n.credentials.waGatewayApi.id = credentialId;
    if (n.webhookId) n.webhookId = crypto.randomUUID();
  }
  return { name, nodes: w.nodes, connections: w.connections, settings: w.settings, active: false };
}

describe('the n8n community node in a real n8n', () => {
  let emu, gw, rx, n8n, user, key, sessionId, alice, workflow, executions;
  const bot = '6281780000001';
  const alicePhone = '6281780000011';

  before(async () => {
    emu = await startEmulator();
    rx = await startReceiver();
    const started = startN8n();
    started.catch(() => {});
    gw = await startGateway({ dialect: 'sqlite', env: { ...relaxed, ...emu.env } });
    user = await newUser(gw);
    sessionId = (await createSession(gw, user.token, 'n8n echo bot', rx.url)).session_id;
    const k = await call(gw, 'POST', '/api/v1/api-keys', { token: user.token, body: { name: 'n8n e2e' } });
    assert.equal(k.status, 201, k.text);
    key = k.json.data.key;
    const st = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/start`, { token: user.token });
    await emu.scan(bot, st.json.data.qr_text);
    await waitSession(gw, user.token, sessionId, (d) => d.status === 'connected', { what: 'connected' });
    alice = await pairedPeer(emu.control_url, alicePhone, { pushName: 'Alice' });
    n8n = await started;
    const owner = await n8n.rest('POST', '/rest/owner/setup', { email: 'owner@example.com', firstName: 'Test', lastName: 'Owner', password: 'Passw0rd-n8n-e2e' });
    assert.equal(owner.status, 200, owner.text);
    const login = await n8n.rest('POST', '/rest/login', { emailOrLdapLoginId: 'owner@example.com', password: 'Passw0rd-n8n-e2e' });
    assert.equal(login.status, 200, login.text);
    executions = async (id) => {
      const r = await n8n.rest('GET', `/rest/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId: id }))}`);
      assert.equal(r.status, 200, r.text);
      return r.json.data.results;
    };
  });
  after(async () => {
    await alice?.stop();
    await n8n?.stop();
    await gw?.cleanup();
    await rx?.close();
    await emu?.stop();
  });

  const credential = async (name, baseUrl, apiKey) => {
    const r = await n8n.rest('POST', '/rest/credentials', { name, type: 'waGatewayApi', data: { baseUrl, apiKey } });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json?.data?.id, r.text);
    return r.json.data.id;
  };
  const createWorkflow = async (w) => {
    const r = await n8n.rest('POST', '/rest/workflows', w);
    assert.equal(r.status, 200, r.text);
    return r.json.data;
  };
  const setActive = (wf, active) => n8n.rest('PATCH', `/rest/workflows/${wf.id}`, { active, versionId: wf.versionId });

  test('activating the echo workflow registers its trigger URL as a subscription of the session', async () => {
    const cred = await credential('WA Gateway account', gw.base, key);
    workflow = await createWorkflow(echoWorkflow(sessionId, cred, 'echo bot'));
    const r = await setActive(workflow, true);
    assert.equal(r.status, 200, `${r.text}\n${n8n.log().slice(-2000)}`);
    workflow.versionId = r.json.data.versionId;
    const subs = await call(gw, 'GET', `/api/v1/sessions/${sessionId}/webhooks`, { token: user.token });
    assert.equal(subs.json.data.length, 1, subs.text);
    assert.ok(subs.json.data[0].url.startsWith(`${n8n.base}/webhook/`), subs.json.data[0].url);
    assert.deepEqual(subs.json.data[0].events, ['message.received']);
  });

  test('a peer sends "ping" and receives the workflow\'s quoted answer', async () => {
    const ping = await alice.sendText(`${bot}@s.whatsapp.net`, 'ping');
    const answer = await alice.waitMessage((x) => x.message?.extendedTextMessage?.text === 'Echo: ping', 60_000);
    assert.equal(answer.message.extendedTextMessage.contextInfo.stanzaId, ping.key.id, 'quotes the ping');
    await waitFor(async () => (await executions(workflow.id)).length === 1, { timeoutMs: 20_000 });
    const [run] = await executions(workflow.id);
    assert.equal(run.status, 'success');
  });

  test('requests with a bad or stale signature are refused and start no execution', async () => {
    const sub = (await call(gw, 'GET', `/api/v1/sessions/${sessionId}/webhooks`, { token: user.token })).json.data[0];
    const [[secret]] = sql(gw, `SELECT secret FROM webhook_subscriptions WHERE id = '${sub.webhook_id}'`);
    const before = (await executions(workflow.id)).length;
    const body = JSON.stringify({ event: 'message.received', session_id: sessionId, message: { id: 'FORGED', chat_id: `${alicePhone}@s.whatsapp.net`, content: 'forged' } });
    const post = (ts, signature) => fetch(sub.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-timestamp': String(ts), 'x-webhook-signature': signature }, body });
    const now = Math.floor(Date.now() / 1000);
    const hmac = (ts) => `sha256=${crypto.createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
    const bad = await post(now, `sha256=${'0'.repeat(64)}`);
    assert.equal(bad.status, 401);
    assert.match((await bad.json()).message, /bad X-Webhook-Signature/);
    const stale = await post(now - 3600, hmac(now - 3600));
    assert.equal(stale.status, 401);
    assert.match((await stale.json()).message, /stale/);
    const unsigned = await fetch(sub.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(unsigned.status, 401);
    await sleep(1500);
    assert.equal((await executions(workflow.id)).length, before, 'no execution started');
  });

  test('deactivating removes the subscription from the gateway', async () => {
    const r = await setActive(workflow, false);
    assert.equal(r.status, 200, r.text);
    const subs = await call(gw, 'GET', `/api/v1/sessions/${sessionId}/webhooks`, { token: user.token });
    assert.deepEqual(subs.json.data, []);
  });

  test('a wrong API key or a gateway that is down make activation fail naming the cause', async () => {
    const wrong = await createWorkflow(echoWorkflow(sessionId, await credential('wrong key', gw.base, 'wag_' + 'x'.repeat(43)), 'wrong key'));
    let r = await setActive(wrong, true);
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.message, /refused the API key \(401\)/);
    const down = await createWorkflow(echoWorkflow(sessionId, await credential('down', 'http://127.0.0.1:9', key), 'gateway down'));
    r = await setActive(down, true);
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.message, /The gateway at http:\/\/127\.0\.0\.1:9 cannot be reached \(connection refused\)/);
    const gone = await createWorkflow(echoWorkflow('00000000-0000-4000-8000-000000000000', await credential('ok', gw.base, key), 'deleted session'));
    r = await setActive(gone, true);
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.message, /Session not found \(404\)/);
  });
});
