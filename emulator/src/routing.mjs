// Message and receipt routing (docs/PROTOCOL.md §6.1, §7.2, §7.3, §7.5, §7.6): fan-out of the
// client's per-device <enc> nodes, group fan-out with addressing modes, server acks with `t`.
import { GROUP_SERVER } from './constants.mjs'
import { answerMediaRetry } from './media_retry.mjs'
import { child, children, nowSeconds, parseJid } from './nodes.mjs'

const ack = (cls, id, from, extra = {}) => ({ tag: 'ack', attrs: { class: cls, id, from, t: nowSeconds(), ...extra } })

/** Device list for a JID: the explicit device, or every companion of the user. Device 0 -> none. */
const targetsOf = (emu, jid) => {
  const p = parseJid(jid)
  const account = p && emu.state.accountOf(p)
  if (!account) return { account: undefined, devices: [] }
  if (p.hasDevice) {
    const d = p.device ? account.devices.get(p.device) : undefined
    return { account, devices: d ? [d] : [] }
  }
  return { account, devices: [...account.devices.values()] }
}

/** Collects <participants><to jid><enc/></to> into device -> enc nodes. */
const perDeviceEncs = (emu, node, log) => {
  const map = new Map()
  for (const to of children(child(node, 'participants'), 'to')) {
    const dev = emu.state.deviceOf(to.attrs.jid)
    if (!dev) {
      log.push(to.attrs.jid)
      continue
    }
    map.set(dev, children(to, 'enc'))
  }
  return map
}

const hasPkmsg = (encs) => encs.some(e => e.attrs.type === 'pkmsg')

export const routeMessage = (emu, conn, node) => {
  const sender = conn.device
  const { id, to } = node.attrs
  if (!id || !to) {
    emu.log.add('bad_stanza', { who: conn.label, tag: 'message', reason: 'missing id or to' })
    return
  }
  const p = parseJid(to)
  if (!p) {
    conn.send(ack('message', id, to, { error: '400' }))
    emu.log.add('bad_stanza', { who: conn.label, tag: 'message', id, reason: 'bad to' })
    return
  }
  const t = nowSeconds()
  const deviceIdentity = child(node, 'device-identity')
  const type = node.attrs.type || 'text'
  const notify = sender.account.pushName
  const misses = []
  let delivered = 0
  const passthrough = {}
  for (const k of ['edit', 'category', 'push_priority', 'expiration']) if (node.attrs[k] !== undefined) passthrough[k] = node.attrs[k]

  if (p.server === GROUP_SERVER) {
    const group = emu.state.groupOf(to)
    if (!group || !group.participants.includes(sender.account)) {
      conn.send(ack('message', id, to, { error: group ? '403' : '404' }))
      emu.log.add('route_rejected', { from: sender.pnJid, to, id, reason: group ? 'not a participant' : 'no such group' })
      return
    }
    const mode = group.addressingMode
    const skmsg = children(node, 'enc').filter(e => e.attrs.type === 'skmsg')
    const direct = children(node, 'enc').filter(e => e.attrs.type !== 'skmsg')
    const encs = perDeviceEncs(emu, node, misses)
    let targets = []
    if (node.attrs.participant) {
      // retry resend to one member device (§7.5)
      targets = targetsOf(emu, node.attrs.participant).devices
    } else {
      for (const member of group.participants) targets.push(...member.devices.values())
    }
    for (const dev of targets) {
      if (dev === sender) continue
      const own = node.attrs.participant ? direct : (encs.get(dev) || [])
      const content = [...own, ...skmsg]
      if (!content.length) continue
      if (deviceIdentity && hasPkmsg(own)) content.push(deviceIdentity)
      const attrs = {
        from: group.jid, participant: sender.jidIn(mode === 'lid' ? 'lid' : 's.whatsapp.net'), id, t, type, notify,
        addressing_mode: mode,
        ...(mode === 'lid' ? { participant_pn: sender.account.pnUser } : { participant_lid: sender.account.lidUser }),
        ...passthrough
      }
      emu.deliver(dev, { tag: 'message', attrs, content })
      delivered++
    }
  } else {
    const chatServer = p.server === 'lid' ? 'lid' : 's.whatsapp.net'
    let entries
    if (child(node, 'participants')) {
      entries = perDeviceEncs(emu, node, misses)
    } else {
      // direct <enc>: retry resend (device_fanout=false) or a peer message (§7.5)
      entries = new Map()
      for (const dev of targetsOf(emu, to).devices) entries.set(dev, children(node, 'enc'))
      if (!entries.size) misses.push(to)
    }
    const target = emu.state.accountOf(p)
    if (target && target !== sender.account) {
      // contacts hear about each other's device-list and identity changes (notify.mjs)
      target.contacts.add(sender.account)
      sender.account.contacts.add(target)
    }
    for (const [dev, encs] of entries) {
      if (dev === sender || !encs.length) continue
      const own = dev.account === sender.account
      const attrs = { from: sender.jidIn(chatServer), id, t, type, notify, ...passthrough }
      if (own) {
        attrs.recipient = node.attrs.recipient || (target && target !== sender.account ? target.userIn(chatServer) : `${p.user}@${p.server}`)
      } else if (chatServer === 'lid') {
        attrs.sender_pn = sender.account.pnUser
      } else {
        attrs.sender_lid = sender.account.lidUser
      }
      const content = [...encs]
      if (deviceIdentity && hasPkmsg(encs)) content.push(deviceIdentity)
      emu.deliver(dev, { tag: 'message', attrs, content })
      delivered++
    }
  }
  emu.log.add('message', { from: sender.pnJid, to, id, type, delivered, ...(misses.length ? { undeliverable: misses } : {}) })
  conn.send(ack('message', id, to))
}

export const routeReceipt = (emu, conn, node) => {
  const reader = conn.device
  const { id, to, type, participant } = node.attrs
  if (!id || !to) {
    emu.log.add('bad_stanza', { who: conn.label, tag: 'receipt', reason: 'missing id or to' })
    return
  }
  if (type === 'server-error') {
    // A media retry: the account's own phone answers it (media_retry.mjs).
    answerMediaRetry(emu, conn, node)
    conn.send({ tag: 'ack', attrs: { class: 'receipt', id, from: to, type } })
    return
  }
  // A receipt acknowledges the message(s) it refers to.
  conn.acked(`message:${id}`)
  for (const item of children(child(node, 'list'), 'item')) if (item.attrs.id) conn.acked(`message:${item.attrs.id}`)
  const p = parseJid(to)
  const t = nowSeconds()
  let targets = []
  let attrs
  if (p && p.server === GROUP_SERVER) {
    const group = emu.state.groupOf(to)
    if (group && participant) {
      targets = targetsOf(emu, participant).devices
      const mode = group.addressingMode === 'lid' ? 'lid' : 's.whatsapp.net'
      attrs = { from: group.jid, participant: reader.jidIn(mode), id, t }
    }
  } else if (p) {
    targets = targetsOf(emu, to).devices
    attrs = { from: reader.jidIn(p.server === 'lid' ? 'lid' : 's.whatsapp.net'), id, t }
    if (node.attrs.recipient) attrs.recipient = node.attrs.recipient
  }
  if (type) attrs && (attrs.type = type)
  let delivered = 0
  for (const dev of targets) {
    if (dev === reader) continue
    emu.deliver(dev, { tag: 'receipt', attrs, content: Array.isArray(node.content) ? node.content : undefined })
    delivered++
  }
  emu.log.add('receipt', { from: reader.pnJid, to, id, type: type || 'delivery', delivered, conn: conn.id })
  conn.send({ tag: 'ack', attrs: { class: 'receipt', id, from: to, ...(type ? { type } : {}) } })
}
