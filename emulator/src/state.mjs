// Server-side state: accounts (phones), their companion devices, prekeys and groups.
// Pure data + lookups; no sockets. All access happens on Node's single event loop.
import { randomBytes, randomInt } from 'node:crypto'
import { Curve } from 'baileys'
import { FIRST_COMPANION_DEVICE_ID, GROUP_SERVER } from './constants.mjs'
import { parseJid } from './nodes.mjs'

export class StateError extends Error {
  constructor (status, message) { super(message); this.status = status }
}

const PHONE_RE = /^[1-9][0-9]{6,15}$/

/** A companion device registered by pairing. */
export class Device {
  constructor (account, id, reg) {
    this.account = account
    this.id = id
    this.noisePub = reg.noisePub
    this.identityPub = reg.identityPub
    this.registrationId = reg.registrationId
    this.signedPreKey = reg.signedPreKey // {id, pub, signature}
    this.platform = reg.platform
    this.keyIndex = reg.keyIndex
    this.prekeys = new Map() // id -> pub
    this.conns = new Set()
    this.queue = [] // stanzas waiting for the device to come online (offline queue)
    this.createdAt = Date.now()
  }

  get pnJid () { return `${this.account.phone}:${this.id}@s.whatsapp.net` }
  get lidJid () { return `${this.account.lid}:${this.id}@lid` }
  jidIn (server) { return server === 'lid' ? this.lidJid : this.pnJid }
  get connected () { return this.conns.size > 0 }
}

/** A phone number that "exists": the primary phone is emulated by the server itself. */
export class Account {
  constructor (phone, lid, pushName) {
    this.phone = phone
    this.lid = lid
    this.pushName = pushName
    this.identity = Curve.generateKeyPair() // ADV account key = the phone's Signal identity
    this.rawId = randomInt(1, 2 ** 31)
    this.devices = new Map() // id -> Device
    this.nextDeviceId = FIRST_COMPANION_DEVICE_ID
    this.nextKeyIndex = 1
    this.contacts = new Set() // accounts this one exchanged 1:1 messages with (device-list notifications)
    this.lastSeen = undefined // unix seconds of the last switch to unavailable
    this.makePhoneBundle()
  }

  /** Device 0's Signal bundle, so key fetches for the phone never fail (§11.4 item 7). */
  makePhoneBundle () {
    this.phoneRegistrationId = randomInt(1, 0x3fff)
    const spk = Curve.generateKeyPair()
    this.phoneSignedPreKey = {
      id: 1, pub: spk.public,
      signature: Buffer.from(Curve.sign(this.identity.private, Buffer.concat([Buffer.from([5]), spk.public])))
    }
  }

  /** The phone re-registered: a fresh identity (ADV account key) and device-0 bundle. */
  resetIdentity () {
    this.identity = Curve.generateKeyPair()
    this.rawId = randomInt(1, 2 ** 31)
    this.makePhoneBundle()
  }

  get pnUser () { return `${this.phone}@s.whatsapp.net` }
  get lidUser () { return `${this.lid}@lid` }
  userIn (server) { return server === 'lid' ? this.lidUser : this.pnUser }
}

export class Group {
  constructor ({ id, subject, owner, participants, addressingMode }) {
    this.id = id
    this.subject = subject
    this.owner = owner // Account
    this.participants = participants // Account[] (owner included)
    this.addressingMode = addressingMode
    this.creation = Math.floor(Date.now() / 1000)
  }

  get jid () { return `${this.id}@${GROUP_SERVER}` }
}

export class State {
  constructor () {
    this.accounts = new Map() // phone -> Account
    this.byLid = new Map() // lid -> Account
    this.groups = new Map() // id -> Group
  }

  createAccount (phone, pushName) {
    if (typeof phone !== 'string' || !PHONE_RE.test(phone)) throw new StateError(400, 'phone must be 7-16 digits, no leading zero')
    if (pushName !== undefined && (typeof pushName !== 'string' || pushName.length > 100)) throw new StateError(400, 'push_name must be a string up to 100 chars')
    const existing = this.accounts.get(phone)
    if (existing) {
      if (pushName) existing.pushName = pushName
      return existing
    }
    let lid
    do { lid = String(randomInt(10 ** 13, 10 ** 14)) + String(randomInt(0, 10)) } while (this.byLid.has(lid))
    const account = new Account(phone, lid, pushName || phone)
    this.accounts.set(phone, account)
    this.byLid.set(lid, account)
    return account
  }

  account (phone) {
    const a = this.accounts.get(phone)
    if (!a) throw new StateError(404, `no account ${phone}`)
    return a
  }

  /** Account for a PN or LID JID (any device part), or undefined. */
  accountOf (jid) {
    const p = typeof jid === 'string' ? parseJid(jid) : jid
    if (!p) return undefined
    if (p.server === 's.whatsapp.net') return this.accounts.get(p.user)
    if (p.server === 'lid') return this.byLid.get(p.user)
    return undefined
  }

  /** Device for an explicit device JID; undefined for device 0 (the emulated phone) or unknown. */
  deviceOf (jid) {
    const p = typeof jid === 'string' ? parseJid(jid) : jid
    const a = p && this.accountOf(p)
    if (!a || !p.device) return undefined
    return a.devices.get(p.device)
  }

  addDevice (account, reg) {
    const id = account.nextDeviceId++
    const device = new Device(account, id, { ...reg, keyIndex: account.nextKeyIndex++ })
    account.devices.set(id, device)
    return device
  }

  removeDevice (device) {
    device.account.devices.delete(device.id)
  }

  createGroup ({ subject, owner, participants, addressingMode }) {
    if (typeof subject !== 'string' || !subject.length || subject.length > 100) throw new StateError(400, 'subject must be a non-empty string')
    if (!['pn', 'lid'].includes(addressingMode)) throw new StateError(400, 'addressing_mode must be "pn" or "lid"')
    const members = [owner]
    for (const p of participants) if (!members.includes(p)) members.push(p)
    let id
    do { id = `120363${randomInt(10 ** 11, 10 ** 12)}` } while (this.groups.has(id))
    const group = new Group({ id, subject, owner, participants: members, addressingMode })
    this.groups.set(id, group)
    return group
  }

  /** Accounts that must hear about this account's device-list changes: 1:1 contacts and group co-members. */
  contactsOf (account) {
    const out = new Set(account.contacts)
    for (const g of this.groups.values()) if (g.participants.includes(account)) for (const p of g.participants) out.add(p)
    out.delete(account)
    return out
  }

  groupOf (jid) {
    const p = parseJid(jid)
    if (!p || p.server !== GROUP_SERVER) return undefined
    return this.groups.get(p.user)
  }
}

export const randomToken = (n = 16) => randomBytes(n).toString('base64url')
