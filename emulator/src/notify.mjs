// Server notifications about other users (docs/PROTOCOL.md §5.1, §5.3, §7.3):
//  - device-list changes (usync invalidation): <notification type=devices from=U lid=L>
//    <add|remove device_hash device_lid_hash><device jid lid [key-index]/></add|remove>
//    (W notification.go handleDeviceNotification; B messages-recv.js handleDevicesNotification),
//    plus the own-account form <notification type=account_sync><devices dhash><device jid/>…
//  - identity changes: <notification type=encrypt from=U><identity/></notification>
//  - group changes (w:gp2): <notification type=w:gp2 from=G participant=actor [participant_pn]>
//    <create><group…/></create> | <add|remove><participant jid [lid|phone_number]/>…</…>
// Notifications are stanzas the client must ack; offline devices get them at their next login.
import { createHash } from 'node:crypto'
import { groupNode } from './groups.mjs'
import { makeId, nowSeconds } from './nodes.mjs'

/** whatsmeow participantListHashV2 over AD strings "user.agent:device@server". */
export const deviceListHash = (devices, server) => {
  const ad = devices.map(d => `${server === 'lid' ? d.account.lid : d.account.phone}.0:${d.id}@${server}`).sort()
  return '2:' + createHash('sha256').update(ad.join('')).digest().subarray(0, 6).toString('base64').replace(/=+$/, '')
}

const notification = (attrs, content) => ({ tag: 'notification', attrs: { ...attrs, id: makeId('N'), t: nowSeconds() }, content })

/** Delivers to every device of the given accounts (queued when offline), skipping `except` devices. */
const deliverToAccounts = (emu, accounts, make, except = []) => {
  let n = 0
  for (const a of accounts) {
    for (const d of a.devices.values()) {
      if (except.includes(d)) continue
      emu.deliver(d, make(a))
      n++
    }
  }
  return n
}

/**
 * One account's device list changed (tag 'add' or 'remove' of `changed`, already applied to the
 * state). Tells the account's other devices and every contact (1:1 peers, group co-members).
 * One notification per changed device, each hash over the list as it stands after that change.
 */
export const notifyDeviceListChange = (emu, account, tag, changed) => {
  const contacts = emu.state.contactsOf(account)
  let sent = 0
  changed.forEach((dev, i) => {
    // removal of several devices: the list after this step still holds the ones removed later
    const after = [...account.devices.values(), ...(tag === 'remove' ? changed.slice(i + 1) : [])]
    const child = {
      tag,
      attrs: { device_hash: deviceListHash(after, 's.whatsapp.net'), device_lid_hash: deviceListHash(after, 'lid') },
      content: [{ tag: 'device', attrs: { jid: dev.pnJid, lid: dev.lidJid, ...(tag === 'add' ? { 'key-index': String(dev.keyIndex) } : {}) } }]
    }
    sent += deliverToAccounts(emu, [account, ...contacts], () => notification({ from: account.pnUser, lid: account.lidUser, type: 'devices' }, [child]), changed)
  })
  // whatsmeow's own-device form (account_sync), for the account's remaining devices
  const list = [...account.devices.values()]
  sent += deliverToAccounts(emu, [account], () => notification({ from: account.pnUser, type: 'account_sync' }, [{
    tag: 'devices',
    attrs: { dhash: deviceListHash(list, 's.whatsapp.net') },
    content: list.map(d => ({ tag: 'device', attrs: { jid: d.pnJid, 'key-index': String(d.keyIndex) } }))
  }]), changed)
  emu.log.add('devices_notified', { jid: account.pnUser, change: tag, devices: changed.map(d => d.pnJid), contacts: [...contacts].map(c => c.pnUser), stanzas: sent })
}

/** The account's identity changed (the phone re-registered): tell its contacts (§5.1). */
export const notifyIdentityChange = (emu, account) => {
  const contacts = emu.state.contactsOf(account)
  const sent = deliverToAccounts(emu, contacts, () => notification({ from: account.pnUser, lid: account.lidUser, type: 'encrypt' }, [{ tag: 'identity', attrs: {} }]))
  emu.log.add('identity_notified', { jid: account.pnUser, contacts: [...contacts].map(c => c.pnUser), stanzas: sent })
}

const participantNode = (a, lid) => ({ tag: 'participant', attrs: { jid: lid ? a.lidUser : a.pnUser, ...(lid ? { phone_number: a.pnUser } : { lid: a.lidUser }) } })

/**
 * A w:gp2 notification about `group` to every member (and, for 'remove', to the removed ones).
 * `actor` is the account that made the change; `tag` is create | add | remove.
 */
export const notifyGroupChange = (emu, group, actor, tag, accounts = []) => {
  const lid = group.addressingMode === 'lid'
  const attrs = {
    from: group.jid,
    type: 'w:gp2',
    participant: lid ? actor.lidUser : actor.pnUser,
    ...(lid ? { participant_pn: actor.pnUser } : {}),
    notify: actor.pushName
  }
  const child = tag === 'create'
    ? { tag: 'create', attrs: { reason: 'create' }, content: [groupNode(group)] }
    : { tag, attrs: {}, content: accounts.map(a => participantNode(a, lid)) }
  const to = new Set(group.participants)
  if (tag === 'remove') for (const a of accounts) to.add(a)
  const sent = deliverToAccounts(emu, to, () => notification(attrs, [child]))
  emu.log.add('group_notified', { jid: group.jid, change: tag, by: actor.pnUser, participants: accounts.map(a => a.pnUser), stanzas: sent })
}
