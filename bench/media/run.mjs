// Media benchmark driver (bench/media/run.sh): encrypt + upload throughput of one 10 MB video,
// ours (`wa-tool upload`, Release) vs Baileys (encryptedStream + waUploadToServer, what
// prepareWAMessageMedia does for a video besides its thumbnail attempt), to the same emulator
// HTTPS media host running in its own process. Rounds are interleaved: ours, Baileys, ours, …
//   node bench/media/run.mjs WA_TOOL [--rounds R] [--per-round N] [--mb M]
// Prints one line per round and a summary: per-upload MB/s ranges and the ratio of medians.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { encryptedStream } from 'baileys'
import { control, pairedPeer } from '../../emulator/src/peer.mjs'

const args = process.argv.slice(2)
const tool = args[0]
const opt = (k, d) => { const i = args.indexOf(k); return i >= 0 ? Number(args[i + 1]) : d }
const rounds = opt('--rounds', 5)
const perRound = opt('--per-round', 3)
const mb = opt('--mb', 10)
if (!tool) { console.error('usage: run.mjs WA_TOOL [--rounds R] [--per-round N] [--mb M]'); process.exit(2) }

const dir = mkdtempSync(join(tmpdir(), 'wa-bench-media-'))
const emu = spawn(process.execPath, ['emulator/src/main.mjs'], { stdio: ['ignore', 'pipe', 'inherit'] })
let peer
const cleanup = async () => {
  await peer?.stop().catch(() => {})
  emu.kill('SIGTERM')
  rmSync(dir, { recursive: true, force: true })
}
try {
  const ready = JSON.parse(await new Promise((resolve) => createInterface({ input: emu.stdout }).once('line', resolve)))
  const info = await control(ready.control_url, 'GET', '/info')
  const caFile = join(dir, 'ca.pem')
  writeFileSync(caFile, info.media_ca_pem)

  // Our device (wa-tool pair + the phone's scan through the control API).
  const phone = '15553000001'
  const store = join(dir, 'bot.db')
  await control(ready.control_url, 'POST', '/accounts', { phone, push_name: 'Bench' })
  const pair = spawn(tool, ['pair', '--url', ready.ws_url, '--root-key', info.root_public_key, '--store', store], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: pair.stdout })
  for await (const line of lines) {
    const ev = JSON.parse(line)
    if (ev.event === 'qr') await control(ready.control_url, 'POST', `/accounts/${phone}/scan`, { qr: ev.qr })
    if (ev.event === 'connected') break
  }
  await new Promise((resolve) => pair.once('close', resolve))
  // Baileys' device: a paired peer whose socket uploads (its fetchAgent trusts the media CA).
  peer = await pairedPeer(ready.control_url, '15553000002', { pushName: 'Baileys' })

  const video = randomBytes(mb * 1024 * 1024)
  const file = join(dir, 'video.mp4')
  writeFileSync(file, video)
  const MB = video.length / (1024 * 1024)

  const ours = []
  const theirs = []
  const oursEnc = [] // encryption alone (wa-tool times one extra media::encrypt per upload)
  const theirsEnc = [] // encryptedStream alone, inside the Baileys figure
  const oursRound = () => {
    const r = spawnSync(tool, ['upload', '--store', store, '--ca-file', caFile, '--type', 'video', '--file', file, '--repeat', String(perRound)], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`wa-tool upload failed: ${r.stderr}`)
    const ev = r.stdout.trim().split('\n').map(l => JSON.parse(l)).filter(e => e.event === 'uploaded')
    oursEnc.push(...ev.map(e => e.encrypt_ms))
    return ev.map(e => e.ms)
  }
  const baileysRound = async () => {
    const out = []
    for (let i = 0; i < perRound; i++) {
      const t0 = process.hrtime.bigint()
      const enc = await encryptedStream(video, 'video')
      theirsEnc.push(Number(process.hrtime.bigint() - t0) / 1e6)
      const up = await peer.sock.waUploadToServer(enc.encFilePath, { mediaType: 'video', fileEncSha256B64: enc.fileEncSha256.toString('base64'), timeoutMs: 60000 })
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      unlinkSync(enc.encFilePath)
      if (!up?.directPath) throw new Error('Baileys upload failed')
      out.push(ms)
    }
    return out
  }
  // Warm-up of both (TLS session setup paths, JIT), not counted.
  oursRound()
  await baileysRound()
  for (let r = 1; r <= rounds; r++) {
    const a = oursRound()
    const b = await baileysRound()
    ours.push(...a)
    theirs.push(...b)
    const fmt = (xs) => xs.map(ms => (MB / (ms / 1000)).toFixed(0)).join(', ')
    console.log(`round ${r}: ours ${fmt(a)} MB/s; baileys ${fmt(b)} MB/s`)
  }
  const rate = (ms) => MB / (ms / 1000)
  const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor(s.length / 2)] }
  const range = (xs) => `${Math.min(...xs.map(rate)).toFixed(0)}-${Math.max(...xs.map(rate)).toFixed(0)} MB/s`
  console.log(`${mb} MB video, ${rounds} rounds x ${perRound} uploads each, interleaved:`)
  console.log(`  ours    ${range(ours)} (median ${rate(median(ours)).toFixed(0)} MB/s, ${median(ours).toFixed(0)} ms per upload)`)
  console.log(`  baileys ${range(theirs)} (median ${rate(median(theirs)).toFixed(0)} MB/s, ${median(theirs).toFixed(0)} ms per upload)`)
  console.log(`  ratio of medians ${(median(theirs) / median(ours)).toFixed(1)}x`)
  const warm = (xs) => xs.slice(xs.length - ours.length) // drop the warm-up round
  console.log(`  encryption alone (median): ours ${median(warm(oursEnc)).toFixed(0)} ms, baileys encryptedStream ${median(warm(theirsEnc)).toFixed(0)} ms (${(median(warm(theirsEnc)) / median(warm(oursEnc))).toFixed(1)}x)`)
} finally {
  await cleanup()
}
process.exit(0)
