// The Baileys side of bench/gateway_sessions: COUNT unmodified Baileys clients (the emulator's
// peer harness, in-memory auth state) paired by QR against the emulator in this one process, then
// idle. Reports this process's resident memory before the first client and after the idle time,
// the same way the driver measures the gateway. Run with --expose-gc so both readings follow a
// full collection (the smallest figure Baileys can show, so the ratio errs in Baileys' favour).
//   node --expose-gc bench/gateway_sessions/baileys_peers.mjs CONTROL_URL COUNT [BATCH] [IDLE_S]
// Prints JSON lines: {"event":"baseline"}, {"event":"progress"}, {"event":"result"}; then waits
// until stdin closes and exits.
import { readFileSync } from 'node:fs'
import { pairedPeer } from '../../emulator/src/peer.mjs'

const [controlUrl, countArg, batchArg, idleArg] = process.argv.slice(2)
const count = Number(countArg)
const batch = Number(batchArg ?? 10)
const idleS = Number(idleArg ?? 10)
if (!controlUrl || !(count > 0)) {
  process.stderr.write('usage: baileys_peers.mjs CONTROL_URL COUNT [BATCH] [IDLE_S]\n')
  process.exit(2)
}
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** VmRSS and its parts, in KiB, from /proc/self/status. */
const memory = () => {
  const m = {}
  for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
    const [k, v] = line.split(':')
    if (['VmRSS', 'RssAnon', 'RssFile', 'RssShmem', 'VmHWM'].includes(k)) m[k] = parseInt(v, 10)
  }
  return { ...m, heap_used_kb: Math.round(process.memoryUsage().heapUsed / 1024) }
}
const collect = async () => {
  if (typeof globalThis.gc !== 'function') return false
  for (let i = 0; i < 3; i++) { globalThis.gc(); await sleep(50) }
  return true
}

await sleep(1000)
const gcOn = await collect()
const baseline = memory()
out({ event: 'baseline', gc: gcOn, ...baseline })

const peers = []
const started = Date.now()
let next = 0
let failed = 0
const dropped = new Set()
const worker = async () => {
  while (next < count) {
    const i = next++
    const phone = String(15560000000 + i)
    try {
      const peer = await pairedPeer(controlUrl, phone, { pushName: `bench ${i}` })
      // a client that drops after pairing is not counted as connected
      peer.on('connection', (u) => { if (u.connection === 'close') dropped.add(peer) })
      peers.push(peer)
    } catch (err) {
      failed++
      process.stderr.write(`baileys ${phone}: ${err.message}\n`)
    }
    if (peers.length % 25 === 0 && peers.length > 0) out({ event: 'progress', connected: peers.length, ms: Date.now() - started })
  }
}
await Promise.all(Array.from({ length: Math.min(batch, count) }, worker))
const pairMs = Date.now() - started

await sleep(idleS * 1000)
const beforeGc = memory()
await collect()
const after = memory()
out({
  event: 'result',
  count,
  connected: peers.length - dropped.size,
  failed,
  pair_ms: pairMs,
  idle_s: idleS,
  gc: gcOn,
  rss_before_kb: baseline.VmRSS,
  rss_after_no_gc_kb: beforeGc.VmRSS,
  rss_after_kb: after.VmRSS,
  rss_anon_after_kb: after.RssAnon,
  heap_used_before_kb: baseline.heap_used_kb,
  heap_used_after_kb: after.heap_used_kb,
  peak_kb: after.VmHWM,
  per_session_kb: (after.VmRSS - baseline.VmRSS) / Math.max(1, peers.length)
})

// Stay connected until the driver is done with us (it closes stdin), then leave.
process.stdin.resume()
process.stdin.on('end', () => process.exit(0))
process.stdin.on('close', () => process.exit(0))
