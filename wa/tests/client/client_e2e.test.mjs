// End-to-end tests of the client through `wa-tool pair | connect | logout` against the offline
// emulator (emulator/src, run in this process on port 0): real processes, real sockets, real Noise.
//   node wa/tests/client/client_e2e.test.mjs WA_TOOL SCENARIO
// Each scenario is one ctest (wa/tests/client/CMakeLists.txt). The emulator runs in-process so that
// a few scenarios can bend it without changing it: a failure 405 for old client versions, an
// expired or mismatched certificate chain, a third party fetching our prekeys.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import assert from 'node:assert/strict'
import { Curve } from 'baileys'
import { Emulator } from '../../../emulator/src/server.mjs'
import { makeCertChain } from '../../../emulator/src/certs.mjs'
import { handleEncryptIq } from '../../../emulator/src/prekeys.mjs'

const [tool, scenario] = process.argv.slice(2)
const dir = mkdtempSync(join(tmpdir(), 'wa-client-e2e-'))
const children = new Set()

// ---- harness ----------------------------------------------------------------------------------

const startEmulator = async (options = {}) => {
  const emu = new Emulator({ port: 0, controlPort: 0, media: false, ...options })
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
    post: (p, body) => call('POST', p, body),
    logKinds: async () => (await call('GET', '/log?since=0')).body.events.map(e => e.kind ?? e.type)
  }
}

/** A wa-tool process; its stdout JSON lines are events. */
class Tool {
  constructor (args, name = args[0]) {
    this.name = name
    this.events = []
    this.cursor = 0
    this.stderr = ''
    this.waiters = []
    this.child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(this.child)
    this.child.stderr.on('data', (d) => { this.stderr += d })
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

  /** The next event (after the previous match) for which pred holds. */
  async next (pred, timeoutMs = 20000) {
    const test = typeof pred === 'string' ? (e) => e.event === pred : pred
    const deadline = Date.now() + timeoutMs
    for (;;) {
      for (let i = this.cursor; i < this.events.length; i++) {
        if (test(this.events[i])) { this.cursor = i + 1; return this.events[i] }
      }
      if (this.exited !== undefined) throw new Error(`${this.name} exited ${this.exited} before ${pred}; events ${JSON.stringify(this.events)}; stderr ${this.stderr}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`${this.name}: timeout waiting for ${pred}; events ${JSON.stringify(this.events)}; stderr ${this.stderr}`)
      await new Promise((resolve) => { const t = setTimeout(resolve, left); this.waiters.push(() => { clearTimeout(t); resolve() }) })
    }
  }

  names () { return this.events.map(e => e.event) }
  interrupt () { this.child.kill('SIGINT'); return this.exit }
}

const store = (name) => join(dir, `${name}.db`)
const pairArgs = (ctx, file, extra = []) => ['pair', '--url', ctx.ws_url, '--root-key', ctx.root, '--store', file, '--push-name', 'E2E', ...extra]
const FAST = ['--backoff-ms', '100,200']

/** Pairs a new device of `phone` by QR and returns its JID. */
const pairByQr = async (ctx, phone, file) => {
  await ctx.post('/accounts', { phone })
  const t = new Tool(pairArgs(ctx, file))
  const qr = await t.next('qr')
  const scan = await ctx.post(`/accounts/${phone}/scan`, { qr: qr.qr })
  assert.equal(scan.status, 200, JSON.stringify(scan.body))
  const connected = await t.next('connected')
  assert.equal(await t.exit, 0, t.stderr)
  return { jid: connected.jid, lid: connected.lid, tool: t }
}

const devicesOf = (ctx, phone) => ctx.get(`/accounts/${phone}/devices`)
const sleep = (ms) => new Promise(resolve => setTimeout(resolve, ms))
const connectArgs = (file, extra = []) => ['connect', '--store', file, ...FAST, ...extra]

// ---- scenarios --------------------------------------------------------------------------------

const scenarios = {
  // QR pairing through the control API's scan -> pair-success -> 515 -> login -> 812 prekeys.
  async qr_pair_login () {
    const ctx = await startEmulator()
    const phone = '15550000001'
    await ctx.post('/accounts', { phone })
    const t = new Tool(pairArgs(ctx, store('a')))
    const qr = await t.next('qr')
    assert.equal(qr.expires_in, 60)
    assert.equal(qr.index, 0)
    assert.match(qr.qr, /^https:\/\/wa\.me\/settings\/linked_devices#2@[^,]+,[A-Za-z0-9+/=]{44},[A-Za-z0-9+/=]{44},[A-Za-z0-9+/=]{44},9$/)
    const scan = await ctx.post(`/accounts/${phone}/scan`, { qr: qr.qr })
    assert.equal(scan.status, 200, JSON.stringify(scan.body))
    const paired = await t.next('paired')
    assert.equal(paired.jid, scan.body.jid)
    assert.equal(paired.lid, scan.body.lid)
    assert.equal(paired.platform, 'android')
    const restart = await t.next('disconnected')
    assert.equal(restart.reason, 'restart_required')
    assert.equal(restart.code, 515)
    assert.equal(restart.will_reconnect, true)
    assert.equal(restart.retry_in_ms, 0)
    const up = await t.next('prekeys_uploaded')
    assert.equal(up.count, 812)
    assert.equal(up.server_count_before, 0)
    const connected = await t.next('connected')
    assert.equal(connected.jid, scan.body.jid)
    assert.equal(connected.lid, scan.body.lid)
    assert.equal(await t.exit, 0, t.stderr)
    const last = t.events.at(-1)
    assert.equal(last.event, 'disconnected')
    assert.equal(last.reason, 'user_requested')
    const devices = await devicesOf(ctx, phone)
    assert.equal(devices.length, 1)
    assert.equal(devices[0].prekeys, 812)
    const kinds = await ctx.logKinds()
    for (const k of ['registration', 'pair_device', 'paired', 'login', 'prekeys_uploaded', 'presence']) assert.ok(kinds.includes(k), `emulator log lacks ${k}: ${kinds}`)
    assert.ok(!kinds.includes('unacked'), 'every stanza that needs it was acknowledged')
    assert.ok(!kinds.includes('error'), `emulator errors: ${JSON.stringify((await ctx.get('/log?since=0')).events.filter(e => e.kind === 'error'))}`)
    return ctx
  },

  // A stored device logs in again without QR and without re-uploading prekeys.
  async reconnect_stored () {
    const ctx = await startEmulator()
    const phone = '15550000002'
    const { jid } = await pairByQr(ctx, phone, store('b'))
    const t = new Tool(connectArgs(store('b')))
    const c = await t.next('connected')
    assert.equal(c.jid, jid)
    assert.ok(!t.names().includes('qr'))
    assert.ok(!t.names().includes('prekeys_uploaded'), '812 keys are still on the server')
    assert.equal((await devicesOf(ctx, phone))[0].connected, true)
    assert.equal(await t.interrupt(), 0)
    const d = t.events.at(-1)
    assert.equal(d.event, 'disconnected')
    assert.equal(d.reason, 'user_requested')
    assert.equal(d.will_reconnect, false)
    await sleep(200)
    assert.equal((await devicesOf(ctx, phone))[0].connected, false)
    return ctx
  },

  // Phone-number pairing: code -> typed on the phone (control API) -> pair-success -> login.
  async phone_code () {
    const ctx = await startEmulator()
    const phone = '15550000003'
    await ctx.post('/accounts', { phone })
    const t = new Tool(pairArgs(ctx, store('c'), ['--phone', `+${phone}`]))
    const code = await t.next('pair_code')
    assert.match(code.code, /^[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}$/)
    assert.ok(!t.names().includes('qr'), 'no QR codes while pairing by phone')
    const linked = await ctx.post(`/accounts/${phone}/link-code`, { code: code.code })
    assert.equal(linked.status, 200, JSON.stringify(linked.body))
    const paired = await t.next('paired')
    assert.equal(paired.jid, linked.body.jid)
    await t.next('connected')
    assert.equal(await t.exit, 0, t.stderr)
    assert.equal((await devicesOf(ctx, phone))[0].prekeys, 812)
    return ctx
  },

  // Six refs shown in turn (first window longer), then qr_timeout and a clean stop.
  async qr_timeout () {
    const ctx = await startEmulator({ qrFirstMs: 1500, qrNextMs: 500 })
    const t = new Tool(pairArgs(ctx, store('d'), ['--qr-first-ms', '1500', '--qr-next-ms', '500']))
    const started = Date.now()
    const qrs = []
    for (let i = 0; i < 6; i++) qrs.push(await t.next('qr'))
    assert.deepEqual(qrs.map(q => q.index), [0, 1, 2, 3, 4, 5])
    assert.deepEqual(qrs.map(q => q.expires_in), [2, 1, 1, 1, 1, 1])
    assert.equal(new Set(qrs.map(q => q.qr.split(',')[0])).size, 6, 'each QR has its own ref')
    assert.equal(new Set(qrs.map(q => q.qr.split(',').slice(1).join(','))).size, 1, 'same keys in every QR')
    const d = await t.next('disconnected')
    assert.equal(d.reason, 'qr_timeout')
    assert.equal(d.will_reconnect, false)
    await t.next('qr_timeout')
    const elapsed = Date.now() - started
    assert.ok(elapsed >= 3500 && elapsed < 10000, `refs exhausted after ${elapsed} ms`)
    assert.equal(await t.exit, 1)
    // The emulator saw the connection go away; an expired ref cannot be scanned.
    await ctx.post('/accounts', { phone: '15550000004' })
    const late = await ctx.post('/accounts/15550000004/scan', { qr: qrs[5].qr })
    assert.equal(late.status, 404)
    return ctx
  },

  // The server stops answering (pause): pings time out, the client reconnects by itself.
  async keepalive () {
    const ctx = await startEmulator()
    const phone = '15550000005'
    await pairByQr(ctx, phone, store('e'))
    const t = new Tool(connectArgs(store('e'), ['--keepalive-ms', '200,400', '--keepalive-timeout-ms', '500', '--keepalive-dead-ms', '1500']))
    await t.next('connected')
    await sleep(1200) // a few pings answered
    const f = await ctx.post('/faults', { phone, kind: 'pause', seconds: 8 })
    assert.equal(f.body.connections, 1)
    const d = await t.next('disconnected', 10000)
    assert.equal(d.reason, 'keepalive_timeout')
    assert.equal(d.will_reconnect, true)
    await t.next('connected', 10000)
    assert.equal((await devicesOf(ctx, phone))[0].connected, true)
    assert.equal(await t.interrupt(), 0)
    return ctx
  },

  // stream:error 515 and 503 -> reconnect and log in again.
  async stream_errors () {
    const ctx = await startEmulator()
    const phone = '15550000006'
    await pairByQr(ctx, phone, store('f'))
    const t = new Tool(connectArgs(store('f')))
    await t.next('connected')
    for (const [code, reason] of [['515', 'restart_required'], ['503', 'transient']]) {
      await ctx.post('/faults', { phone, kind: 'stream_error', code })
      const d = await t.next('disconnected')
      assert.equal(d.reason, reason)
      assert.equal(d.code, Number(code))
      assert.equal(d.will_reconnect, true)
      await t.next('connected')
    }
    // A dropped socket is transient too.
    await ctx.post('/faults', { phone, kind: 'drop' })
    const d = await t.next('disconnected')
    assert.equal(d.reason, 'transient')
    assert.equal(d.will_reconnect, true)
    await t.next('connected')
    assert.equal(await t.interrupt(), 0)
    return ctx
  },

  // 401 + device_removed: logged out, store wiped, no reconnect.
  async device_removed () {
    const ctx = await startEmulator()
    const phone = '15550000007'
    await pairByQr(ctx, phone, store('g'))
    const t = new Tool(connectArgs(store('g')))
    await t.next('connected')
    await ctx.post('/faults', { phone, kind: 'stream_error', code: 'device_removed' })
    const d = await t.next('disconnected')
    assert.equal(d.reason, 'logged_out')
    assert.equal(d.code, 401)
    assert.equal(d.detail, 'device_removed')
    assert.equal(d.will_reconnect, false)
    const lo = await t.next('logged_out')
    assert.equal(lo.reason, 'logged_out')
    assert.equal(await t.exit, 3)
    const again = new Tool(connectArgs(store('g')))
    assert.equal(await again.exit, 1)
    assert.match(again.stderr, /no paired device/)
    return ctx
  },

  // Another login of the same device takes over: the first one is replaced and does not retry.
  async replaced () {
    const ctx = await startEmulator()
    const phone = '15550000008'
    await pairByQr(ctx, phone, store('h'))
    const a = new Tool(connectArgs(store('h')), 'A')
    await a.next('connected')
    const b = new Tool(connectArgs(store('h')), 'B')
    await b.next('connected')
    const d = await a.next('disconnected')
    assert.equal(d.reason, 'replaced')
    assert.equal(d.detail, 'replaced')
    assert.equal(d.will_reconnect, false)
    assert.equal(await a.exit, 3)
    assert.ok(!a.names().includes('logged_out'), 'a replaced session keeps its device')
    await sleep(1000)
    assert.ok(!b.names().includes('disconnected'), 'B is not pushed out again')
    assert.equal(await b.interrupt(), 0)
    return ctx
  },

  // <failure reason=405> for an old client version (the emulator bent in-process: it has no
  // version check of its own) -> client_outdated, no retry, device kept.
  async client_outdated () {
    const ctx = await startEmulator()
    const original = ctx.emu.onClientPayload.bind(ctx.emu)
    ctx.emu.onClientPayload = async (conn, clientStatic, payload) => {
      if ((payload.userAgent?.appVersion?.tertiary ?? 0) < 1000) {
        conn.end({ tag: 'failure', attrs: { reason: '405', location: 'emulator' } })
        return
      }
      return original(conn, clientStatic, payload)
    }
    const phone = '15550000009'
    await pairByQr(ctx, phone, store('i'))
    const t = new Tool(connectArgs(store('i'), ['--version', '2.3000.1']))
    const d = await t.next('disconnected')
    assert.equal(d.reason, 'client_outdated')
    assert.equal(d.code, 405)
    assert.equal(d.will_reconnect, false)
    assert.equal(await t.exit, 3)
    assert.ok(!t.names().includes('logged_out'))
    const ok = new Tool(connectArgs(store('i')))
    await ok.next('connected')
    assert.equal(await ok.interrupt(), 0)
    // Registration with an outdated version fails the same way.
    const p = new Tool(pairArgs(ctx, store('i2'), ['--version', '2.3000.1']))
    const pd = await p.next('disconnected')
    assert.equal(pd.reason, 'client_outdated')
    assert.equal(await p.exit, 1)
    return ctx
  },

  // Certificate checks fail closed: wrong root, expired intermediate, expired leaf, leaf that is
  // not the server's static key. No registration payload ever reaches the server.
  async cert_checks () {
    const ctx = await startEmulator()
    const expect = async (root, errc, name) => {
      const t = new Tool(['pair', '--url', ctx.ws_url, '--root-key', root, '--store', store(name)])
      const d = await t.next('disconnected')
      assert.equal(d.reason, 'connect_failed')
      assert.equal(d.will_reconnect, false, 'certificate failures are not retried')
      assert.match(d.detail, new RegExp(`^certificate: ${errc}`), d.detail)
      assert.equal(await t.exit, 1)
    }
    await expect(Curve.generateKeyPair().public.toString('hex'), 'cert_intermediate_signature', 'j1')
    const day = 86400 * 1000
    ctx.emu.certChain = makeCertChain(ctx.emu.rootKey, ctx.emu.serverStatic.public, Date.now() - 2 * 365 * day)
    await expect(ctx.root, 'cert_intermediate_expired', 'j2')
    ctx.emu.certChain = makeCertChain(ctx.emu.rootKey, ctx.emu.serverStatic.public, Date.now() - 60 * day)
    await expect(ctx.root, 'cert_leaf_expired', 'j3')
    ctx.emu.certChain = makeCertChain(ctx.emu.rootKey, Curve.generateKeyPair().public)
    await expect(ctx.root, 'cert_leaf_key_mismatch', 'j4')
    assert.ok(!(await ctx.logKinds()).includes('registration'))
    // And the genuine chain still works.
    ctx.emu.certChain = makeCertChain(ctx.emu.rootKey, ctx.emu.serverStatic.public)
    const t = new Tool(pairArgs(ctx, store('j5')))
    await t.next('qr')
    assert.equal(await t.interrupt(), 0)
    return ctx
  },

  // Logout: remove-companion-device, device gone on the emulator, store wiped.
  async logout () {
    const ctx = await startEmulator()
    const phone = '15550000010'
    const { jid } = await pairByQr(ctx, phone, store('k'))
    assert.equal((await devicesOf(ctx, phone)).length, 1)
    const t = new Tool(['logout', '--store', store('k')])
    await t.next('connected')
    const r = await t.next('logout_result')
    assert.equal(r.ok, true, JSON.stringify(r))
    const lo = await t.next('logged_out')
    assert.equal(lo.reason, 'user_requested')
    assert.equal(await t.exit, 0, t.stderr)
    assert.deepEqual(await devicesOf(ctx, phone), [])
    const log = (await ctx.get('/log?since=0')).events
    assert.ok(log.some(e => (e.kind ?? e.type) === 'logout' && e.jid === jid), 'emulator saw remove-companion-device')
    const again = new Tool(connectArgs(store('k')))
    assert.equal(await again.exit, 1)
    return ctx
  },

  // Low-prekey notification: a third party fetches our bundles until fewer than 4 remain; the
  // client acks the notification and uploads 50 more. Unknown stanzas are ignored.
  async low_prekeys () {
    const ctx = await startEmulator({ maxPrekeys: 6, prekeyLowThreshold: 4 })
    const phone = '15550000011'
    const { jid } = await pairByQr(ctx, phone, store('l'))
    const t = new Tool(connectArgs(store('l')))
    await t.next('connected')
    assert.equal((await devicesOf(ctx, phone))[0].prekeys, 6)
    const device = ctx.emu.state.deviceOf(jid)
    const fetcher = { device, label: 'e2e-fetcher', id: 0 }
    for (let i = 0; i < 3; i++) {
      handleEncryptIq(ctx.emu, fetcher, { tag: 'iq', attrs: { xmlns: 'encrypt', type: 'get', id: `k${i}` }, content: [{ tag: 'key', attrs: {}, content: [{ tag: 'user', attrs: { jid } }] }] })
    }
    assert.equal((await devicesOf(ctx, phone))[0].prekeys, 3)
    const up = await t.next('prekeys_uploaded')
    assert.equal(up.count, 50)
    assert.equal(up.server_count_before, 3)
    await sleep(300)
    assert.equal((await devicesOf(ctx, phone))[0].prekeys, 6)
    // Hostile/unknown input: an unknown stanza and an unknown server iq do not end the session.
    for (const conn of device.conns) {
      conn.send({ tag: 'weird-stanza', attrs: { id: 'W1' } })
      conn.send({ tag: 'iq', attrs: { from: '@s.whatsapp.net', type: 'get', id: 'U1', xmlns: 'nonsense' } })
    }
    await sleep(500)
    assert.ok(!t.names().includes('disconnected'))
    const unacked = await ctx.get('/unacked')
    assert.equal(JSON.stringify(unacked).includes('PK'), false, `the low-prekey notification was acked: ${JSON.stringify(unacked)}`)
    assert.equal(await t.interrupt(), 0)
    return ctx
  }
}

// ---- main -------------------------------------------------------------------------------------

if (!tool || !scenarios[scenario]) {
  console.error(`usage: client_e2e.test.mjs WA_TOOL ${Object.keys(scenarios).join('|')}`)
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
  if (ctx) await ctx.emu.stop()
  rmSync(dir, { recursive: true, force: true })
}
process.exit(status)
