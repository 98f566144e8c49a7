// Prekey upload, count, digest, rotate and bundle fetch (docs/PROTOCOL.md §5.1, §5.2).
import { createHash } from 'node:crypto'
import { S_WHATSAPP_NET } from './constants.mjs'
import { beBytes, child, childBytes, children, iqError, iqResult, makeId, nowSeconds, parseJid, uintBE } from './nodes.mjs'

const TYPE_DJB = Buffer.from([5])

const skeyNode = (spk) => ({
  tag: 'skey',
  attrs: {},
  content: [
    { tag: 'id', attrs: {}, content: beBytes(spk.id, 3) },
    { tag: 'value', attrs: {}, content: spk.pub },
    { tag: 'signature', attrs: {}, content: spk.signature }
  ]
})

const parseSkey = (node) => {
  const id = uintBE(childBytes(node, 'id')); const pub = childBytes(node, 'value'); const sig = childBytes(node, 'signature')
  if (id === undefined || pub?.length !== 32 || sig?.length !== 64) return undefined
  return { id, pub, signature: sig }
}

/** <iq xmlns=encrypt>: dispatch on the first child. Returns the reply node. */
export const handleEncryptIq = (emu, conn, iq) => {
  const device = conn.device
  const first = Array.isArray(iq.content) ? iq.content[0] : undefined
  switch (first?.tag) {
    case 'count':
      return iqResult(iq, [{ tag: 'count', attrs: { value: String(device.prekeys.size) } }])
    case 'registration':
    case 'list':
    case 'identity':
    case 'type':
    case 'skey': {
      const list = child(iq, 'list')
      const keys = []
      for (const key of children(list, 'key')) {
        const id = uintBE(childBytes(key, 'id')); const pub = childBytes(key, 'value')
        if (id === undefined || pub?.length !== 32) return iqError(iq, 400, 'bad-request')
        keys.push([id, pub])
      }
      const max = emu.options.maxPrekeys
      let added = 0; let dropped = 0
      for (const [id, pub] of keys) {
        // --max-prekeys: the server keeps at most that many one-time prekeys; extra ones are ignored
        if (max && device.prekeys.size >= max && !device.prekeys.has(id)) { dropped++; continue }
        device.prekeys.set(id, pub)
        added++
      }
      const spk = child(iq, 'skey') ? parseSkey(child(iq, 'skey')) : undefined
      if (child(iq, 'skey') && !spk) return iqError(iq, 400, 'bad-request')
      if (spk) device.signedPreKey = spk
      const ident = childBytes(iq, 'identity')
      if (ident && !ident.equals(device.identityPub)) return iqError(iq, 406, 'identity-mismatch')
      const reg = uintBE(childBytes(iq, 'registration'))
      if (reg !== undefined) device.registrationId = reg
      if (device.prekeys.size >= emu.options.prekeyLowThreshold) device.lowNotified = false
      emu.log.add('prekeys_uploaded', { jid: device.pnJid, added, total: device.prekeys.size, ...(dropped ? { dropped } : {}) })
      return iqResult(iq)
    }
    case 'rotate': {
      const spk = parseSkey(child(first, 'skey'))
      if (!spk) return iqError(iq, 400, 'bad-request')
      device.signedPreKey = spk
      return iqResult(iq)
    }
    case 'digest': {
      const ids = [...device.prekeys.keys()]
      const h = createHash('sha1').update(device.identityPub).update(device.signedPreKey.pub).update(device.signedPreKey.signature)
      for (const pub of device.prekeys.values()) h.update(pub)
      return iqResult(iq, [{
        tag: 'digest',
        attrs: {},
        content: [
          { tag: 'type', attrs: {}, content: TYPE_DJB },
          { tag: 'registration', attrs: {}, content: beBytes(device.registrationId, 4) },
          { tag: 'identity', attrs: {}, content: device.identityPub },
          skeyNode(device.signedPreKey),
          { tag: 'list', attrs: {}, content: ids.map(id => ({ tag: 'id', attrs: {}, content: beBytes(id, 3) })) },
          { tag: 'hash', attrs: {}, content: h.digest() }
        ]
      }])
    }
    case 'key': {
      const users = children(first, 'user')
      emu.log.add('keys_fetched', { by: device.pnJid, jids: users.map(u => u.attrs.jid), ...(users.some(u => u.attrs.reason) ? { reason: users.find(u => u.attrs.reason).attrs.reason } : {}) })
      return iqResult(iq, [{ tag: 'list', attrs: {}, content: users.map(u => bundleFor(emu, u.attrs.jid)) }])
    }
    default:
      return iqResult(iq)
  }
}

/** One <user> of a key-fetch answer; consumes a one-time prekey and warns the owner when low. */
const bundleFor = (emu, jid) => {
  const p = parseJid(jid)
  const account = p && emu.state.accountOf(p)
  if (!account || (p.device && !account.devices.has(p.device))) {
    emu.log.add('key_fetch_miss', { jid })
    return { tag: 'user', attrs: { jid }, content: [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }] }
  }
  if (!p.device) {
    // Device 0 is the primary phone, emulated by the server: identity = ADV account key (§4.2 step 8).
    return {
      tag: 'user',
      attrs: { jid },
      content: [
        { tag: 'registration', attrs: {}, content: beBytes(account.phoneRegistrationId, 4) },
        { tag: 'type', attrs: {}, content: TYPE_DJB },
        { tag: 'identity', attrs: {}, content: account.identity.public },
        skeyNode(account.phoneSignedPreKey)
      ]
    }
  }
  const device = account.devices.get(p.device)
  const content = [
    { tag: 'registration', attrs: {}, content: beBytes(device.registrationId, 4) },
    { tag: 'type', attrs: {}, content: TYPE_DJB },
    { tag: 'identity', attrs: {}, content: device.identityPub }
  ]
  const first = device.prekeys.entries().next()
  if (!first.done) {
    const [id, pub] = first.value
    device.prekeys.delete(id)
    content.push({ tag: 'key', attrs: {}, content: [{ tag: 'id', attrs: {}, content: beBytes(id, 3) }, { tag: 'value', attrs: {}, content: pub }] })
  }
  content.push(skeyNode(device.signedPreKey))
  const threshold = emu.options.prekeyLowThreshold
  if (device.prekeys.size < threshold && !device.lowNotified) {
    device.lowNotified = true
    const n = { tag: 'notification', attrs: { from: S_WHATSAPP_NET, type: 'encrypt', id: makeId('PK'), t: nowSeconds() }, content: [{ tag: 'count', attrs: { value: String(device.prekeys.size) } }] }
    emu.log.add('prekeys_low', { jid: device.pnJid, count: device.prekeys.size, threshold })
    emu.deliver(device, n)
  }
  if (device.prekeys.size >= threshold) device.lowNotified = false
  return { tag: 'user', attrs: { jid }, content }
}
