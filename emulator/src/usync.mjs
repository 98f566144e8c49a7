// usync device lists with LIDs (docs/PROTOCOL.md §5.3). Device 0 (the phone) is never listed:
// the emulated phone has no Signal sessions to receive on, and Baileys fails hard on a listed
// device it cannot fetch; its bundle is still served for direct key fetches (prekeys.mjs).
import { child, children, iqResult, parseJid } from './nodes.mjs'

export const handleUsyncIq = (emu, conn, iq) => {
  const usync = child(iq, 'usync')
  const query = child(usync, 'query')
  const wants = new Set(children(query).map(c => c.tag))
  const users = children(child(usync, 'list'), 'user')
  const out = users.map(u => {
    let jid = u.attrs.jid
    if (!jid) {
      // contact lookup by phone number: <user><contact>+1555...</contact></user>
      const phone = String(child(u, 'contact')?.content ?? '').replace(/[^0-9]/g, '')
      jid = `${phone}@s.whatsapp.net`
    }
    const p = parseJid(jid)
    const account = p && emu.state.accountOf(p)
    const content = []
    if (wants.has('devices')) {
      const list = account ? [...account.devices.values()].map(d => ({ tag: 'device', attrs: { id: String(d.id), 'key-index': String(d.keyIndex) } })) : []
      content.push({ tag: 'devices', attrs: {}, content: [{ tag: 'device-list', attrs: {}, content: list }] })
    }
    if (wants.has('lid') && account && p.server === 's.whatsapp.net') content.push({ tag: 'lid', attrs: { val: account.lidUser } })
    if (wants.has('contact')) content.push({ tag: 'contact', attrs: { type: account ? 'in' : 'out' } })
    if (wants.has('status')) content.push({ tag: 'status', attrs: { t: '0' } })
    return { tag: 'user', attrs: { jid: account && p.server === 'lid' ? account.lidUser : (account ? account.pnUser : jid) }, content }
  })
  return iqResult(iq, [{
    tag: 'usync',
    attrs: { sid: usync?.attrs.sid || '', index: '0', last: 'true', mode: usync?.attrs.mode || 'query', context: usync?.attrs.context || 'interactive' },
    content: [{ tag: 'result', attrs: {}, content: [] }, { tag: 'list', attrs: {}, content: out }]
  }])
}
