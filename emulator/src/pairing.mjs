// Registration and pairing: pair-device refs, the phone's side of a QR scan or a link code,
// pair-success with an ADV identity signed by the account key, and pair-device-sign verification
// (docs/PROTOCOL.md §2.4, §4).
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, pbkdf2Sync, randomBytes } from 'node:crypto'
import { Curve, proto } from 'baileys'
import {
  ADV_ACCOUNT_SIG_PREFIX, ADV_DEVICE_SIG_PREFIX, LINK_CODE_ADV_INFO, LINK_CODE_BUNDLE_INFO,
  LINK_CODE_PBKDF2_ITERATIONS, PHONE_PLATFORM, QR_REF_COUNT, S_WHATSAPP_NET, STREAM_RESTART_REQUIRED
} from './constants.mjs'
import { StateError } from './state.mjs'
import { xeddsaVerify } from './xeddsa.mjs'
import { child, childBytes, makeId, nowSeconds } from './nodes.mjs'

const QR_PREFIX = 'https://wa.me/settings/linked_devices#'

/** Validates DevicePairingRegistrationData; returns the registration record or throws. */
export const parseRegistration = (clientStatic, payload) => {
  const d = payload.devicePairingData
  const bytes = (x) => (x ? Buffer.from(x) : Buffer.alloc(0))
  const ident = bytes(d.eIdent); const skVal = bytes(d.eSkeyVal); const skSig = bytes(d.eSkeySig)
  const regId = bytes(d.eRegid); const skId = bytes(d.eSkeyId); const keyType = bytes(d.eKeytype)
  if (ident.length !== 32 || skVal.length !== 32 || skSig.length !== 64 || regId.length !== 4 || skId.length !== 3 ||
      !keyType.equals(Buffer.from([5]))) {
    throw new StateError(400, 'malformed devicePairingData')
  }
  if (!xeddsaVerify(ident, Buffer.concat([Buffer.from([5]), skVal]), skSig)) throw new StateError(400, 'signed prekey signature invalid')
  let platform = 'unknown'
  try {
    const props = proto.DeviceProps.decode(bytes(d.deviceProps))
    platform = props.os || platform
  } catch { /* deviceProps are informational */ }
  return {
    noisePub: Buffer.from(clientStatic),
    identityPub: ident,
    registrationId: regId.readUInt32BE(0),
    signedPreKey: { id: skId.readUIntBE(0, 3), pub: skVal, signature: skSig },
    platform,
    pushName: payload.pushName || undefined
  }
}

/** Parses the QR string a companion shows (§4.1). */
export const parseQr = (qr) => {
  if (typeof qr !== 'string') throw new StateError(400, 'qr must be a string')
  const body = qr.startsWith(QR_PREFIX) ? qr.slice(QR_PREFIX.length) : qr
  const parts = body.split(',')
  if (parts.length < 4) throw new StateError(400, 'qr must have ref,noise,identity,adv fields')
  const [ref, noise, ident, adv] = parts
  const b = (s) => Buffer.from(s, 'base64')
  const out = { ref, noisePub: b(noise), identityPub: b(ident), advSecret: b(adv), platformId: parts[4] }
  if (out.noisePub.length !== 32 || out.identityPub.length !== 32 || out.advSecret.length !== 32) throw new StateError(400, 'qr keys must be 32 bytes base64')
  return out
}

export class Pairing {
  /** @param {import('./server.mjs').Emulator} emu */
  constructor (emu) {
    this.emu = emu
    this.refs = new Map() // ref -> {conn, validFrom, validUntil}
  }

  /** After a registration ClientPayload: offer QR refs (§4.1). */
  startRegistration (conn) {
    const now = Date.now()
    const { qrFirstMs, qrNextMs } = this.emu.options
    const refs = []
    for (let i = 0; i < QR_REF_COUNT; i++) {
      const ref = `2@${randomBytes(18).toString('base64')}`
      const validFrom = i === 0 ? now : now + qrFirstMs + (i - 1) * qrNextMs
      const validUntil = now + qrFirstMs + i * qrNextMs + 2000 // small grace for clock skew between timers
      this.refs.set(ref, { conn, validFrom, validUntil })
      refs.push(ref)
    }
    conn.refs = refs
    const iq = {
      tag: 'iq',
      attrs: { from: S_WHATSAPP_NET, type: 'set', id: makeId('PD'), xmlns: 'md' },
      content: [{ tag: 'pair-device', attrs: {}, content: refs.map(r => ({ tag: 'ref', attrs: {}, content: Buffer.from(r) })) }]
    }
    conn.request(iq).catch(() => {})
    this.emu.log.add('pair_device', { conn: conn.id, refs: refs.length })
  }

  forgetConnection (conn) {
    for (const ref of conn.refs || []) this.refs.delete(ref)
  }

  /** POST /accounts/{phone}/scan: the phone scans a companion's QR. */
  async scan (phone, qr) {
    const account = this.emu.state.account(phone)
    const q = parseQr(qr)
    const entry = this.refs.get(q.ref)
    if (!entry || entry.conn.closed) throw new StateError(404, 'no companion is showing this QR ref')
    const now = Date.now()
    if (now < entry.validFrom || now > entry.validUntil) throw new StateError(410, 'QR ref expired or not yet shown')
    const reg = entry.conn.registration
    if (!reg.noisePub.equals(q.noisePub) || !reg.identityPub.equals(q.identityPub)) {
      throw new StateError(400, 'QR keys do not match the companion connection')
    }
    return this.pairSuccess(entry.conn, account, q.advSecret)
  }

  /** Phone side of pairing: ADV identity, HMAC, pair-success, verify pair-device-sign, record, 515. */
  async pairSuccess (conn, account, advSecret) {
    if (conn.pairing) throw new StateError(409, 'companion is already being paired')
    conn.pairing = true
    this.forgetConnection(conn)
    const reg = conn.registration
    const deviceId = account.nextDeviceId
    const keyIndex = account.nextKeyIndex
    const details = Buffer.from(proto.ADVDeviceIdentity.encode({
      rawId: account.rawId, timestamp: Math.floor(Date.now() / 1000), keyIndex, accountType: 0, deviceType: 0
    }).finish())
    const accountSignature = Buffer.from(Curve.sign(account.identity.private, Buffer.concat([ADV_ACCOUNT_SIG_PREFIX, details, reg.identityPub])))
    const signed = Buffer.from(proto.ADVSignedDeviceIdentity.encode({
      details, accountSignatureKey: account.identity.public, accountSignature
    }).finish())
    const hmac = createHmac('sha256', advSecret).update(signed).digest()
    const container = Buffer.from(proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac, accountType: 0 }).finish())
    const jid = `${account.phone}:${deviceId}@s.whatsapp.net`
    const lid = `${account.lid}:${deviceId}@lid`
    const iq = {
      tag: 'iq',
      attrs: { from: S_WHATSAPP_NET, type: 'set', id: makeId('PS'), t: nowSeconds() },
      content: [{
        tag: 'pair-success',
        attrs: {},
        content: [
          { tag: 'device-identity', attrs: {}, content: container },
          { tag: 'platform', attrs: { name: PHONE_PLATFORM } },
          { tag: 'device', attrs: { jid, lid } }
        ]
      }]
    }
    let reply
    try {
      reply = await conn.request(iq)
    } catch (err) {
      conn.pairing = false
      throw new StateError(504, `companion did not answer pair-success: ${err.message}`)
    }
    const fail = (why) => {
      conn.pairing = false
      this.emu.log.add('pair_failed', { conn: conn.id, phone: account.phone, reason: why })
      conn.end({ tag: 'stream:error', attrs: { code: '401' } })
      return new StateError(502, `pairing rejected: ${why}`)
    }
    if (reply.attrs.type !== 'result') throw fail(`companion answered ${reply.attrs.type}: ${JSON.stringify(child(reply, 'error')?.attrs || {})}`)
    const sign = child(child(reply, 'pair-device-sign'), 'device-identity')
    if (!sign || !(sign.content instanceof Uint8Array)) throw fail('pair-device-sign without device-identity')
    let back
    try { back = proto.ADVSignedDeviceIdentity.decode(sign.content) } catch { throw fail('device-identity does not decode') }
    if (back.accountSignatureKey?.length) throw fail('reply must omit accountSignatureKey')
    if (!Buffer.from(back.details || []).equals(details)) throw fail('reply details differ')
    if (sign.attrs['key-index'] !== String(keyIndex)) throw fail('key-index attribute mismatch')
    const devMsg = Buffer.concat([ADV_DEVICE_SIG_PREFIX, details, reg.identityPub, account.identity.public])
    if (!back.deviceSignature || !xeddsaVerify(reg.identityPub, devMsg, Buffer.from(back.deviceSignature))) throw fail('device signature invalid')
    const device = this.emu.state.addDevice(account, reg)
    if (device.id !== deviceId) throw new Error('device id allocation raced')
    device.adv = { details, accountSignature, deviceSignature: Buffer.from(back.deviceSignature) }
    this.emu.log.add('paired', { phone: account.phone, jid, lid, platform: reg.platform })
    this.emu.deviceAdded(device)
    conn.end({ tag: 'stream:error', attrs: { code: STREAM_RESTART_REQUIRED } })
    return { jid, lid }
  }

  // ---- link code (§4.3) ----

  /** companion_hello iq from a registering connection. */
  onCompanionHello (conn, iq, reg) {
    const jid = reg.attrs.jid || ''
    const phone = jid.split('@')[0].split(':')[0]
    const account = this.emu.state.accounts.get(phone)
    if (!account) return { error: [404, 'not-found'] }
    const wrapped = childBytes(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub')
    const noise = childBytes(reg, 'companion_server_auth_key_pub')
    if (!wrapped || wrapped.length !== 80 || !noise || !noise.equals(conn.registration.noisePub)) return { error: [400, 'bad-request'] }
    const ref = randomBytes(16).toString('base64url')
    account.linkCodeRequests = (account.linkCodeRequests || []).filter(r => !r.conn.closed)
    account.linkCodeRequests.push({ conn, wrapped, ref, at: Date.now() })
    conn.linkCodeRef = ref
    this.emu.log.add('link_code_hello', { conn: conn.id, phone })
    return { content: [{ tag: 'link_code_companion_reg', attrs: {}, content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(ref) }] }] }
  }

  /** POST /accounts/{phone}/link-code: the user typed the code on the phone. */
  async linkCode (phone, code) {
    const account = this.emu.state.account(phone)
    if (typeof code !== 'string') throw new StateError(400, 'code must be a string')
    const plain = code.replace(/-/g, '').toUpperCase()
    if (!/^[1-9A-HJ-NP-TV-Z]{8}$/.test(plain)) throw new StateError(400, 'code must be 8 characters of the pairing alphabet')
    const req = (account.linkCodeRequests || []).filter(r => !r.conn.closed && !r.conn.pairing).pop()
    if (!req) throw new StateError(404, 'no companion requested a link code for this phone')
    const unwrap = (buf) => {
      const key = pbkdf2Sync(plain, buf.subarray(0, 32), LINK_CODE_PBKDF2_ITERATIONS, 32, 'sha256')
      const d = createDecipheriv('aes-256-ctr', key, buf.subarray(32, 48))
      return Buffer.concat([d.update(buf.subarray(48)), d.final()])
    }
    const companionEph = unwrap(req.wrapped)
    const primaryEph = Curve.generateKeyPair()
    const salt = randomBytes(32); const iv = randomBytes(16)
    const key = pbkdf2Sync(plain, salt, LINK_CODE_PBKDF2_ITERATIONS, 32, 'sha256')
    const c = createCipheriv('aes-256-ctr', key, iv)
    const wrappedPrimary = Buffer.concat([salt, iv, c.update(primaryEph.public), c.final()])
    const finished = new Promise((resolve, reject) => {
      req.conn.linkFinish = { resolve, reject }
      setTimeout(() => reject(new StateError(504, 'companion did not finish link-code pairing')), 20000).unref()
    })
    req.conn.send({
      tag: 'notification',
      attrs: { from: S_WHATSAPP_NET, type: 'link_code_companion_reg', id: makeId('LC'), t: nowSeconds() },
      content: [{
        tag: 'link_code_companion_reg',
        attrs: {},
        content: [
          { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(req.ref) },
          { tag: 'primary_identity_pub', attrs: {}, content: account.identity.public },
          { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: wrappedPrimary }
        ]
      }]
    })
    const { iq, reg } = await finished
    const bundle = childBytes(reg, 'link_code_pairing_wrapped_key_bundle')
    const companionIdent = childBytes(reg, 'companion_identity_public')
    const shared = Curve.sharedKey(primaryEph.private, companionEph)
    let plainBundle
    try {
      if (!bundle || bundle.length < 32 + 12 + 16 + 96) throw new Error('short bundle')
      const bundleKey = Buffer.from(hkdfSync('sha256', shared, bundle.subarray(0, 32), LINK_CODE_BUNDLE_INFO, 32))
      const d = createDecipheriv('aes-256-gcm', bundleKey, bundle.subarray(32, 44))
      d.setAuthTag(bundle.subarray(bundle.length - 16))
      plainBundle = Buffer.concat([d.update(bundle.subarray(44, bundle.length - 16)), d.final()])
    } catch {
      req.conn.send({ tag: 'iq', attrs: { from: S_WHATSAPP_NET, type: 'error', id: iq.attrs.id }, content: [{ tag: 'error', attrs: { code: '400', text: 'bad-request' } }] })
      throw new StateError(400, 'link code does not match the companion (key bundle did not decrypt)')
    }
    const bCompanion = plainBundle.subarray(0, 32); const bPrimary = plainBundle.subarray(32, 64); const advRandom = plainBundle.subarray(64, 96)
    if (!bCompanion.equals(req.conn.registration.identityPub) || !bPrimary.equals(account.identity.public) ||
        (companionIdent && !companionIdent.equals(bCompanion))) {
      throw new StateError(400, 'key bundle identities do not match')
    }
    req.conn.send({ tag: 'iq', attrs: { from: S_WHATSAPP_NET, type: 'result', id: iq.attrs.id } })
    const identityShared = Curve.sharedKey(account.identity.private, bCompanion)
    const advSecret = Buffer.from(hkdfSync('sha256', Buffer.concat([shared, identityShared, advRandom]), Buffer.alloc(0), LINK_CODE_ADV_INFO, 32))
    account.linkCodeRequests = account.linkCodeRequests.filter(r => r !== req)
    return this.pairSuccess(req.conn, account, advSecret)
  }

  /** companion_finish iq: hand it to the waiting link-code request. */
  onCompanionFinish (conn, iq, reg) {
    if (!conn.linkFinish) return false
    const { resolve } = conn.linkFinish
    conn.linkFinish = null
    resolve({ iq, reg })
    return true
  }
}

