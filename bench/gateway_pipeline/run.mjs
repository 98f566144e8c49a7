// Driver of bench/gateway_pipeline (started by run.sh): the incoming-message pipeline
// emulator -> wa-gateway -> webhook receiver, on SQLite and on PostgreSQL, for several rounds.
//   node bench/gateway_pipeline/run.mjs --bin GATEWAY [--pg-url URL] [--sessions 100]
//     [--senders 10] [--rounds 2] [--only sqlite,postgres] [--latency-rate 100] [--latency-s 30]
//     [--rates 250,500,750,1000,1500,2000,2500] [--step-s 30] [--skip-latency] [--skip-ramp] [--out FILE]
// Per measurement: a fresh emulator (emulator_host.mjs, its own process, with the Baileys sender
// peers), a fresh gateway and database, SESSIONS bot sessions whose webhook_url is a receiver in
// this process. Then:
//   latency: LATENCY_RATE messages/s for LATENCY_S seconds, spread evenly over the bots; per
//     message, the time from the emulator handing the stanza to the bot's WebSocket to the
//     receiver having read the whole webhook request.
//   ramp: for each rate, STEP_S seconds of messages at that rate; sustained when every message
//     reached the receiver and the backlog at the end of the step is under half a second's worth.
//   --toggle-rollups PAIRS (instead of the ramp): PAIRS pairs of STEP_S-second steps at
//     --toggle-rate, one with the analytics rollup triggers and one without (their order
//     alternating), in the same gateway process and database: what the rollups cost, paired step
//     by step, without the scatter between separate runs. Per step: what got through
//     (received / (the release's actual duration + drain)) and the CPU per message of every process on the
//     machine's side of the pipeline (gateway, PostgreSQL, emulator, driver with receiver).
// Every message is encrypted by a Baileys sender before the measured phase and held by the
// emulator; the measured phase only releases them (see emulator_host.mjs).
// One JSON line per measurement on stdout (and appended to --out), a summary at the end;
// progress on stderr.
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { gatewayWithBots, note, range, resultLog, sleep, startHost as startHostAt } from '../lib/gateway_bench.mjs'

const { values: opt } = parseArgs({
  options: {
    bin: { type: 'string' },
    // Another binary measured in the same rounds, before --bin on each database in odd rounds and
    // after it in even ones (an A/B run).
    'compare-bin': { type: 'string' },
    // Extra gateway variables ("K=V ...") of the compare run only: with --compare-bin the same
    // binary, an A/B of one setting.
    'compare-env': { type: 'string' },
    // The compare run without the analytics rollups (its database's triggers on `analytics`
    // dropped or disabled once its bots are linked): with --compare-bin the same binary, what the
    // rollups cost the pipeline.
    'compare-without-rollups': { type: 'boolean', default: false },
    'pg-url': { type: 'string' },
    'pg-dir': { type: 'string' },
    sessions: { type: 'string', default: '100' },
    senders: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    only: { type: 'string', default: 'sqlite,postgres' },
    'latency-rate': { type: 'string', default: '100' },
    'latency-s': { type: 'string', default: '30' },
    rates: { type: 'string', default: '250,500,750,1000,1500,2000,2500' },
    'step-s': { type: 'string', default: '30' },
    'skip-latency': { type: 'boolean', default: false },
    'skip-ramp': { type: 'boolean', default: false },
    'toggle-rollups': { type: 'string', default: '0' },
    'toggle-rate': { type: 'string', default: '600' },
    out: { type: 'string' }
  }
})
const B = Number(opt.sessions)
const S = Number(opt.senders)
const ROUNDS = Number(opt.rounds)
const ONLY = opt.only.split(',').map((s) => s.trim()).filter(Boolean)
const LAT_RATE = Number(opt['latency-rate'])
const LAT_S = Number(opt['latency-s'])
const RATES = opt.rates.split(',').map(Number).filter((x) => x > 0)
const STEP_S = Number(opt['step-s'])
const TOGGLE_PAIRS = Number(opt['toggle-rollups'])
const TOGGLE_RATE = Number(opt['toggle-rate'])
if (!opt.bin) throw new Error('--bin is required')
if (ONLY.includes('postgres') && !opt['pg-url']) throw new Error('--pg-url is required for postgres')

const here = path.dirname(fileURLToPath(import.meta.url))
const HOST = path.join(here, 'emulator_host.mjs')
const nowMs = () => Number(process.hrtime.bigint()) / 1e6 // CLOCK_MONOTONIC, as in the host
const { results, emit } = resultLog(opt.out)

/** CPU seconds (user + system) of a process so far. */
const cpuOf = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (100 Hz)
}
/**
 * CPU seconds of the PostgreSQL server whose data directory is `dir` (its postmaster and every
 * process it started: backends, WAL writer, checkpointer, and those that exited, through the
 * postmaster's reaped-children times); null without one.
 */
const pgCpuOf = (dir) => {
  if (!dir) return null
  let postmaster
  try { postmaster = Number(readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]) } catch { return null }
  let total = 0
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const f = readFileSync(`/proc/${e}/stat`, 'utf8')
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ')
      if (Number(e) === postmaster || Number(fields[1]) === postmaster) total += (Number(fields[11]) + Number(fields[12])) / 100
      // The postmaster's reaped children: a backend that exited keeps counting.
      if (Number(e) === postmaster) total += (Number(fields[13]) + Number(fields[14])) / 100
    } catch { /* exited */ }
  }
  return total
}
const rssOf = (pid) => parseInt(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1], 10)

// ---- emulator host (child process) --------------------------------------------------------

const startHost = () => startHostAt(HOST)

// ---- webhook receiver (this process) --------------------------------------------------------

/**
 * Records, per message id, when the whole request was read (monotonic ms) and how often it
 * came. Answers 200 {} — or, for the warm-up messages, a reply, so that each chat has a message
 * back from the bot before the measured messages.
 */
const startReceiver = async () => {
  const r = { first: new Map(), seen: new Map(), count: 0, dups: 0, bad: 0 }
  r.server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const t = nowMs()
      let id; let warm = false
      try {
        const m = JSON.parse(Buffer.concat(chunks).toString('utf8')).message
        id = m?.id
        warm = typeof m?.content === 'string' && m.content.startsWith('warm-up')
      } catch {}
      if (!id) { r.bad++; res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); return }
      r.count++
      r.seen.set(id, (r.seen.get(id) ?? 0) + 1)
      if (r.first.has(id)) r.dups++
      else r.first.set(id, t)
      const body = warm ? '{"reply":"warm-up reply"}' : '{}'
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  r.server.keepAliveTimeout = 60000
  await new Promise((resolve) => r.server.listen(0, '127.0.0.1', resolve))
  r.url = `http://127.0.0.1:${r.server.address().port}/webhook/whatsapp`
  r.close = () => new Promise((resolve) => { r.server.closeAllConnections?.(); r.server.close(resolve) })
  return r
}

const metric = (text, name) => {
  const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)
  return m ? Number(m[1]) : null
}

// ---- one measured release -----------------------------------------------------------------

const pct = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null
const r2 = (x) => x === null || x === undefined ? null : Math.round(x * 100) / 100

/**
 * Encrypts and holds rate*seconds messages, releases them at `rate`, waits for the receiver,
 * and describes what arrived.
 */
const measure = async ({ host, rx, gw, dialect, rate, seconds, drainMs = 30000 }) => {
  const count = Math.round(rate * seconds)
  const prep = await host.call('prepare', { count })
  if (prep.held !== count) throw new Error(`prepared ${prep.held} of ${count} messages`)
  await sleep(1000)
  const pgDir = dialect === 'postgres' ? opt['pg-dir'] : undefined
  const before = { gw: cpuOf(gw.pid), host: cpuOf(host.pid), pg: pgCpuOf(pgDir), self: process.cpuUsage() }
  const rel = await host.call('release', { rate })
  const afterRelease = { gw: cpuOf(gw.pid), host: cpuOf(host.pid), pg: pgCpuOf(pgDir), self: process.cpuUsage(before.self) }
  // Wait for everything, or until nothing new arrived for a while (bounded by drainMs).
  const ids = rel.ids
  const deadline = nowMs() + drainMs
  let last = -1; let lastChange = nowMs()
  for (;;) {
    let got = 0
    for (const id of ids) if (rx.first.has(id)) got++
    if (got === ids.length || nowMs() > deadline) break
    if (got !== last) { last = got; lastChange = nowMs() }
    if (nowMs() - lastChange > 10000) break
    await sleep(200)
  }
  const afterDrain = { gw: cpuOf(gw.pid), host: cpuOf(host.pid), pg: pgCpuOf(pgDir), self: process.cpuUsage(before.self) }
  await sleep(500) // late duplicates
  const settled = await host.call('settle')
  const lat = []
  let lost = 0
  const recvTimes = []
  for (let i = 0; i < ids.length; i++) {
    const t = rx.first.get(ids[i])
    if (t === undefined) { lost++; continue }
    lat.push(t - rel.at[i])
    recvTimes.push(t)
  }
  lat.sort((a, b) => a - b)
  recvTimes.sort((a, b) => a - b)
  // Backlog (released, not yet received) at the end of the release, and its largest value over
  // the first and the second half of the step, sampled every 100 ms.
  const backlogAt = (t) => {
    let released = 0; let lo = 0; let hi = rel.at.length
    while (lo < hi) { const m = (lo + hi) >> 1; if (rel.at[m] <= t) lo = m + 1; else hi = m }
    released = lo
    lo = 0; hi = recvTimes.length
    while (lo < hi) { const m = (lo + hi) >> 1; if (recvTimes[m] <= t) lo = m + 1; else hi = m }
    return released - lo
  }
  let maxFirst = 0; let maxSecond = 0
  const mid = (rel.start + rel.end) / 2
  for (let t = rel.start; t <= rel.end; t += 100) {
    const b = backlogAt(t)
    if (t < mid) maxFirst = Math.max(maxFirst, b); else maxSecond = Math.max(maxSecond, b)
  }
  const backlogEnd = backlogAt(rel.end)
  const span = (rel.end - rel.start) / 1000
  const out = {
    rate,
    seconds,
    messages: ids.length,
    prepare: prep,
    offered_per_s: Math.round(rel.achieved_per_s),
    release_s: r2(span),
    received: lat.length,
    lost,
    duplicates: rx.dups,
    latency_ms: { p50: r2(pct(lat, 50)), p90: r2(pct(lat, 90)), p99: r2(pct(lat, 99)), max: r2(lat[lat.length - 1]) },
    backlog: { end: backlogEnd, max_first_half: maxFirst, max_second_half: maxSecond },
    drain_ms: recvTimes.length ? Math.round(recvTimes[recvTimes.length - 1] - rel.end) : null,
    cpu_cores: {
      gateway: r2((afterRelease.gw - before.gw) / span),
      emulator_host: r2((afterRelease.host - before.host) / span),
      driver_receiver: r2((afterRelease.self.user + afterRelease.self.system) / 1e6 / span),
      ...(before.pg !== null && afterRelease.pg !== null ? { postgres: r2((afterRelease.pg - before.pg) / span) } : {})
    },
    // CPU seconds from the release's start until the last message arrived (or the wait ended).
    cpu_s_to_drained: {
      gateway: r2(afterDrain.gw - before.gw),
      emulator_host: r2(afterDrain.host - before.host),
      driver_receiver: r2((afterDrain.self.user + afterDrain.self.system) / 1e6),
      ...(before.pg !== null && afterDrain.pg !== null ? { postgres: r2(afterDrain.pg - before.pg) } : {})
    },
    dropped_for_senders: settled.dropped
  }
  out.sustained = out.lost === 0 && out.duplicates === 0 && backlogEnd <= rate * 0.5 && rel.achieved_per_s >= rate * 0.95
  Object.defineProperty(out, 'ids', { value: ids, enumerable: false, writable: true, configurable: true })
  Object.defineProperty(out, 'releasedAt', { value: rel.at, enumerable: false, writable: true, configurable: true })
  return out
}

/**
 * Where the time of each message went, from the gateway's own records (Unix milliseconds, so
 * millisecond resolution): released by the emulator -> outbox row written (webhook_deliveries.
 * created_ms, taken in the message's transaction before its commit) -> first webhook attempt
 * started (webhook_attempts.started_ms) -> the receiver had the request.
 */
const stages = (m, rx, { dialect, dataDir, dbUrl }) => {
  const sql = 'SELECT d.message_id, d.created_ms, a.started_ms FROM webhook_deliveries d ' +
    'JOIN webhook_attempts a ON a.delivery_id = d.id AND a.attempt = 1'
  const text = dialect === 'postgres'
    ? execFileSync('psql', [dbUrl, '-At', '-F', '|', '-c', sql], { encoding: 'utf8', maxBuffer: 1 << 28 })
    : execFileSync('sqlite3', ['-separator', '|', path.join(dataDir, 'gateway.db'), sql], { encoding: 'utf8', maxBuffer: 1 << 28 })
  const rows = new Map(text.trim().split('\n').map((l) => l.split('|')).map(([id, c, st]) => [id, [Number(c), Number(st)]]))
  const offset = Date.now() - nowMs() // monotonic -> Unix ms
  const a = []; const b = []; const c = []
  m.ids.forEach((id, i) => {
    const r = rows.get(id); const got = rx.first.get(id)
    if (!r || got === undefined) return
    a.push(r[0] - (m.releasedAt[i] + offset))
    b.push(r[1] - r[0])
    c.push(got + offset - r[1])
  })
  const d = (xs) => { xs.sort((x, y) => x - y); return { p50: r2(pct(xs, 50)), p99: r2(pct(xs, 99)) } }
  return { n: a.length, to_outbox_row: d(a), outbox_to_attempt: d(b), attempt_to_receiver: d(c) }
}

// ---- the rollup triggers on and off ----------------------------------------------------------

/**
 * Switches the analytics rollup triggers of a gateway's database off and on again while it runs:
 * PostgreSQL disables and enables them; SQLite drops them and creates them again from their
 * saved definitions. Between steps only (nothing is being written).
 */
const rollupSwitch = (dialect, { dataDir, dbUrl }) => {
  if (dialect === 'postgres') {
    const set = (on) => execFileSync('psql', [dbUrl, '-qc', `ALTER TABLE analytics ${on ? 'ENABLE' : 'DISABLE'} TRIGGER USER`])
    return { off: () => set(false), on: () => set(true) }
  }
  const file = path.join(dataDir, 'gateway.db')
  const sqlite = (sql) => execFileSync('sqlite3', ['-cmd', '.timeout 10000', file, sql], { encoding: 'utf8' })
  // In the order they were created (the order in which they come back).
  const defs = JSON.parse(sqlite("SELECT json_group_array(json_object('name', name, 'sql', sql)) FROM (SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'analytics' ORDER BY rowid)"))
  if (!defs.length) throw new Error('no rollup triggers on analytics')
  return {
    off: () => sqlite(defs.map((d) => `DROP TRIGGER ${d.name};`).join(' ')),
    on: () => sqlite(defs.map((d) => `${d.sql};`).join('\n'))
  }
}

// ---- one round on one database -------------------------------------------------------------

const round = async (dialect, roundNo, bin, label, env = {}) => {
  note(`${dialect}, round ${roundNo}${label ? ` (${label}: ${bin})` : ''}: ${B} bot sessions, ${S} senders`)
  const host = await startHost()
  const rx = await startReceiver()
  const out = { kind: 'pipeline', dialect, round: roundNo, ...(label ? { binary: label } : {}), sessions: B, senders: S, log_level: 'warn', load_before: os.loadavg()[0] }
  let setup
  try {
    setup = await gatewayWithBots({ bin, dialect, pgUrl: opt['pg-url'], tag: 'pipe', host, bots: B, webhookUrl: rx.url, env })
    const { gw, phones, base, dataDir, dbUrl } = setup
    out.pair_bots_ms = setup.pairMs
    if (label === 'compare' && opt['compare-without-rollups']) {
      if (dialect === 'sqlite') {
        const file = path.join(dataDir, 'gateway.db')
        const names = execFileSync('sqlite3', [file, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'analytics'"], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)
        execFileSync('sqlite3', ['-cmd', '.timeout 10000', file, names.map((n) => `DROP TRIGGER ${n};`).join(' ')])
      } else {
        execFileSync('psql', [dbUrl, '-qc', 'ALTER TABLE analytics DISABLE TRIGGER USER'])
      }
      out.without_rollups = true
      note('  analytics rollup triggers off for this run')
    }
    await host.call('bots', { phones })
    note(`  ${B} bots connected (${(out.pair_bots_ms / 1000).toFixed(1)} s); pairing ${S} Baileys senders`)
    out.pair_senders = await host.call('senders', { count: S, base: 16660000000 })

    // Warm-up: one message per (sender, bot) chat, answered with a reply through the gateway.
    const warm = await host.call('warmup', {})
    const wdl = Date.now() + 60000
    while (warm.ids.some((id) => !rx.first.has(id)) && Date.now() < wdl) await sleep(100)
    out.warmup_ms = warm.ms
    note(`  warm-up done (${(warm.ms / 1000).toFixed(1)} s)`)
    rx.dups = 0
    await sleep(2000)

    if (!opt['skip-latency']) {
      note(`  latency: ${LAT_RATE} msg/s for ${LAT_S} s`)
      out.latency = await measure({ host, rx, gw, dialect, rate: LAT_RATE, seconds: LAT_S })
      try { out.latency.stages_ms = stages(out.latency, rx, { dialect, dataDir, dbUrl }) } catch (err) { note(`  stages: ${err.message}`) }
      note(`    p50 ${out.latency.latency_ms.p50} ms, p99 ${out.latency.latency_ms.p99} ms, lost ${out.latency.lost}, dups ${out.latency.duplicates} (encrypting took ${(out.latency.prepare.ms / 1000).toFixed(1)} s)`)
      rx.dups = 0
    }
    if (TOGGLE_PAIRS > 0) {
      const sw = rollupSwitch(dialect, { dataDir, dbUrl })
      // The first step at this rate runs on a colder gateway and database than the rest: not
      // counted.
      note(`  warming up: ${TOGGLE_RATE} msg/s for ${STEP_S} s (not counted)`)
      const w0 = await measure({ host, rx, gw, dialect, rate: TOGGLE_RATE, seconds: STEP_S, drainMs: 120000 })
      delete w0.ids
      rx.dups = 0
      out.toggle_warmup = { received: w0.received, lost: w0.lost, drain_ms: w0.drain_ms }
      await sleep(2000)
      out.toggle = []
      for (let i = 0; i < TOGGLE_PAIRS; i++) {
        for (const withRollups of i % 2 === 0 ? [true, false] : [false, true]) {
          if (!withRollups) sw.off()
          note(`  pair ${i + 1}, ${withRollups ? 'with' : 'without'} rollups: ${TOGGLE_RATE} msg/s for ${STEP_S} s`)
          const m = await measure({ host, rx, gw, dialect, rate: TOGGLE_RATE, seconds: STEP_S, drainMs: 120000 })
          if (!withRollups) sw.on()
          rx.dups = 0
          const span = m.release_s + Math.max(0, m.drain_ms ?? 0) / 1000
          const c = m.cpu_s_to_drained
          const all = Object.values(c).reduce((a, b) => a + b, 0)
          const received = m.received || 1
          const t = {
            pair: i + 1,
            rollups: withRollups,
            got_through_per_s: Math.round(m.received / span),
            // CPU per message received, from the release's start until the last one arrived.
            cpu_ms_per_message: {
              all: r2(all * 1000 / received),
              gateway_and_db: r2((c.gateway + (c.postgres ?? 0)) * 1000 / received)
            },
            offered_per_s: m.offered_per_s,
            received: m.received,
            lost: m.lost,
            duplicates: m.duplicates,
            drain_ms: m.drain_ms,
            cpu_cores: m.cpu_cores
          }
          delete m.ids
          out.toggle.push(t)
          note(`    got through ${t.got_through_per_s}/s (drain ${m.drain_ms} ms), CPU per message ${t.cpu_ms_per_message.all} ms (gateway + database ${t.cpu_ms_per_message.gateway_and_db}), lost ${m.lost}, dups ${m.duplicates}`)
          await sleep(2000)
        }
      }
      const pairs = []
      for (let i = 1; i <= TOGGLE_PAIRS; i++) {
        const w = out.toggle.find((t) => t.pair === i && t.rollups); const wo = out.toggle.find((t) => t.pair === i && !t.rollups)
        pairs.push({
          pair: i,
          got_through_change_pct: r2((w.got_through_per_s / wo.got_through_per_s - 1) * 100),
          cpu_all_change_pct: r2((w.cpu_ms_per_message.all / wo.cpu_ms_per_message.all - 1) * 100),
          cpu_gateway_db_change_pct: r2((w.cpu_ms_per_message.gateway_and_db / wo.cpu_ms_per_message.gateway_and_db - 1) * 100)
        })
      }
      out.toggle_pairs = pairs
      note(`  with rollups against without, pair by pair: got through ${pairs.map((p) => p.got_through_change_pct).join(', ')} %; CPU per message (all) ${pairs.map((p) => p.cpu_all_change_pct).join(', ')} %`)
    } else if (!opt['skip-ramp']) {
      out.ramp = []
      for (const rate of RATES) {
        note(`  ramp: ${rate} msg/s for ${STEP_S} s`)
        const m = await measure({ host, rx, gw, dialect, rate, seconds: STEP_S })
        rx.dups = 0
        out.ramp.push(m)
        note(`    offered ${m.offered_per_s}/s, received ${m.received}/${m.messages}, dups ${m.duplicates}, backlog end ${m.backlog.end}, drain ${m.drain_ms} ms, p50 ${m.latency_ms.p50} p99 ${m.latency_ms.p99} ms, gateway ${m.cpu_cores.gateway} cores, emulator ${m.cpu_cores.emulator_host}${m.cpu_cores.postgres !== undefined ? `, postgres ${m.cpu_cores.postgres}` : ''} -> ${m.sustained ? 'sustained' : 'NOT sustained'} (encrypting took ${(m.prepare.ms / 1000).toFixed(1)} s)`)
        if (!m.sustained) break
        await sleep(2000)
      }
      // Steps that were not sustained may still be draining: wait for everything released, then
      // count what never came (lost) and what came more than once, per step.
      const all = out.ramp.flatMap((m) => m.ids)
      const fdl = nowMs() + 300000
      let lastGot = -1; let lastChange = nowMs()
      for (;;) {
        const got = all.reduce((n, id) => n + (rx.first.has(id) ? 1 : 0), 0)
        if (got === all.length || nowMs() > fdl) break
        if (got !== lastGot) { lastGot = got; lastChange = nowMs() }
        if (nowMs() - lastChange > 20000) break
        await sleep(500)
      }
      await sleep(1000)
      for (const m of out.ramp) {
        m.lost_final = m.ids.reduce((n, id) => n + (rx.first.has(id) ? 0 : 1), 0)
        m.duplicates_final = m.ids.reduce((n, id) => n + (rx.seen.get(id) > 1 ? rx.seen.get(id) - 1 : 0), 0)
        delete m.ids
      }
      const ok = out.ramp.filter((m) => m.sustained)
      out.max_sustained_per_s = ok.length ? Math.max(...ok.map((m) => m.rate)) : 0
    }
    const metrics = await (await fetch(base + '/metrics')).text()
    out.webhook_attempts_total = metric(metrics, 'wa_webhook_attempts_total')
    out.gateway_rss_kb = rssOf(gw.pid)
    out.emulator_log = (await host.call('log', {})).events.filter((e) => !['connect', 'login', 'account', 'registration', 'pair', 'paired', 'disconnect'].includes(e.kind)).slice(-20)
    out.ok = true
  } catch (err) {
    out.ok = false
    out.error = err.message
    note(`  FAILED: ${err.message}`)
    if (setup) try { note(`  gateway log tail:\n${readFileSync(setup.logFile, 'utf8').split('\n').slice(-15).join('\n')}`) } catch {}
  } finally {
    await setup?.close()
    await host.stop()
    await rx.close()
  }
  emit(out)
  return out
}

// ---- rounds and summary --------------------------------------------------------------------

const started = Date.now()
const compareEnv = Object.fromEntries((opt['compare-env'] ?? '').split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
const bins = opt['compare-bin'] ? [[opt['compare-bin'], 'compare', compareEnv], [opt.bin, 'bin', {}]] : [[opt.bin, '', {}]]
for (let r = 1; r <= ROUNDS; r++) {
  // An A/B run alternates which variant goes first, so that neither always has the quieter start.
  const order = r % 2 === 1 ? bins : [...bins].reverse()
  for (const dialect of ONLY) for (const [bin, label, env] of order) await round(dialect, r, bin, label, env)
}

const lines = [`\nSummary (${((Date.now() - started) / 60000).toFixed(1)} min, ${ROUNDS} round(s), ${os.cpus().length} cores):`]
for (const r of results) {
  if (!r.ok) { lines.push(`  ${r.dialect} round ${r.round}: FAILED ${r.error}`); continue }
  const l = r.latency
  lines.push(`  ${r.dialect} round ${r.round}${r.binary ? ` ${r.binary}` : ''}:` +
    (l ? ` latency at ${l.rate}/s p50 ${l.latency_ms.p50} ms p99 ${l.latency_ms.p99} ms max ${l.latency_ms.max} ms (lost ${l.lost}, dups ${l.duplicates});` : '') +
    (r.toggle_pairs ? ` rollups on against off, pair by pair: got through ${r.toggle_pairs.map((p) => p.got_through_change_pct).join(', ')} %, CPU per message ${r.toggle_pairs.map((p) => p.cpu_all_change_pct).join(', ')} %;` : '') +
    (r.ramp ? ` ramp ${r.ramp.map((m) => `${m.rate}:${m.sustained ? 'ok' : 'NO'}(p99 ${m.latency_ms.p99} ms, backlog ${m.backlog.end}, lost ${m.lost}, dups ${m.duplicates})`).join(' ')}; max sustained ${r.max_sustained_per_s}/s` : ''))
}
for (const dialect of ONLY) for (const [, label] of bins) {
  const g = results.filter((r) => r.dialect === dialect && r.ok && (r.binary ?? '') === label)
  if (!g.length) continue
  lines.push(`  ${dialect}${label ? ` ${label}` : ''}: latency p50 ${range(g.map((r) => r.latency?.latency_ms.p50))} ms, p99 ${range(g.map((r) => r.latency?.latency_ms.p99))} ms; max sustained ${range(g.map((r) => r.max_sustained_per_s))} msg/s`)
}
process.stdout.write(lines.join('\n') + '\n')
process.exit(results.every((r) => r.ok) ? 0 : 1)
