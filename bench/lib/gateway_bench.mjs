// What the gateway benchmarks (bench/gateway_sessions, bench/gateway_pipeline) share: child
// process tracking (every child is killed when the driver exits), the JSON-lines result log, a
// free port, a bounded worker pool, starting the Release gateway and waiting until it answers,
// a small API client, and the min-max range of the summaries.
import { spawn } from 'node:child_process'
import { appendFileSync, closeSync, openSync } from 'node:fs'
import net from 'node:net'
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
