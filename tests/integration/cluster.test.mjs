// Cluster mode: several gateway processes on one PostgreSQL (CLUSTER_ENABLED=true). Real
// wa-gateway binaries on a throwaway PostgreSQL server of this file's own (scripts/pg.sh: the
// file stops and restarts it), the project's emulator in this process, Baileys peers as the
// people who write to the bots, and a real local webhook receiver. Three nodes share 30 paired
// sessions: they spread; any node answers for any session and relays its WebSocket events; a
// node killed with -9, paused with SIGSTOP, cut off from the database or stopped with SIGTERM
// gives its sessions up to the others, with every message the peers sent during it delivered,
// never under two X-Webhook-Ids, in per-chat order (docs/webhooks.md); a node whose clock is an
// hour off and a PostgreSQL restart change nothing of that. SQLite stays single-process.
//
// Who runs a device is read from the emulator itself: each emulator connection of a bot is
// traced, through /proc, to the gateway process whose socket it is, and compared with the
// session_leases row; a `replaced` between connections of two different processes is two nodes
// running one device.
//
// CLUSTER_TTL (default 4) and CLUSTER_RENEW (default 1) set LEASE_TTL_SECONDS and
// LEASE_RENEW_SECONDS of the nodes; timings are printed on stderr.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pairedPeer } from '../../emulator/src/peer.mjs';
import { call, gatewayBin, hasSanitizerReport, login, repoRoot, sleep, startGateway, waitFor } from './harness.mjs';
import { WsClient, createSession, newUser, startEmulator, wsUrl } from './wa_env.mjs';
import { startReceiver } from './receiver.mjs';
import { startPauseProxyThread } from './tcp_pause_proxy.mjs';

const TTL = Number(process.env.CLUSTER_TTL ?? 4);
const RENEW = Number(process.env.CLUSTER_RENEW ?? 1);
const SESSIONS = 30;
const BATCH = 10;
const PEERS = 3;
const NODE_IDS = ['node-a', 'node-b', 'node-c'];
const PG_SH = path.join(repoRoot, 'scripts/pg.sh');
const FAILOVER_MS = (TTL + 10) * 1000; // kill -9 / SIGSTOP / pause: lease expiry + 10 s
const SIGTERM_MS = 15000; // the target is 5 s (met in quiet runs: docs/CLUSTER.md); asserted with room for a loaded machine
const BOT_BASE = 6285500000000;
const PEER_BASE = 6285590000000;

const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };
const log = (s) => process.stderr.write(`[cluster ${new Date().toISOString().slice(11, 23)}] ${s}\n`);
const timings = {};

const havePgServer = (() => {
  try {
    return readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/pg_ctl`));
  } catch {
    return false;
  }
})();
const skip = !havePgServer && process.env.REQUIRE_POSTGRES !== '1' ? 'PostgreSQL server binaries are not installed' : false;

/** Every gateway process this file started, for the sanitizer check at the end. */
const allProcesses = [];

/**
 * Runs the gateway until it exits (a refused start-up) or logs "listening" (then it is stopped
 * with SIGTERM). Resolves with {code, signal, out, listened}.
 */
function runToExit(env, dir, timeoutMs = 30000) {
  return new Promise((resolve) => {
    const child = spawn(gatewayBin, [], {
      env: {
        PATH: process.env.PATH,
        ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=0',
        UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? 'print_stacktrace=1:halt_on_error=1',
        PORT: '0',
        BIND_ADDRESS: '127.0.0.1',
        DATA_DIR: dir,
        LOG_FORMAT: 'json',
        ...env,
      },
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let listened = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!listened && /"msg":"listening"/.test(out)) {
        listened = true;
        // Was a GATEWAY-BUG with READY v1 (fixed in v2): a SIGTERM right after "listening" often
        // killed the process by the default action (13 of 16 starts in cluster mode). Waiting a
        // second keeps this probe about what it checks.
        setTimeout(() => child.kill('SIGTERM'), 1000);
      }
    });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, listened });
    });
  });
}

const execFileP = promisify(execFile);
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('cluster mode: refusals', { skip }, () => {
  test('a second process on the same SQLite DATA_DIR refuses to start, naming the directory; kill -9 frees it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-cluster-sqlite-'));
    const other = mkdtempSync(path.join(os.tmpdir(), 'gw-cluster-sqlite-other-'));
    let first;
    let third;
    try {
      first = await startGateway({ dataDir: dir });
      allProcesses.push(first);
      const second = await runToExit({}, dir);
      assert.equal(second.listened, false, `a second gateway started on ${dir}:\n${second.out.slice(-2000)}`);
      assert.notEqual(second.code, 0, `exit ${JSON.stringify(second)}`);
      assert.match(second.out, new RegExp(`${escapeRe(dir)}|DATA_DIR`), `the message names the data directory:\n${second.out.slice(-2000)}`);
      assert.match(second.out, /in use|locked|another|already/i, `the message says the directory is in use:\n${second.out.slice(-2000)}`);
      // The first one is unharmed; a gateway on another directory starts beside it.
      assert.equal((await call(first, 'GET', '/health')).status, 200);
      const elsewhere = await runToExit({}, other);
      assert.equal(elsewhere.listened, true, `a gateway on another DATA_DIR must start:\n${elsewhere.out.slice(-2000)}`);
      // A crashed owner leaves no lock behind.
      await first.stop('SIGKILL');
      third = await startGateway({ dataDir: dir });
      allProcesses.push(third);
      assert.equal((await call(third, 'GET', '/health')).status, 200);
    } finally {
      await first?.stop('SIGKILL');
      await third?.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('CLUSTER_ENABLED=true on SQLite refuses to start, naming CLUSTER_ENABLED', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-cluster-sqlite-'));
    try {
      const r = await runToExit({ CLUSTER_ENABLED: 'true' }, dir);
      assert.equal(r.listened, false, `started in cluster mode on SQLite:\n${r.out.slice(-2000)}`);
      assert.notEqual(r.code, 0, `exit ${JSON.stringify({ code: r.code, signal: r.signal })}`);
      assert.match(r.out, /CLUSTER_ENABLED/, r.out.slice(-2000));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cluster mode: three gateway processes on one PostgreSQL', { skip }, () => {
  let pgRoot, pgDir, pgUrl, dbUrl, proxy, proxyUrl, emu, emuWsPort, rx, pin;
  let ready = false;
  const nodes = new Map(); // id -> {id, dir, gw, state: 'up'|'stopped'|'cut'|'leaving'|'dead', extra}
  const peers = [];
  const bots = []; // {i, name, id, phone}
  const sent = []; // {peer, bot, session, id, tag, at}
  let failing = new Set(); // session ids whose webhooks the receiver answers 503

  // ---- emulator book-keeping: which process each connection belongs to ----------------------
  const connPort = new Map(); // emulator conn id -> the gateway's local port
  const connOwner = new Map(); // emulator conn id -> node id (resolved at login)
  const logins = []; // {t, jid, phone, conn, owner}
  const replacements = []; // {t, jid, phone, oldConn, oldOwner, newConn, newOwner}

  const phoneOf = (jid) => String(jid ?? '').split(/[:@]/)[0];
  const up = () => [...nodes.values()].filter((n) => n.state === 'up');
  const botByPhone = (phone) => bots.find((b) => b.phone === phone);

  /** local port -> [{inode, remPort}] of the TCP sockets of this machine. */
  function tcpTable() {
    const m = new Map();
    for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text;
      try { text = readFileSync(f, 'utf8'); } catch { continue; }
      for (const line of text.split('\n').slice(1)) {
        const c = line.trim().split(/\s+/);
        if (c.length < 10) continue;
        const lp = parseInt(c[1].split(':').pop(), 16);
        const rp = parseInt(c[2].split(':').pop(), 16);
        if (!m.has(lp)) m.set(lp, []);
        m.get(lp).push({ inode: c[9], remPort: rp });
      }
    }
    return m;
  }

  function socketInodes(pid) {
    const s = new Set();
    let fds = [];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { return s; }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) s.add(m[1]);
      } catch {}
    }
    return s;
  }

  /** The node whose process holds the client end of the emulator connection from `port`. */
  function ownerOfPorts(ports) {
    const table = tcpTable();
    const procs = [...nodes.values()].filter((n) => n.gw && n.state !== 'dead').map((n) => ({ id: n.id, inodes: socketInodes(n.gw.child.pid) }));
    return ports.map((port) => {
      const entries = (table.get(port) ?? []).filter((e) => e.remPort === emuWsPort);
      const p = procs.find((x) => entries.some((e) => x.inodes.has(e.inode)));
      return p ? p.id : null;
    });
  }

  function hookEmulatorLog() {
    const elog = emu.emu.log;
    const add = elog.add.bind(elog);
    elog.add = (kind, details = {}) => {
      const e = add(kind, details);
      try {
        if (kind === 'connect') {
          connPort.set(details.conn, Number(String(details.remote).split(':').pop()));
        } else if (kind === 'login') {
          const [owner] = ownerOfPorts([connPort.get(details.conn)]);
          connOwner.set(details.conn, owner);
          logins.push({ t: Date.now(), jid: details.jid, phone: phoneOf(details.jid), conn: details.conn, owner });
          for (const r of replacements) {
            if (r.jid === details.jid && r.newConn === undefined) { r.newConn = details.conn; r.newOwner = owner; }
          }
        } else if (kind === 'replaced') {
          replacements.push({ t: Date.now(), jid: details.jid, phone: phoneOf(details.jid), oldConn: details.conn, oldOwner: connOwner.get(details.conn) ?? null });
        }
      } catch { /* book-keeping only */ }
      return e;
    };
  }

  /** A replacement of one process's connection by another's: two nodes ran one device. */
  const crossNode = (r) => r.newConn !== undefined && (r.oldOwner === null || r.newOwner === null || r.oldOwner !== r.newOwner);
  const describeRepl = (r) => `${r.phone}: conn ${r.oldConn} (${r.oldOwner}) replaced by conn ${r.newConn} (${r.newOwner}) at +${r.t - t0run} ms`;
  let t0run = Date.now();

  function liveConnsOf(phone) {
    const a = emu.emu.state.accounts.get(phone);
    if (!a) return [];
    return [...a.devices.values()].flatMap((d) => [...d.conns]).filter((c) => !c.closed);
  }

  // ---- database ---------------------------------------------------------------------------
  // Asynchronous: the emulator and the peers run in this process and must not wait on psql.
  const psql = async (q, url = dbUrl) => (await execFileP('psql', [url, '-qAt', '-F', '|', '-c', q], { encoding: 'utf8', timeout: 15000 }))
    .stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('|'));

  /** session_id -> {node, epoch, live, leftMs}: the lease rows, judged by the database's clock. */
  async function leases() {
    const rows = await psql('SELECT session_id, node_id, epoch, (expires_at > now())::int, round(extract(epoch FROM expires_at - now()) * 1000) FROM session_leases');
    return new Map(rows.map(([s, node, epoch, live, left]) => [s, { node, epoch: Number(epoch), live: live === '1', leftMs: Number(left) }]));
  }
  const countsOf = (L) => {
    const c = new Map();
    for (const l of L.values()) if (l.live) c.set(l.node, (c.get(l.node) ?? 0) + 1);
    return c;
  };
  const countsText = (c) => NODE_IDS.map((id) => `${id}=${c.get(id) ?? 0}`).join(' ');
  const shareLimit = (running, live) => Math.ceil(running / live) + 1;
  const pg = (cmd) => execFileP(PG_SH, [cmd, pgDir]);

  // ---- gateways ---------------------------------------------------------------------------
  const common = () => ({
    ...relaxed,
    ...emu.env,
    DASHBOARD_DIR: path.join(repoRoot, 'frontend/dist'),
    CLUSTER_ENABLED: 'true',
    LEASE_TTL_SECONDS: String(TTL),
    LEASE_RENEW_SECONDS: String(RENEW),
    // One secret for every node, as a deployment behind a load balancer has: a token from one
    // node is good on the others.
    JWT_SECRET: 'cluster-test-jwt-secret-0123456789abcdef0123',
    PIN_SECRET: 'cluster-test-pin-secret-0123456789abcdef0123',
    WEBHOOK_RETRY_BACKOFF_SECONDS: '300ms',
    WEBHOOK_MAX_RETRIES: '100',
    WEBHOOK_TIMEOUT_SECONDS: '5s',
    WHATSAPP_MAX_RECONNECT_ATTEMPTS: '1000',
  });

  /** Starts (or restarts, same DATA_DIR) a node; node-b reaches PostgreSQL through the pause proxy. */
  async function startNode(id, extra = {}) {
    const n = nodes.get(id) ?? { id, dir: mkdtempSync(path.join(os.tmpdir(), `gw-cluster-${id}-`)) };
    nodes.set(id, n);
    n.extra = extra;
    n.gw = await startGateway({
      dialect: 'postgres',
      dataDir: n.dir,
      env: { ...common(), NODE_ID: id, DATABASE_URL: id === 'node-b' ? proxyUrl : dbUrl, ...extra },
    });
    allProcesses.push(n.gw);
    n.state = 'up';
    // Each node gets its own login: CLUSTER_CLOCK_SKEW_SECONDS shifts a node's whole wall clock,
    // token times included, so a token from a node an hour ahead is not yet valid elsewhere.
    if (pin) n.token = await login(n.gw, pin);
    return n;
  }

  /** An API call on node `n` with the user's token from that node (harness.call's checks). */
  const req = (n, method, p, opts = {}) => call(n.gw, method, p, { token: n.token, ...opts });

  const signal = (n, sig) => process.kill(n.gw.child.pid, sig);

  /**
   * Last warnings and errors of every node, and the tail of their stderr: for failure messages.
   * `ids` (message or session ids): every log line of any level that names one of them, too.
   */
  function nodeLogs(ids = []) {
    const out = [];
    for (const n of nodes.values()) {
      const names = (e) => ids.length > 0 && ids.some((id) => JSON.stringify(e).includes(id));
      const lines = n.gw.logs.filter((e) => e.level === 'warn' || e.level === 'error' || e.raw || names(e)).slice(-40).map((e) => JSON.stringify(e).slice(0, 400));
      out.push(`--- ${n.id} (${n.state}, pid ${n.gw.child.pid}${n.extra && Object.keys(n.extra).length ? `, ${JSON.stringify(n.extra)}` : ''})\n${lines.join('\n')}${n.gw.stderr ? `\nstderr: ${n.gw.stderr.slice(-1500)}` : ''}`);
    }
    return out.join('\n');
  }

  /** An API call that never throws (for polling while nodes come and go). */
  async function peek(n, method, p, body) {
    try {
      const r = await fetch(`${n.gw.base}${p}`, {
        method,
        headers: { authorization: `Bearer ${n.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body && JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      const text = await r.text();
      let json = null;
      try { json = JSON.parse(text); } catch {}
      return { status: r.status, json, text };
    } catch (err) {
      return { status: 0, text: err.message };
    }
  }

  /**
   * What is wrong with the cluster now for the sessions `desired` (all should run): each has a
   * live lease (by the database's clock) held by a running node, and exactly one emulator
   * connection, made by that node's process. Also: a node this file thinks is up has not exited.
   * What the API says is checked apart (apiProblems), so that a wrong list fails its own
   * assertion and not every scenario after it.
   */
  async function clusterProblems(desired = bots) {
    const problems = [];
    for (const n of nodes.values()) {
      if (n.state !== 'dead' && n.state !== 'leaving' && n.gw.child.exitCode !== null) {
        problems.push(`${n.id} exited unexpectedly (${n.gw.child.exitCode}${n.gw.child.signalCode ?? ''}): ${n.gw.stderr.slice(-800)}`);
      }
    }
    let L;
    try { L = await leases(); } catch (err) { return [...problems, `session_leases unreadable: ${String(err.stderr ?? err.message).split('\n')[0]}`]; }
    const live = new Set(up().map((n) => n.id));
    const conns = desired.map((b) => liveConnsOf(b.phone));
    const owners = ownerOfPorts(conns.map((cs) => (cs.length === 1 ? connPort.get(cs[0].id) : 0)));
    desired.forEach((b, k) => {
      const l = L.get(b.id);
      if (!l || !l.live) {
        problems.push(`${b.name}: no live lease${l ? ` (last: ${JSON.stringify(l.node)}, epoch ${l.epoch}, expired ${-l.leftMs} ms ago)` : ''}`);
        return;
      }
      if (!live.has(l.node)) problems.push(`${b.name}: leased to ${l.node}, which is not a running node`);
      if (conns[k].length !== 1) problems.push(`${b.name}: ${conns[k].length} emulator connections`);
      else if (owners[k] !== l.node) problems.push(`${b.name}: connected from ${owners[k] ?? 'a process that is no node'}, leased to ${l.node}`);
    });
    return problems;
  }

  /**
   * What the session list of every running node says against the leases: each desired session
   * connected, with the lease's node as node_id (docs/CLUSTER.md, "What you see").
   */
  async function apiProblems(desired = bots) {
    const problems = [];
    const L = await leases();
    for (const n of up()) {
      const r = await peek(n, 'GET', '/api/v1/sessions');
      if (r.status !== 200 || !Array.isArray(r.json?.data)) { problems.push(`GET /api/v1/sessions on ${n.id}: ${r.status} ${r.text.slice(0, 200)}`); continue; }
      const list = new Map(r.json.data.map((x) => [x.session_id, x]));
      for (const b of desired) {
        const a = list.get(b.id);
        const l = L.get(b.id);
        if (!a) problems.push(`${n.id}'s list: ${b.name} missing`);
        else {
          if (a.status !== 'connected') problems.push(`${n.id}'s list: ${b.name} ${a.status} (${a.status_reason}), runs on ${l?.live ? l.node : 'nobody'}`);
          if (a.node_id !== (l?.live ? l.node : null)) problems.push(`${n.id}'s list: ${b.name} node_id ${JSON.stringify(a.node_id)}, lease ${l?.live ? l.node : null}`);
        }
      }
    }
    return problems;
  }

  /** What the lists said after each scenario: {label, problems, ms}; asserted by the last test. */
  const apiChecks = [];

  /** Waits up to a lease round (+2 s) for the lists to agree with the leases; records the outcome. */
  async function recordApi(label) {
    const t0 = Date.now();
    let problems;
    for (;;) {
      problems = await apiProblems();
      if (!problems.length || Date.now() - t0 > RENEW * 1000 + 2000) break;
      await sleep(200);
    }
    apiChecks.push({ label, problems, ms: Date.now() - t0 });
    if (problems.length) log(`  ${label}: the session lists disagree with the leases (${problems.length}), e.g. ${problems[0]}`);
  }

  /**
   * Waits until clusterProblems() is empty; fails with the problems and the nodes' logs at
   * `deadline`. Resolves with the time from `since` to the first clean check.
   */
  async function settle(label, { deadline = Date.now() + 30000, since = Date.now(), desired = bots } = {}) {
    let problems;
    for (;;) {
      problems = await clusterProblems(desired);
      if (!problems.length) return Date.now() - since;
      if (Date.now() > deadline) break;
      await sleep(150);
    }
    assert.fail(`${label}: not settled ${Date.now() - since} ms after the start (${problems.length} problems):\n  ${problems.slice(0, 20).join('\n  ')}\n${nodeLogs()}`);
  }

  /**
   * After a node joined or came back: waits until the nodes that hold more than their share + 1
   * have handed the surplus over (CLUSTER_REBALANCE, docs/CLUSTER.md) and everything is settled.
   * Resolves with the time from `since`.
   */
  async function balanced(label, { since = Date.now(), deadline = since + 30000 + 2 * TTL * 1000 } = {}) {
    for (;;) {
      const counts = countsOf(await leases());
      const limit = shareLimit(SESSIONS, up().length);
      const over = up().filter((n) => (counts.get(n.id) ?? 0) > limit);
      if (!over.length && !(await clusterProblems()).length) return Date.now() - since;
      if (Date.now() > deadline) {
        assert.fail(`${label}: not balanced ${Date.now() - since} ms after the start (limit ${limit}): ${countsText(counts)}\n${nodeLogs()}`);
      }
      await sleep(200);
    }
  }

  /**
   * Watches for `ms`: every check must be clean; with `strict`, no session may change owner and
   * no bot may log in again. Resolves with {problems, logins, replaced} seen in the window.
   */
  async function observe(ms, { strict = false } = {}) {
    const L0 = await leases();
    const loginMark = logins.length;
    const replMark = replacements.length;
    const seen = new Set();
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      for (const p of await clusterProblems()) seen.add(p);
      if (strict) {
        let L;
        try { L = await leases(); } catch { L = null; }
        if (L) {
          for (const b of bots) {
            const a = L0.get(b.id);
            const c = L.get(b.id);
            if (a && (!c || c.node !== a.node)) seen.add(`${b.name}: moved from ${a.node} to ${c?.node ?? 'nobody'}`);
          }
        }
      }
      await sleep(300);
    }
    return {
      problems: [...seen],
      logins: logins.slice(loginMark).filter((l) => botByPhone(l.phone)),
      replaced: replacements.slice(replMark).filter((r) => botByPhone(r.phone)),
    };
  }

  // ---- traffic from the peers -------------------------------------------------------------
  async function sendOne(pi, bot, tag) {
    const m = await peers[pi].sendText(`${bot.phone}@s.whatsapp.net`, `${tag} ${pi}->${bot.name} #${sent.length}`);
    sent.push({ peer: pi, bot: bot.phone, session: bot.id, id: m.key.id, tag, at: Date.now() });
    return m;
  }

  /** Every peer writes to `targets` in turn, one message each `everyMs`, until stop(). */
  /** Traffic loops not stopped yet: a test that failed midway leaves its loop to the next one. */
  const trafficLoops = new Set();

  function background(targets, tag, everyMs = 400) {
    let stopped = false;
    const errors = [];
    const halt = async () => { stopped = true; await Promise.all(loops); };
    trafficLoops.add(halt);
    const loops = peers.map(async (_, pi) => {
      let k = pi;
      while (!stopped) {
        try { await sendOne(pi, targets[k++ % targets.length], tag); } catch (err) { errors.push(err.message); }
        await sleep(everyMs);
      }
    });
    return {
      async stop() {
        trafficLoops.delete(halt);
        await halt();
        const n = sent.filter((s) => s.tag === tag).length;
        log(`  ${tag}: the peers sent ${n} messages`);
        assert.deepEqual(errors, [], 'a peer could not send');
        return n;
      },
    };
  }

  const accepted = (q) => q.json?.event === 'message.received' && (q.answered ?? 200) < 300;

  /**
   * Every message the peers sent so far reached the receiver (answered 2xx), none under two
   * X-Webhook-Ids, no webhook for a message nobody sent, and per chat (peer -> bot) the first
   * accepted delivery of each message follows the order the peer sent them.
   */
  async function checkMessages(label, timeoutMs = 60000) {
    const t0 = Date.now();
    const missing = () => {
      const got = new Set(rx.requests.filter(accepted).map((q) => q.json.message.id));
      return sent.filter((s) => !got.has(s.id));
    };
    await waitFor(() => missing().length === 0, { timeoutMs, intervalMs: 200 });
    const lost = missing();
    const related = [...new Set(lost.flatMap((s) => [s.id, s.session]))];
    const trace = lost.length ? await traceLost(lost) : '';
    assert.deepEqual(lost.map((s) => `${s.tag}: ${s.id} to ${s.bot}`), [], `${label}: messages never reached the receiver\n${trace}\n${nodeLogs(related)}`);
    const idsOf = new Map();
    for (const q of rx.requests) {
      if (q.json?.event !== 'message.received') continue;
      const id = q.json.message.id;
      if (!idsOf.has(id)) idsOf.set(id, new Set());
      idsOf.get(id).add(q.headers['x-webhook-id']);
    }
    const two = [...idsOf].filter(([, s]) => s.size > 1).map(([id, s]) => `${id}: ${[...s].join(', ')}`);
    assert.deepEqual(two, [], `${label}: messages delivered under two X-Webhook-Ids`);
    const known = new Set(sent.map((s) => s.id));
    assert.deepEqual([...idsOf.keys()].filter((id) => !known.has(id)), [], `${label}: webhooks for messages nobody sent`);
    const firsts = [];
    const seenIds = new Set();
    for (const q of rx.requests.filter(accepted)) {
      if (!seenIds.has(q.json.message.id)) { seenIds.add(q.json.message.id); firsts.push(q.json.message.id); }
    }
    const pos = new Map(firsts.map((id, i) => [id, i]));
    const chats = new Map();
    for (const s of sent) {
      const k = `${s.peer}>${s.bot}`;
      if (!chats.has(k)) chats.set(k, []);
      chats.get(k).push(s.id);
    }
    const broken = [];
    for (const [k, ids] of chats) {
      const got = [...ids].sort((x, y) => pos.get(x) - pos.get(y));
      if (JSON.stringify(got) !== JSON.stringify(ids)) broken.push(`${k}: sent ${ids.join(' ')}; first delivered ${got.join(' ')}`);
    }
    assert.deepEqual(broken, [], `${label}: per-chat order broken`);
    assert.deepEqual(rx.problems, [], 'webhook payloads as docs/openapi.json documents them');
    log(`  ${label}: all ${sent.length} messages so far delivered once per X-Webhook-Id, in per-chat order (waited ${Date.now() - t0} ms)`);
  }

  /**
   * Where lost messages got stuck: the emulator's events naming them and the bot's connections
   * around them (which process owned each), and their rows in the database.
   */
  async function traceLost(lost) {
    const out = [];
    const events = emu.emu.log.events;
    for (const m of lost) {
      out.push(`--- ${m.tag}: ${m.id} to ${m.bot} (session ${m.session}), sent at +${m.at - t0run} ms`);
      const mine = events.filter((e) => JSON.stringify(e).includes(m.id));
      const from = (mine[0]?.ts ?? m.at) - 10000;
      const botConns = new Set(logins.filter((l) => l.phone === m.bot).map((l) => l.conn));
      const conns = events.filter((e) => ['login', 'replaced', 'disconnect'].includes(e.kind) && e.ts >= from && e.ts <= from + 120000 &&
        (phoneOf(e.jid) === m.bot || botConns.has(e.conn)));
      const seen = new Set();
      for (const e of [...mine, ...conns].sort((x, y) => x.seq - y.seq)) {
        if (seen.has(e.seq)) continue;
        seen.add(e.seq);
        out.push(`  emulator +${e.ts - t0run} ms ${JSON.stringify({ ...e, owner: connOwner.get(e.conn) })}`);
      }
      const queries = [
        `SELECT 'messages_log', id, direction, timestamp FROM messages_log WHERE message_id = '${m.id}'`,
        `SELECT 'analytics', id, webhook_sent, webhook_success, error_message FROM analytics WHERE message_id = '${m.id}'`,
        `SELECT 'webhook_deliveries', id, delivery_id, status, attempts, next_attempt_ms, created_ms, finished_ms, last_status_code, last_error FROM webhook_deliveries WHERE message_id = '${m.id}'`,
        `SELECT 'webhook_attempts', a.attempt, a.started_ms, a.status_code, a.error FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.message_id = '${m.id}'`,
      ];
      for (const q of queries) {
        try {
          const rows = await psql(q);
          if (!rows.length) out.push(`  db ${q.split("'")[1]}: no row`);
          for (const r of rows) {
            out.push(`  db ${r.join(' | ')}`);
            // The node log lines of a delivery name its delivery_id, not the message.
            if (r[0] === 'webhook_deliveries') {
              for (const n of nodes.values()) for (const e of n.gw.logs.filter((x) => JSON.stringify(x).includes(r[2]))) out.push(`  ${n.id}: ${JSON.stringify(e).slice(0, 300)}`);
            }
          }
        } catch (err) { out.push(`  db unreadable: ${String(err.stderr ?? err.message).split('\n')[0]}`); }
      }
    }
    return out.join('\n');
  }

  /** Moves sessions to `target` until it holds `want`: stop through it, start through it. */
  async function moveTo(target, want) {
    for (;;) {
      const L = await leases();
      const counts = countsOf(L);
      const need = want - (counts.get(target.id) ?? 0);
      if (need <= 0) return;
      const donors = up().filter((n) => n !== target).sort((x, y) => (counts.get(y.id) ?? 0) - (counts.get(x.id) ?? 0));
      const picks = [];
      for (const d of donors) {
        for (const b of bots) if (picks.length < Math.min(need, 3) && L.get(b.id)?.live && L.get(b.id).node === d.id && !picks.includes(b)) picks.push(b);
      }
      assert.ok(picks.length > 0, `no session to move to ${target.id}: ${countsText(counts)}`);
      await Promise.all(picks.map(async (b) => {
        const st = await req(target, 'POST', `/api/v1/sessions/${b.id}/stop`);
        stoppedHere.add(b.id);
        assert.equal(st.status, 200, st.text);
        const r = await req(target, 'POST', `/api/v1/sessions/${b.id}/start`);
        assert.equal(r.status, 200, r.text);
        stoppedHere.delete(b.id);
        assert.equal(r.json.data.status, 'connected', `start of a paired session through ${target.id}: ${r.text}`);
        assert.equal(r.json.data.node_id, target.id, r.text);
        assert.equal(await ownerOf(b.id), target.id, `a start on ${target.id}, which holds fewer than its share + 1, runs there`);
      }));
    }
  }

  /**
   * The node a session runs on: its lease's node, once the detail's node_id (asked on a running
   * node) agrees with it; a node's view may lag by a lease round, not more (RENEW + 2 s here).
   */
  async function ownerOf(id, n = up()[0]) {
    const t0 = Date.now();
    for (;;) {
      const r = await req(n, 'GET', `/api/v1/sessions/${id}`);
      assert.equal(r.status, 200, r.text);
      const lease = (await leases()).get(id);
      const want = lease?.live ? lease.node : null;
      if (r.json.data.node_id === want) {
        timings.node_id_lag_max = Math.max(timings.node_id_lag_max ?? 0, Date.now() - t0);
        return want;
      }
      if (Date.now() - t0 > RENEW * 1000 + 2000) assert.fail(`GET /api/v1/sessions/${id} on ${n.id}: node_id ${JSON.stringify(r.json.data.node_id)}, lease ${JSON.stringify(want)} for ${Date.now() - t0} ms`);
      await sleep(100);
    }
  }

  /** Sessions this file stopped and has not started again (repair() starts them). */
  const stoppedHere = new Set();

  /** Starts again what a failed test left stopped, so that one failure does not fail the rest. */
  async function repair() {
    for (const id of [...stoppedHere]) {
      const r = await req(up()[0], 'POST', `/api/v1/sessions/${id}/start`);
      log(`  repair: started ${id} left stopped by an earlier failure: ${r.status}`);
      stoppedHere.delete(id);
    }
  }

  async function checkReady() {
    if (!ready) throw new Error('the cluster was not set up (see the first failure)');
    for (const halt of [...trafficLoops]) { trafficLoops.delete(halt); await halt(); }
    await repair();
  }

  const health = async (n) => {
    const r = await req(n, 'GET', '/health');
    assert.equal(r.status, 200, r.text);
    return r.json;
  };

  before(async () => {
    t0run = Date.now();
    pgRoot = mkdtempSync(path.join(os.tmpdir(), 'gw-cluster-pg-'));
    pgDir = path.join(pgRoot, 'pg');
    pgUrl = execFileSync(PG_SH, ['init', pgDir], { encoding: 'utf8' }).trim();
    await psql('CREATE DATABASE cluster', pgUrl);
    const u = new URL(pgUrl);
    u.pathname = '/cluster';
    dbUrl = u.toString();
    proxy = await startPauseProxyThread({ targetPort: Number(u.port) });
    u.port = String(proxy.port);
    proxyUrl = u.toString();
    emu = await startEmulator();
    emuWsPort = Number(new URL(emu.ws_url).port);
    hookEmulatorLog();
    rx = await startReceiver();
    rx.respond = (entry) => {
      const status = failing.has(entry.json?.session_id) ? 503 : 200;
      entry.answered = status;
      return { status, body: '{}' };
    };
    for (let i = 0; i < PEERS; i++) peers.push(await pairedPeer(emu.control_url, String(PEER_BASE + i + 1), { pushName: `Peer ${i}` }));
    log(`PostgreSQL ${pgUrl}, node-b through the pause proxy on ${proxy.port}; ${PEERS} peers paired (${Date.now() - t0run} ms); gateway ${gatewayBin}`);
  });

  after(async () => {
    // CLUSTER_LOG_DIR=DIR keeps every node process's log lines there (one file per process).
    if (process.env.CLUSTER_LOG_DIR) {
      mkdirSync(process.env.CLUSTER_LOG_DIR, { recursive: true });
      for (const [k, g] of allProcesses.entries()) {
        const name = `${String(k).padStart(2, '0')}-${g.env.NODE_ID ?? 'single'}.log`;
        writeFileSync(path.join(process.env.CLUSTER_LOG_DIR, name), `${g.logs.map((e) => JSON.stringify(e)).join('\n')}\n${g.stderr}`);
      }
      writeFileSync(path.join(process.env.CLUSTER_LOG_DIR, 'emulator.log'), emu ? emu.emu.log.events.map((e) => JSON.stringify(e)).join('\n') : '');
    }
    for (const n of nodes.values()) {
      if (n.state === 'stopped') { try { signal(n, 'SIGCONT'); } catch {} }
    }
    if (proxy?.paused) proxy.resume();
    for (const halt of [...trafficLoops]) { trafficLoops.delete(halt); await halt(); }
    for (const p of peers) await p.stop().catch(() => {});
    await Promise.all([...nodes.values()].map(async (n) => {
      const stop = n.gw.stop('SIGTERM');
      const t = setTimeout(() => { try { n.gw.child.kill('SIGKILL'); } catch {} }, 20000);
      await stop;
      clearTimeout(t);
      rmSync(n.dir, { recursive: true, force: true });
    }));
    await rx?.close();
    await emu?.stop();
    await proxy?.close();
    if (pgDir) { try { execFileSync(PG_SH, ['destroy', pgDir]); } catch {} }
    if (pgRoot) rmSync(pgRoot, { recursive: true, force: true });
    log(`timings (ms): ${JSON.stringify(timings)}; whole file ${Date.now() - t0run} ms`);
    if (process.env.CLUSTER_DEBUG_HANDLES) setTimeout(() => log(`still open: ${JSON.stringify(process.getActiveResourcesInfo())}`), 3000).unref();
    // After a full run with failures the file's process was seen to stay alive for minutes once
    // everything above was closed (the open handle is not identified yet): leave anyway, with the
    // exit code the test runner set, so that the suite does not wait on it.
    setTimeout(() => process.exit(process.exitCode ?? 0), 15000).unref();
  });

  test('lease settings out of range are refused naming the variable; a renew interval under a second is accepted', async () => {
    await psql('CREATE DATABASE probe', pgUrl);
    const u = new URL(pgUrl);
    u.pathname = '/probe';
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-cluster-probe-'));
    try {
      const env = { CLUSTER_ENABLED: 'true', DATABASE_URL: u.toString(), NODE_ID: 'probe' };
      const short = await runToExit({ ...env, LEASE_TTL_SECONDS: '1' }, dir);
      assert.equal(short.listened, false, 'LEASE_TTL_SECONDS=1 (minimum 2) accepted');
      assert.notEqual(short.code, 0);
      assert.match(short.out, /LEASE_TTL_SECONDS/, short.out.slice(-1500));
      const slow = await runToExit({ ...env, LEASE_TTL_SECONDS: '4', LEASE_RENEW_SECONDS: '2' }, dir);
      assert.equal(slow.listened, false, 'LEASE_RENEW_SECONDS=2 with LEASE_TTL_SECONDS=4 (must be < TTL/2) accepted');
      assert.notEqual(slow.code, 0);
      assert.match(slow.out, /LEASE_RENEW_SECONDS/, slow.out.slice(-1500));
      const half = await runToExit({ ...env, LEASE_TTL_SECONDS: '2', LEASE_RENEW_SECONDS: '500ms' }, dir);
      assert.equal(half.listened, true, `LEASE_RENEW_SECONDS=500ms with LEASE_TTL_SECONDS=2 refused:\n${half.out.slice(-1500)}`);
      assert.equal(half.code, 0, `exit after SIGTERM: ${half.code} ${half.signal}\n${half.out.slice(-3000)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${SESSIONS} sessions paired through three nodes spread over them (each at most ceil(n/live)+1)`, async () => {
    const t0 = Date.now();
    await Promise.all(NODE_IDS.map((id) => startNode(id)));
    log(`3 nodes up (${Date.now() - t0} ms)`);
    const a = nodes.get('node-a');
    ({ pin } = await newUser(a.gw));
    for (const n of nodes.values()) n.token = await login(n.gw, pin);
    // A load balancer spreads requests: creation and start go round-robin over the nodes.
    const order = NODE_IDS.map((id) => nodes.get(id));
    for (let i = 0; i < SESSIONS; i++) {
      const s = await createSession(order[i % 3].gw, order[i % 3].token, `bot ${String(i).padStart(2, '0')}`, rx.url);
      bots.push({ i, name: `bot ${String(i).padStart(2, '0')}`, id: s.session_id, phone: String(BOT_BASE + i + 1) });
    }
    const tPair = Date.now();
    for (let k = 0; k < SESSIONS; k += BATCH) {
      const batch = bots.slice(k, k + BATCH);
      await Promise.all(batch.map(async (b) => {
        const n = order[b.i % 3];
        const st = await req(n, 'POST', `/api/v1/sessions/${b.id}/start`);
        assert.equal(st.status, 200, st.text);
        assert.equal(st.json.data.status, 'qr', st.text);
        await emu.scan(b.phone, st.json.data.qr_text);
      }));
      const ok = await waitFor(async () => {
        const r = await peek(order[k / BATCH % 3], 'GET', '/api/v1/sessions');
        const m = new Map((r.json?.data ?? []).map((s) => [s.session_id, s.status]));
        return batch.every((b) => m.get(b.id) === 'connected');
      }, { timeoutMs: 60000, intervalMs: 200 });
      assert.ok(ok, `batch ${k / BATCH}: not all connected 60 s after the scans\n${nodeLogs()}`);
    }
    timings.pair_30 = Date.now() - tPair;
    log(`${SESSIONS} sessions paired in ${timings.pair_30} ms`);
    await settle('after pairing');
    ready = true;
    const counts = countsOf(await leases());
    log(`spread: ${countsText(counts)}`);
    const limit = shareLimit(SESSIONS, 3);
    for (const id of NODE_IDS) {
      const c = counts.get(id) ?? 0;
      assert.ok(c >= 1, `${id} runs no session: ${countsText(counts)}`);
      assert.ok(c <= limit, `${id} runs ${c} > ceil(${SESSIONS}/3)+1 = ${limit}: ${countsText(counts)}`);
    }
    assert.equal([...counts.values()].reduce((x, y) => x + y, 0), SESSIONS);
    // /health tells each node's view; the detail of one session names its node.
    for (const id of NODE_IDS) {
      const h = await health(nodes.get(id));
      assert.ok(h.cluster, `/health of ${id} has no cluster object: ${JSON.stringify(h)}`);
      assert.equal(h.cluster.node_id, id);
      assert.equal(h.cluster.sessions, counts.get(id) ?? 0, `${id}: /health cluster.sessions`);
      assert.equal(h.cluster.live_nodes, 3, `${id}: /health cluster.live_nodes`);
    }
    const L = await leases();
    for (const b of bots.slice(0, 3)) {
      const d = await req(a, 'GET', `/api/v1/sessions/${b.id}`);
      assert.equal(d.status, 200, d.text);
      assert.equal(d.json.data.node_id, L.get(b.id).node);
      assert.equal(d.json.data.status, 'connected');
    }
    const rows = (await psql('SELECT node_id FROM cluster_nodes ORDER BY node_id')).map((r) => r[0]);
    for (const id of NODE_IDS) assert.ok(rows.includes(id), `cluster_nodes lists ${id}: ${rows}`);
    await recordApi('after pairing');
  });

  test('API calls on one node for a session another node owns get the owner\'s real result', async () => {
    await checkReady();
    await settle('before the API calls');
    const L = await leases();
    const b = nodes.get('node-b');
    const a = nodes.get('node-a');
    const c = nodes.get('node-c');
    const s = bots.find((x) => L.get(x.id)?.node === b.id);
    assert.ok(s, 'node-b owns a session');
    const path1 = `/api/v1/sessions/${s.id}`;

    const got = await req(a, 'GET', path1);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json.data.status, 'connected');
    assert.equal(got.json.data.node_id, b.id);
    assert.equal(got.json.data.phone_number, s.phone);

    const put = await req(a, 'PUT', path1, { body: { session_name: `${s.name} (renamed on node-a)` } });
    assert.equal(put.status, 200, put.text);
    assert.equal((await req(c, 'GET', path1)).json.data.session_name, `${s.name} (renamed on node-a)`);

    // send: the peer receives it from the device node-b runs.
    const peer = peers[0];
    const snt = await req(a, 'POST', `${path1}/send`, { body: { to: peer.phone, content: 'sent through node-a' } });
    assert.equal(snt.status, 200, snt.text);
    const arrived = await peer.waitMessage((m) => m.key.id === snt.json.data.message_id, 20000);
    assert.equal(arrived.message?.conversation ?? arrived.message?.extendedTextMessage?.text, 'sent through node-a');
    const logged = await req(c, 'GET', `${path1}/messages/${snt.json.data.message_id}`);
    assert.equal(logged.status, 200, logged.text);
    assert.equal(logged.json.data.direction, 'outgoing');

    // typing and mark-read through node-a: the peer sees both.
    const t0 = Date.now();
    const typing = await req(a, 'POST', `${path1}/typing`, { body: { to: peer.phone } });
    assert.equal(typing.status, 200, typing.text);
    assert.ok(await waitFor(() => peer.presences.some((u) => u.at >= t0 && Object.values(u.presences).some((v) => v.lastKnownPresence === 'composing')), { timeoutMs: 10000 }), 'the peer saw "typing…"');
    const updates = [];
    peer.on('update', (u) => updates.push(u));
    const incoming = await sendOne(0, s, 'api');
    await rx.next((q) => accepted(q) && q.json.message.id === incoming.key.id);
    const read = await req(a, 'POST', `${path1}/messages/${encodeURIComponent(incoming.key.id)}/read`);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.json.data, { message_id: incoming.key.id, read: true });
    assert.ok(await waitFor(() => updates.some((u) => u.key?.id === incoming.key.id && u.update?.status >= 4), { timeoutMs: 10000 }), 'the peer got the read receipt');

    // reconnect through node-a: a new login, still from node-b's process.
    const before = logins.filter((l) => l.phone === s.phone).length;
    const rec = await req(a, 'POST', `${path1}/reconnect`);
    assert.equal(rec.status, 200, rec.text);
    assert.equal(rec.json.data.status, 'connected', rec.text);
    assert.equal(rec.json.data.node_id, b.id, 'reconnect answers with the node that runs the session');
    const relogin = logins.filter((l) => l.phone === s.phone).slice(before);
    assert.ok(relogin.length >= 1, 'reconnect made a new login');
    assert.equal(relogin.at(-1).owner, b.id, 'the owner reconnected, not the node that was asked');

    // stop through node-a: the device goes offline, the lease goes.
    const stop = await req(a, 'POST', `${path1}/stop`);
    stoppedHere.add(s.id);
    assert.equal(stop.status, 200, stop.text);
    assert.equal(stop.json.data.status, 'disconnected');
    assert.equal(stop.json.data.status_reason, 'stopped');
    assert.equal(stop.json.data.node_id, null, 'a stopped session runs on no node');
    assert.ok(await waitFor(() => liveConnsOf(s.phone).length === 0, { timeoutMs: 10000 }), 'the device is offline after stop');
    assert.ok(await waitFor(async () => !(await leases()).get(s.id)?.live, { timeoutMs: 5000 }), 'no live lease for a stopped session');
    const stopped = await req(c, 'GET', path1);
    assert.equal(stopped.json.data.status, 'disconnected');
    assert.equal(await ownerOf(s.id, c), null, 'a stopped session runs on no node');

    // start through node-a, which holds fewer than its share + 1: it runs there now.
    const counts = countsOf(await leases());
    const running = [...counts.values()].reduce((x, y) => x + y, 0);
    const start = await req(a, 'POST', `${path1}/start`);
    assert.equal(start.status, 200, start.text);
    stoppedHere.delete(s.id);
    assert.equal(start.json.data.status, 'connected', start.text);
    assert.equal(start.json.data.node_id, await ownerOf(s.id), 'start answers with the node that runs the session');
    if ((counts.get(a.id) ?? 0) < shareLimit(running + 1, 3)) assert.equal(await ownerOf(s.id), a.id, `start on node-a (${countsText(counts)}) claims for node-a`);
    await settle('after stop/start through node-a');

    // A new session: started on node-b, its QR, phone code and deletion go through another node.
    const extra = await createSession(a.gw, a.token, 'extra', rx.url);
    const x = { name: 'extra', id: extra.session_id, phone: String(BOT_BASE + 99) };
    const st = await req(b, 'POST', `/api/v1/sessions/${x.id}/start`);
    assert.equal(st.status, 200, st.text);
    assert.equal(st.json.data.status, 'qr');
    const owner = await ownerOf(x.id);
    assert.ok(NODE_IDS.includes(owner), `a session showing its QR runs on a node: ${owner}`);
    const other = up().find((n) => n.id !== owner);
    const qr = await req(other, 'GET', `/api/v1/sessions/${x.id}/qr`);
    assert.equal(qr.status, 200, qr.text);
    assert.equal(qr.json.data.qr_text, st.json.data.qr_text, 'the QR the owner shows');
    await emu.control('POST', '/accounts', { phone: x.phone });
    const pc = await req(other, 'POST', `/api/v1/sessions/${x.id}/pair-code`, { body: { phone: `+${x.phone}` } });
    assert.equal(pc.status, 200, pc.text);
    assert.match(pc.json.data.code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    const linked = await emu.control('POST', `/accounts/${x.phone}/link-code`, { code: pc.json.data.code });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    assert.ok(await waitFor(async () => (await peek(other, 'GET', `/api/v1/sessions/${x.id}`)).json?.data?.status === 'connected', { timeoutMs: 20000 }), 'linked by phone code');
    assert.equal((await leases()).get(x.id)?.node, owner);
    const del = await req(other, 'DELETE', `/api/v1/sessions/${x.id}`);
    assert.equal(del.status, 200, del.text);
    assert.equal(del.json.data.logged_out, true, del.text);
    assert.ok(await waitFor(async () => (await emu.devices(x.phone)).length === 0, { timeoutMs: 10000 }), 'the device is gone from the phone');
    assert.equal((await req(nodes.get(owner), 'GET', `/api/v1/sessions/${x.id}`)).status, 404);
    assert.ok(!(await leases()).get(x.id)?.live, 'no live lease for a deleted session');
    await checkMessages('API calls');
    await recordApi('API calls');
  });

  test('a WebSocket on one node gets the status and message events of a session another node runs', async () => {
    await checkReady();
    await settle('before the WebSockets');
    const L = await leases();
    const a = nodes.get('node-a');
    const c = nodes.get('node-c');
    const s = bots.find((x) => L.get(x.id)?.node === 'node-b');
    const one = await WsClient.open(wsUrl(a.gw, `/ws/sessions/${s.id}`, a.token));
    const all = await WsClient.open(wsUrl(c.gw, '/ws', c.token));
    try {
      const first = await one.next('status_update', 10000);
      assert.equal(first.session_id, s.id);
      assert.equal(first.data.status, 'connected');
      const m = await sendOne(1, s, 'ws');
      const got = await one.next((e) => e.type === 'message_received' && e.data.message_id === m.key.id, 20000);
      assert.equal(got.session_id, s.id);
      await all.next((e) => e.type === 'message_received' && e.data.message_id === m.key.id, 20000);
      await emu.fault({ phone: s.phone, kind: 'drop' });
      await one.next((e) => e.type === 'status_update' && e.data.status === 'disconnected', 20000);
      await one.next((e) => e.type === 'status_update' && e.data.status === 'connected', 20000);
      await all.next((e) => e.type === 'status_update' && e.session_id === s.id && e.data.status === 'connected', 20000);
    } finally {
      one.close();
      all.close();
    }
    await settle('after the drop');
    await checkMessages('WebSockets');
    await recordApi('WebSockets');
  });

  test(`kill -9 of a node: its sessions run on the others within the lease + 10 s (${FAILOVER_MS} ms); no message lost or doubled`, async () => {
    await checkReady();
    await settle('before kill -9');
    const victim = nodes.get('node-c');
    const L = await leases();
    const mine = bots.filter((b) => L.get(b.id)?.node === victim.id);
    assert.ok(mine.length >= 1, 'node-c runs sessions');
    const targets = [...mine.slice(0, 6), ...bots.filter((b) => !mine.includes(b)).slice(0, 2)];
    // The receiver refuses the victim's webhooks for a while first, so that deliveries are
    // pending on it when it dies: the new owner sends them, with the same X-Webhook-Id.
    failing = new Set(mine.map((b) => b.id));
    const replMark = replacements.length;
    const traffic = background(targets, 'kill9');
    await sleep(2000);
    const tKill = Date.now();
    victim.gw.child.kill('SIGKILL');
    await victim.gw.exited;
    victim.state = 'dead';
    failing = new Set();
    log(`kill -9 node-c (${mine.length} sessions)`);
    const ms = await settle('after kill -9 of node-c', { deadline: tKill + FAILOVER_MS, since: tKill });
    timings.kill9_failover = ms;
    log(`  kill -9: all ${mine.length} sessions of node-c connected on the others in ${ms} ms (lease ${TTL} s)`);
    await sleep(1000);
    await traffic.stop();
    const counts = countsOf(await leases());
    const limit = shareLimit(SESSIONS, 2);
    for (const n of up()) assert.ok((counts.get(n.id) ?? 0) <= limit, `${n.id} took more than ceil(${SESSIONS}/2)+1 = ${limit}: ${countsText(counts)}`);
    log(`  after kill -9: ${countsText(counts)}`);
    const cross = replacements.slice(replMark).filter(crossNode);
    assert.deepEqual(cross.map(describeRepl), [], `two nodes ran one device\n${nodeLogs()}`);
    await checkMessages('kill -9');
    await recordApi('kill -9');
    const takenOver = sent.filter((s) => s.tag === 'kill9' && mine.some((b) => b.phone === s.bot)).filter((s) => {
      const ds = rx.requests.filter((q) => q.json?.message?.id === s.id);
      return ds.some((q) => q.answered === 503 && q.at < tKill) && ds.some((q) => q.answered < 300 && q.at > tKill);
    });
    log(`  ${takenOver.length} deliveries refused while node-c lived were delivered by the new owner`);
    assert.ok(takenOver.length >= 1, 'deliveries pending on the killed node are delivered by the new owner');
  });

  test('clock skew: a node an hour ahead, then an hour behind, holds its leases by the database clock', async () => {
    await checkReady();
    if (nodes.get('node-c').state !== 'dead') {
      // The kill -9 test did not get to its kill: do it here, so that node-c starts anew.
      nodes.get('node-c').gw.child.kill('SIGKILL');
      await nodes.get('node-c').gw.exited;
      nodes.get('node-c').state = 'dead';
    }
    const c = await startNode('node-c', { CLUSTER_CLOCK_SKEW_SECONDS: '3600' });
    await balanced('node-c back, its clock 1 h ahead');
    // A start through a node at its share + 1 goes to the live node with the fewest sessions:
    // stop one of the fewest's sessions and start it again through the fullest node.
    let L = await leases();
    let counts = countsOf(L);
    const byCount = up().sort((x, y) => (counts.get(y.id) ?? 0) - (counts.get(x.id) ?? 0));
    const over = byCount[0];
    const fewest = byCount[byCount.length - 1];
    const s = bots.find((b) => L.get(b.id)?.node === fewest.id);
    assert.equal((await req(over, 'POST', `/api/v1/sessions/${s.id}/stop`)).status, 200);
    stoppedHere.add(s.id);
    counts = countsOf(await leases());
    const running = [...counts.values()].reduce((x, y) => x + y, 0);
    assert.ok((counts.get(over.id) ?? 0) >= shareLimit(running + 1, 3), `${over.id} is at its share + 1 (${countsText(counts)})`);
    const r = await req(over, 'POST', `/api/v1/sessions/${s.id}/start`);
    assert.equal(r.status, 200, r.text);
    stoppedHere.delete(s.id);
    assert.equal(r.json.data.status, 'connected', r.text);
    assert.equal(await ownerOf(s.id), fewest.id, `start on ${over.id}, at its share + 1 (${countsText(counts)}), runs on the node with the fewest`);
    assert.equal(r.json.data.node_id, fewest.id, 'the answer names the node that runs it');
    await moveTo(c, 10);
    await settle('sessions moved to node-c (+1 h)');

    const leaseClock = async (label) => {
      const [row] = await psql(`SELECT count(*), min(extract(epoch FROM expires_at - now())), max(extract(epoch FROM expires_at - now())) FROM session_leases WHERE node_id = '${c.id}' AND expires_at > now()`);
      const [n, lo, hi] = row.map(Number);
      assert.ok(n >= 1, `${label}: node-c holds leases`);
      assert.ok(hi <= TTL + 1, `${label}: node-c's leases end ${hi.toFixed(1)} s from now by the database clock (lease ${TTL} s)`);
      assert.ok(lo > 0, `${label}: node-c's leases are live`);
      const [[hb]] = await psql(`SELECT extract(epoch FROM heartbeat_at - now()) FROM cluster_nodes WHERE node_id = '${c.id}'`);
      assert.ok(Math.abs(Number(hb)) <= TTL + 2, `${label}: node-c's heartbeat_at is ${Number(hb).toFixed(1)} s off the database clock`);
    };
    await leaseClock('+1 h');
    let o = await observe(2 * TTL * 1000, { strict: true });
    assert.deepEqual(o.problems, [], 'with node-c 1 h ahead, every session stays where it is, connected');
    assert.deepEqual(o.logins.map((l) => `${l.phone} from ${l.owner}`), [], 'no bot logged in again');
    assert.deepEqual(o.replaced.filter(crossNode).map(describeRepl), [], 'two nodes ran one device');

    // Its leases still expire on time when it dies.
    L = await leases();
    const mine = bots.filter((b) => L.get(b.id)?.node === c.id);
    const tKill = Date.now();
    c.gw.child.kill('SIGKILL');
    await c.gw.exited;
    c.state = 'dead';
    const ms = await settle('after kill -9 of node-c (+1 h)', { deadline: tKill + FAILOVER_MS, since: tKill });
    timings.kill9_failover_skewed = ms;
    log(`  kill -9 of node-c (+1 h): its ${mine.length} sessions connected elsewhere in ${ms} ms`);

    // An hour behind: its fresh leases must not look expired to the others.
    await startNode('node-c', { CLUSTER_CLOCK_SKEW_SECONDS: '-3600' });
    await balanced('node-c back, its clock 1 h behind');
    await moveTo(c, 10);
    await settle('sessions moved to node-c (-1 h)');
    await leaseClock('-1 h');
    o = await observe(3 * TTL * 1000, { strict: true });
    assert.deepEqual(o.problems, [], 'with node-c 1 h behind, nobody takes its sessions; all stay connected');
    assert.deepEqual(o.logins.map((l) => `${l.phone} from ${l.owner}`), [], 'no bot logged in again');
    assert.deepEqual(o.replaced.filter(crossNode).map(describeRepl), [], 'two nodes ran one device');
    // node-c's times are the database's (docs/CLUSTER.md "Clocks"): what it stores is dated now,
    // and a delivery another node left waiting for a retry goes out from node-c at once, not an
    // hour after its due time.
    const hc = await health(c);
    assert.ok(Math.abs(hc.cluster.clock_correction_ms - 3600 * 1000) < 5000, `node-c, 1 h behind, corrects its clock by +1 h: ${JSON.stringify(hc.cluster)}`);
    L = await leases();
    const onC = bots.find((b) => L.get(b.id)?.node === c.id);
    const dated = await sendOne(0, onC, 'skew');
    await rx.next((q) => accepted(q) && q.json.message.id === dated.key.id);
    const [[age]] = await psql(`SELECT extract(epoch FROM now() - created_at) FROM analytics WHERE message_id = '${dated.key.id}'`);
    assert.ok(Math.abs(Number(age)) < 60, `node-c (1 h behind) dated a message ${Number(age).toFixed(0)} s from the database's now`);
    const counts2 = countsOf(L);
    const donor = up().filter((n) => n !== c).sort((x, y) => (counts2.get(y.id) ?? 0) - (counts2.get(x.id) ?? 0))[0];
    const moving = bots.find((b) => L.get(b.id)?.node === donor.id);
    failing = new Set([moving.id]);
    const held = await sendOne(1, moving, 'skew');
    await rx.next((q) => q.json?.message?.id === held.key.id && q.answered === 503);
    assert.equal((await req(c, 'POST', `/api/v1/sessions/${moving.id}/stop`)).status, 200);
    stoppedHere.add(moving.id);
    const st = await req(c, 'POST', `/api/v1/sessions/${moving.id}/start`);
    assert.equal(st.status, 200, st.text);
    stoppedHere.delete(moving.id);
    assert.equal(st.json.data.node_id, c.id, `a start through node-c, under its share, runs there: ${st.text}`);
    failing = new Set();
    const tMoved = Date.now();
    await rx.next((q) => accepted(q) && q.json.message.id === held.key.id, 15000);
    log(`  a retry left pending by ${donor.id} went out from node-c (1 h behind) ${Date.now() - tMoved} ms after the move`);
    log(`  node-c stays at -1 h for the rest of the file: ${countsText(countsOf(await leases()))}`);
    await checkMessages('clock skew');
    await recordApi('clock skew');
  });

  test('SIGSTOP past the lease, then SIGCONT: the paused node does not run its sessions again (no replaced storm)', async () => {
    await checkReady();
    await settle('before SIGSTOP');
    const a = nodes.get('node-a');
    if ((countsOf(await leases()).get(a.id) ?? 0) < 5) await moveTo(a, 8);
    const L = await leases();
    const mine = bots.filter((b) => L.get(b.id)?.node === a.id);
    const targets = [...mine.slice(0, 6), ...bots.filter((b) => !mine.includes(b)).slice(0, 2)];
    const replMark = replacements.length;
    const traffic = background(targets, 'sigstop');
    await sleep(500);
    const tStop = Date.now();
    signal(a, 'SIGSTOP');
    a.state = 'stopped';
    log(`SIGSTOP node-a (${mine.length} sessions)`);
    let tCont;
    try {
      const ms = await settle('while node-a is stopped', { deadline: tStop + FAILOVER_MS, since: tStop });
      timings.sigstop_failover = ms;
      log(`  SIGSTOP: node-a's ${mine.length} sessions connected elsewhere in ${ms} ms`);
      const counts = countsOf(await leases());
      for (const n of up()) assert.ok((counts.get(n.id) ?? 0) <= shareLimit(SESSIONS, 2), `${n.id} took more than its share + 1: ${countsText(counts)}`);
      await sleep(Math.max(0, tStop + (TTL + 3) * 1000 - Date.now())); // well past the lease
    } finally {
      tCont = Date.now();
      signal(a, 'SIGCONT');
      a.state = 'up';
      log(`SIGCONT node-a after ${tCont - tStop} ms`);
    }
    // node-a is live again: the others, over their share + 1 now, hand it sessions (rebalancing),
    // each cut on its old node before node-a may claim it.
    const bal = await balanced('after SIGCONT', { since: tCont });
    log(`  after SIGCONT: balanced in ${bal} ms: ${countsText(countsOf(await leases()))}`);
    const o = await observe(2 * TTL * 1000);
    await traffic.stop();
    const during = replacements.slice(replMark).filter((r) => r.t < tCont && crossNode(r));
    const afterCont = replacements.slice(replMark).filter((r) => r.t >= tCont && crossNode(r));
    log(`  ${during.length} connections of the stopped node replaced while it was stopped; ${afterCont.length} cross-node replacements after SIGCONT; ${o.logins.length} bot logins after SIGCONT`);
    // A resumed node that reconnected (or kept) devices it lost would show here.
    assert.deepEqual(afterCont.map(describeRepl), [], `after SIGCONT, node-a ran a device another node runs (replaced storm)\n${nodeLogs()}`);
    assert.deepEqual(o.problems, [], `after SIGCONT every session stays owned once and connected\n${nodeLogs()}`);
    const perPhone = new Map();
    for (const r of during) perPhone.set(r.phone, (perPhone.get(r.phone) ?? 0) + 1);
    assert.deepEqual([...perPhone].filter(([, k]) => k > 1), [], 'at most one replacement per device while node-a was stopped');
    const h = await health(a);
    assert.equal(h.cluster.sessions, countsOf(await leases()).get(a.id) ?? 0, 'node-a\'s /health counts only the leases it holds');
    await settle('after SIGCONT');
    await checkMessages('SIGSTOP');
    await recordApi('SIGSTOP');
  });

  test('a network pause between node-b and PostgreSQL past the lease: node-b stops its clients before the others take over; nothing lost', async () => {
    await checkReady();
    await settle('before the network pause');
    const b = nodes.get('node-b');
    if ((countsOf(await leases()).get(b.id) ?? 0) < 5) await moveTo(b, 8);
    const L = await leases();
    const mine = bots.filter((x) => L.get(x.id)?.node === b.id);
    const targets = [...mine.slice(0, 6), ...bots.filter((x) => !mine.includes(x)).slice(0, 2)];
    const replMark = replacements.length;
    const traffic = background(targets, 'netpause');
    await sleep(500);
    const tPause = Date.now();
    proxy.pause();
    b.state = 'cut';
    log(`network pause between node-b and PostgreSQL (${mine.length} sessions)`);
    try {
      const ms = await settle('while node-b is cut off', { deadline: tPause + FAILOVER_MS, since: tPause });
      timings.netpause_failover = ms;
      log(`  network pause: node-b's ${mine.length} sessions connected elsewhere in ${ms} ms`);
      await sleep(Math.max(0, tPause + (TTL + 3) * 1000 - Date.now()));
    } finally {
      proxy.resume();
      b.state = 'up';
      log(`network back after ${Date.now() - tPause} ms`);
    }
    const bal = await balanced('after the network pause', { since: Date.now() });
    log(`  after the network pause: balanced in ${bal} ms: ${countsText(countsOf(await leases()))}`);
    const o = await observe(2 * TTL * 1000);
    await traffic.stop();
    const cross = replacements.slice(replMark).filter(crossNode);
    // node-b stops its sessions at its local deadline, one renewal before anyone may claim them,
    // and cuts their WhatsApp sockets from the lease thread even while their strands wait on the
    // unreachable database (the library's kill switch): no new owner's login may find one of
    // node-b's connections still open.
    assert.deepEqual(cross.map(describeRepl), [], `a connection of node-b was still open when the new owner logged in\n${nodeLogs()}`)
    assert.deepEqual(o.problems, [], `after the pause every session stays owned once and connected\n${nodeLogs()}`);
    await settle('after the network pause');
    await checkMessages('network pause');
    await recordApi('network pause');
  });

  test('PostgreSQL restart mid-run (down longer than the lease): every session ends owned once and connected; nothing lost', async () => {
    await checkReady();
    await settle('before the PostgreSQL restart');
    const L = await leases();
    const targets = [];
    for (const n of up()) targets.push(...bots.filter((x) => L.get(x.id)?.node === n.id).slice(0, 2));
    const replMark = replacements.length;
    const traffic = background(targets, 'pgrestart');
    await sleep(500);
    const tDown = Date.now();
    await pg('stop');
    log('PostgreSQL stopped');
    try {
      await sleep((TTL + 2) * 1000);
    } finally {
      await pg('start');
    }
    const tUp = Date.now();
    log(`PostgreSQL started after ${tUp - tDown} ms`);
    const ms = await settle('after the PostgreSQL restart', { deadline: tUp + 30000, since: tUp });
    timings.pg_restart_recovery = ms;
    log(`  PostgreSQL restart: all sessions owned once and connected ${ms} ms after it came back`);
    const after = await leases();
    const counts = countsOf(after);
    log(`  after the PostgreSQL restart: ${countsText(counts)}`);
    // Every node was alive through the outage: each keeps its own sessions (no node takes the
    // others' expired leases in its first lease time back; docs/CLUSTER.md, "After an outage").
    const moved = bots.filter((b) => L.get(b.id)?.node !== after.get(b.id)?.node)
      .map((b) => `${b.name ?? b.id}: ${L.get(b.id)?.node} -> ${after.get(b.id)?.node}`);
    assert.deepEqual(moved, [], 'sessions moved between live nodes across the PostgreSQL restart');
    await sleep(1000);
    await traffic.stop();
    const cross = replacements.slice(replMark).filter(crossNode);
    assert.deepEqual(cross.map(describeRepl), [], `two nodes ran one device around the PostgreSQL restart\n${nodeLogs()}`);
    const o = await observe(2 * TTL * 1000);
    assert.deepEqual(o.problems, [], `after the restart every session stays owned once and connected\n${nodeLogs()}`);
    await checkMessages('PostgreSQL restart');
    await recordApi('PostgreSQL restart');
  });

  test(`SIGTERM: the node hands its sessions over; all connected elsewhere quickly (target 5 s, asserted < ${SIGTERM_MS} ms)`, async () => {
    await checkReady();
    await settle('before SIGTERM');
    let counts = countsOf(await leases());
    log(`  before SIGTERM: ${countsText(counts)}`);
    const target = up().sort((x, y) => (counts.get(y.id) ?? 0) - (counts.get(x.id) ?? 0))[0];
    const L = await leases();
    const mine = bots.filter((x) => L.get(x.id)?.node === target.id);
    assert.ok(mine.length >= 1);
    const targets = [...mine.slice(0, 6), ...bots.filter((x) => !mine.includes(x)).slice(0, 2)];
    const replMark = replacements.length;
    const traffic = background(targets, 'sigterm');
    await sleep(500);
    const t0 = Date.now();
    target.gw.child.kill('SIGTERM');
    target.state = 'leaving';
    const ms = await settle(`after SIGTERM of ${target.id}`, { deadline: t0 + 20000, since: t0 });
    timings.sigterm_handover = ms;
    log(`  SIGTERM: ${target.id}'s ${mine.length} sessions connected elsewhere in ${ms} ms${ms > 5000 ? ' (above the 5 s target)' : ''}`);
    const exit = await target.gw.exited;
    target.state = 'dead';
    assert.equal(exit.code, 0, `${target.id} exit after SIGTERM: ${JSON.stringify(exit)}\n${target.gw.stderr.slice(-1500)}`);
    assert.ok(ms < SIGTERM_MS, `handover took ${ms} ms`);
    await sleep(1000);
    await traffic.stop();
    const cross = replacements.slice(replMark).filter(crossNode);
    assert.deepEqual(cross.map(describeRepl), [], `two nodes ran one device during the handover\n${nodeLogs()}`);
    // GATEWAY-BUG candidate: with READY v4 one message sent during this handover was delivered by
    // the emulator to the new owner's connection and acknowledged (receipt), but never reached the
    // receiver within 60 s.
    await checkMessages('SIGTERM');

    // Back to three nodes: the two others hold more than their share + 1 now and hand the
    // surplus to the node that came back (rebalancing) while the peers write to all of them;
    // nothing is lost, no device runs on two nodes.
    const before = countsOf(await leases());
    const rejoinMark = replacements.length;
    const rejoin = background(bots.slice(0, 12), 'rejoin');
    const tJoin = Date.now();
    await startNode(target.id, target.extra);
    const bal = await balanced('three nodes again', { since: tJoin });
    timings.rebalance_on_join = bal;
    const afterJoin = countsOf(await leases());
    log(`  rebalancing: ${countsText(before)} -> ${countsText(afterJoin)} in ${bal} ms`);
    assert.ok((afterJoin.get(target.id) ?? 0) >= SESSIONS - 2 * shareLimit(SESSIONS, 3), `${target.id} got the others' surplus: ${countsText(afterJoin)}`);
    await sleep(1000);
    await rejoin.stop();
    assert.deepEqual(replacements.slice(rejoinMark).filter(crossNode).map(describeRepl), [], `two nodes ran one device while rebalancing\n${nodeLogs()}`);
    await checkMessages('rebalancing');
    // /health's live_nodes is each node's view as of its last lease round (one renewal later).
    await waitFor(async () => {
      for (const n of up()) if ((await health(n)).cluster.live_nodes !== 3) return false;
      return true;
    }, { timeoutMs: (RENEW + 2) * 1000, intervalMs: 200 }).catch(() => {});
    counts = countsOf(await leases());
    let total = 0;
    for (const n of up()) {
      const h = await health(n);
      assert.equal(h.cluster.node_id, n.id);
      assert.equal(h.cluster.live_nodes, 3, `${n.id}: live_nodes`);
      assert.equal(h.cluster.sessions, counts.get(n.id) ?? 0, `${n.id}: sessions`);
      total += h.cluster.sessions;
    }
    assert.equal(total, SESSIONS);
    log(`end: ${countsText(counts)}`);
    await recordApi('SIGTERM and three nodes again');
  });

  test('every node\'s session list agreed with the leases after each scenario (within a lease round)', async () => {
    await checkReady();
    // Was a GATEWAY-BUG with READY v2 (fixed in v3/v4): a node that ran a session before listed
    // its own stale state for it after the session moved (e.g. "disconnected (stopped)" after
    // stop + start elsewhere, while GET /api/v1/sessions/:id on the same node said connected).
    const bad = apiChecks.filter((c) => c.problems.length).map((c) => `${c.label}: ${c.problems.length} disagreements, e.g.\n    ${c.problems.slice(0, 6).join('\n    ')}`);
    assert.deepEqual(bad, []);
  });

  test('no sanitizer report from any gateway process', () => {
    const reports = allProcesses.filter((g) => hasSanitizerReport(g.stderr));
    assert.deepEqual(reports.map((g) => g.stderr.slice(0, 3000)), []);
  });
});
