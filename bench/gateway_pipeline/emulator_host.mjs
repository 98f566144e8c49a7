// Child process of bench/gateway_pipeline/run.mjs (forked, talks over the IPC channel): the
// project's emulator plus the Baileys sender peers, with two additions for the benchmark, both in
// a subclass here so the emulator itself is unchanged:
//
// - hold: while on, a <message> the emulator routes to a bot's device is kept (in routing order)
//   instead of sent. The senders' Baileys clients encrypt and send as usual and get their server
//   ack; only the delivery to the gateway waits.
// - release(rate): the held stanzas go out through the emulator's own delivery at `rate` per
//   second; the moment each one was handed to the bot's WebSocket is recorded (CLOCK_MONOTONIC,
//   process.hrtime, comparable with the driver's clock on the same machine).
//
// While a release runs, stanzas for the senders' devices (the gateway's receipts and "typing…"
// chat states) are counted and dropped, so the senders' Baileys clients do no work during a
// measurement.
//
// Messages (driver -> host): {op, ...args, seq}; answers: {seq, ok, result | error}.
import { randomBytes } from 'node:crypto'
import { encodeWAMessage } from 'baileys'
import { Emulator } from '../../emulator/src/server.mjs'
import { pairedPeer } from '../../emulator/src/peer.mjs'
import { parseJid } from '../../emulator/src/nodes.mjs'

const nowMs = () => Number(process.hrtime.bigint()) / 1e6
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

class PipelineEmulator extends Emulator {
  constructor (options) {
    super(options)
    this.bots = new Set() // Account
    this.senderAccounts = new Set() // Account
    this.holding = false
    this.held = [] // [device, stanza]
    this.sink = false
    this.dropped = 0
    this.templates = new Map() // `${sender phone} ${bot phone}` -> the <message> a sender sent a bot
  }

  /** Keeps the last 1:1 <message> each sender sent each bot (the shape prepare() reproduces). */
  onNode (conn, node) {
    if (node.tag === 'message' && conn.device && this.senderAccounts.has(conn.device.account)) {
      const to = this.state.accountOf(parseJid(node.attrs.to))
      if (to && this.bots.has(to)) this.templates.set(`${conn.device.account.phone} ${to.phone}`, node)
    }
    return super.onNode(conn, node)
  }

  deliver (device, stanza) {
    if (this.holding && stanza.tag === 'message' && this.bots.has(device.account)) {
      this.held.push([device, stanza])
      return true
    }
    if (this.sink && this.senderAccounts.has(device.account)) {
      this.dropped++
      return true
    }
    return super.deliver(device, stanza)
  }
}

let emu
let senders = []
let bots = [] // phones
let sent = 0

const ops = {
  async start () {
    emu = new PipelineEmulator({ port: 0, controlPort: 0, media: false, qrFirstMs: 600000 })
    const ready = await emu.start()
    // The emulator logs every routed stanza; at thousands a second that is pure cost here. The
    // rest (errors, nacks, disconnects) is kept for the driver.
    const add = emu.log.add.bind(emu.log)
    const hot = new Set(['message', 'receipt', 'chatstate', 'presence'])
    emu.log.add = (kind, details) => hot.has(kind) ? undefined : add(kind, details)
    return { ...ready, root_public_key: emu.rootKey.public.toString('hex') }
  },

  /** The phones of the bot accounts (already paired by the driver). */
  bots ({ phones }) {
    bots = phones
    for (const p of phones) emu.bots.add(emu.state.accounts.get(p))
    return { bots: emu.bots.size }
  },

  /** Creates and pairs `count` Baileys sender peers, `batch` at a time. */
  async senders ({ count, base, batch = 5 }) {
    const t0 = nowMs()
    const phones = Array.from({ length: count }, (_, i) => String(base + i))
    for (let i = 0; i < phones.length; i += batch) {
      const got = await Promise.all(phones.slice(i, i + batch).map((phone, k) => pairedPeer(emu.control_url ?? emu.controlUrl, phone, { pushName: `Sender ${i + k}` })))
      senders.push(...got)
    }
    for (const s of senders) emu.senderAccounts.add(emu.state.accounts.get(s.phone))
    return { senders: senders.length, ms: Math.round(nowMs() - t0) }
  },

  /**
   * Every sender sends one message to every bot, delivered at once (not held); the driver's
   * receiver answers these with a reply, so that each sender's Signal session with each bot has
   * seen a message back (later messages are ordinary `msg`, not `pkmsg`). Resolves when every
   * sender got a reply from every bot.
   */
  async warmup ({ timeoutMs = 120000 }) {
    const t0 = nowMs()
    const ids = []
    const botUsers = new Set(bots.map((p) => `${p}@s.whatsapp.net`))
    await Promise.all(senders.map(async (s) => {
      for (const b of bots) ids.push((await s.sendText(`${b}@s.whatsapp.net`, `warm-up from ${s.phone}`)).key.id)
    }))
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const missing = senders.reduce((n, s) => {
        const from = new Set(s.inbox.map((m) => m.key.remoteJid).filter((j) => botUsers.has(j)))
        return n + (bots.length - from.size)
      }, 0)
      if (!missing) break
      if (Date.now() > deadline) throw new Error(`warm-up: ${missing} sender/bot pairs got no reply`)
      await sleep(100)
    }
    return { ids, ms: Math.round(nowMs() - t0) }
  },

  /**
   * Encrypts `count` text messages ahead of time and holds them: message k goes to bot k % B
   * from sender floor(k / B) % S, so consecutive messages go to different bots and every
   * (sender, bot) chat gets its share in order.
   *
   * Each message is encrypted by the sender's own Baileys Signal session with the bot's device
   * (`signalRepository.encryptMessage`, the call Baileys' own send makes) and sent on the
   * sender's own connection as the same 1:1 stanza its last Baileys send to that bot had
   * (captured by onNode: `to`, `<participants><to jid><enc v=2 type>`, other children), with a
   * new id and content. The emulator routes it as any message. Baileys' full `sendMessage` is
   * not used here because it does a key-server round trip per message and makes ~20-60
   * messages/s on this machine (see docs/BENCHMARKS.md).
   */
  async prepare ({ count }) {
    const t0 = nowMs()
    emu.holding = true
    emu.held = []
    const B = bots.length
    const S = senders.length
    const perSender = senders.map(() => [])
    for (let k = 0; k < count; k++) perSender[Math.floor(k / B) % S].push(k)
    const cpu0 = process.cpuUsage()
    let types = { msg: 0, pkmsg: 0 }
    await Promise.all(senders.map(async (s, si) => {
      for (const k of perSender[si]) {
        const bot = bots[k % B]
        const tpl = emu.templates.get(`${s.phone} ${bot}`)
        if (!tpl) throw new Error(`no message from ${s.phone} to ${bot} seen yet`)
        const parts = tpl.content.find((c) => c.tag === 'participants')
        const to = parts.content.filter((c) => c.tag === 'to')
        const data = encodeWAMessage({ conversation: `bench ${sent + k} ${'x'.repeat(20)}` })
        const encs = []
        for (const t of to) {
          const { type, ciphertext } = await s.sock.signalRepository.encryptMessage({ jid: t.attrs.jid, data })
          types[type] = (types[type] ?? 0) + 1
          const enc = t.content.find((c) => c.tag === 'enc')
          encs.push({ tag: 'to', attrs: t.attrs, content: [{ tag: 'enc', attrs: { ...enc.attrs, type }, content: ciphertext }] })
        }
        // Baileys adds <device-identity> only to pkmsg sends.
        const pk = encs.some((e) => e.content[0].attrs.type === 'pkmsg')
        const node = {
          tag: 'message',
          attrs: { ...tpl.attrs, id: `3EB0${randomBytes(9).toString('hex').toUpperCase()}` },
          content: tpl.content
            .filter((c) => pk || c.tag !== 'device-identity')
            .map((c) => c === parts ? { tag: 'participants', attrs: parts.attrs, content: encs } : c)
        }
        await s.sock.sendNode(node)
      }
    }))
    // Sends resolve once written; the emulator routes them when it reads them.
    const deadline = Date.now() + 60000
    while (emu.held.length < count && Date.now() < deadline) await sleep(20)
    emu.holding = false
    sent += count
    const cpu = process.cpuUsage(cpu0)
    const ms = nowMs() - t0
    // The release order is the order of routing; it keeps each chat's own order.
    return { held: emu.held.length, ms: Math.round(ms), per_s: Math.round(emu.held.length / (ms / 1000)), cpu_s: (cpu.user + cpu.system) / 1e6, enc_types: types }
  },

  /** Sends the held stanzas at `rate` per second; returns [id, monotonic ms] per stanza. */
  async release ({ rate }) {
    const held = emu.held
    emu.held = []
    emu.sink = true
    emu.dropped = 0
    const n = held.length
    const ids = new Array(n)
    const at = new Array(n)
    const cpu0 = process.cpuUsage()
    const t0 = nowMs()
    let i = 0
    while (i < n) {
      const due = Math.min(n, Math.floor(((nowMs() - t0) * rate) / 1000) + 1)
      while (i < due) {
        const [device, stanza] = held[i]
        Emulator.prototype.deliver.call(emu, device, stanza)
        at[i] = nowMs()
        ids[i] = stanza.attrs.id
        i++
      }
      if (i < n) {
        const wait = t0 + (i * 1000) / rate - nowMs()
        await (wait >= 1 ? sleep(wait) : new Promise((resolve) => setImmediate(resolve)))
      }
    }
    const t1 = nowMs()
    const cpu = process.cpuUsage(cpu0)
    return { ids, at, start: t0, end: t1, achieved_per_s: n > 1 ? (n - 1) / ((at[n - 1] - at[0]) / 1000) : 0, cpu_s: (cpu.user + cpu.system) / 1e6 }
  },

  /** Drops (on) or delivers (off) stanzas for the senders' devices (bench/gateway_send). */
  sink ({ on }) {
    emu.sink = Boolean(on)
    const dropped = emu.dropped
    emu.dropped = 0
    return { dropped }
  },

  /** Ends the sink mode once the gateway is done with a release. */
  settle () {
    emu.sink = false
    return { dropped: emu.dropped }
  },

  /** Log events other than routine routing, since `since`. */
  log ({ since = 0 }) {
    return emu.log.since(since)
  },

  async stop () {
    await Promise.all(senders.map((s) => s.stop().catch(() => {})))
    await emu?.stop()
    return {}
  }
}

process.on('message', async (msg) => {
  try {
    const result = await ops[msg.op](msg)
    process.send({ seq: msg.seq, ok: true, result })
  } catch (err) {
    process.send({ seq: msg.seq, ok: false, error: err.stack || String(err) })
  }
})
process.on('disconnect', () => process.exit(0))
