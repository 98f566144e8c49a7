// w:g2 group create/query/participating (docs/PROTOCOL.md §7.3) and the <group> node.
import { children, iqError, iqResult } from './nodes.mjs'
import { notifyGroupChange } from './notify.mjs'

export const groupNode = (group) => {
  const lid = group.addressingMode === 'lid'
  const ownerJid = lid ? group.owner.lidUser : group.owner.pnUser
  return {
    tag: 'group',
    attrs: {
      id: group.id,
      subject: group.subject,
      s_t: String(group.creation),
      s_o: ownerJid,
      creation: String(group.creation),
      creator: ownerJid,
      ...(lid ? { creator_pn: group.owner.pnUser } : {}),
      addressing_mode: group.addressingMode,
      size: String(group.participants.length)
    },
    content: group.participants.map(a => ({
      tag: 'participant',
      attrs: {
        jid: lid ? a.lidUser : a.pnUser,
        ...(lid ? { phone_number: a.pnUser } : { lid: a.lidUser }),
        ...(a === group.owner ? { type: 'superadmin' } : {})
      }
    }))
  }
}

/**
 * Adds or removes members (`accounts[i]` may be undefined for an unknown JID `jids[i]`), sends the
 * w:gp2 notification for the ones that changed and returns per-participant result nodes.
 */
export const changeParticipants = (emu, group, actor, action, accounts, jids) => {
  const changed = []
  const results = accounts.map((a, i) => {
    const jid = jids[i]
    let error
    if (!a) error = '404'
    else if (action === 'add' && group.participants.includes(a)) error = '409'
    else if (action === 'remove' && !group.participants.includes(a)) error = '404'
    else if (action === 'remove' && a === group.owner) error = '406'
    if (!error) {
      if (action === 'add') group.participants.push(a)
      else group.participants.splice(group.participants.indexOf(a), 1)
      changed.push(a)
    }
    return { tag: 'participant', attrs: { jid, ...(error ? { error } : {}) } }
  })
  if (changed.length) {
    emu.log.add('group_participants', { jid: group.jid, action, by: actor.pnUser, participants: changed.map(a => a.pnUser) })
    notifyGroupChange(emu, group, actor, action, changed)
  }
  return { results, changed }
}

export const handleGroupIq = (emu, conn, iq) => {
  const me = conn.device.account
  const first = Array.isArray(iq.content) ? iq.content[0] : undefined
  switch (first?.tag) {
    case 'create': {
      const participants = []
      for (const p of children(first, 'participant')) {
        const a = emu.state.accountOf(p.attrs.jid)
        if (!a) return iqError(iq, 404, 'item-not-found')
        participants.push(a)
      }
      const group = emu.state.createGroup({ subject: first.attrs.subject, owner: me, participants, addressingMode: emu.options.defaultGroupAddressing })
      emu.log.add('group_created', { jid: group.jid, by: me.phone, addressing_mode: group.addressingMode })
      notifyGroupChange(emu, group, me, 'create')
      return iqResult(iq, [groupNode(group)])
    }
    case 'add':
    case 'remove': {
      if (iq.attrs.type !== 'set') return iqError(iq, 400, 'bad-request')
      const group = emu.state.groupOf(iq.attrs.to)
      if (!group) return iqError(iq, 404, 'item-not-found')
      if (group.owner !== me) return iqError(iq, 403, 'forbidden') // only the (super)admin changes members
      const jids = children(first, 'participant').map(p => p.attrs.jid).filter(j => typeof j === 'string')
      const { results } = changeParticipants(emu, group, me, first.tag, jids.map(j => emu.state.accountOf(j)), jids)
      return iqResult(iq, [{ tag: first.tag, attrs: {}, content: results }])
    }
    case 'query': {
      const group = emu.state.groupOf(iq.attrs.to)
      if (!group) return iqError(iq, 404, 'item-not-found')
      if (!group.participants.includes(me)) return iqError(iq, 403, 'forbidden')
      return iqResult(iq, [groupNode(group)])
    }
    case 'participating': {
      const mine = [...emu.state.groups.values()].filter(g => g.participants.includes(me))
      return iqResult(iq, [{ tag: 'groups', attrs: {}, content: mine.map(groupNode) }])
    }
    default:
      emu.log.add('unknown_iq', { who: conn.label, xmlns: 'w:g2', child: first?.tag })
      return iqResult(iq)
  }
}

