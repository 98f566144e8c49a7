// Crash and fault campaigns (see docs/CAMPAIGNS.md): the real wa-gateway binary, the project's
// emulator with real Baileys peers, a real local webhook receiver that records every delivery,
// and a seeded schedule of peer messages mixed with trouble: kill -9 of the gateway, PostgreSQL
// stopped and started, emulator faults (drop, stream errors, pause), slow / failing / hanging
// receivers, a failing media host. The seed is printed; the same seed gives the same schedule.
// At the end: every message the peers sent reached the receiver at least once, never under two
// X-Webhook-Ids, in per-chat order; the analytics rows equal the messages; the emulator holds no
// unacknowledged stanza; every session is in the state its faults call for.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pairedPeer } from '../../emulator/src/peer.mjs';
import { call, freshPostgresDatabase, pgCtl, sleep, sql, startGateway, waitFor } from '../integration/harness.mjs';
import { createSession, newUser, startEmulator, waitSession } from '../integration/wa_env.mjs';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** A small deterministic PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), pick: (xs) => xs[Math.floor(next() * xs.length)], chance: (p) => next() < p };
}

/** A webhook receiver that records every request; `mode` decides the answers (ok|slow|fail|hang). */
export async function startRecorder() {
  const r = { deliveries: [], mode: 'ok', hanging: new Set() };
  r.server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', async () => {
      let json = null;
      try { json = JSON.parse(body); } catch { /* recorded as is */ }
      r.deliveries.push({ id: req.headers['x-webhook-id'], event: req.headers['x-webhook-event'], json, at: Date.now(), mode: r.mode });
      const mode = r.mode;
      if (mode === 'hang') { r.hanging.add(res); return; } // never answers; the gateway's timeout ends it
      if (mode === 'slow') await sleep(1500);
      res.writeHead(mode === 'fail' ? 500 : 200, { 'content-type': 'application/json' });
      res.end(mode === 'fail' ? '{"error":"down"}' : '{}');
    });
  });
  await new Promise((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${r.server.address().port}/webhook`;
  r.setMode = (m) => {
    r.mode = m;
    if (m !== 'hang') { for (const res of r.hanging) res.destroy(); r.hanging.clear(); }
  };
  r.close = () => new Promise((ok) => { for (const res of r.hanging) res.destroy(); r.server.closeAllConnections?.(); r.server.close(ok); });
  return r;
}

const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };

/**
 * Runs one campaign. kind: 'crash' (kill -9 and PostgreSQL stops) or 'fault'. Options: seed,
 * dialect ('sqlite'|'postgres'), messages (total peer messages), peers, kills, pgStops,
 * faults (count of injected faults for 'fault'), log (printer). Resolves with a summary
 * {seed, kills, pgStops, faults, messages, delivered, lost, duplicates}; throws (assert) when a
 * check fails.
 */
export async function runCampaign({ kind = 'crash', seed = Date.now() % 1e9, dialect = 'sqlite', messages = 30, peers = 2, kills = 2, pgStops = 0, faults = 4, log = (s) => process.stderr.write(`${s}\n`), phoneBase = 6289000000000 } = {}) {
  const R = rng(seed);
  log(`campaign ${kind} seed=${seed} dialect=${dialect} messages=${messages} peers=${peers} kills=${kills} pgStops=${pgStops} faults=${faults}`);
  if (pgStops && dialect !== 'postgres') throw new Error('pgStops needs dialect postgres');
  const media = kind === 'fault';
  const emu = await startEmulator({ media });
  const rx = await startRecorder();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `campaign-${kind}-`));
  const env = {
    ...relaxed,
    ...emu.env,
    WEBHOOK_RETRY_BACKOFF_SECONDS: '300ms',
    WEBHOOK_MAX_RETRIES: '100',
    WEBHOOK_TIMEOUT_SECONDS: '2s',
    ...(dialect === 'postgres' ? { DATABASE_URL: freshPostgresDatabase() } : {}),
  };
  if (media) {
    const caFile = path.join(dataDir, 'emulator-ca.pem');
    writeFileSync(caFile, emu.emu.info().media_ca_pem);
    Object.assign(env, { WHATSAPP_CA_FILE: caFile, MEDIA_DOWNLOAD_WAIT_SECONDS: '3s' });
  }
  let gw = null;
  const base = phoneBase + (seed % 1000) * 100;
  const bot = String(base);
  const botJid = `${bot}@s.whatsapp.net`;
  const peerList = [];
  const victims = []; // {id, phone, fault, expect}
  const sent = []; // {peer, id, n}
  const summary = { kind, seed, dialect, kills: 0, pgStops: 0, faults: [], messages: 0 };
  let pgDown = false;
  try {
    gw = await startGateway({ dialect, dataDir, env });
    const user = await newUser(gw);
    const main = await createSession(gw, user.token, 'campaign bot', rx.url);
    const link = async (id, phone) => {
      const st = await call(gw, 'POST', `/api/v1/sessions/${id}/start`, { token: user.token });
      assert.equal(st.status, 200, st.text);
      await emu.scan(phone, st.json.data.qr_text);
      await waitSession(gw, user.token, id, (d) => d.status === 'connected', { what: 'connected' });
    };
    await link(main.session_id, bot);
    if (kind === 'fault') {
      // Sessions that a fault ends for good: they must end in exactly that state.
      for (const [i, [fault, expect]] of [['replaced', 'replaced'], ['device_removed', 'logged_out']].entries()) {
        const phone = String(base + 50 + i);
        const s = await createSession(gw, user.token, `victim ${fault}`, rx.url);
        await link(s.session_id, phone);
        victims.push({ id: s.session_id, phone, fault, expect });
      }
    }
    for (let i = 0; i < peers; i++) peerList.push(await pairedPeer(emu.control_url, String(base + 10 + i), { pushName: `Peer ${i}` }));

    // The schedule: messages in order, each followed by a chance of trouble.
    const troubleEvery = Math.max(1, Math.floor(messages / Math.max(1, kills + pgStops + (kind === 'fault' ? faults : 0))));
    const plan = [];
    const pending = [...Array(kills).fill('kill'), ...Array(pgStops).fill('pg'), ...Array(kind === 'fault' ? faults : 0).fill('fault')];
    for (let n = 0; n < messages; n++) {
      plan.push({ op: 'send', peer: R.int(0, peers - 1), n, image: media && R.chance(0.15), pauseMs: R.int(0, 150) });
      if (pending.length && (n + 1) % troubleEvery === 0) plan.push({ op: pending.splice(R.int(0, pending.length - 1), 1)[0], at: n });
    }
    for (const op of pending) plan.push({ op, at: messages });
    log(`schedule: ${plan.filter((p) => p.op !== 'send').map((p) => `${p.op}@${p.at}`).join(' ')}`);

    const restart = async () => {
      gw = await startGateway({ dialect, dataDir, env });
    };
    const faultKinds = [
      { kind: 'drop' }, { kind: 'stream_error', code: '503' }, { kind: 'stream_error', code: '515' }, { kind: 'pause', seconds: 2 },
      { rx: 'slow' }, { rx: 'fail' }, { rx: 'hang' }, { media: 'status' },
    ];
    for (const step of plan) {
      if (step.op === 'send') {
        const p = peerList[step.peer];
        const text = `c${seed}-${step.n}`;
        const msg = step.image ? await p.sendImage(botJid, PNG, text) : await p.sendText(botJid, text);
        sent.push({ peer: step.peer, id: msg.key.id, n: step.n, image: step.image });
        if (step.pauseMs) await sleep(step.pauseMs);
      } else if (step.op === 'kill') {
        await sleep(R.int(0, 400));
        log(`  kill -9 after message ${step.at}`);
        await gw.stop('SIGKILL');
        summary.kills++;
        await sleep(R.int(0, 500));
        await restart();
      } else if (step.op === 'pg') {
        log(`  PostgreSQL stopped after message ${step.at}`);
        pgCtl('stop');
        pgDown = true;
        summary.pgStops++;
        // Messages keep arriving while the database is down.
        for (let k = 0; k < 3; k++) {
          const p = peerList[R.int(0, peers - 1)];
          const msg = await p.sendText(botJid, `c${seed}-pgdown-${step.at}-${k}`);
          sent.push({ peer: peerList.indexOf(p), id: msg.key.id, n: `pg${step.at}.${k}` });
        }
        await sleep(R.int(500, 2000));
        pgCtl('start');
        pgDown = false;
        log('  PostgreSQL started');
      } else if (step.op === 'fault') {
        const f = R.pick(faultKinds);
        summary.faults.push(f.rx ? `receiver ${f.rx}` : f.media ? 'media host 500' : `${f.kind}${f.code ? ` ${f.code}` : ''}`);
        log(`  fault after message ${step.at}: ${summary.faults.at(-1)}`);
        if (f.rx) {
          rx.setMode(f.rx);
          setTimeout(() => rx.setMode('ok'), R.int(1000, 3000)).unref();
        } else if (f.media) {
          // The next downloads fail (one fault per download, the queue is the emulator's).
          const r = await emu.control('POST', '/media/faults', { mode: 'status', status: 500, count: R.int(1, 3) });
          assert.equal(r.status, 200, JSON.stringify(r.body));
        } else {
          const r = await emu.fault({ phone: bot, kind: f.kind, code: f.code, seconds: f.seconds });
          assert.equal(r.status, 200, JSON.stringify(r.body));
        }
      }
    }
    if (kind === 'fault') {
      for (const v of victims) {
        const r = await emu.fault({ phone: v.phone, kind: 'stream_error', code: v.fault });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
    }
    rx.setMode('ok');
    summary.messages = sent.length;

    // Checks.
    const receivedOf = () => rx.deliveries.filter((d) => d.json?.event === 'message.received');
    const ids = new Set(sent.map((s) => s.id));
    const missing = () => sent.filter((s) => !receivedOf().some((d) => d.json.message.id === s.id));
    await waitFor(() => missing().length === 0, { timeoutMs: 60000, intervalMs: 200 });
    const lost = missing();
    summary.delivered = sent.length - lost.length;
    summary.lost = lost.length;
    assert.deepEqual(lost.map((s) => s.n), [], `seed ${seed}: messages never reached the receiver`);

    const byMessage = new Map();
    for (const d of receivedOf()) {
      const id = d.json.message.id;
      if (!byMessage.has(id)) byMessage.set(id, new Set());
      byMessage.get(id).add(d.id);
    }
    const twoIds = [...byMessage].filter(([, s]) => s.size > 1).map(([id]) => id);
    assert.deepEqual(twoIds, [], `seed ${seed}: messages delivered under two X-Webhook-Ids`);
    summary.duplicates = receivedOf().length - byMessage.size;
    assert.ok([...byMessage.keys()].every((id) => ids.has(id)), `seed ${seed}: a webhook for a message nobody sent`);

    // Per-chat order: the first delivery of each message follows the order its peer sent them.
    for (let i = 0; i < peers; i++) {
      const want = sent.filter((s) => s.peer === i).map((s) => s.id);
      const seen = [];
      for (const d of receivedOf()) {
        const id = d.json.message.id;
        if (want.includes(id) && !seen.includes(id)) seen.push(id);
      }
      if (JSON.stringify(seen) !== JSON.stringify(want)) {
        // What the gateway stored, to find where the order broke.
        const sentOf = sent.filter((s) => s.peer === i).map((s) => `${s.n}=${s.id}`).join(' ');
        const outbox = sql(gw, `SELECT id, message_id, chat_key, created_ms FROM webhook_deliveries WHERE session_id = '${main.session_id}' ORDER BY id`)
          .filter((r) => want.includes(r[1])).map((r) => r.join('|')).join('\n');
        const log2 = sql(gw, `SELECT id, message_id, chat_jid FROM messages_log WHERE session_id = '${main.session_id}' AND direction = 'incoming' ORDER BY id`)
          .filter((r) => want.includes(r[1])).map((r) => r.join('|')).join('\n');
        log(`order broken; sent: ${sentOf}\noutbox (id|message_id|chat_key|created_ms):\n${outbox}\nmessages_log (id|message_id|chat):\n${log2}`);
      }
      assert.deepEqual(seen, want, `seed ${seed}: per-chat order broken for peer ${i}`);
    }

    // Analytics: one row per message of the bot session, counted by the report too.
    const rows = sql(gw, `SELECT COUNT(*), COUNT(DISTINCT message_id) FROM analytics WHERE session_id = '${main.session_id}'`)[0];
    assert.deepEqual(rows.map(Number), [sent.length, sent.length], `seed ${seed}: analytics rows`);
    const report = await call(gw, 'GET', `/api/v1/analytics/sessions/${main.session_id}`, { token: user.token });
    assert.equal(report.status, 200, report.text);
    summary.analytics = report.json.data;

    // The emulator holds nothing unacknowledged for the bot (queued or in flight).
    const unacked = await waitFor(async () => {
      const u = (await emu.control('GET', '/unacked')).body.filter((x) => x.tag === 'message' && (x.who ?? '').startsWith(bot));
      return u.length === 0 ? [] : null;
    }, { timeoutMs: 15000, intervalMs: 200 });
    assert.deepEqual(unacked, [], `seed ${seed}: the emulator holds unacknowledged messages for the bot: ${JSON.stringify((await emu.control('GET', '/unacked')).body)}`);

    // Session states: the bot connected; each victim in the state its fault calls for.
    await waitSession(gw, user.token, main.session_id, (d) => d.status === 'connected', { what: 'connected at the end' });
    for (const v of victims) {
      await waitSession(gw, user.token, v.id, (d) => d.status !== 'connected' && d.status_reason === v.expect, { what: `${v.fault} -> ${v.expect}` });
    }
    log(`campaign ${kind} seed=${seed}: ${JSON.stringify({ ...summary, analytics: undefined })}`);
    return summary;
  } finally {
    if (pgDown) { try { pgCtl('start'); } catch { /* already up */ } }
    for (const p of peerList) await p.stop().catch(() => {});
    await gw?.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    await rx.close();
    await emu.stop();
  }
}
