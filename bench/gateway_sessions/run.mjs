// Driver of bench/gateway_sessions (started by run.sh): N connected idle WhatsApp sessions in one
// wa-gateway process against the offline emulator, on SQLite and on PostgreSQL, interleaved with
// COUNT Baileys clients in one Node process against the same emulator, for several rounds.
// Per gateway measurement: resident memory per session, GET /api/v1/sessions under wrk while the
// sessions run, and the time until every session is connected again after a restart.
//   node bench/gateway_sessions/run.mjs --bin GATEWAY [--pg-url URL] [--sessions 1000]
//     [--baileys 100] [--rounds 2] [--batch 50] [--baileys-batch 10] [--idle 10] [--duration 15]
//     [--only sqlite,baileys,postgres] [--out FILE]
// One JSON line per measurement on stdout (and appended to --out), a summary at the end;
// progress on stderr.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { api, freePort, note, pool, range, resultLog, sleep, startGateway, track } from '../lib/gateway_bench.mjs'

const { values: opt } = parseArgs({
  options: {
    bin: { type: 'string' },
    'pg-url': { type: 'string' },
    sessions: { type: 'string', default: '1000' },
    baileys: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '2' },
    batch: { type: 'string', default: '50' },
    'baileys-batch': { type: 'string', default: '10' },
    idle: { type: 'string', default: '10' },
    duration: { type: 'string', default: '15' },
    only: { type: 'string', default: 'sqlite,baileys,postgres' },
    out: { type: 'string' }
  }
})
const N = Number(opt.sessions)
const NB = Number(opt.baileys)
const ROUNDS = Number(opt.rounds)
const BATCH = Number(opt.batch)
const BAILEYS_BATCH = Number(opt['baileys-batch'])
const IDLE_MS = Number(opt.idle) * 1000
const WRK_S = Number(opt.duration)
const ONLY = opt.only.split(',').map((s) => s.trim()).filter(Boolean)
if (!opt.bin) throw new Error('--bin is required')
if (ONLY.includes('postgres') && !opt['pg-url']) throw new Error('--pg-url is required for postgres')

const here = path.dirname(fileURLToPath(import.meta.url))
const EMULATOR = path.join(here, '../../emulator/src/main.mjs')
const PEERS = path.join(here, 'baileys_peers.mjs')
const { results, emit } = resultLog(opt.out)

/** VmRSS and parts (KiB) of a process. */
const memoryOf = (pid) => {
  const m = {}
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const [k, v] = line.split(':')
    if (['VmRSS', 'RssAnon', 'RssFile', 'RssShmem', 'VmHWM', 'Threads'].includes(k)) m[k] = parseInt(v, 10)
  }
  return m
}

// ---- emulator -----------------------------------------------------------------------------

/** A fresh emulator process (one per measurement, so none inherits another's accounts). */
const startEmulator = async () => {
  const proc = track(spawn(process.execPath, [EMULATOR, '--port', '0', '--control-port', '0', '--qr-first-ms', '600000', '--no-media'],
    { stdio: ['ignore', 'pipe', 'inherit'] }))
  const ready = await new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).once('line', (l) => resolve(JSON.parse(l)))
    proc.once('exit', (c) => reject(new Error(`emulator exited ${c}`)))
  })
  const control = async (method, p, body) => {
    const r = await fetch(ready.control_url + p, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) })
    const json = await r.json().catch(() => null)
    if (!r.ok) throw new Error(`emulator ${method} ${p}: ${r.status} ${JSON.stringify(json)}`)
    return json
  }
  const info = await control('GET', '/info')
  return {
    ...ready,
    rootKey: info.root_public_key,
    control,
    stop: async () => { proc.kill('SIGTERM'); if (proc.exitCode === null) await new Promise((resolve) => proc.once('exit', resolve)) }
  }
}

// ---- gateway ------------------------------------------------------------------------------

/** The session list, whichever way `data` is shaped. */
const listOf = (json) => Array.isArray(json?.data) ? json.data : (json?.data?.sessions ?? [])
const countBy = (items) => items.reduce((m, s) => { m[s.status] = (m[s.status] ?? 0) + 1; return m }, {})

/** wa_sessions{status="connected"} from /metrics, or null when the gauge is missing. */
const connectedGauge = async (base) => {
  const r = await fetch(base + '/metrics')
  const m = /^wa_sessions\{status="connected"\} (\S+)$/m.exec(await r.text())
  return m ? Number(m[1]) : null
}

/** Polls until every session is connected; returns ms since `since` (performance.now()). */
const waitAllConnected = async (base, call, since, timeoutMs) => {
  const deadline = Date.now() + timeoutMs
  let last
  for (;;) {
    const gauge = await connectedGauge(base).catch(() => null)
    if (gauge === null || gauge >= N) {
      const items = listOf((await call('GET', '/api/v1/sessions')).json)
      last = countBy(items)
      if (items.length === N && last.connected === N) return { ms: performance.now() - since, by: gauge === null ? 'list' : 'metrics+list' }
    } else {
      last = { connected: gauge }
    }
    if (Date.now() > deadline) throw new Error(`not all ${N} sessions connected after ${timeoutMs / 1000} s: ${JSON.stringify(last)}`)
    await sleep(gauge === null ? 250 : 100)
  }
}

const parseDuration = (s) => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s)
  if (!m) return null
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60000 }[m[2]]
}

/** wrk with a bearer token on the session list; p50/p90/p99 in ms, requests/s, errors. */
const runWrk = (url, token) => {
  const text = execFileSync('wrk', ['-t2', '-c16', `-d${WRK_S}s`, '--latency', '-H', `Authorization: Bearer ${token}`, url],
    { encoding: 'utf8', maxBuffer: 1 << 20 })
  const pct = (p) => { const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(text); return m ? parseDuration(m[1]) : null }
  const num = (re) => { const m = re.exec(text); return m ? Number(m[1]) : 0 }
  return {
    p50_ms: pct(50),
    p90_ms: pct(90),
    p99_ms: pct(99),
    max_ms: (() => { const m = /Latency\s+\S+\s+\S+\s+(\S+)/.exec(text); return m ? parseDuration(m[1]) : null })(),
    requests_per_s: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    non_2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    socket_errors: (/Socket errors: (.*)/.exec(text) ?? [])[1] ?? null
  }
}

const gatewayRound = async (dialect, round) => {
  note(`gateway ${dialect}, round ${round}: ${N} sessions`)
  const emu = await startEmulator()
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `gw-bench-${dialect}-`))
  const logFile = path.join(dataDir, 'gateway.log')
  let dbUrl
  if (dialect === 'postgres') {
    const name = `gwbench_${process.pid}_${round}`
    execFileSync('psql', [opt['pg-url'], '-q', '-c', `CREATE DATABASE ${name}`])
    const u = new URL(opt['pg-url'])
    u.pathname = `/${name}`
    dbUrl = u.toString()
  }
  const port = await freePort()
  const env = {
    PATH: process.env.PATH,
    PORT: String(port),
    BIND_ADDRESS: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    WHATSAPP_SERVER_URL: emu.ws_url,
    WHATSAPP_ROOT_PUBLIC_KEY: emu.rootKey,
    RATE_LIMIT_PER_MINUTE: '1000000',
    GENERATE_PIN_PER_HOUR: '1000000',
    LOGIN_FAILURES_PER_MINUTE: '1000000',
    ...(dbUrl ? { DATABASE_URL: dbUrl } : {}),
    ...Object.fromEntries((process.env.GATEWAY_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
  }
  const base = `http://127.0.0.1:${port}`
  const out = { kind: 'gateway', dialect, round, sessions: N, batch: BATCH, idle_s: IDLE_MS / 1000 }
  let gw
  try {
    gw = await startGateway(opt.bin, { env, dataDir, port, logFile })
    out.first_start_ms = Math.round(gw.readyMs)
    const anon = api(base)
    const { pin } = (await anon('POST', '/api/v1/auth/generate-pin')).json.data
    const auth = await fetch(base + '/api/v1/auth/login', { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${pin}:`).toString('base64')}` } })
    if (!auth.ok) throw new Error(`login: ${auth.status} ${await auth.text()}`)
    const token = (await auth.json()).data.token
    const call = api(base, token)
    await sleep(2000)
    const before = memoryOf(gw.pid)
    out.rss_before_kb = before.VmRSS

    // Create, start, scan, wait connected: BATCH sessions in flight at a time.
    const ids = new Array(N)
    await pool([...Array(N).keys()], 16, async (i) => {
      ids[i] = (await call('POST', '/api/v1/sessions', { session_name: `bench ${String(i).padStart(5, '0')}`, webhook_url: 'http://127.0.0.1:9/hook' })).json.data.session_id
    })
    const t0 = performance.now()
    let done = 0
    await pool(ids, BATCH, async (id, i) => {
      const s = (await call('POST', `/api/v1/sessions/${id}/start`)).json.data
      if (s.status !== 'connected') {
        if (s.status !== 'qr' || !s.qr_text) throw new Error(`start ${id}: ${JSON.stringify(s).slice(0, 300)}`)
        const phone = String(15550000000 + i)
        await emu.control('POST', '/accounts', { phone })
        await emu.control('POST', `/accounts/${phone}/scan`, { qr: s.qr_text })
        const deadline = Date.now() + 120000
        for (;;) {
          const d = (await call('GET', `/api/v1/sessions/${id}`)).json.data
          if (d.status === 'connected') break
          if (Date.now() > deadline) throw new Error(`session ${id} not connected 120 s after the scan: ${JSON.stringify(d).slice(0, 300)}`)
          await sleep(200)
        }
      }
      if (++done % 100 === 0 || done === N) note(`  connected ${done}/${N} (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
    })
    await waitAllConnected(base, call, t0, 60000)
    out.pair_all_ms = Math.round(performance.now() - t0)

    await sleep(IDLE_MS)
    const after = memoryOf(gw.pid)
    out.rss_after_kb = after.VmRSS
    out.rss_anon_before_kb = before.RssAnon
    out.rss_anon_after_kb = after.RssAnon
    out.threads = after.Threads
    out.per_session_kb = (after.VmRSS - before.VmRSS) / N
    const listed = listOf((await call('GET', '/api/v1/sessions')).json)
    out.connected_before_wrk = countBy(listed).connected ?? 0

    // One request at a time first (the service time of the list), then under wrk (with queueing).
    const single = []
    let one
    for (let k = 0; k < 50; k++) {
      const t = performance.now()
      one = await call('GET', '/api/v1/sessions')
      single.push(performance.now() - t)
    }
    single.sort((a, b) => a - b)
    out.list_bytes = one.bytes
    out.list_sequential = { p50_ms: +single[24].toFixed(2), max_ms: +single[49].toFixed(2) }
    note(`  RSS ${before.VmRSS} -> ${after.VmRSS} KiB; wrk ${WRK_S} s on GET /api/v1/sessions`)
    out.wrk = runWrk(base + '/api/v1/sessions', token)
    out.rss_after_wrk_kb = memoryOf(gw.pid).VmRSS
    out.connected_after_wrk = countBy(listOf((await call('GET', '/api/v1/sessions')).json)).connected ?? 0

    // Restart: SIGTERM, start again on the same data, until all N are connected again.
    note('  restart')
    const stopped = await gw.stop()
    out.shutdown = { code: stopped.code, signal: stopped.signal, ms: Math.round(stopped.ms) }
    const tSpawn = performance.now()
    gw = await startGateway(opt.bin, { env, dataDir, port, logFile })
    out.restart_listening_ms = Math.round(gw.readyMs)
    const back = await waitAllConnected(base, call, gw.readyAt, 300000)
    out.restart_all_connected_ms = Math.round(back.ms)
    out.restart_spawn_to_all_ms = Math.round(performance.now() - tSpawn)
    out.restart_polled_by = back.by
    note(`  all ${N} connected ${(back.ms / 1000).toFixed(1)} s after listening`)
    await sleep(IDLE_MS)
    out.rss_after_restart_kb = memoryOf(gw.pid).VmRSS
    out.per_session_after_restart_kb = (out.rss_after_restart_kb - before.VmRSS) / N
    out.ok = true
  } catch (err) {
    out.ok = false
    out.error = err.message
    note(`  FAILED: ${err.message}`)
    try { note(`  gateway log tail:\n${readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')}`) } catch {}
  } finally {
    await gw?.stop().catch(() => {})
    await emu.stop()
    if (!out.ok && process.env.KEEP_FAILED) note(`  kept ${dataDir}`)
    else rmSync(dataDir, { recursive: true, force: true })
    if (dbUrl) { try { execFileSync('psql', [opt['pg-url'], '-q', '-c', `DROP DATABASE ${new URL(dbUrl).pathname.slice(1)}`]) } catch {} }
  }
  emit(out)
  return out
}

const baileysRound = async (round) => {
  note(`Baileys, round ${round}: ${NB} clients in one Node process`)
  const emu = await startEmulator()
  const out = { kind: 'baileys', round, sessions: NB, batch: BAILEYS_BATCH, idle_s: IDLE_MS / 1000 }
  const proc = track(spawn(process.execPath, ['--expose-gc', PEERS, emu.control_url, String(NB), String(BAILEYS_BATCH), String(IDLE_MS / 1000)],
    { stdio: ['pipe', 'pipe', 'inherit'] }))
  try {
    const result = await new Promise((resolve, reject) => {
      createInterface({ input: proc.stdout }).on('line', (l) => {
        const ev = JSON.parse(l)
        if (ev.event === 'progress') note(`  connected ${ev.connected}/${NB} (${(ev.ms / 1000).toFixed(1)} s)`)
        if (ev.event === 'result') resolve(ev)
      })
      proc.once('exit', (c) => reject(new Error(`Baileys process exited ${c} without a result`)))
    })
    delete result.event
    Object.assign(out, result, { ok: result.failed === 0 && result.connected === NB })
  } catch (err) {
    out.ok = false
    out.error = err.message
    note(`  FAILED: ${err.message}`)
  } finally {
    proc.stdin.end()
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000)
    if (proc.exitCode === null) await new Promise((resolve) => proc.once('exit', resolve))
    clearTimeout(timer)
    await emu.stop()
  }
  emit(out)
  return out
}

// ---- rounds and summary --------------------------------------------------------------------

const started = Date.now()
for (let round = 1; round <= ROUNDS; round++) {
  for (const what of ONLY) {
    if (what === 'baileys') await baileysRound(round)
    else await gatewayRound(what, round)
  }
}

const kb = (x) => x >= 10240 ? `${(x / 1024).toFixed(1)} MB` : `${Math.round(x)} KB`
const ms = (x) => x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(x < 10 ? 2 : 0)} ms`
const lines = [`\nSummary (${((Date.now() - started) / 60000).toFixed(1)} min, ${ROUNDS} round(s), ${os.cpus().length} cores):`]
const bai = results.filter((r) => r.kind === 'baileys' && r.ok)
for (const r of results) {
  if (!r.ok) { lines.push(`  ${r.kind} ${r.dialect ?? ''} round ${r.round}: FAILED ${r.error}`); continue }
  if (r.kind === 'gateway') {
    lines.push(`  gateway ${r.dialect} round ${r.round}: ${r.sessions} sessions, RSS ${kb(r.rss_before_kb)} -> ${kb(r.rss_after_kb)} = ${kb(r.per_session_kb)}/session ` +
      `(after restart ${kb(r.per_session_after_restart_kb)}); pair all ${ms(r.pair_all_ms)}; list p50 ${ms(r.wrk.p50_ms)} p99 ${ms(r.wrk.p99_ms)} ` +
      `${Math.round(r.wrk.requests_per_s)} req/s (${r.list_bytes} B, non-2xx ${r.wrk.non_2xx}; one at a time p50 ${ms(r.list_sequential.p50_ms)}); restart: listening ${ms(r.restart_listening_ms)}, all connected ${ms(r.restart_all_connected_ms)} later`)
  } else {
    lines.push(`  Baileys round ${r.round}: ${r.sessions} clients, RSS ${kb(r.rss_before_kb)} -> ${kb(r.rss_after_kb)} (no GC: ${kb(r.rss_after_no_gc_kb)}) = ${kb(r.per_session_kb)}/session; pair all ${ms(r.pair_ms)}`)
  }
}
for (const dialect of ['sqlite', 'postgres']) {
  const g = results.filter((r) => r.kind === 'gateway' && r.dialect === dialect && r.ok)
  if (!g.length) continue
  lines.push(`  ${dialect}: per session ${range(g.map((r) => r.per_session_kb), kb)}; list p99 ${range(g.map((r) => r.wrk.p99_ms), ms)}, ` +
    `${range(g.map((r) => r.wrk.requests_per_s), (x) => `${Math.round(x)}`)} req/s; all connected after restart ${range(g.map((r) => r.restart_all_connected_ms), ms)}`)
  if (bai.length) {
    // each Baileys round against each gateway round: the whole spread of the ratio
    const ratios = g.flatMap((r) => bai.map((b) => b.per_session_kb / r.per_session_kb))
    lines.push(`    Baileys (${range(bai.map((b) => b.per_session_kb), kb)} per session) / gateway ${dialect}: ${range(ratios, (x) => `${x.toFixed(1)}x`)}`)
  }
}
process.stdout.write(lines.join('\n') + '\n')
process.exit(results.every((r) => r.ok) ? 0 : 1)
