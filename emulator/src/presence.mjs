// Presence and chat states (docs/PROTOCOL.md §9 "Presence"): <presence type=available|unavailable name>
// from a client is recorded per connection; an account is "available" while any of its connections
// is. <presence type=subscribe to=U> registers the connection as a watcher of U (until it
// disconnects or unsubscribes) and answers at once with U's current presence; watchers get every
// change. <chatstate to=U|G><composing/>|<paused/></chatstate> is forwarded to the recipient's live
// devices as <chatstate from=sender> (1:1) or <chatstate from=G participant=sender> (groups).
// Presence and chat states are ephemeral: never queued for offline devices, never acknowledged.
import { GROUP_SERVER } from './constants.mjs'
import { children, parseJid } from './nodes.mjs'

const CHAT_STATES = new Set(['composing', 'paused'])

export const isAvailable = (account) =>
  [...account.devices.values()].some(d => [...d.conns].some(c => !c.closed && c.available))

/** <presence from=U [type=unavailable last=T|deny]>; "available" is the absence of a type (W presence.go). */
export const presenceNode = (account, server) => {
  if (isAvailable(account)) return { tag: 'presence', attrs: { from: account.userIn(server) } }
  return { tag: 'presence', attrs: { from: account.userIn(server), type: 'unavailable', last: account.lastSeen ? String(account.lastSeen) : 'deny' } }
}

export class PresenceHub {
  /** @param {import('./server.mjs').Emulator} emu */
  constructor (emu) {
    this.emu = emu
    this.watchers = new Map() // Account -> Map(conn -> server form the watcher used)
  }

  /** Runs fn (which may change who is available) and tells watchers when the account's presence flipped. */
  track (account, fn) {
    const before = isAvailable(account)
    fn()
    const after = isAvailable(account)
    if (before === after) return
    if (!after) account.lastSeen = Math.floor(Date.now() / 1000)
    this.broadcast(account)
  }

  broadcast (account) {
    const ws = this.watchers.get(account)
    if (!ws) return
    let sent = 0
    for (const [conn, server] of ws) {
      if (conn.closed) { ws.delete(conn); continue }
      conn.send(presenceNode(account, server))
      sent++
    }
    this.emu.log.add('presence_update', { jid: account.pnUser, available: isAvailable(account), watchers: sent })
  }

  /** A <presence> stanza from a logged-in client. */
  onPresence (conn, node) {
    const { type, to, name } = node.attrs
    if (type === 'subscribe' || type === 'unsubscribe') {
      const p = parseJid(to)
      const target = p && this.emu.state.accountOf(p)
      if (!target) {
        this.emu.log.add('presence', { who: conn.label, type, to, error: p?.server === GROUP_SERVER ? 'group presence not supported' : 'unknown user' })
        return
      }
      const server = p.server === 'lid' ? 'lid' : 's.whatsapp.net'
      if (type === 'unsubscribe') {
        this.watchers.get(target)?.delete(conn)
      } else {
        if (!this.watchers.has(target)) this.watchers.set(target, new Map())
        this.watchers.get(target).set(conn, server)
        conn.send(presenceNode(target, server))
      }
      this.emu.log.add('presence', { who: conn.label, type, to })
      return
    }
    const account = conn.device.account
    this.track(account, () => {
      if (type === 'available' || type === undefined) conn.available = true
      if (type === 'unavailable') conn.available = false
    })
    if (name) conn.device.pushName = name
    this.emu.log.add('presence', { who: conn.label, type: type || 'available', name })
  }

  /** A connection went away: forget its subscriptions, and maybe its account went unavailable. */
  onConnectionClosed (conn) {
    for (const ws of this.watchers.values()) ws.delete(conn)
    if (conn.device && conn.available) {
      const account = conn.device.account
      // conn is already out of device.conns; compare with it counted as available
      const others = isAvailable(account)
      if (!others) {
        account.lastSeen = Math.floor(Date.now() / 1000)
        this.broadcast(account)
      }
    }
  }

  /** <chatstate to=…><composing/>|<paused/></chatstate> */
  onChatstate (conn, node) {
    const sender = conn.device
    const to = node.attrs.to
    const p = parseJid(to)
    const state = children(node)[0]
    if (!p || !state || !CHAT_STATES.has(state.tag)) {
      this.emu.log.add('bad_stanza', { who: conn.label, tag: 'chatstate', reason: !p ? 'bad to' : 'expected <composing/> or <paused/>' })
      return
    }
    const content = [{ tag: state.tag, attrs: state.tag === 'composing' && state.attrs?.media ? { media: state.attrs.media } : {} }]
    const targets = []
    let attrs
    if (p.server === GROUP_SERVER) {
      const group = this.emu.state.groupOf(to)
      if (!group || !group.participants.includes(sender.account)) {
        this.emu.log.add('chatstate', { from: sender.pnJid, to, state: state.tag, delivered: 0, error: group ? 'not a participant' : 'no such group' })
        return
      }
      const lid = group.addressingMode === 'lid'
      attrs = { from: group.jid, participant: sender.account.userIn(lid ? 'lid' : 's.whatsapp.net') }
      for (const member of group.participants) if (member !== sender.account) targets.push(...member.devices.values())
    } else {
      const target = this.emu.state.accountOf(p)
      if (!target || target === sender.account) {
        this.emu.log.add('chatstate', { from: sender.pnJid, to, state: state.tag, delivered: 0, error: target ? 'own account' : 'unknown user' })
        return
      }
      attrs = { from: sender.account.userIn(p.server === 'lid' ? 'lid' : 's.whatsapp.net') }
      targets.push(...target.devices.values())
    }
    let delivered = 0
    for (const dev of targets) {
      for (const c of dev.conns) {
        if (c.closed) continue
        c.send({ tag: 'chatstate', attrs, content })
        delivered++
      }
    }
    this.emu.log.add('chatstate', { from: sender.pnJid, to, state: state.tag, delivered })
  }
}
