// The emulator: owns the state, the listeners and the dispatch of client stanzas to the protocol modules.
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'
import { Curve } from 'baileys'
import { loadOrCreateRootKey, makeCertChain } from './certs.mjs'
import { Connection, ackKeyOf } from './connection.mjs'
import { FAILURE_LOGGED_OUT, LOW_PREKEY_THRESHOLD, QR_FIRST_TTL_MS, QR_NEXT_TTL_MS, S_WHATSAPP_NET } from './constants.mjs'
import { makeControlServer } from './control.mjs'
import { changeParticipants, handleGroupIq } from './groups.mjs'
import { EventLog } from './log.mjs'
import { MediaServer } from './media.mjs'
import { iqError, iqResult, nowSeconds } from './nodes.mjs'
import { notifyDeviceListChange, notifyGroupChange, notifyIdentityChange } from './notify.mjs'
import { handleEncryptIq } from './prekeys.mjs'
import { PresenceHub } from './presence.mjs'
import { Pairing, parseRegistration } from './pairing.mjs'
import { PhoneMedia } from './media_retry.mjs'
import { routeMessage, routeReceipt } from './routing.mjs'
import { State, StateError } from './state.mjs'
import { handleUsyncIq } from './usync.mjs'

const DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  controlPort: 0,
  rootKeyFile: undefined,
  qrFirstMs: QR_FIRST_TTL_MS,
  qrNextMs: QR_NEXT_TTL_MS,
  defaultGroupAddressing: 'pn',
  queueLimit: 1000,
  prekeyLowThreshold: LOW_PREKEY_THRESHOLD, // notify a device when its one-time prekeys drop below this
  maxPrekeys: 0, // one-time prekeys stored per device; 0 = unlimited
  media: true,
  verbose: false
}

export class Emulator {
  constructor (options = {}) {
    this.options = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) }
    this.log = new EventLog({ echo: this.options.verbose ? (e) => process.stderr.write(JSON.stringify(e) + '\n') : undefined })
    this.state = new State()
    this.pairing = new Pairing(this)
    this.presence = new PresenceHub(this)
    this.rootKey = loadOrCreateRootKey(this.options.rootKeyFile)
    this.serverStatic = Curve.generateKeyPair()
    this.certChain = makeCertChain(this.rootKey, this.serverStatic.public)
    this.conns = new Set()
    this.nextConnId = 1
    this.dropBeforeAck = new Set() // phones (or '*') whose next <message> drops the connection
    this.phoneMedia = new PhoneMedia() // what the phones can upload again (media_retry.mjs)
  }

  async start () {
    const { host } = this.options
    if (this.options.media) {
      this.media = new MediaServer(this)
      await this.media.start(host)
    }
    this.http = createServer((req, res) => { res.writeHead(426); res.end('websocket only\n') })
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 32 * 1024 * 1024 })
    this.http.on('upgrade', (req, socket, head) => {
      if (new URL(req.url, 'http://x').pathname !== '/ws/chat') {
        this.log.add('error', { where: 'upgrade', error: `bad path ${req.url}` })
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n')
        return
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new Connection(this, ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`)
        this.conns.add(conn)
        this.log.add('connect', { conn: conn.id, remote: conn.remote })
      })
    })
    await new Promise((resolve, reject) => { this.http.once('error', reject); this.http.listen(this.options.port, host, resolve) })
    this.control = makeControlServer(this)
    await new Promise((resolve, reject) => { this.control.once('error', reject); this.control.listen(this.options.controlPort, host, resolve) })
    this.wsUrl = `ws://${host}:${this.http.address().port}/ws/chat`
    this.controlUrl = `http://${host}:${this.control.address().port}`
    return { ws_url: this.wsUrl, control_url: this.controlUrl }
  }

  async stop () {
    for (const c of this.conns) c.drop()
    await Promise.all([
      new Promise(resolve => this.wss ? this.wss.close(() => resolve()) : resolve()),
      new Promise(resolve => this.http ? this.http.close(() => resolve()) : resolve()),
      new Promise(resolve => { if (!this.control) return resolve(); this.control.closeAllConnections?.(); this.control.close(() => resolve()) }),
      this.media ? this.media.stop() : undefined
    ])
  }

  info () {
    return { ws_url: this.wsUrl, root_public_key: this.rootKey.public.toString('hex'), media_ca_pem: this.media?.caPem ?? null }
  }

  // ---- connection lifecycle ----

  async onClientPayload (conn, clientStatic, payload) {
    if (payload.devicePairingData && !payload.username) {
      let reg
      try {
        reg = parseRegistration(clientStatic, payload)
      } catch (err) {
        this.log.add('registration_rejected', { conn: conn.id, reason: err.message })
        conn.end({ tag: 'failure', attrs: { reason: '400' } })
        return
      }
      conn.registration = reg
      this.log.add('registration', { conn: conn.id, platform: reg.platform })
      this.pairing.startRegistration(conn)
      return
    }
    const phone = payload.username != null ? String(payload.username) : ''
    const account = this.state.accounts.get(phone)
    const device = account?.devices.get(payload.device ?? 0)
    if (!device || !device.noisePub.equals(clientStatic)) {
      this.log.add('login_failed', { conn: conn.id, phone, device: payload.device ?? 0, reason: !device ? 'unknown device' : 'noise key mismatch' })
      conn.end({ tag: 'failure', attrs: { reason: FAILURE_LOGGED_OUT, location: 'emulator' } })
      return
    }
    for (const old of device.conns) {
      this.log.add('replaced', { jid: device.pnJid, conn: old.id })
      old.end({ tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] })
      device.conns.delete(old)
      // What the replaced connection left unacknowledged goes back to the queue now, ahead of
      // what arrives from here on: its socket may close only after this login, and requeueing
      // then would hold those stanzas until a later login, behind newer ones.
      this.requeue(old, device)
    }
    conn.device = device
    device.conns.add(conn)
    if (payload.pushName) device.pushName = payload.pushName
    conn.send({ tag: 'success', attrs: { t: nowSeconds(), props: '1', abprops: '1', location: 'emulator', creation: String(Math.floor(device.createdAt / 1000)), lid: device.lidJid } })
    this.log.add('login', { conn: conn.id, jid: device.pnJid, lid: device.lidJid, passive: !!payload.passive })
    const queued = device.queue.splice(0)
    for (const stanza of queued) conn.send(stanza)
    conn.send({ tag: 'ib', attrs: { from: S_WHATSAPP_NET }, content: [{ tag: 'offline', attrs: { count: String(queued.length) } }] })
  }

  onConnectionClosed (conn) {
    this.conns.delete(conn)
    this.pairing.forgetConnection(conn)
    const device = conn.device
    if (device) device.conns.delete(conn)
    this.presence.onConnectionClosed(conn)
    this.requeue(conn, device)
    this.log.add('disconnect', { conn: conn.id, who: conn.label })
  }

  /**
   * Moves what a connection that is going away left unacknowledged (and what a pause fault held
   * back) to its device's offline queue, in the order it was sent; the real server redelivers
   * them at the next login. Runs once per connection: at its replacement or at its close.
   */
  requeue (conn, device) {
    const current = device && device.account.devices.get(device.id) === device
    const unacked = [...conn.pending.entries()]
    for (const [key, { node, sentAt }] of unacked) {
      this.log.add('unacked', { who: conn.label, key, tag: node.tag, id: node.attrs.id, from: node.attrs.from, age_ms: Date.now() - sentAt })
      if (current && node.tag !== 'iq') this.enqueue(device, node)
    }
    conn.pending.clear()
    // Stanzas held by a pause fault never left: they wait in the offline queue like unacked ones.
    const held = conn.heldOutgoing.splice(0)
    for (const node of held) {
      this.log.add('unsent_held', { who: conn.label, tag: node.tag, id: node.attrs.id })
      if (current && node.tag !== 'iq' && ackKeyOf(node)) this.enqueue(device, node)
    }
  }

  enqueue (device, stanza) {
    if (device.queue.length >= this.options.queueLimit) {
      this.log.add('queue_overflow', { jid: device.pnJid, dropped: device.queue.shift().attrs.id })
    }
    device.queue.push(stanza)
  }

  /** Sends a stanza to a device's live connection, or queues it for its next login. */
  deliver (device, stanza) {
    const live = [...device.conns].filter(c => !c.closed)
    if (!live.length) {
      this.enqueue(device, stanza)
      return false
    }
    for (const c of live) c.send(stanza)
    return true
  }

  /** A device was added to an account: tell its other devices and its contacts (notification type=devices). */
  deviceAdded (device) {
    notifyDeviceListChange(this, device.account, 'add', [device])
  }

  removeDevice (device, reason) {
    this.removeDevices(device.account, [device], reason)
  }

  /** Deletes devices of one account, ends their connections (401 device_removed), notifies. */
  removeDevices (account, devices, reason) {
    for (const device of devices) {
      this.state.removeDevice(device)
      device.queue.length = 0
      this.log.add('device_removed', { jid: device.pnJid, reason })
      for (const c of device.conns) c.end({ tag: 'stream:error', attrs: { code: '401' }, content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }] })
    }
    if (devices.length) notifyDeviceListChange(this, account, 'remove', devices)
  }

  // ---- stanza dispatch ----

  async onNode (conn, node) {
    const { tag } = node
    if (tag === 'iq') return this.onIq(conn, node)
    if (tag === 'ack') {
      const key = `${node.attrs.class}:${node.attrs.id}`
      conn.acked(key)
      if (node.attrs.error) this.log.add('nack', { who: conn.label, class: node.attrs.class, id: node.attrs.id, error: node.attrs.error })
      return
    }
    if (!conn.device) {
      this.log.add('unauthenticated_stanza', { conn: conn.id, tag })
      return
    }
    switch (tag) {
      case 'message': {
        const phone = conn.device.account.phone
        const armed = this.dropBeforeAck.has(phone) ? phone : (this.dropBeforeAck.has('*') ? '*' : undefined)
        if (armed !== undefined) {
          // fault drop_before_ack: the message is lost with the connection, never acknowledged
          this.dropBeforeAck.delete(armed)
          this.log.add('dropped_before_ack', { who: conn.label, id: node.attrs.id })
          conn.drop()
          return
        }
        return routeMessage(this, conn, node)
      }
      case 'receipt': return routeReceipt(this, conn, node)
      case 'presence': return this.presence.onPresence(conn, node)
      case 'chatstate': return this.presence.onChatstate(conn, node)
      case 'ib':
        return
      case 'call':
        conn.send({ tag: 'ack', attrs: { class: 'call', id: node.attrs.id, from: node.attrs.to || S_WHATSAPP_NET } })
        return
      default:
        this.log.add('unknown_stanza', { who: conn.label, tag, attrs: node.attrs })
        if (node.attrs.id) conn.send({ tag: 'ack', attrs: { class: tag, id: node.attrs.id, from: S_WHATSAPP_NET, error: '501' } })
    }
  }

  onIq (conn, iq) {
    const { type, xmlns, id } = iq.attrs
    if (type === 'result' || type === 'error') {
      conn.acked(`iq:${id}`)
      conn.resolveWaiter(iq)
      return
    }
    if (!id) {
      this.log.add('bad_stanza', { who: conn.label, tag: 'iq', reason: 'missing id' })
      return
    }
    const first = Array.isArray(iq.content) ? iq.content[0] : undefined
    // Allowed before login: keepalive and the link-code registration steps.
    if (xmlns === 'md' && first?.tag === 'link_code_companion_reg' && conn.registration) {
      if (first.attrs.stage === 'companion_hello') {
        const r = this.pairing.onCompanionHello(conn, iq, first)
        conn.send(r.error ? iqError(iq, ...r.error) : iqResult(iq, r.content))
      } else if (first.attrs.stage === 'companion_finish') {
        if (!this.pairing.onCompanionFinish(conn, iq, first)) conn.send(iqError(iq, 400, 'bad-request'))
      } else conn.send(iqError(iq, 400, 'bad-request'))
      return
    }
    if (xmlns === 'w:p') return void conn.send(iqResult(iq))
    if (!conn.device) {
      this.log.add('unauthenticated_stanza', { conn: conn.id, tag: 'iq', xmlns })
      conn.send(iqError(iq, 401, 'not-authorized'))
      return
    }
    let reply
    switch (xmlns) {
      case 'encrypt': reply = handleEncryptIq(this, conn, iq); break
      case 'usync': reply = handleUsyncIq(this, conn, iq); break
      case 'w:g2': reply = handleGroupIq(this, conn, iq); break
      case 'passive': reply = iqResult(iq); break
      case 'w:m':
        reply = first?.tag === 'media_conn' && this.media ? iqResult(iq, [this.media.mediaConnNode()]) : iqResult(iq)
        break
      case 'privacy':
        reply = type === 'get' && first?.tag === 'privacy'
          ? iqResult(iq, [{ tag: 'privacy', attrs: {}, content: ['readreceipts', 'last', 'online', 'profile', 'status', 'groupadd', 'calladd', 'messages'].map(name => ({ tag: 'category', attrs: { name, value: name === 'readreceipts' ? 'all' : (name === 'online' ? 'all' : 'contacts') } })) }])
          : iqResult(iq)
        break
      case 'blocklist': reply = iqResult(iq, type === 'get' ? [{ tag: 'list', attrs: {} }] : undefined); break
      case 'abt': reply = iqResult(iq, [{ tag: 'props', attrs: { protocol: '1', hash: 'emulator' } }]); break
      case 'md':
        if (first?.tag === 'remove-companion-device') {
          const target = this.state.deviceOf(first.attrs.jid)
          if (!target || target.account !== conn.device.account) { reply = iqError(iq, 404, 'item-not-found'); break }
          conn.send(iqResult(iq))
          this.log.add('logout', { jid: target.pnJid, reason: first.attrs.reason })
          this.removeDevice(target, first.attrs.reason || 'remove-companion-device')
          return
        }
        reply = iqResult(iq)
        break
      default:
        this.log.add('unknown_iq', { who: conn.label, xmlns, type, child: first?.tag })
        reply = iqResult(iq)
    }
    conn.send(reply)
  }

  // ---- control-API operations ----

  devicesOf (phone) {
    const account = this.state.account(phone)
    return [...account.devices.values()].map(d => ({ jid: d.pnJid, connected: d.connected, lid: d.lidJid, prekeys: d.prekeys.size }))
  }

  connsOf (phone) {
    if (phone === undefined) return [...this.conns].filter(c => c.device)
    const account = this.state.account(phone)
    return [...this.conns].filter(c => c.device?.account === account)
  }

  fault ({ phone, kind, code, seconds }) {
    if (phone !== undefined && typeof phone !== 'string') throw new StateError(400, 'phone must be a string')
    const conns = this.connsOf(phone)
    if (kind === 'drop') {
      for (const c of conns) c.drop()
    } else if (kind === 'stream_error') {
      const c = code === undefined ? '503' : String(code)
      let node
      if (c === 'replaced') node = { tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] }
      else if (c === 'device_removed') node = { tag: 'stream:error', attrs: { code: '401' }, content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }] }
      else if (/^[0-9]{3}$/.test(c)) node = { tag: 'stream:error', attrs: { code: c } }
      else throw new StateError(400, 'code must be a 3-digit status, "replaced" or "device_removed"')
      for (const conn of conns) {
        if (c === 'device_removed') this.removeDevice(conn.device, 'fault')
        else conn.end(node)
      }
    } else if (kind === 'pause') {
      const s = Number(seconds)
      if (!Number.isFinite(s) || s <= 0 || s > 3600) throw new StateError(400, 'seconds must be in (0, 3600]')
      for (const c of conns) c.pause(s * 1000)
    } else if (kind === 'drop_before_ack') {
      this.dropBeforeAck.add(phone ?? '*')
    } else {
      throw new StateError(400, 'kind must be drop, stream_error, pause or drop_before_ack')
    }
    this.log.add('fault', { phone, kind, code, seconds, connections: conns.length })
    return { connections: conns.length }
  }

  createGroup ({ subject, owner, participants, addressing_mode: mode }) {
    if (!Array.isArray(participants) || participants.some(p => typeof p !== 'string')) throw new StateError(400, 'participants must be an array of phones')
    const group = this.state.createGroup({
      subject,
      owner: this.state.account(owner),
      participants: participants.map(p => this.state.account(p)),
      addressingMode: mode ?? 'pn'
    })
    this.log.add('group_created', { jid: group.jid, by: owner, addressing_mode: group.addressingMode })
    notifyGroupChange(this, group, group.owner, 'create')
    return { jid: group.jid }
  }

  /** POST /groups/{id}/participants {"action": "add"|"remove", "participants": [phone…], "by"?: phone} */
  groupParticipants (id, { action, participants, by }) {
    const group = this.state.groupOf(id.includes('@') ? id : `${id}@g.us`)
    if (!group) throw new StateError(404, `no group ${id}`)
    if (!['add', 'remove'].includes(action)) throw new StateError(400, 'action must be "add" or "remove"')
    if (!Array.isArray(participants) || !participants.length || participants.some(p => typeof p !== 'string')) throw new StateError(400, 'participants must be a non-empty array of phones')
    const actor = by === undefined ? group.owner : this.state.account(by)
    if (!group.participants.includes(actor)) throw new StateError(403, 'by is not a member of the group')
    const accounts = participants.map(p => this.state.account(p))
    const { results } = changeParticipants(this, group, actor, action, accounts, accounts.map(a => a.pnUser))
    return { jid: group.jid, participants: results.map(r => ({ jid: r.attrs.jid, status: r.attrs.error ? Number(r.attrs.error) : 200 })) }
  }

  /**
   * POST /accounts/{phone}/reset-identity: the phone re-registers (reinstall / new SIM): a fresh
   * identity key, every companion device logged out (401 device_removed), contacts told with a
   * devices <remove> and an encrypt <identity/> notification. The phone can then pair new companions.
   */
  resetIdentity (phone) {
    const account = this.state.account(phone)
    const removed = [...account.devices.values()]
    account.resetIdentity()
    this.removeDevices(account, removed, 'identity_reset')
    notifyIdentityChange(this, account)
    this.log.add('identity_reset', { phone, removed: removed.map(d => d.pnJid) })
    return { phone, lid: account.lidUser, removed: removed.map(d => d.pnJid) }
  }

  unacked (olderThanMs = 0) {
    const out = []
    const now = Date.now()
    for (const c of this.conns) {
      for (const [key, { node, sentAt }] of c.pending) {
        if (now - sentAt >= olderThanMs) out.push({ who: c.label, key, tag: node.tag, id: node.attrs.id, age_ms: now - sentAt })
      }
      for (const node of c.heldOutgoing) if (ackKeyOf(node)) out.push({ who: c.label, key: `held:${node.tag}:${node.attrs.id}`, tag: node.tag, id: node.attrs.id, held: true })
    }
    for (const a of this.state.accounts.values()) {
      for (const d of a.devices.values()) for (const s of d.queue) out.push({ who: d.pnJid, key: `queued:${s.tag}:${s.attrs.id}`, tag: s.tag, id: s.attrs.id, queued: true })
    }
    return out
  }
}
