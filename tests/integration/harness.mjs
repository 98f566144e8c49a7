// Starts the real wa-gateway binary for black-box tests and talks to it over real sockets.
// GATEWAY_BIN picks the binary (default: the sanitizer build). PostgreSQL comes from
// TEST_DATABASE_URL (a throwaway server started by scripts/test.sh; TEST_PG_DIR lets a test stop
// and restart it with scripts/pg.sh).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkResponse } from './openapi.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const gatewayBin =
  process.env.GATEWAY_BIN ?? path.join(repoRoot, 'build-test/bin/wa-gateway');

/** Dialects to run each suite on: sqlite always, postgres when configured (or required). */
export function dialects() {
  const out = ['sqlite'];
  if (process.env.TEST_DATABASE_URL) out.push('postgres');
  else if (process.env.REQUIRE_POSTGRES === '1') {
    throw new Error('REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set');
  }
  return out;
}

let dbCounter = 0;
/** A fresh PostgreSQL database on the test server; returns its URL. */
export function freshPostgresDatabase() {
  const base = new URL(process.env.TEST_DATABASE_URL);
  const name = `gwit_${process.pid}_${Date.now()}_${dbCounter++}`;
  execFileSync('psql', [process.env.TEST_DATABASE_URL, '-q', '-c', `CREATE DATABASE ${name}`]);
  base.pathname = `/${name}`;
  return base.toString();
}

export function pgCtl(command) {
  execFileSync(path.join(repoRoot, 'scripts/pg.sh'), [command, process.env.TEST_PG_DIR], {
    stdio: 'inherit',
  });
}

// Every gateway this test process started, for sanitizerReports().
const started = [];

/** Whether a process's stderr holds a sanitizer report (the instrumented test build's). */
export const hasSanitizerReport = (stderr) => /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/.test(stderr);

/**
 * The stderr (first 3,000 characters) of every gateway this test process started that printed a
 * sanitizer report: an instrumented build (the test build) reports a use after free or undefined
 * behaviour there, also at shutdown, where no request would notice it. Waits up to 5 s for the
 * stopped ones' output to end.
 */
export async function sanitizerReports() {
  await Promise.race([Promise.all(started.filter((g) => g.child.exitCode !== null || g.child.signalCode !== null).map((g) => g.closed)), sleep(5000)]);
  return started.filter((g) => hasSanitizerReport(g.stderr)).map((g) => g.stderr.slice(0, 3000));
}

/**
 * Registers a test file's last test: no gateway it started printed a sanitizer report, shutdowns
 * included. Call it after the file's other tests.
 */
export function lastTestNoSanitizerReports() {
  test('no sanitizer report from any gateway this file started, shutdowns included', async () => {
    assert.deepEqual(await sanitizerReports(), []);
  });
}

/**
 * Starts the gateway on a free port with a temporary DATA_DIR. Resolves once it logs
 * "listening". `env` adds/overrides variables; `args` are command-line arguments (e.g. --sandbox).
 */
export async function startGateway({ dialect = 'sqlite', env = {}, dataDir, args = [] } = {}) {
  const dir = dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'gw-it-'));
  const fullEnv = {
    PATH: process.env.PATH,
    ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=0',
    UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? 'print_stacktrace=1:halt_on_error=1',
    PORT: '0',
    BIND_ADDRESS: '127.0.0.1',
    DATA_DIR: dir,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    ...(dialect === 'postgres' ? { DATABASE_URL: env.DATABASE_URL ?? freshPostgresDatabase() } : {}),
    ...env,
  };
  const child = spawn(gatewayBin, args, { env: fullEnv, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const gw = {
    child,
    dir,
    env: fullEnv,
    logs: [],
    stderr: '',
    port: 0,
    get base() {
      return `http://127.0.0.1:${this.port}`;
    },
    exited: null,
  };
  gw.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  gw.closed = new Promise((resolve) => child.on('close', resolve)); // its output has ended too
  started.push(gw);
  child.stderr.on('data', (d) => {
    gw.stderr += d;
  });
  let buf = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${gw.stderr}\n${buf}`)), 30000);
    child.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          entry = { raw: line };
        }
        gw.logs.push(entry);
        if (entry.msg === 'listening') {
          gw.port = entry.port;
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening:\n${gw.stderr}\n${buf}`));
    });
  });
  gw.stop = async (signal = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const r = await gw.exited;
    return r;
  };
  gw.cleanup = async () => {
    await gw.stop();
    if (!dataDir) rmSync(dir, { recursive: true, force: true });
  };
  return gw;
}

/**
 * Runs one SQL statement on the gateway's own database with the database's own command-line
 * client (sqlite3 on DATA_DIR/gateway.db, psql on DATABASE_URL); returns the rows as arrays of
 * strings. For tests that inspect stored rows or break stored state on purpose.
 */
export function sql(gw, statement) {
  const out = gw.env.DATABASE_URL
    ? execFileSync('psql', [gw.env.DATABASE_URL, '-qAt', '-F', '|', '-c', statement], { encoding: 'utf8' })
    : execFileSync('sqlite3', ['-cmd', '.timeout 10000', path.join(gw.dir, 'gateway.db'), statement], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('|'));
}

/** Sends raw bytes on a new TCP connection; resolves with everything received until close. */
export function rawRequest(port, chunks, { delayMs = 0, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got: ${data}`));
    }, timeoutMs);
    sock.on('data', (d) => {
      data += d.toString('latin1');
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    sock.on('error', () => {});
    sock.on('connect', async () => {
      for (const c of [].concat(chunks)) {
        sock.write(c);
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      }
    });
  });
}

export function statusOf(raw) {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
  return m ? Number(m[1]) : null;
}

export function bodyOf(raw) {
  return raw.slice(raw.indexOf('\r\n\r\n') + 4);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn() until it returns truthy or the deadline passes; returns the last value. */
export async function waitFor(fn, { timeoutMs = 5000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(intervalMs);
  }
  return last;
}

/** One API call; `json` is the parsed body (null when not JSON). */
export async function call(gw, method, p, { token, body, headers = {}, basic } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (basic !== undefined) h.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    if (!h['content-type']) h['content-type'] = 'application/json';
  }
  const res = await fetch(`${gw.base}${p}`, { method, headers: h, body: payload });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  assertDocumented(method, p, res.status, res.headers.get('content-type'), json, text);
  return { status: res.status, headers: res.headers, json, text };
}

/**
 * Fails the calling test when a response does not match docs/openapi.json: an undocumented
 * status for the route, or a JSON body outside the documented schema. Used by call() and by
 * tests that talk to the gateway with their own fetch().
 */
export function assertDocumented(method, p, status, contentType, json, text = '') {
  const problems = checkResponse(method, p, status, contentType, json);
  if (problems.length) {
    throw new Error(`response not as docs/openapi.json documents it:\n${problems.join('\n')}\nbody: ${text.slice(0, 2000)}`);
  }
}

export async function generatePin(gw) {
  const r = await call(gw, 'POST', '/api/v1/auth/generate-pin');
  if (r.status !== 201) throw new Error(`generate-pin: ${r.status} ${r.text}`);
  return r.json.data;
}

export async function login(gw, pin) {
  const r = await call(gw, 'POST', '/api/v1/auth/login', { basic: `${pin}:` });
  if (r.status !== 200) throw new Error(`login: ${r.status} ${r.text}`);
  return r.json.data.token;
}
