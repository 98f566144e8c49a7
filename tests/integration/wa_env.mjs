// What the session tests share: the project's emulator (an offline WhatsApp server, run in this
// process on port 0) wired to a real gateway, a WebSocket client that keeps every message, and a
// QR decoder (zbarimg) that reads the PNG the gateway made.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { Emulator } from '../../emulator/src/server.mjs';
import { call, generatePin, login, repoRoot, sleep, startGateway } from './harness.mjs';
import { checkWsMessage } from './openapi.mjs';

/**
 * Starts one node of a cluster test (docs/CLUSTER.md): a gateway in cluster mode on `dbUrl`,
 * pointed at the emulator, with the given lease times and secrets shared by every node; `env`
 * adds or overrides variables.
 */
export const startClusterNode = ({ emu, dbUrl, id, ttl, renew, env = {} }) => startGateway({
  dialect: 'postgres',
  env: {
    ...emu.env,
    DATABASE_URL: dbUrl,
    DASHBOARD_DIR: path.join(repoRoot, 'frontend/dist'),
    CLUSTER_ENABLED: 'true',
    NODE_ID: id,
    LEASE_TTL_SECONDS: String(ttl),
    LEASE_RENEW_SECONDS: String(renew),
    JWT_SECRET: 'cluster-test-jwt-secret-0123456789abcdef0123456',
    PIN_SECRET: 'cluster-test-pin-secret-0123456789abcdef0123456',
    WEBHOOK_TIMEOUT_SECONDS: '120',
    ...env,
  },
});

/** Starts the emulator; returns its control helpers and the gateway variables that point at it. */
export async function startEmulator(options = {}) {
  const emu = new Emulator({ port: 0, controlPort: 0, media: false, ...options });
  const ready = await emu.start();
  const control = async (method, p, body) => {
    const r = await fetch(ready.control_url + p, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  };
  return {
    emu,
    ...ready,
    control,
    env: {
      WHATSAPP_SERVER_URL: ready.ws_url,
      WHATSAPP_ROOT_PUBLIC_KEY: emu.rootKey.public.toString('hex'),
      WHATSAPP_RECONNECT_INTERVAL_SECONDS: '200ms',
    },
    /** Makes the phone exist and scan `qr`; resolves with {jid, lid}. */
    async scan(phone, qr) {
      await control('POST', '/accounts', { phone });
      const r = await control('POST', `/accounts/${phone}/scan`, { qr });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    },
    devices: async (phone) => (await control('GET', `/accounts/${phone}/devices`)).body,
    fault: (body) => control('POST', '/faults', body),
    stop: () => emu.stop(),
  };
}

/** A user with a token. */
export async function newUser(gw) {
  const { pin, user_id: userId } = await generatePin(gw);
  return { pin, userId, token: await login(gw, pin) };
}

export async function createSession(gw, token, name, webhook = 'http://127.0.0.1:9/hook') {
  const r = await call(gw, 'POST', '/api/v1/sessions', { token, body: { session_name: name, webhook_url: webhook } });
  assert.equal(r.status, 201, r.text);
  return r.json.data;
}

/** Polls the session until `pred(data)` holds; returns the data (fails the test on timeout). */
export async function waitSession(gw, token, id, pred, { timeoutMs = 30000, what = 'state' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    const r = await call(gw, 'GET', `/api/v1/sessions/${id}`, { token });
    last = r.json?.data;
    if (r.status === 200 && pred(last)) return last;
    await sleep(100);
  }
  assert.fail(`session ${id} never reached ${what}; last: ${JSON.stringify(last)}`);
}

/** A WebSocket client that records every message; `next(pred)` waits for the next match. */
export class WsClient {
  static open(url) {
    return new Promise((resolve, reject) => {
      const c = new WsClient(url);
      c.ws.once('open', () => resolve(c));
      c.ws.once('unexpected-response', (_req, res) => {
        reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }));
      });
      c.ws.once('error', reject);
    });
  }

  constructor(url) {
    this.messages = [];
    this.cursor = 0;
    this.waiters = [];
    this.closed = null;
    this.problems = [];
    this.ws = new WebSocket(url);
    this.ws.on('message', (d) => {
      let m;
      try { m = JSON.parse(d.toString()); } catch { m = { raw: d.toString() }; }
      // Every frame must be one of the WebSocket messages docs/openapi.json documents.
      this.problems.push(...checkWsMessage(m));
      this.messages.push(m);
      this.wake();
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    this.ws.on('error', () => {});
  }

  wake() { for (const w of this.waiters.splice(0)) w(); }

  async next(pred, timeoutMs = 30000) {
    const test = typeof pred === 'string' ? (m) => m.type === pred : pred;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.problems.length) throw new Error(this.problems.join('\n'));
      for (let i = this.cursor; i < this.messages.length; i++) {
        if (test(this.messages[i])) { this.cursor = i + 1; return this.messages[i]; }
      }
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting; got ${JSON.stringify(this.messages)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for a message; got ${JSON.stringify(this.messages)}`);
      await new Promise((r) => { const t = setTimeout(r, left); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }

  async closedWith(timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await sleep(20);
    return this.closed;
  }

  close() { this.ws.close(); }
}

export const wsUrl = (gw, p, token) => `ws://127.0.0.1:${gw.port}${p}?token=${encodeURIComponent(token)}`;

/** Decodes a QR PNG data URL with zbarimg. */
export function decodeQr(dataUrl) {
  assert.match(dataUrl, /^data:image\/png;base64,/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qr-'));
  try {
    const file = path.join(dir, 'qr.png');
    writeFileSync(file, Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64'));
    return execFileSync('zbarimg', ['--raw', '-q', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
