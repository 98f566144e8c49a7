// Baileys peer harness: unmodified Baileys clients as "other WhatsApp users" against the emulator.
// The root-key override is done in-process (WA_CERT_DETAILS.PUBLIC_KEY is an exported, mutable
// object, wa-protocol.md §11.1); pairing goes through the emulator's control API.
import { Agent as HttpsAgent } from 'node:https'
import { EventEmitter } from 'node:events'
import makeWASocket, { BufferJSON, downloadMediaMessage, initAuthCreds, proto, WA_CERT_DETAILS } from 'baileys'
import { Agent as UndiciAgent } from 'undici'

// libsignal (Baileys' Signal engine) prints session life-cycle chatter on the console; keep test
// output readable unless PEER_LOG asks for detail.
const LIBSIGNAL_NOISE = /^(Closing session|Opening session|Removing old closed session|Session already closed|Decrypted message with closed session|Closing open session in favor|Migrating session to|Failed to decrypt message with any known session|Session error)/
if (!process.env.PEER_LOG) {
  for (const level of ['log', 'info', 'warn', 'error']) {
    const original = console[level].bind(console)
    console[level] = (...args) => { if (!(typeof args[0] === 'string' && LIBSIGNAL_NOISE.test(args[0]))) original(...args) }
  }
}

// Baileys arms long safety timeouts it never clears (e.g. the 30 s prekey-upload race). They must
// not keep a finished test process alive: long timers are unref'd (open sockets still keep it alive).
const originalSetTimeout = globalThis.setTimeout
globalThis.setTimeout = function (fn, ms, ...args) {
  const t = originalSetTimeout(fn, ms, ...args)
  if (typeof ms === 'number' && ms >= 15000 && typeof t?.unref === 'function') t.unref()
  return t
}

/** JSON over the control API; throws on non-2xx with the server's error text. */
export const control = async (controlUrl, method, path, body) => {
  const res = await fetch(controlUrl + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined
  })
  const json = await res.json().catch(() => ({}))
  if (!res.ok) {
    const err = new Error(`${method} ${path} -> ${res.status}: ${json.error}`)
    err.status = res.status
    throw err
  }
  return json
}

/** pino-compatible logger: silent unless PEER_LOG=level; keeps recent warnings for diagnostics. */
const makeLogger = (name, sink) => {
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']
  const wanted = process.env.PEER_LOG ? levels.indexOf(process.env.PEER_LOG) : 99
  const mk = (bindings) => {
    const l = { level: process.env.PEER_LOG || 'silent', child: (b) => mk({ ...bindings, ...b }) }
    levels.forEach((lv, i) => {
      l[lv] = (obj, msg) => {
        if (i >= 3) sink.push({ level: lv, msg: typeof obj === 'string' ? obj : msg, obj: typeof obj === 'object' ? safe(obj) : undefined })
        if (sink.length > 200) sink.shift()
        if (i >= wanted) process.stderr.write(`[${name}] ${lv} ${typeof obj === 'string' ? obj : (msg || '')} ${typeof obj === 'object' ? JSON.stringify(safe(obj)).slice(0, 600) : ''}\n`)
      }
    })
    return l
  }
  return mk({})
}
const safe = (o) => { try { return JSON.parse(JSON.stringify(o, BufferJSON.replacer)) } catch { return String(o) } }

/** In-memory Signal key store with the get/set interface Baileys expects. */
export class MemoryKeyStore {
  constructor () { this.data = {} }
  async get (type, ids) {
    const out = {}
    for (const id of ids) {
      let v = this.data[type]?.[id]
      if (v !== undefined && type === 'app-state-sync-key') v = proto.Message.AppStateSyncKeyData.fromObject(v)
      if (v !== undefined) out[id] = v
    }
    return out
  }

  async set (data) {
    for (const type in data) {
      this.data[type] = this.data[type] || {}
      for (const id in data[type]) {
        if (data[type][id] == null) delete this.data[type][id]
        else this.data[type][id] = data[type][id]
      }
    }
  }

  /** Test hook: forget every Signal session (simulates a peer that lost its session state). */
  dropSessions () { this.data.session = {} }
}

const DEFAULT_TIMEOUT = 20000
const closedSockets = new WeakSet()

/**
 * One emulated WhatsApp user: an account on the emulator and one Baileys companion device.
 * Events: 'message' (WAMessage), 'update' (messages.update item), 'receipt' (message-receipt.update item),
 *         'connection' (connection.update), 'presence' (presence.update), 'group-participants'
 *         (group-participants.update), 'group-upsert' (one groups.upsert item).
 */
export class Peer extends EventEmitter {
  /**
   * @param {{controlUrl: string, phone: string, pushName?: string, keepAliveIntervalMs?: number}} opts
   */
  constructor ({ controlUrl, phone, pushName, keepAliveIntervalMs = 30000, browser, qrTimeoutMs }) {
    super()
    this.qrTimeoutMs = qrTimeoutMs
    this.controlUrl = controlUrl
    this.phone = phone
    this.pushName = pushName || `peer-${phone}`
    this.keepAliveIntervalMs = keepAliveIntervalMs
    this.browser = browser || ['Ubuntu', 'Chrome', '22.04']
    this.creds = initAuthCreds()
    this.keys = new MemoryKeyStore()
    this.logs = []
    this.logger = makeLogger(phone, this.logs)
    this.inbox = []
    this.sent = new Map() // id -> WAMessage, for Baileys' getMessage (retries)
    this.disconnects = [] // statusCode of every connection close
    this.presences = [] // presence.update events (presence and chat states)
    this.groupEvents = [] // group-participants.update events
    this.sock = null
    this.stopped = false
  }

  get jid () { return this.creds.me?.id }
  get lid () { return this.creds.me?.lid }
  /** PN user JID without device. */
  get user () { return `${this.phone}@s.whatsapp.net` }
  get lidUser () { return this.lid ? `${this.lid.split(':')[0].split('@')[0]}@lid` : undefined }

  async init () {
    this.info = await control(this.controlUrl, 'GET', '/info')
    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(this.info.root_public_key, 'hex')
    if (this.info.media_ca_pem) {
      this.fetchAgent = new HttpsAgent({ ca: this.info.media_ca_pem, keepAlive: false })
      this.dispatcher = new UndiciAgent({ connect: { ca: this.info.media_ca_pem } })
    }
    const acct = await control(this.controlUrl, 'POST', '/accounts', { phone: this.phone, push_name: this.pushName })
    this.accountLid = acct.lid
    return this
  }

  /** Opens a socket with the current credentials; resolves on the first connection.update matching `until`. */
  connect () {
    const sock = makeWASocket({
      auth: { creds: this.creds, keys: this.keys },
      waWebSocketUrl: this.info.ws_url,
      logger: this.logger,
      browser: this.browser,
      printQRInTerminal: false,
      markOnlineOnConnect: true,
      syncFullHistory: false,
      shouldSyncHistoryMessage: () => false,
      keepAliveIntervalMs: this.keepAliveIntervalMs,
      qrTimeout: this.qrTimeoutMs,
      connectTimeoutMs: 15000,
      defaultQueryTimeoutMs: 15000,
      retryRequestDelayMs: 100,
      fetchAgent: this.fetchAgent,
      getMessage: async (key) => this.sent.get(key.id)?.message ?? undefined
    })
    this.sock = sock
    sock.ev.on('creds.update', (u) => Object.assign(this.creds, u))
    sock.ev.on('connection.update', (u) => {
      if (u.connection === 'close') {
        closedSockets.add(sock)
        const code = u.lastDisconnect?.error?.output?.statusCode
        this.disconnects.push(code)
      }
      this.emit('connection', u)
    })
    sock.ev.on('messages.upsert', ({ messages, type }) => {
      for (const m of messages) {
        if (m.key.fromMe && this.sent.has(m.key.id)) continue
        this.inbox.push(m)
        this.emit('message', m, type)
      }
    })
    sock.ev.on('messages.update', (updates) => { for (const u of updates) this.emit('update', u) })
    sock.ev.on('message-receipt.update', (updates) => { for (const u of updates) this.emit('receipt', u) })
    sock.ev.on('presence.update', (u) => { this.presences.push({ ...u, at: Date.now() }); this.emit('presence', u) })
    sock.ev.on('group-participants.update', (u) => { this.groupEvents.push(u); this.emit('group-participants', u) })
    sock.ev.on('groups.upsert', (groups) => { for (const g of groups) this.emit('group-upsert', g) })
    return sock
  }

  /** Waits for an event matching the predicate. */
  waitFor (event, pred = () => true, timeoutMs = DEFAULT_TIMEOUT) {
    return new Promise((resolve, reject) => {
      const on = (...args) => {
        let ok = false
        try { ok = pred(...args) } catch (err) { cleanup(); reject(err); return }
        if (ok) { cleanup(); resolve(args[0]) }
      }
      const timer = setTimeout(() => { cleanup(); reject(new Error(`${this.phone}: timed out waiting for ${event}; recent warnings: ${JSON.stringify(this.logs.slice(-5)).slice(0, 1500)}`)) }, timeoutMs)
      const cleanup = () => { clearTimeout(timer); this.off(event, on) }
      this.on(event, on)
    })
  }

  waitOpen (timeoutMs) { return this.waitFor('connection', u => u.connection === 'open', timeoutMs) }
  waitClose (timeoutMs) { return this.waitFor('connection', u => u.connection === 'close', timeoutMs) }

  /** QR pairing: show a QR, have the account's phone scan it, reconnect after 515, log in. */
  async pairByQr () {
    const gotQr = this.waitFor('connection', u => !!u.qr)
    const closed515 = this.waitFor('connection', u => u.connection === 'close')
    this.connect()
    const { qr } = await gotQr
    this.lastQr = qr
    this.pairResult = await control(this.controlUrl, 'POST', `/accounts/${this.phone}/scan`, { qr })
    await closed515
    return this.afterPairing()
  }

  /** Phone-number pairing: request a code, type it "on the phone" via the control API. */
  async pairByLinkCode () {
    const gotQr = this.waitFor('connection', u => !!u.qr)
    const closed515 = this.waitFor('connection', u => u.connection === 'close')
    const sock = this.connect()
    await gotQr
    const code = await sock.requestPairingCode(this.phone)
    this.pairingCode = `${code.slice(0, 4)}-${code.slice(4)}`
    this.pairResult = await control(this.controlUrl, 'POST', `/accounts/${this.phone}/link-code`, { code: this.pairingCode })
    await closed515
    return this.afterPairing()
  }

  async afterPairing () {
    const last = this.disconnects[this.disconnects.length - 1]
    if (last !== 515) throw new Error(`${this.phone}: expected restartRequired (515) after pairing, got ${last}`)
    // A push name normally arrives by app-state sync; set it so presence/delivery receipts work (§11.6).
    this.creds.me = { ...this.creds.me, name: this.pushName }
    return this.reconnect()
  }

  async reconnect (timeoutMs = DEFAULT_TIMEOUT) {
    const open = this.waitOpen(timeoutMs)
    this.connect()
    await open
    return this
  }

  async sendText (to, text, extra = {}) {
    const msg = await this.sock.sendMessage(to, { text, ...extra })
    this.sent.set(msg.key.id, msg)
    return msg
  }

  sendImage (to, image, caption) {
    return this.sendContent(to, { image, caption, mimetype: 'image/png' })
  }

  /**
   * Sends any Baileys content object (image, video, audio, document, sticker, location, …). The
   * key of an attachment is registered with the emulator, whose phones can then upload the file
   * again when asked (media retry, media_retry.mjs).
   */
  async sendContent (to, content, options) {
    const msg = await this.sock.sendMessage(to, content, options)
    this.sent.set(msg.key.id, msg)
    const media = Object.values(msg.message || {}).find((m) => m && typeof m === 'object' && m.mediaKey && m.directPath)
    if (media) {
      await control(this.controlUrl, 'POST', '/media/keys', {
        message_id: msg.key.id, media_key: Buffer.from(media.mediaKey).toString('base64'), direct_path: media.directPath
      })
    }
    return msg
  }

  sendDocument (to, document, { fileName = 'file.bin', mimetype = 'application/octet-stream', caption } = {}) {
    return this.sendContent(to, { document, fileName, mimetype, caption })
  }

  /** Audio; `ptt` makes it a voice note. Seconds and waveform are given so Baileys need not decode it. */
  sendAudio (to, audio, { ptt = false, mimetype = 'audio/ogg; codecs=opus', seconds = 3, waveform } = {}) {
    return this.sendContent(to, { audio, ptt, mimetype, seconds, ...(ptt ? { waveform: waveform ?? new Uint8Array(64).fill(40) } : {}) })
  }

  sendVideo (to, video, { caption, gifPlayback = false, mimetype = 'video/mp4' } = {}) {
    return this.sendContent(to, { video, caption, gifPlayback, mimetype })
  }

  sendSticker (to, sticker) {
    return this.sendContent(to, { sticker, mimetype: 'image/webp' })
  }

  /** Downloads and decrypts a received media message through the emulator's media host. */
  download (msg) {
    return downloadMediaMessage(msg, 'buffer', { options: { dispatcher: this.dispatcher } }, { logger: this.logger, reuploadRequest: this.sock.updateMediaMessage })
  }

  waitMessage (pred, timeoutMs) {
    const found = this.inbox.find(m => { try { return pred(m) } catch { return false } })
    if (found) return Promise.resolve(found)
    return this.waitFor('message', pred, timeoutMs)
  }

  /** Waits for a presence.update whose presence for `who` (or any participant) matches `state`. */
  waitPresence (chat, state, who, timeoutMs) {
    const match = (u) => u.id === chat && Object.entries(u.presences).some(([k, v]) => (!who || k === who) && v.lastKnownPresence === state)
    return this.waitFor('presence', match, timeoutMs)
  }

  /** Waits until a sent message reaches at least `status` (2 server ack, 3 delivered, 4 read). */
  waitStatus (id, status, timeoutMs) {
    return this.waitFor('update', u => u.key.id === id && (u.update.status ?? 0) >= status, timeoutMs)
  }

  async stop () {
    this.stopped = true
    if (this.sock) {
      // a socket that already reported its close (e.g. logged out by the server) emits nothing more
      const closed = closedSockets.has(this.sock) ? undefined : this.waitClose(5000).catch(() => {})
      try { this.sock.end(undefined) } catch {}
      this.sock = null
      await closed
    }
    await this.dispatcher?.close().catch(() => {})
    this.fetchAgent?.destroy()
  }
}

/** Creates an account + companion and pairs it by QR (default) or link code. */
export const pairedPeer = async (controlUrl, phone, { linkCode = false, ...opts } = {}) => {
  const p = new Peer({ controlUrl, phone, ...opts })
  await p.init()
  if (linkCode) await p.pairByLinkCode()
  else await p.pairByQr()
  return p
}
