// Drives wa-bench-sessions: starts the emulator, runs the bench binary, creates one account per
// client and scans each QR it prints through the control API, then prints the binary's result.
//   node bench/sessions/run.mjs BENCH_BINARY COUNT [BATCH]
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const [bin, countArg, batchArg] = process.argv.slice(2)
const count = Number(countArg ?? 100)
const batch = Number(batchArg ?? 50)
const EMULATOR = fileURLToPath(new URL('../../emulator/src/main.mjs', import.meta.url))

const emu = spawn(process.execPath, [EMULATOR, '--port', '0', '--control-port', '0', '--qr-first-ms', '600000', '--no-media'],
  { stdio: ['ignore', 'pipe', 'inherit'] })
const ready = await new Promise((resolve, reject) => {
  createInterface({ input: emu.stdout }).once('line', (l) => resolve(JSON.parse(l)))
  emu.once('exit', (c) => reject(new Error(`emulator exited ${c}`)))
})
const api = async (method, path, body) => {
  const r = await fetch(ready.control_url + path, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) })
  return { status: r.status, body: await r.json() }
}
const info = (await api('GET', '/info')).body
const started = Date.now()
const child = spawn(bin, ['--url', ready.ws_url, '--root-key', info.root_public_key, '--count', String(count), '--batch', String(batch)],
  { stdio: ['ignore', 'pipe', 'inherit'] })
let result
let scanned = 0
createInterface({ input: child.stdout }).on('line', async (line) => {
  const ev = JSON.parse(line)
  if (ev.event === 'qr') {
    const phone = String(15560000000 + ev.i)
    await api('POST', '/accounts', { phone })
    const r = await api('POST', `/accounts/${phone}/scan`, { qr: ev.qr })
    if (r.status !== 200) console.error(`scan ${ev.i}: ${r.status} ${JSON.stringify(r.body)}`)
    if (++scanned % 100 === 0) console.error(`paired ${scanned} (${Date.now() - started} ms)`)
  } else if (ev.event === 'result') {
    result = ev
  }
})
const code = await new Promise((resolve) => child.on('close', resolve))
emu.kill('SIGTERM')
if (!result) { console.error(`bench exited ${code} without a result`); process.exit(1) }
console.log(JSON.stringify({ ...result, wall_ms: Date.now() - started }))
