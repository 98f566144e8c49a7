// One client WebSocket: connection header, framing, Noise responder, transport encryption, node I/O,
// and the book-keeping of stanzas the client still has to acknowledge.
// Frames of a connection are processed strictly in order (one promise chain per connection).
import { ClientPayloadError } from './errors.mjs'
import { encodeFrame, FrameReader } from './frames.mjs'
import { NoiseResponder } from './noise.mjs'
import { decodeNode, encodeNode } from './nodes.mjs'
import { proto } from 'baileys'

/** Which client reply acknowledges a stanza the server sent: key = `${class}:${id}`. */
export const ackKeyOf = (node) => {
  const id = node.attrs?.id
  if (!id) return undefined
  if (['message', 'receipt', 'notification', 'call'].includes(node.tag)) return `${node.tag}:${id}`
  if (node.tag === 'iq' && (node.attrs.type === 'get' || node.attrs.type === 'set')) return `iq:${id}`
  return undefined
}

export class Connection {
  /**
   * @param {import('./server.mjs').Emulator} emu
   * @param {import('ws').WebSocket} ws
   */
  constructor (emu, ws, remote) {
    this.emu = emu
    this.ws = ws
    this.remote = remote
    this.id = emu.nextConnId++
    this.reader = new FrameReader()
    this.stage = 'hello' // hello -> finish -> open -> closed
    this.chain = Promise.resolve()
    this.responder = new NoiseResponder(emu.serverStatic, emu.certChain)
    this.transport = null
    this.device = null // set on login
    this.registration = null // set on a registration payload (pairing)
    this.pending = new Map() // ackKey -> {node, sentAt}
    this.waiters = new Map() // iq id -> {resolve, reject, timer}
    this.pausedUntil = 0
    this.heldOutgoing = []
    this.closed = false
    this.available = false
    ws.on('message', (data) => this.onData(Buffer.isBuffer(data) ? data : Buffer.from(data)))
    ws.on('close', () => this.onClose())
    ws.on('error', (err) => this.emu.log.add('ws_error', { conn: this.id, error: err.message }))
  }

  get label () { return this.device ? this.device.pnJid : `conn#${this.id}` }

  onData (data) {
    if (this.closed) return
    let frames
    try {
      frames = this.reader.push(data)
    } catch (err) {
      this.emu.log.add('error', { conn: this.id, where: 'framing', error: err.message })
      this.close(1002, 'bad framing')
      return
    }
    for (const frame of frames) {
      this.chain = this.chain
        .then(() => this.onFrame(frame))
        .catch((err) => {
          this.emu.log.add('error', { conn: this.id, who: this.label, where: this.stage, error: err.message })
          if (this.stage === 'open') this.sendNow({ tag: 'stream:error', attrs: {}, content: [{ tag: 'xml-not-well-formed', attrs: {} }] })
          this.close(1002, 'protocol error')
        })
    }
  }

  async onFrame (frame) {
    if (this.closed) return
    const wait = this.pausedUntil - Date.now()
    if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
    if (this.closed) return
    if (this.stage === 'hello') {
      const reply = this.responder.respond(frame)
      this.stage = 'finish'
      this.sendRaw(reply)
    } else if (this.stage === 'finish') {
      const { clientStatic, payload, transport } = this.responder.finish(frame)
      this.transport = transport
      this.stage = 'open'
      let clientPayload
      try {
        clientPayload = proto.ClientPayload.decode(payload)
      } catch {
        throw new ClientPayloadError('ClientPayload does not decode')
      }
      await this.emu.onClientPayload(this, clientStatic, clientPayload)
    } else if (this.stage === 'open') {
      const plaintext = this.transport.decrypt(frame)
      const node = await decodeNode(plaintext)
      if (!node || typeof node.tag !== 'string') throw new Error('frame is not a node')
      await this.emu.onNode(this, node)
    }
  }

  sendRaw (bytes) {
    if (this.closed || this.ws.readyState !== 1) return
    this.ws.send(encodeFrame(bytes))
  }

  /** Sends a node, tracking it as unacknowledged when the client must ack it. Held during a pause fault. */
  send (node) {
    if (this.closed) return false
    if (this.pausedUntil > Date.now()) {
      this.heldOutgoing.push(node)
      return true
    }
    return this.sendNow(node)
  }

  sendNow (node) {
    if (this.closed || !this.transport) return false
    const key = ackKeyOf(node)
    if (key) this.pending.set(key, { node, sentAt: Date.now() })
    try {
      this.sendRaw(this.transport.encrypt(encodeNode(node)))
    } catch (err) {
      this.emu.log.add('error', { conn: this.id, where: 'send', tag: node.tag, error: err.message })
      return false
    }
    return true
  }

  /** Marks a stanza acknowledged; returns whether it was pending. */
  acked (key) { return this.pending.delete(key) }

  /** Sends an iq and resolves with the client's result/error node. */
  request (node, timeoutMs = 15000) {
    return new Promise((resolve, reject) => {
      const id = node.attrs.id
      const timer = setTimeout(() => {
        this.waiters.delete(id)
        reject(new Error(`no reply to iq ${id} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiters.set(id, { resolve, reject, timer })
      this.send(node)
    })
  }

  resolveWaiter (node) {
    const w = this.waiters.get(node.attrs.id)
    if (!w) return false
    clearTimeout(w.timer)
    this.waiters.delete(node.attrs.id)
    w.resolve(node)
    return true
  }

  /**
   * Holds outgoing stanzas and incoming frames for `ms`. A second pause extends the first (the
   * first one's timer must not release what the second still holds); what is held when the
   * connection closes goes back to the device's offline queue (see Emulator.onConnectionClosed).
   */
  pause (ms) {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms)
    clearTimeout(this.pauseTimer)
    this.pauseTimer = setTimeout(() => {
      const held = this.heldOutgoing
      this.heldOutgoing = []
      for (const n of held) this.sendNow(n)
    }, this.pausedUntil - Date.now())
    this.pauseTimer.unref()
  }

  /** Sends a final node, then closes the socket once it was written. */
  end (node, code = 1000, reason = '') {
    if (node) this.sendNow(node)
    setTimeout(() => this.close(code, reason), 50).unref()
  }

  close (code = 1000, reason = '') {
    if (this.closed) return
    try { this.ws.close(code, reason) } catch { this.ws.terminate() }
    setTimeout(() => { if (this.ws.readyState !== 3) this.ws.terminate() }, 1000).unref()
    this.onClose()
  }

  drop () {
    this.ws.terminate()
    this.onClose()
  }

  onClose () {
    if (this.closed) return
    this.closed = true
    for (const w of this.waiters.values()) { clearTimeout(w.timer); w.reject(new Error('connection closed')) }
    this.waiters.clear()
    this.emu.onConnectionClosed(this)
  }
}
