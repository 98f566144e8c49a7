// What the gateway benchmarks (bench/gateway_sessions, bench/gateway_pipeline, bench/gateway_send)
// share: child process tracking (every child is killed when the driver exits), the JSON-lines
// result log, a free port, a bounded worker pool, starting the Release gateway and waiting until
// it answers, a small API client, a gateway on a fresh database with bot sessions linked through
// an emulator, and the min-max range of the summaries.
import { execFileSync, fork, spawn } from 'node:child_process'
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
export const note = (s) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`)

const children = new Set()
/** Keeps `child` to be killed when the driver exits (normally, or on SIGINT/SIGTERM). */
export const track = (child) => { children.add(child); child.on('exit', () => children.delete(child)); return child }
process.on('exit', () => { for (const c of children) c.kill('SIGKILL') })
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

/** A result log: emit(o) prints one JSON line (also appended to `out` when given) and keeps `o`. */
export const resultLog = (out) => {
  const results = []
  const emit = (o) => {
    const line = JSON.stringify({ date: new Date().toISOString(), ...o })
    results.push(o)
    process.stdout.write(line + '\n')
    if (out) appendFileSync(out, line + '\n')
  }
  return { results, emit }
}

export const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer()
  s.once('error', reject)
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
})

/** Runs `fn` over items with at most `limit` in flight. */
export const pool = async (items, limit, fn) => {
  let next = 0
  const worker = async () => { while (next < items.length) { const i = next++; await fn(items[i], i) } }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/**
 * Starts the gateway binary `bin` with `env` (which sets PORT=`port`), its output appended to
 * `logFile`. With LOG_LEVEL=warn it does not print its "listening" line, so the port is chosen by
 * the caller and polled: the HTTP server answers once the process runs its I/O loop. Resolves
 * with {pid, readyAt, readyMs, stop()}; stop() sends SIGTERM (SIGKILL after 60 s) and resolves
 * with {code, signal, ms}.
 */
export const startGateway = async (bin, { env, dataDir, port, logFile }) => {
  const t0 = performance.now()
  const log = openSync(logFile, 'a')
  const proc = track(spawn(bin, [], { env, cwd: dataDir, stdio: ['ignore', log, log] }))
  closeSync(log)
  let exited = null
  const exit = new Promise((resolve) => proc.once('exit', (code, signal) => { exited = { code, signal }; resolve(exited) }))
  const deadline = Date.now() + 120000
  for (;;) {
    if (exited) throw new Error(`gateway exited ${JSON.stringify(exited)} before answering; see ${logFile}`)
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`)
      await r.arrayBuffer()
      break
    } catch {}
    if (Date.now() > deadline) throw new Error(`gateway did not answer in 120 s; see ${logFile}`)
    await sleep(10)
  }
  const readyMs = performance.now() - t0
  return {
    pid: proc.pid,
    readyAt: performance.now(),
    readyMs,
    stop: async () => {
      const t = performance.now()
      if (!exited) proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 60000)
      const r = await exit
      clearTimeout(timer)
      return { ...r, ms: performance.now() - t }
    }
  }
}

/** An API client: call(method, path, body) resolves with {json, bytes}; a non-2xx throws. */
export const api = (base, token) => async (method, p, body) => {
  const headers = {}
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const r = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await r.text()
  let json = null
  try { json = JSON.parse(text) } catch {}
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text.slice(0, 300)}`)
  return { json, bytes: Buffer.byteLength(text) }
}

/** "lo-hi" (or one value) of the non-null numbers in xs, each formatted by f; "-" when none. */
export const range = (xs, f = (x) => String(x)) => {
  xs = xs.filter((x) => x !== null && x !== undefined)
  if (!xs.length) return '-'
  const lo = Math.min(...xs); const hi = Math.max(...xs)
  return lo === hi ? f(lo) : `${f(lo)}-${f(hi)}`
}

/**
 * A fresh database (SQLite in a temp dir, or a new database on the PostgreSQL server `pgUrl`), a
 * gateway `bin` on it pointed at the emulator `host` ({ws_url, root_public_key, control()}), one
 * logged-in user and `bots` sessions (webhook `webhookUrl`) linked by the emulator's scan and
 * connected. `env` adds gateway variables (GATEWAY_ENV from the shell adds more). Resolves with
 * {gw, call, token, ids, phones, base, dataDir, dbUrl, logFile, pairMs, close()}; close() stops the
 * gateway and removes the database (KEEP_DATA keeps the data directory).
 */
export const gatewayWithBots = async ({ bin, dialect, pgUrl, tag, host, bots, webhookUrl, env = {}, phoneBase = 15550000000 }) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `gw-${tag}-${dialect}-`))
  const logFile = path.join(dataDir, 'gateway.log')
  let dbUrl
  if (dialect === 'postgres') {
    const name = `gw${tag.replace(/[^a-z0-9]/g, '')}_${process.pid}_${Date.now()}`
    execFileSync('psql', [pgUrl, '-q', '-c', `CREATE DATABASE ${name}`])
    const u = new URL(pgUrl)
    u.pathname = `/${name}`
    dbUrl = u.toString()
  }
  const port = await freePort()
  const fullEnv = {
    PATH: process.env.PATH,
    PORT: String(port),
    BIND_ADDRESS: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    WHATSAPP_SERVER_URL: host.ws_url,
    WHATSAPP_ROOT_PUBLIC_KEY: host.root_public_key,
    RATE_LIMIT_PER_MINUTE: '1000000',
    GENERATE_PIN_PER_HOUR: '1000000',
    LOGIN_FAILURES_PER_MINUTE: '1000000',
    ...(dbUrl ? { DATABASE_URL: dbUrl } : {}),
    ...env,
    ...Object.fromEntries((process.env.GATEWAY_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
  }
  const base = `http://127.0.0.1:${port}`
  let gw
  const close = async () => {
    await gw?.stop().catch(() => {})
    if (process.env.KEEP_DATA) note(`  kept ${dataDir}`)
    else rmSync(dataDir, { recursive: true, force: true })
    if (dbUrl) { try { execFileSync('psql', [pgUrl, '-q', '-c', `DROP DATABASE ${new URL(dbUrl).pathname.slice(1)}`]) } catch {} }
  }
  try {
    gw = await startGateway(bin, { env: fullEnv, dataDir, port, logFile })
    const anon = api(base)
    const { pin } = (await anon('POST', '/api/v1/auth/generate-pin')).json.data
    const auth = await fetch(base + '/api/v1/auth/login', { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${pin}:`).toString('base64')}` } })
    if (!auth.ok) throw new Error(`login: ${auth.status} ${await auth.text()}`)
    const token = (await auth.json()).data.token
    const call = api(base, token)
    // Bots: create, start, scan through the emulator's control API, wait connected.
    const t0 = performance.now()
    const ids = new Array(bots)
    const phones = Array.from({ length: bots }, (_, i) => String(phoneBase + i))
    await pool([...Array(bots).keys()], 16, async (i) => {
      ids[i] = (await call('POST', '/api/v1/sessions', { session_name: `bot ${String(i).padStart(4, '0')}`, webhook_url: webhookUrl })).json.data.session_id
    })
    await pool(ids, dialect === 'postgres' ? 20 : 50, async (id, i) => {
      const s = (await call('POST', `/api/v1/sessions/${id}/start`)).json.data
      if (s.status !== 'qr' || !s.qr_text) throw new Error(`start ${id}: ${JSON.stringify(s).slice(0, 300)}`)
      await host.control('POST', '/accounts', { phone: phones[i] })
      await host.control('POST', `/accounts/${phones[i]}/scan`, { qr: s.qr_text })
      const deadline = Date.now() + 120000
      for (;;) {
        if ((await call('GET', `/api/v1/sessions/${id}`)).json.data.status === 'connected') break
        if (Date.now() > deadline) throw new Error(`session ${id} not connected 120 s after the scan`)
        await sleep(200)
      }
    })
    return { gw, call, token, ids, phones, base, dataDir, dbUrl, logFile, pairMs: Math.round(performance.now() - t0), close }
  } catch (err) {
    try { note(`  gateway log tail:\n${readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')}`) } catch {}
    await close()
    throw err
  }
}

/**
 * Forks the benchmarks' emulator host (bench/gateway_pipeline/emulator_host.mjs) and talks to it
 * over IPC: call(op, args) resolves with the op's result; control(method, path, body) calls the
 * emulator's control API. Resolves once the emulator listens, with {ws_url, control_url,
 * root_public_key, pid, call, control, stop()}.
 */
export const startHost = async (hostPath) => {
  const child = track(fork(hostPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  let seq = 0
  const waiting = new Map()
  child.on('message', (m) => {
    const w = waiting.get(m.seq)
    if (!w) return
    waiting.delete(m.seq)
    if (m.ok) w.resolve(m.result)
    else w.reject(new Error(`emulator host: ${m.error}`))
  })
  child.once('exit', (code) => { for (const w of waiting.values()) w.reject(new Error(`emulator host exited ${code}`)) })
  const call = (op, args = {}) => new Promise((resolve, reject) => {
    const s = ++seq
    waiting.set(s, { resolve, reject })
    child.send({ op, seq: s, ...args })
  })
  const ready = await call('start')
  const control = async (method, p, body) => {
    const r = await fetch(ready.control_url + p, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) })
    const json = await r.json().catch(() => null)
    if (!r.ok) throw new Error(`emulator ${method} ${p}: ${r.status} ${JSON.stringify(json)}`)
    return json
  }
  return {
    ...ready,
    pid: child.pid,
    call,
    control,
    stop: async () => {
      await call('stop').catch(() => {})
      child.disconnect()
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve))
    }
  }
}
