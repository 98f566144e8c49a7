// Soak run of one wa-gateway process: SESSIONS bot sessions linked through the project's emulator
// (in this process), SENDERS Baileys peers sending a steady RATE messages per second spread over
// the bots, a webhook receiver in this process answering 200. Every SAMPLE seconds it records the
// gateway's resident memory (VmRSS), its open file descriptors, its database size (gateway.db plus
// its WAL on SQLite, pg_database_size on PostgreSQL) and the messages sent and delivered.
//   node bench/soak/run.mjs --bin GATEWAY [--pg-url URL] [--dialect sqlite|postgres]
//     [--sessions 100] [--senders 4] [--rate 5] [--minutes 30] [--sample 60] [--drain 60]
//     [--late-wait 0] [--out FILE]
// One JSON line per sample on stdout (and appended to --out); a summary line at the end.
// Every message sent is followed: when the sender's sendMessage resolved, what the emulator
// routed to the bot (its `message` log entry: devices delivered to) and which receipts the bot
// sent back for it, when the webhook receiver got it. A message not at the receiver --drain
// seconds after the last send ended (sends queued in the senders end after the traffic stops)
// is lost: one `lost` line each with its chat (sender -> bot), send time, the emulator's view,
// its rows in the gateway's database and the gateway log lines naming it. --late-wait S keeps
// waiting S more seconds for the lost ones (a late delivery, e.g. a webhook retry, is then told
// apart from a message that never comes). KEEP_DATA=1 keeps the gateway's data directory and
// log; their paths are in the summary.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Emulator } from '../../emulator/src/server.mjs'
import { pairedPeer } from '../../emulator/src/peer.mjs'
import { gatewayWithBots, note, resultLog, sleep } from '../lib/gateway_bench.mjs'

const { values: opt } = parseArgs({
  options: {
    bin: { type: 'string' },
    'pg-url': { type: 'string' },
    dialect: { type: 'string', default: 'sqlite' },
    sessions: { type: 'string', default: '100' },
    senders: { type: 'string', default: '4' },
    rate: { type: 'string', default: '5' },
    minutes: { type: 'string', default: '30' },
    sample: { type: 'string', default: '60' },
    drain: { type: 'string', default: '60' },
    'late-wait': { type: 'string', default: '0' },
    out: { type: 'string' }
  }
})
if (!opt.bin) throw new Error('--bin is required')
const sessions = Number(opt.sessions)
const rate = Number(opt.rate)
const { emit } = resultLog(opt.out)

// Emulator in this process; its per-stanza log entries are not kept in its log (a 30-minute run
// would keep every one of them in memory): the routing of a message and the receipts for it are
// kept here in short form, by message id.
const emu = new Emulator({ port: 0, controlPort: 0, media: false, qrFirstMs: 600000 })
const ready = await emu.start()
const addLog = emu.log.add.bind(emu.log)
const hot = new Set(['message', 'receipt', 'chatstate', 'presence', 'ack', 'iq'])
const routed = new Map() // message id -> [{to, delivered, undeliverable?, ts}] (every copy: a re-send routes again)
const receipts = new Map() // message id -> [{from, type, delivered, ts}]
const push = (m, id, v) => { const a = m.get(id); if (a) a.push(v); else m.set(id, [v]) }
emu.log.add = (kind, details) => {
  if (kind === 'message') push(routed, details.id, { from: details.from, to: details.to, delivered: details.delivered, ...(details.undeliverable ? { undeliverable: details.undeliverable } : {}), ts: Date.now() })
  else if (kind === 'receipt') push(receipts, details.id, { from: details.from, type: details.type, delivered: details.delivered, ts: Date.now() })
  return hot.has(kind) ? undefined : addLog(kind, details)
}
const control = async (method, p, body) => {
  const r = await fetch(ready.control_url + p, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) })
  const json = await r.json().catch(() => null)
  if (!r.ok) throw new Error(`emulator ${method} ${p}: ${r.status} ${JSON.stringify(json)}`)
  return json
}

const delivered = new Set()
const arrivals = new Map() // message id -> {ts, count} of message.received webhooks
const events = {} // webhook event -> count
let webhooks = 0
const rx = http.createServer((req, res) => {
  let body = ''
  req.on('data', (d) => { body += d })
  req.on('end', () => {
    webhooks++
    try {
      const j = JSON.parse(body)
      events[j.event] = (events[j.event] ?? 0) + 1
      if (j.event === 'message.received') {
        delivered.add(j.message.id)
        const a = arrivals.get(j.message.id)
        if (a) a.count++
        else arrivals.set(j.message.id, { ts: Date.now(), count: 1 })
      }
    } catch {}
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{}')
  })
})
await new Promise((resolve) => rx.listen(0, '127.0.0.1', resolve))

note(`linking ${sessions} sessions on ${opt.dialect}`)
const env = await gatewayWithBots({
  bin: opt.bin,
  dialect: opt.dialect,
  pgUrl: opt['pg-url'],
  tag: 'soak',
  host: { ws_url: ready.ws_url, root_public_key: emu.rootKey.public.toString('hex'), control },
  bots: sessions,
  webhookUrl: `http://127.0.0.1:${rx.address().port}/hook`,
  phoneBase: 15570000000
})
note(`linked in ${env.pairMs} ms; pairing ${opt.senders} senders`)
const senders = []
for (let i = 0; i < Number(opt.senders); i++) senders.push(await pairedPeer(ready.control_url, String(15579000000 + i), { pushName: `Soak ${i}` }))

const pid = env.gw.pid
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1])
const fds = () => readdirSync(`/proc/${pid}/fd`).length
const dbBytes = () => {
  if (env.dbUrl) return Number(execFileSync('psql', [env.dbUrl, '-qAt', '-c', 'SELECT pg_database_size(current_database())'], { encoding: 'utf8' }).trim())
  return ['gateway.db', 'gateway.db-wal', 'gateway.db-shm'].reduce((n, f) => { try { return n + statSync(path.join(env.dataDir, f)).size } catch { return n } }, 0)
}

let sent = 0
let failed = 0
let stop = false
const sentIds = []
const sends = new Map() // message id -> {k, sender, bot, called (ms), resolved (ms)}
const failures = [] // {k, sender, bot, called, error}
// Sends called and not settled yet. Baileys runs one sender's sends one at a time, so when the
// senders cannot keep up with --rate (a loaded machine) calls queue up in them: at most
// maxBacklog (10 s of traffic) are let wait; past that the driver waits instead of calling, so
// the rate reported is the one reached and the senders have little left to send when the
// traffic stops.
let inFlight = 0
let calls = 0
let lastSettled = Date.now()
const maxBacklog = Math.max(20, Math.ceil(rate * 10))
const traffic = (async () => {
  const interval = 1000 / rate
  let next = Date.now()
  let k = 0
  while (!stop) {
    if (inFlight >= maxBacklog) {
      await sleep(interval)
      next = Date.now()
      continue
    }
    const s = senders[k % senders.length]
    const bot = env.phones[k % sessions]
    k++
    const n = k
    const called = Date.now()
    inFlight++
    calls++
    s.sendText(`${bot}@s.whatsapp.net`, `soak ${k}`).then((m) => {
      sent++; sentIds.push(m.key.id)
      sends.set(m.key.id, { k: n, sender: s.phone, bot, called, resolved: Date.now() })
    }, (err) => {
      failed++
      failures.push({ k: n, sender: s.phone, bot, called, error: String(err?.message ?? err).slice(0, 200) })
    }).finally(() => { inFlight--; lastSettled = Date.now() })
    next += interval
    const wait = next - Date.now()
    if (wait > 0) await sleep(wait)
  }
})()

const t0 = Date.now()
const end = t0 + Number(opt.minutes) * 60000
const samples = []
const sample = () => {
  const s = { kind: 'sample', dialect: opt.dialect, minute: +((Date.now() - t0) / 60000).toFixed(1), rss_mb: +(rssKb() / 1024).toFixed(1), fds: fds(), db_mb: +(dbBytes() / 1048576).toFixed(2), sent, delivered: delivered.size, webhooks, send_failures: failed, send_backlog: inFlight }
  samples.push(s)
  emit(s)
}
sample()
while (Date.now() < end) {
  await sleep(Math.min(Number(opt.sample) * 1000, Math.max(0, end - Date.now())))
  sample()
}
stop = true
await traffic
const trafficEnd = Date.now()
const sentAtStop = sent
const backlogAtStop = inFlight
// The sends still queued in the senders settle first: the drain below gives every message
// --drain seconds from the end of its send. (Draining from the end of the traffic instead cut
// off the messages the senders were still sending: the 3 "lost" of the 2026-12-04 soak.)
if (inFlight) note(`${inFlight} sends still queued in the senders when the traffic stopped; waiting for them`)
while (inFlight && Date.now() - lastSettled < 60000) await sleep(200)
const unsettled = inFlight
// Drain: every message sent must reach the receiver.
const drainEnd = Date.now() + Number(opt.drain) * 1000
while (sentIds.some((id) => !delivered.has(id)) && Date.now() < drainEnd) await sleep(500)
const lostIds = sentIds.filter((id) => !delivered.has(id))
const lost = lostIds.length
sample()
const iso = (ms) => ms === undefined ? null : new Date(ms).toISOString()
// A lost message may still come (a webhook retry after a backoff): wait --late-wait for it.
const late = {}
if (lost && Number(opt['late-wait']) > 0) {
  note(`${lost} lost after the drain; waiting up to ${opt['late-wait']} s more for them`)
  const lateEnd = Date.now() + Number(opt['late-wait']) * 1000
  while (lostIds.some((id) => !delivered.has(id)) && Date.now() < lateEnd) await sleep(1000)
  for (const id of lostIds) if (delivered.has(id)) late[id] = iso(arrivals.get(id).ts)
}
// What the gateway's database says about a message (SQLite; PostgreSQL through psql).
const sql = (q) => {
  try {
    if (env.dbUrl) return execFileSync('psql', [env.dbUrl, '-qAt', '-F', '|', '-c', q], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)
    return execFileSync('sqlite3', ['-readonly', '-separator', '|', path.join(env.dataDir, 'gateway.db'), q], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)
  } catch (err) { return [`error: ${String(err.message).slice(0, 200)}`] }
}
const logLines = (() => { try { return readFileSync(env.logFile, 'utf8').split('\n') } catch { return [] } })()
for (const id of lostIds) {
  const s = sends.get(id)
  const q = id.replace(/'/g, "''")
  emit({
    kind: 'lost',
    id,
    chat: `${s.sender} -> ${s.bot}`,
    k: s.k,
    send_called: iso(s.called),
    send_resolved: iso(s.resolved),
    emulator_routed: (routed.get(id) ?? []).map((r) => ({ ...r, ts: iso(r.ts) })),
    bot_receipts: (receipts.get(id) ?? []).filter((r) => r.from.startsWith(s.bot)).map((r) => ({ ...r, ts: iso(r.ts) })),
    emulator_unacked: emu.unacked().filter((u) => u.id === id),
    emulator_events: emu.log.events.filter((e) => e.id === id || e.dropped === id),
    bot_connections: emu.log.events.filter((e) => ['login', 'disconnect', 'replaced'].includes(e.kind) && (e.jid ?? e.who ?? '').startsWith(s.bot + ':')).map((e) => ({ kind: e.kind, ts: iso(e.ts) })),
    late_arrival: late[id] ?? null,
    messages_log: sql(`SELECT id, session_id, direction, from_number, timestamp FROM messages_log WHERE message_id = '${q}'`),
    analytics: sql(`SELECT id, webhook_sent, webhook_success, webhook_status_code, error_message, created_at FROM analytics WHERE message_id = '${q}'`),
    webhook_deliveries: sql(`SELECT id, event, status, attempts, next_attempt_ms, created_ms, finished_ms, last_status_code, last_error FROM webhook_deliveries WHERE message_id = '${q}'`),
    webhook_attempts: sql(`SELECT a.attempt, a.started_ms, a.duration_ms, a.status_code, a.error FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.message_id = '${q}' ORDER BY a.id`),
    gateway_log: logLines.filter((l) => l.includes(id)).slice(0, 20)
  })
}
for (const f of failures.slice(0, 20)) emit({ kind: 'send_failure', ...f, called: iso(f.called) })
// The emulator's view over the whole run: messages it routed to no device, connections of bots
// and senders that closed, stanzas left unacknowledged, receipts asking for a re-send.
const countKinds = (kinds) => Object.fromEntries(kinds.map((k) => [k, emu.log.events.filter((e) => e.kind === k && e.ts >= t0).length]))
const retries = [...receipts.values()].flat().filter((r) => r.type === 'retry').length
const unroutedToBot = sentIds.filter((id) => !(routed.get(id) ?? []).some((r) => r.delivered > 0)).length
const noBotReceipt = sentIds.filter((id) => !(receipts.get(id) ?? []).some((r) => r.from.startsWith(sends.get(id).bot + ':') && r.type !== 'retry')).length
// Latency from the end of the send (the stanza left the sender) to the receiver: the time queued
// in a sender behind its earlier sends is not the gateway's.
const deliveredTimes = sentIds.filter((id) => arrivals.has(id)).map((id) => arrivals.get(id).ts - sends.get(id).resolved).sort((a, b) => a - b)
const pct = (p) => deliveredTimes.length ? deliveredTimes[Math.min(deliveredTimes.length - 1, Math.floor(p * deliveredTimes.length))] : null
const first = samples[1] ?? samples[0]
const last = samples[samples.length - 1]
emit({
  kind: 'summary', dialect: opt.dialect, sessions, senders: senders.length, rate, minutes: Number(opt.minutes), calls, sent, delivered: delivered.size, lost, late: Object.keys(late).length, send_failures: failed, sends_unsettled: unsettled,
  rate_reached: +(sentAtStop / ((trafficEnd - t0) / 1000)).toFixed(2), send_backlog_at_stop: backlogAtStop, sent_after_stop: sent - sentAtStop, rss_mb: [first.rss_mb, Math.max(...samples.map((s) => s.rss_mb)), last.rss_mb], fds: [first.fds, Math.max(...samples.map((s) => s.fds)), last.fds], db_mb: [first.db_mb, last.db_mb],
  latency_ms: { p50: pct(0.5), p99: pct(0.99), max: deliveredTimes.at(-1) ?? null },
  duplicates: [...arrivals.values()].filter((a) => a.count > 1).length,
  webhook_events: events,
  emulator: { sent_not_routed_to_a_device: unroutedToBot, sent_without_bot_receipt: noBotReceipt, retry_receipts: retries, ...countKinds(['disconnect', 'replaced', 'unacked', 'queue_overflow', 'nack', 'error', 'bad_stanza']), unacked_at_end: emu.unacked().filter((u) => u.tag === 'message').length },
  gateway_log_warnings: logLines.filter(Boolean).length,
  traffic_end: iso(trafficEnd),
  ...(process.env.KEEP_DATA ? { data_dir: env.dataDir, gateway_log: env.logFile, database: env.dbUrl ?? path.join(env.dataDir, 'gateway.db') } : {})
})
for (const s of senders) await s.stop()
await env.close()
if (process.env.KEEP_DATA) note(`kept the gateway's data directory ${env.dataDir} and its log ${env.logFile}${existsSync(env.logFile) ? '' : ' (missing)'}`)
rx.close()
await emu.stop()
process.exit(lost - Object.keys(late).length ? 1 : 0)
