// w:g2 group create/query/participating (wa-protocol.md §7.3) and the <group> node.
import { child, children, iqError, iqResult } from './nodes.mjs'

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
      return iqResult(iq, [groupNode(group)])
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

