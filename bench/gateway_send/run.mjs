// Driver of bench/gateway_send (started by run.sh): text sends through the API, on SQLite and on
// PostgreSQL, for several rounds.
//   node bench/gateway_send/run.mjs --bin GATEWAY [--pg-url URL] [--sessions 100] [--rounds 3]
//     [--only sqlite,postgres] [--concurrency 32] [--duration-s 20] [--recipients 4] [--out FILE]
// Per round and database: a fresh emulator (bench/gateway_pipeline/emulator_host.mjs, its own
// process) with RECIPIENTS Baileys peers as the people written to, a fresh gateway and database
// with SESSIONS linked bot sessions (SEND_RATE_PER_MINUTE lifted). Every bot first sends one text
// to every recipient (the number lookup and the Signal session setup happen there, not in the
// measurement). Then, with the emulator dropping what it routes to the recipients (their Baileys
// clients would otherwise decrypt every message on the same two cores):
//   one:  CONCURRENCY requests in flight from one bot for DURATION_S seconds;
//   many: CONCURRENCY requests in flight spread over all bots for DURATION_S seconds.
// Each request returns after WhatsApp's (the emulator's) server ack, and the message is logged
// before the answer. Reported: completed sends/s, API latency p50/p99, gateway CPU cores.
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { gatewayWithBots, note, pool, range, resultLog, sleep, startHost as startHostAt } from '../lib/gateway_bench.mjs'

const { values: opt } = parseArgs({
  options: {
    bin: { type: 'string' },
    'pg-url': { type: 'string' },
    sessions: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', default: 'sqlite,postgres' },
    concurrency: { type: 'string', default: '32' },
    'duration-s': { type: 'string', default: '20' },
    recipients: { type: 'string', default: '4' },
    out: { type: 'string' }
  }
})
const B = Number(opt.sessions)
const ROUNDS = Number(opt.rounds)
const C = Number(opt.concurrency)
const DUR = Number(opt['duration-s'])
const R = Number(opt.recipients)
const ONLY = opt.only.split(',').map((s) => s.trim()).filter(Boolean)
if (!opt.bin) throw new Error('--bin is required')
if (ONLY.includes('postgres') && !opt['pg-url']) throw new Error('--pg-url is required for postgres')

const here = path.dirname(fileURLToPath(import.meta.url))
const HOST = path.join(here, '..', 'gateway_pipeline', 'emulator_host.mjs')
const { results, emit } = resultLog(opt.out)
const cpuOf = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}
const pct = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null
const r2 = (x) => x === null || x === undefined ? null : Math.round(x * 100) / 100

const startHost = () => startHostAt(HOST)

/** Closed loop: `C` workers send until `seconds` passed; `pick(i)` -> [sessionId, to]. */
const closedLoop = async ({ base, token, gwPid, seconds, pick }) => {
  const lat = []
  let errors = 0; let firstError = null; let n = 0
  const cpu0 = cpuOf(gwPid)
  const t0 = performance.now()
  const end = t0 + seconds * 1000
  await Promise.all(Array.from({ length: C }, async () => {
    while (performance.now() < end) {
      const [id, to] = pick(n++)
      const s = performance.now()
      const r = await fetch(`${base}/api/v1/sessions/${id}/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to, type: 'text', content: `bench ${n} ${'x'.repeat(40)}` })
      })
      const text = await r.text()
      if (r.status === 200) lat.push(performance.now() - s)
      else { errors++; firstError ??= `${r.status} ${text.slice(0, 200)}` }
    }
  }))
  const span = (performance.now() - t0) / 1000
  lat.sort((a, b) => a - b)
  return {
    sent: lat.length,
    errors,
    first_error: firstError,
    per_s: Math.round(lat.length / span),
    latency_ms: { p50: r2(pct(lat, 50)), p99: r2(pct(lat, 99)), max: r2(lat[lat.length - 1]) },
    gateway_cores: r2((cpuOf(gwPid) - cpu0) / span)
  }
}

const round = async (dialect, roundNo) => {
  note(`${dialect}, round ${roundNo}: ${B} bot sessions, ${R} recipients, ${C} in flight`)
  const host = await startHost()
  const out = { kind: 'send', dialect, round: roundNo, sessions: B, recipients: R, concurrency: C, duration_s: DUR, load_before: os.loadavg()[0] }
  let setup
  try {
    setup = await gatewayWithBots({
      bin: opt.bin, dialect, pgUrl: opt['pg-url'], tag: 'send', host, bots: B,
      webhookUrl: 'http://127.0.0.1:9/unused', env: { SEND_RATE_PER_MINUTE: '1000000' }
    })
    out.pair_bots_ms = setup.pairMs
    const rec = await host.call('senders', { count: R, base: 16770000000 })
    const recipients = Array.from({ length: R }, (_, i) => String(16770000000 + i))
    note(`  ${B} bots connected (${(setup.pairMs / 1000).toFixed(1)} s), ${rec.senders} recipients paired`)
    const auth = setup.call
    // Warm-up: every bot writes to every recipient once (lookup, key fetch, Signal session).
    await pool(setup.ids.flatMap((id) => recipients.map((to) => [id, to])), 16, async ([id, to]) => {
      await auth('POST', `/api/v1/sessions/${id}/send`, { to, type: 'text', content: 'warm-up' })
    })
    await host.call('sink', { on: true })
    await sleep(1000)
    note('  one session')
    out.one = await closedLoop({ base: setup.base, token: setup.token, gwPid: setup.gw.pid, seconds: DUR, pick: (i) => [setup.ids[0], recipients[i % R]] })
    note(`    ${out.one.per_s} sends/s, p50 ${out.one.latency_ms.p50} ms, p99 ${out.one.latency_ms.p99} ms, gateway ${out.one.gateway_cores} cores, errors ${out.one.errors}`)
    await sleep(1000)
    note(`  ${B} sessions`)
    out.many = await closedLoop({ base: setup.base, token: setup.token, gwPid: setup.gw.pid, seconds: DUR, pick: (i) => [setup.ids[i % B], recipients[Math.floor(i / B) % R]] })
    note(`    ${out.many.per_s} sends/s, p50 ${out.many.latency_ms.p50} ms, p99 ${out.many.latency_ms.p99} ms, gateway ${out.many.gateway_cores} cores, errors ${out.many.errors}`)
    out.dropped_for_recipients = (await host.call('sink', { on: false })).dropped
    out.ok = out.one.errors === 0 && out.many.errors === 0
    if (!out.ok) out.error = out.one.first_error ?? out.many.first_error
  } catch (err) {
    out.ok = false
    out.error = err.message
    note(`  FAILED: ${err.message}`)
  } finally {
    await setup?.close()
    await host.stop()
  }
  emit(out)
  return out
}

const started = Date.now()
for (let r = 1; r <= ROUNDS; r++) {
  for (const dialect of ONLY) await round(dialect, r)
}
const lines = [`\nSummary (${((Date.now() - started) / 60000).toFixed(1)} min, ${ROUNDS} round(s), ${os.cpus().length} cores):`]
for (const dialect of ONLY) {
  const g = results.filter((r) => r.dialect === dialect && r.ok)
  const failed = results.filter((r) => r.dialect === dialect && !r.ok)
  for (const f of failed) lines.push(`  ${dialect} round ${f.round}: FAILED ${f.error}`)
  if (!g.length) continue
  lines.push(`  ${dialect}: one session ${range(g.map((r) => r.one.per_s))} sends/s (p99 ${range(g.map((r) => r.one.latency_ms.p99))} ms); ` +
    `${B} sessions ${range(g.map((r) => r.many.per_s))} sends/s (p99 ${range(g.map((r) => r.many.latency_ms.p99))} ms)`)
}
process.stdout.write(lines.join('\n') + '\n')
process.exit(results.every((r) => r.ok) ? 0 : 1)
