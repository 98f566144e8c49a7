// Shared harness of the wa-tool end-to-end tests (messaging_e2e.test.mjs, media_e2e.test.mjs): the
// offline emulator in this process (port 0), wa-tool processes whose stdout JSON lines are events,
// and Baileys peers (emulator/src/peer.mjs).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import assert from 'node:assert/strict'
import { Emulator } from '../../../emulator/src/server.mjs'
import { pairedPeer } from '../../../emulator/src/peer.mjs'

export const [tool, scenario] = process.argv.slice(2)
export const dir = mkdtempSync(join(tmpdir(), 'wa-e2e-'))
const children = new Set()
const peers = []

// ---- harness ----------------------------------------------------------------------------------

export const startEmulator = async ({ media = false } = {}) => {
  const emu = new Emulator({ port: 0, controlPort: 0, media })
  const ready = await emu.start()
  const call = async (method, path, body) => {
    const r = await fetch(ready.control_url + path, {
      method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body)
    })
    return { status: r.status, body: await r.json() }
  }
  return {
    emu,
    ...ready,
    root: emu.rootKey.public.toString('hex'),
    get: async (p) => (await call('GET', p)).body,
    post: (p, body) => call('POST', p, body)
  }
}

/** A wa-tool process; its stdout JSON lines are events. */
export class Tool {
  constructor (args, name = args[0]) {
    this.name = name
    this.events = []
    this.used = new Set() // indexes of events already returned by next()
    this.stderr = ''
    this.waiters = []
    this.child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(this.child)
    this.child.stderr.on('data', (d) => { this.stderr += d; if (process.env.E2E_VERBOSE) process.stderr.write(`${this.name}! ${d}`) })
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let ev
      try { ev = JSON.parse(line) } catch { ev = { event: 'garbage', line } }
      this.events.push(ev)
      if (process.env.E2E_VERBOSE) console.log(`${this.name}: ${line}`)
      this.wake()
    })
    this.exit = new Promise((resolve) => this.child.on('close', (code) => {
      children.delete(this.child)
      this.exited = code
      this.wake()
      resolve(code)
    }))
  }

  wake () { for (const w of this.waiters.splice(0)) w() }

  /** The first event not returned before for which pred holds (waits for it). */
  async next (pred, timeoutMs = 20000) {
    const test = typeof pred === 'string' ? (e) => e.event === pred : pred
    const deadline = Date.now() + timeoutMs
    for (;;) {
      for (let i = 0; i < this.events.length; i++) {
        if (!this.used.has(i) && test(this.events[i])) { this.used.add(i); return this.events[i] }
      }
      if (this.exited !== undefined) throw new Error(`${this.name} exited ${this.exited} before ${pred}; events ${JSON.stringify(this.events)}; stderr ${this.stderr}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`${this.name}: timeout waiting for ${pred}; events ${JSON.stringify(this.events)}; stderr ${this.stderr}`)
      await new Promise((resolve) => { const t = setTimeout(resolve, left); this.waiters.push(() => { clearTimeout(t); resolve() }) })
    }
  }

  interrupt () { this.child.kill('SIGINT'); return this.exit }
}

export const sleep = (ms) => new Promise(resolve => setTimeout(resolve, ms))
export const store = (name) => join(dir, `${name}.db`)
export const VERBOSE = process.env.E2E_VERBOSE ? ['--verbose'] : []

/** Pairs our client (wa-tool pair) as a companion of `phone`. */
export const pairBot = async (ctx, phone, file) => {
  await ctx.post('/accounts', { phone, push_name: 'Bot' })
  const t = new Tool(['pair', '--url', ctx.ws_url, '--root-key', ctx.root, '--store', file, '--push-name', 'Bot'])
  const qr = await t.next('qr')
  const scan = await ctx.post(`/accounts/${phone}/scan`, { qr: qr.qr })
  assert.equal(scan.status, 200, JSON.stringify(scan.body))
  const c = await t.next('connected')
  assert.equal(await t.exit, 0, t.stderr)
  return { phone, jid: c.jid, lid: c.lid, file, user: `${phone}@s.whatsapp.net`, lidUser: `${c.lid.split(':')[0].split('@')[0]}@lid` }
}

export const peer = async (ctx, phone, name) => {
  const p = await pairedPeer(ctx.control_url, phone, { pushName: name })
  peers.push(p)
  return p
}

export const listen = async (bot, extra = []) => {
  const t = new Tool(['listen', '--store', bot.file, '--backoff-ms', '100,200', ...extra, ...VERBOSE], 'listen')
  await t.next('connected')
  return t
}

/** wa-tool send; resolves with {id, timestamp}. */
export const send = async (bot, to, text, extra = []) => {
  const t = new Tool(['send', '--store', bot.file, '--to', to, '--text', text, ...extra, ...VERBOSE], 'send')
  const code = await t.exit
  assert.equal(code, 0, `send failed: ${t.stderr}`)
  const r = t.events.at(-1)
  assert.match(r.id, /^3EB0[0-9A-F]{18}$/)
  assert.ok(r.timestamp > 1700000000, JSON.stringify(r))
  return r
}

export const textOf = (m) => m.message?.conversation ?? m.message?.extendedTextMessage?.text
export const contextOf = (m) => m.message?.extendedTextMessage?.contextInfo

/** Nothing the emulator sent our device is left unacknowledged (queued ones included). */
export const assertAllAcked = async (ctx, bot) => {
  await sleep(300)
  const device = bot.jid.split('@')[0] + '@' // "PHONE:N@": this device only, not a twin
  const mine = (await ctx.get('/unacked')).filter(u => String(u.who).startsWith(device))
  assert.deepEqual(mine, [], `unacked stanzas of our device: ${JSON.stringify(mine)}`)
}

/** Runs `scenarios[scenario]` (a function returning the emulator context), cleans up, exits. */
export const runScenarios = async (file, scenarios) => {
  if (!tool || !scenarios[scenario]) {
    console.error(`usage: ${file} WA_TOOL ${Object.keys(scenarios).join('|')}`)
    process.exit(2)
  }
  let ctx
  let status = 0
  const started = Date.now()
  try {
    ctx = await scenarios[scenario]()
    console.log(`ok ${scenario} (${Date.now() - started} ms)`)
  } catch (err) {
    console.error(`FAIL ${scenario}: ${err.stack || err}`)
    status = 1
  } finally {
    for (const c of children) c.kill('SIGKILL')
    for (const p of peers) await p.stop().catch(() => {})
    if (ctx) await ctx.emu.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  process.exit(status)
}
