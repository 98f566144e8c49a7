#!/usr/bin/env node
// The sandbox driver (docs/SANDBOX.md): `wa-gateway --sandbox` runs this as its child process.
//   node emulator/src/sandbox.mjs --state-dir DIR
// It starts the emulator (WhatsApp server and media host) on loopback ports, keeps the simulated
// phones (one per gateway session it scanned for) and the simulated contacts (real Baileys
// clients, created on demand), and takes commands from the gateway on a loopback HTTP port of
// its own, guarded by a random bearer token. When ready it prints one JSON line on stdout:
//   {"ws_url","root_public_key","ca_file","control_url","token"}
// It exits when its stdin closes (the gateway ended, however it ended) or on SIGTERM/SIGINT.
//
// Commands (POST, JSON body, JSON answer; errors {"error","field"?} with 400/404/409):
//   /scan      {session_id, qr}                  -> {phone, jid}
//   /incoming  {session_id, bot_phone, from, name?, group?, mention_bot?, text?, quote?, media?}
//                                                 -> {id, chat, from}
//   /outbox    {bot_phone}                        -> {messages: [...]}, oldest first
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Emulator } from './server.mjs'
import { Peer } from './peer.mjs'

const MAX_BODY = 8 * 1024 * 1024
const OUTBOX_LIMIT = 500 // messages kept per session; older ones are dropped
// Numbers of the simulated phones that scan sessions' QR codes: 6280000000001, 6280000000002, …
const PHONE_BASE = 6280000000000
// A 1×1 PNG: the picture sent when `media.type` is image and no `data` is given.
const SAMPLE_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

class CommandError extends Error {
  constructor (status, message, field) { super(message); this.status = status; this.field = field }
}

/** The simulated world: the emulator, the phones that scanned, the contacts, the groups, the outbox. */
export class Sandbox {
  constructor ({ stateDir }) {
    this.stateDir = stateDir
    this.phones = new Map() // session id -> phone (digits)
    this.contacts = new Map() // phone -> Promise<Peer>
    this.groups = new Map() // `${botPhone}/${name}` -> {jid, members: Set<phone>}
    this.outbox = new Map() // bot phone -> [{id, chat, to, group?, text?, media?, quoted_id?, at}]
    this.seen = new Set() // message ids already put in an outbox (group messages reach every member)
  }

  async start () {
    mkdirSync(this.stateDir, { recursive: true })
    // A stable root key: sessions keep verifying the server across restarts of the sandbox.
    this.emu = new Emulator({ port: 0, controlPort: 0, media: true, rootKeyFile: path.join(this.stateDir, 'root-key.json') })
    const ready = await this.emu.start()
    this.controlUrl = ready.control_url
    const caFile = path.join(this.stateDir, 'media-ca.pem')
    writeFileSync(caFile, this.emu.info().media_ca_pem)
    return { ws_url: ready.ws_url, root_public_key: this.emu.rootKey.public.toString('hex'), ca_file: caFile }
  }

  async stop () {
    for (const p of this.contacts.values()) await p.then((peer) => peer.stop()).catch(() => {})
    await this.emu?.stop()
  }

  /** The simulated phone of `sessionId` (created on first use) scans `qr`. */
  async scan ({ session_id: sessionId, qr }) {
    if (typeof sessionId !== 'string' || !sessionId) throw new CommandError(400, 'session_id is required', 'session_id')
    if (typeof qr !== 'string' || !qr) throw new CommandError(400, 'qr is required', 'qr')
    let phone = this.phones.get(sessionId)
    if (!phone) {
      phone = String(PHONE_BASE + this.phones.size + 1)
      this.phones.set(sessionId, phone)
    }
    this.emu.state.createAccount(phone, 'Sandbox phone')
    try {
      await this.emu.pairing.scan(phone, qr)
      return { phone, jid: `${phone}@s.whatsapp.net` }
    } catch (err) {
      // The emulator answers 4xx for a QR it does not know (expired, already used, garbage).
      throw new CommandError([400, 404, 409, 410].includes(err.status) ? 409 : 500, `the sandbox phone could not scan this QR code: ${err.message}`, 'qr')
    }
  }

  /** A contact (a Baileys client paired on the emulator), created and paired on first use. */
  contact (phone, name) {
    let p = this.contacts.get(phone)
    if (!p) {
      p = (async () => {
        const peer = new Peer({ controlUrl: this.controlUrl, phone, pushName: name || `Contact ${phone}` })
        await peer.init()
        await peer.pairByQr()
        peer.on('message', (m) => this.record(peer, m))
        return peer
      })()
      this.contacts.set(phone, p)
      p.catch(() => this.contacts.delete(phone))
    }
    return p
  }

  /** Puts a message the bot sent (received by a contact) in the bot's outbox. */
  record (peer, m) {
    if (m.key.fromMe || this.seen.has(m.key.id)) return
    const chat = m.key.remoteJid
    const isGroup = chat?.endsWith('@g.us')
    const sender = this.emu.state.accountOf(isGroup ? m.key.participant : chat)
    if (!sender || ![...this.phones.values()].includes(sender.phone)) return // not from a bot
    this.seen.add(m.key.id)
    const msg = m.message || {}
    const inner = msg.extendedTextMessage || msg.imageMessage || msg.documentMessage || msg.audioMessage || msg.videoMessage || msg.stickerMessage
    const mediaType = ['image', 'document', 'audio', 'video', 'sticker'].find((t) => msg[`${t}Message`])
    const entry = {
      id: m.key.id,
      chat,
      to: isGroup ? undefined : peer.phone,
      group: isGroup ? this.groupName(sender.phone, chat) : undefined,
      text: msg.conversation ?? msg.extendedTextMessage?.text ?? inner?.caption ?? undefined,
      media: mediaType ? { type: mediaType, mimetype: inner?.mimetype, file_name: inner?.fileName || undefined } : undefined,
      quoted_id: inner?.contextInfo?.stanzaId || undefined,
      at: new Date().toISOString()
    }
    const list = this.outbox.get(sender.phone) ?? []
    list.push(JSON.parse(JSON.stringify(entry)))
    if (list.length > OUTBOX_LIMIT) list.splice(0, list.length - OUTBOX_LIMIT)
    this.outbox.set(sender.phone, list)
  }

  groupName (botPhone, jid) {
    for (const [key, g] of this.groups) if (g.jid === jid && key.startsWith(`${botPhone}/`)) return key.slice(botPhone.length + 1)
    return jid
  }

  /** The group `name` of the bot, created on first use, with `phone` as a member. */
  group (botPhone, name, phone) {
    const key = `${botPhone}/${name}`
    let g = this.groups.get(key)
    if (!g) {
      const { jid } = this.emu.createGroup({ subject: name, owner: phone, participants: [phone, botPhone] })
      g = { jid, members: new Set([phone, botPhone]) }
      this.groups.set(key, g)
    } else if (!g.members.has(phone)) {
      this.emu.groupParticipants(g.jid, { action: 'add', participants: [phone], by: [...g.members][0] })
      g.members.add(phone)
    }
    return g
  }

  /** A message the bot sent or a contact sent in this chat, for `quote`; undefined when unknown. */
  findQuoted (peer, chat, id) {
    const own = peer.sent.get(id)
    if (own && own.key.remoteJid === chat) return own
    return peer.inbox.find((m) => m.key.id === id && m.key.remoteJid === chat)
  }

  async incoming (b) {
    const botPhone = b.bot_phone
    if (typeof botPhone !== 'string' || !this.emu.state.accounts.get(botPhone)?.devices.size) {
      throw new CommandError(409, 'the session is not linked to the sandbox phone: scan its QR code with the sandbox phone first')
    }
    if (b.from === botPhone) throw new CommandError(400, 'from must not be the session\'s own number', 'from')
    const peer = await this.contact(b.from, b.name)
    let chat = `${botPhone}@s.whatsapp.net`
    if (b.group) chat = this.group(botPhone, b.group, b.from).jid
    const content = {}
    const options = {}
    let text = b.text ?? ''
    if (b.mention_bot) {
      if (!text.includes(`@${botPhone}`)) text = `@${botPhone} ${text}`.trim()
      content.mentions = [`${botPhone}@s.whatsapp.net`]
    }
    if (b.quote) {
      const quoted = this.findQuoted(peer, chat, b.quote)
      if (!quoted) throw new CommandError(400, `quote: no message ${b.quote} in this chat (use an id from the outbox or from an earlier incoming message of the same chat)`, 'quote')
      options.quoted = quoted
    }
    let msg
    if (b.media) {
      const data = b.media.data ? Buffer.from(b.media.data, 'base64') : undefined
      switch (b.media.type) {
        case 'image':
          Object.assign(content, { image: data ?? SAMPLE_PNG, mimetype: b.media.mimetype || 'image/png', caption: text || undefined })
          break
        case 'document':
          Object.assign(content, { document: data ?? Buffer.from('Sandbox document\n'), mimetype: b.media.mimetype || 'text/plain', fileName: b.media.file_name || 'sandbox.txt', caption: text || undefined })
          break
        case 'audio':
          Object.assign(content, { audio: data ?? Buffer.alloc(1024, 1), mimetype: b.media.mimetype || 'audio/ogg; codecs=opus', ptt: true, seconds: 2, waveform: new Uint8Array(64).fill(40) })
          break
        default:
          throw new CommandError(400, 'media.type must be image, document or audio', 'media.type')
      }
      msg = await peer.sendContent(chat, content, options)
    } else {
      msg = await peer.sendContent(chat, { text, ...content }, options)
    }
    return { id: msg.key.id, chat, from: b.from }
  }

  outboxOf ({ bot_phone: botPhone }) {
    return { messages: this.outbox.get(botPhone) ?? [] }
  }
}

const readJson = (req) => new Promise((resolve, reject) => {
  const chunks = []; let size = 0
  req.on('data', (c) => { size += c.length; if (size <= MAX_BODY) chunks.push(c) })
  req.on('end', () => {
    if (size > MAX_BODY) return reject(new CommandError(413, 'body too large'))
    try {
      const v = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object')
      resolve(v)
    } catch { reject(new CommandError(400, 'body must be a JSON object')) }
  })
  req.on('error', reject)
})

/** The loopback command port: POST /scan, /incoming, /outbox with `Authorization: Bearer <token>`. */
export const makeCommandServer = (sandbox, token) => createServer(async (req, res) => {
  let status = 200; let body
  try {
    const given = Buffer.from(String(req.headers.authorization || ''))
    const want = Buffer.from(`Bearer ${token}`)
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw new CommandError(401, 'bad token')
    if (req.method !== 'POST') throw new CommandError(405, 'POST only')
    const input = await readJson(req)
    const url = new URL(req.url, 'http://sandbox')
    if (url.pathname === '/scan') body = await sandbox.scan(input)
    else if (url.pathname === '/incoming') body = await sandbox.incoming(input)
    else if (url.pathname === '/outbox') body = sandbox.outboxOf(input)
    else throw new CommandError(404, `no command ${url.pathname}`)
  } catch (err) {
    status = Number.isInteger(err.status) ? err.status : 500
    body = { error: err.message, field: err.field }
    if (status === 500) process.stderr.write(`sandbox: ${err.stack || err}\n`)
  }
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
})

const main = async () => {
  const { values } = parseArgs({ options: { 'state-dir': { type: 'string' } } })
  if (!values['state-dir']) {
    process.stderr.write('usage: sandbox.mjs --state-dir DIR\n')
    process.exit(2)
  }
  const sandbox = new Sandbox({ stateDir: values['state-dir'] })
  process.on('uncaughtException', (err) => process.stderr.write(`sandbox: uncaught ${err?.stack || err}\n`))
  process.on('unhandledRejection', (err) => process.stderr.write(`sandbox: unhandled ${err?.stack || err}\n`))
  const ready = await sandbox.start()
  const token = randomBytes(24).toString('hex')
  const server = makeCommandServer(sandbox, token)
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
  process.stdout.write(JSON.stringify({ ...ready, control_url: `http://127.0.0.1:${server.address().port}`, token }) + '\n')
  // The gateway reads only that line and closes the pipe: everything else goes to stderr.
  process.stdout.on('error', () => {})
  for (const level of ['log', 'info', 'debug']) console[level] = (...args) => console.error(...args)
  let stopping = false
  const shutdown = async () => {
    if (stopping) return
    stopping = true
    server.closeAllConnections?.()
    server.close()
    await Promise.race([sandbox.stop(), new Promise((resolve) => setTimeout(resolve, 3000))])
    process.exit(0)
  }
  process.stdin.on('end', shutdown)
  process.stdin.on('close', shutdown)
  process.stdin.resume()
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
