// Soak run of one wa-gateway process: SESSIONS bot sessions linked through the project's emulator
// (in this process), SENDERS Baileys peers sending a steady RATE messages per second spread over
// the bots, a webhook receiver in this process answering 200. Every SAMPLE seconds it records the
// gateway's resident memory (VmRSS), its open file descriptors, its database size (gateway.db plus
// its WAL on SQLite, pg_database_size on PostgreSQL) and the messages sent and delivered.
//   node bench/soak/run.mjs --bin GATEWAY [--pg-url URL] [--dialect sqlite|postgres]
//     [--sessions 100] [--senders 4] [--rate 5] [--minutes 30] [--sample 60] [--out FILE]
// One JSON line per sample on stdout (and appended to --out); a summary line at the end.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
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
    out: { type: 'string' }
  }
})
if (!opt.bin) throw new Error('--bin is required')
const sessions = Number(opt.sessions)
const rate = Number(opt.rate)
const { emit } = resultLog(opt.out)

// Emulator in this process; its per-stanza log entries are dropped (a 30-minute run would keep
// every one of them in memory).
const emu = new Emulator({ port: 0, controlPort: 0, media: false, qrFirstMs: 600000 })
const ready = await emu.start()
const addLog = emu.log.add.bind(emu.log)
const hot = new Set(['message', 'receipt', 'chatstate', 'presence', 'ack', 'iq'])
emu.log.add = (kind, details) => hot.has(kind) ? undefined : addLog(kind, details)
const control = async (method, p, body) => {
  const r = await fetch(ready.control_url + p, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) })
  const json = await r.json().catch(() => null)
  if (!r.ok) throw new Error(`emulator ${method} ${p}: ${r.status} ${JSON.stringify(json)}`)
  return json
}

const delivered = new Set()
let webhooks = 0
const rx = http.createServer((req, res) => {
  let body = ''
  req.on('data', (d) => { body += d })
  req.on('end', () => {
    webhooks++
    try { const j = JSON.parse(body); if (j.event === 'message.received') delivered.add(j.message.id) } catch {}
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
const traffic = (async () => {
  const interval = 1000 / rate
  let next = Date.now()
  let k = 0
  while (!stop) {
    const s = senders[k % senders.length]
    const bot = env.phones[k % sessions]
    k++
    s.sendText(`${bot}@s.whatsapp.net`, `soak ${k}`).then((m) => { sent++; sentIds.push(m.key.id) }, () => { failed++ })
    next += interval
    const wait = next - Date.now()
    if (wait > 0) await sleep(wait)
  }
})()

const t0 = Date.now()
const end = t0 + Number(opt.minutes) * 60000
const samples = []
const sample = () => {
  const s = { kind: 'sample', dialect: opt.dialect, minute: +((Date.now() - t0) / 60000).toFixed(1), rss_mb: +(rssKb() / 1024).toFixed(1), fds: fds(), db_mb: +(dbBytes() / 1048576).toFixed(2), sent, delivered: delivered.size, webhooks, send_failures: failed }
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
// Drain: every message sent must reach the receiver.
const drainEnd = Date.now() + 60000
while (sentIds.some((id) => !delivered.has(id)) && Date.now() < drainEnd) await sleep(500)
const lost = sentIds.filter((id) => !delivered.has(id)).length
sample()
const first = samples[1] ?? samples[0]
const last = samples[samples.length - 1]
emit({ kind: 'summary', dialect: opt.dialect, sessions, senders: senders.length, rate, minutes: Number(opt.minutes), sent, delivered: delivered.size, lost, send_failures: failed, rss_mb: [first.rss_mb, Math.max(...samples.map((s) => s.rss_mb)), last.rss_mb], fds: [first.fds, Math.max(...samples.map((s) => s.fds)), last.fds], db_mb: [first.db_mb, last.db_mb] })
for (const s of senders) await s.stop()
await env.close()
rx.close()
await emu.stop()
process.exit(lost ? 1 : 0)
