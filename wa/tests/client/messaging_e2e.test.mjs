// End-to-end tests of messaging through `wa-tool listen | send` against the offline
// emulator (in this process, port 0) with unmodified Baileys clients as the other people
// (emulator/src/peer.mjs, in this process too): real processes, real sockets, real Signal.
//   node wa/tests/client/messaging_e2e.test.mjs WA_TOOL SCENARIO
// Each scenario is one ctest (wa/tests/client/CMakeLists.txt).
import { spawnSync } from 'node:child_process'
import assert from 'node:assert/strict'
import { assertAllAcked, contextOf, listen, pairBot, peer, runScenarios, send, sleep, startEmulator, store, textOf, Tool, VERBOSE } from './e2e_harness.mjs'

// ---- scenarios --------------------------------------------------------------------------------

const scenarios = {
  // 1:1 both ways: pkmsg then msg, text, quote, mentions (by PN and by LID), restart in between.
  async dm () {
    const ctx = await startEmulator()
    const bot = await pairBot(ctx, '15551000001', store('bot'))
    const alice = await peer(ctx, '15551000002', 'Alice')

    // Baileys -> us, first message (pkmsg).
    let l = await listen(bot)
    const m1 = await alice.sendText(bot.user, 'hello bot')
    const e1 = await l.next(e => e.event === 'message' && e.id === m1.key.id)
    assert.equal(e1.text, 'hello bot')
    assert.equal(e1.type, 'text')
    assert.equal(e1.chat, alice.user)
    assert.equal(e1.sender, alice.user)
    assert.equal(e1.sender_lid, alice.lidUser)
    assert.equal(e1.push_name, 'Alice')
    assert.equal(e1.is_group, false)
    assert.equal(e1.is_from_me, false)
    assert.equal(e1.mentions_me, false)
    assert.deepEqual(e1.mentioned_jids, [])
    assert.equal(e1.quoted, null)
    assert.ok(e1.timestamp > 1700000000)
    // Quote + mention by phone JID (Baileys keeps sending pkmsg until we answer).
    const m2 = await alice.sock.sendMessage(bot.user, { text: `@${bot.phone} look`, mentions: [bot.user] }, { quoted: m1 })
    const e2 = await l.next(e => e.event === 'message' && e.id === m2.key.id)
    assert.equal(e2.text, `@${bot.phone} look`)
    assert.deepEqual(e2.mentioned_jids, [bot.user])
    assert.equal(e2.mentions_me, true)
    assert.equal(e2.quoted.id, m1.key.id)
    assert.equal(e2.quoted.text, 'hello bot')
    assert.equal(e2.quoted.type, 'text')
    // Mention by LID, and a mention of someone else.
    const m3 = await alice.sendText(bot.user, 'lid mention', { mentions: [bot.lidUser] })
    assert.equal((await l.next(e => e.event === 'message' && e.id === m3.key.id)).mentions_me, true)
    const m4 = await alice.sendText(bot.user, 'other mention', { mentions: ['15559999999@s.whatsapp.net'] })
    assert.equal((await l.next(e => e.event === 'message' && e.id === m4.key.id)).mentions_me, false)
    await assertAllAcked(ctx, bot)
    assert.equal(await l.interrupt(), 0)

    // Us -> Baileys (a separate process: the restart between messages is part of the test).
    const s1 = await send(bot, alice.phone, 'hello alice')
    const r1 = await alice.waitMessage(m => m.key.id === s1.id)
    assert.equal(textOf(r1), 'hello alice')
    // Alice goes offline: our quoted reply waits for her in the server's queue, so that her
    // delivery receipt reaches the `listen` process started below.
    const closed = alice.waitClose()
    alice.sock.end(undefined)
    await closed
    const s2 = await send(bot, alice.user, `re @${alice.phone}`, ['--quote', m2.key.id, '--quote-text', `@${bot.phone} look`, '--mention', alice.phone])
    l = await listen(bot)
    await alice.reconnect()
    const r2 = await alice.waitMessage(m => m.key.id === s2.id)
    assert.equal(textOf(r2), `re @${alice.phone}`)
    assert.equal(contextOf(r2).stanzaId, m2.key.id)
    assert.deepEqual(contextOf(r2).mentionedJid, [alice.user])
    assert.equal(contextOf(r2).quotedMessage.conversation, `@${bot.phone} look`)
    const delivered = await l.next(e => e.event === 'receipt' && e.ids.includes(s2.id))
    // Baileys acknowledges messages from its offline queue as "inactive" deliveries (§6.4)
    assert.ok(['delivered', 'inactive'].includes(delivered.type), delivered.type)
    assert.equal(delivered.chat, alice.user)
    assert.equal(delivered.from.split(':')[0], alice.phone)
    await alice.sock.readMessages([r2.key])
    const read = await l.next(e => e.event === 'receipt' && e.type === 'read' && e.ids.includes(s2.id))
    assert.equal(read.chat, alice.user)

    // Baileys answers on the established session (msg); we were restarted since our last send.
    const m5 = await alice.sendText(bot.user, 'after reply')
    const e5 = await l.next(e => e.event === 'message' && e.id === m5.key.id)
    assert.equal(e5.text, 'after reply')
    await assertAllAcked(ctx, bot)
    assert.equal(await l.interrupt(), 0)
    const s3 = await send(bot, alice.phone, 'third')
    assert.equal(textOf(await alice.waitMessage(m => m.key.id === s3.id)), 'third')
    return ctx
  },

  // Groups in both addressing modes: a Baileys member's skmsg (with its SKDM in the same stanza)
  // decrypts; mentions by phone JID (pn group) and by LID (lid group) set mentions_me.
  async groups_receive () {
    const ctx = await startEmulator()
    const bot = await pairBot(ctx, '15551000021', store('bot'))
    const carol = await peer(ctx, '15551000022', 'Carol')
    const dave = await peer(ctx, '15551000023', 'Dave')
    const l = await listen(bot)
    for (const mode of ['pn', 'lid']) {
      const g = await ctx.post('/groups', { subject: `g-${mode}`, owner: carol.phone, participants: [bot.phone, dave.phone], addressing_mode: mode })
      assert.equal(g.status, 200, JSON.stringify(g.body))
      const group = g.body.jid
      await sleep(300)
      const me = mode === 'pn' ? bot.user : bot.lidUser
      const other = mode === 'pn' ? dave.user : dave.lidUser
      const m1 = await carol.sendText(group, `@${me.split('@')[0]} hi`, { mentions: [me] })
      const e1 = await l.next(e => e.event === 'message' && e.id === m1.key.id)
      assert.equal(e1.is_group, true)
      assert.equal(e1.chat, group)
      assert.equal(e1.text, `@${me.split('@')[0]} hi`)
      assert.deepEqual(e1.mentioned_jids, [me])
      assert.equal(e1.mentions_me, true, `${mode}: mentioned by ${me}`)
      assert.equal(e1.sender, carol.user)
      assert.equal(e1.sender_lid, carol.lidUser)
      assert.equal(e1.push_name, 'Carol')
      const m2 = await carol.sendText(group, 'someone else', { mentions: [other] })
      assert.equal((await l.next(e => e.event === 'message' && e.id === m2.key.id)).mentions_me, false)
      const m3 = await dave.sendText(group, 'nobody')
      const e3 = await l.next(e => e.event === 'message' && e.id === m3.key.id)
      assert.equal(e3.mentions_me, false)
      assert.equal(e3.sender, dave.user)
    }
    await assertAllAcked(ctx, bot)
    assert.equal(await l.interrupt(), 0)
    return ctx
  },

  // We send in groups of both addressing modes: sender key distributed, skmsg decrypted by every
  // Baileys member, mentions intact; a second message reuses the sender key.
  async groups_send () {
    const ctx = await startEmulator()
    const bot = await pairBot(ctx, '15551000031', store('bot'))
    const erin = await peer(ctx, '15551000032', 'Erin')
    const frank = await peer(ctx, '15551000033', 'Frank')
    for (const mode of ['pn', 'lid']) {
      const g = await ctx.post('/groups', { subject: `s-${mode}`, owner: erin.phone, participants: [bot.phone, frank.phone], addressing_mode: mode })
      assert.equal(g.status, 200, JSON.stringify(g.body))
      const group = g.body.jid
      const mention = mode === 'pn' ? erin.user : erin.lidUser
      const s1 = await send(bot, group, `hi @${mention.split('@')[0]}`, ['--mention', mention])
      for (const p of [erin, frank]) {
        const r = await p.waitMessage(m => m.key.id === s1.id)
        assert.equal(r.key.remoteJid, group)
        assert.equal(textOf(r), `hi @${mention.split('@')[0]}`)
        assert.deepEqual(contextOf(r).mentionedJid, [mention])
      }
      const s2 = await send(bot, group, 'second')
      for (const p of [erin, frank]) assert.equal(textOf(await p.waitMessage(m => m.key.id === s2.id)), 'second')
    }
    // The Baileys members' receipts wait in our queue; a listener drains them.
    const l = await listen(bot)
    await sleep(500)
    await assertAllAcked(ctx, bot)
    assert.equal(await l.interrupt(), 0)
    return ctx
  },

  // A second companion of our own account (a Baileys device) gets our sent messages as
  // deviceSentMessage; what it sends reaches us as is_from_me with the right chat.
  async own_devices () {
    const ctx = await startEmulator()
    const bot = await pairBot(ctx, '15551000041', store('bot'))
    const gina = await peer(ctx, '15551000042', 'Gina')
    const twin = await peer(ctx, bot.phone, 'Bot') // our account's second companion
    const s1 = await send(bot, gina.phone, 'to gina')
    assert.equal(textOf(await gina.waitMessage(m => m.key.id === s1.id)), 'to gina')
    const copy = await twin.waitMessage(m => m.key.id === s1.id)
    assert.equal(copy.key.fromMe, true)
    assert.equal(copy.key.remoteJid, gina.user)
    assert.equal(textOf(copy), 'to gina')
    const l = await listen(bot)
    const t1 = await twin.sendText(gina.user, 'from the twin')
    const e = await l.next(x => x.event === 'message' && x.id === t1.key.id)
    assert.equal(e.is_from_me, true)
    assert.equal(e.chat, gina.user)
    assert.equal(e.text, 'from the twin')
    await assertAllAcked(ctx, bot)
    assert.equal(await l.interrupt(), 0)
    return ctx
  },

  // The peer's phone re-registers (new identity, new companion): we drop the old sessions on the
  // notification, and messages flow both ways on new sessions.
  async identity_change () {
    const ctx = await startEmulator()
    const bot = await pairBot(ctx, '15551000051', store('bot'))
    const hank = await peer(ctx, '15551000052', 'Hank')
    let l = await listen(bot)
    const m1 = await hank.sendText(bot.user, 'before')
    await l.next(e => e.event === 'message' && e.id === m1.key.id)
    const reset = await ctx.post(`/accounts/${hank.phone}/reset-identity`, {})
    assert.equal(reset.status, 200, JSON.stringify(reset.body))
    await hank.stop()
    const hank2 = await peer(ctx, hank.phone, 'Hank')
    const m2 = await hank2.sendText(bot.user, 'after')
    const e2 = await l.next(e => e.event === 'message' && e.id === m2.key.id)
    assert.equal(e2.text, 'after')
    await assertAllAcked(ctx, bot)
    assert.equal(await l.interrupt(), 0)
    const s1 = await send(bot, hank.phone, 'welcome back')
    assert.equal(textOf(await hank2.waitMessage(m => m.key.id === s1.id)), 'welcome back')
    l = await listen(bot)
    await sleep(300)
    await assertAllAcked(ctx, bot)
    assert.equal(await l.interrupt(), 0)
    return ctx
  },

  // Our read receipts reach Baileys (blue ticks); "typing…" reaches it as a chat state.
  async read_and_typing () {
    const ctx = await startEmulator()
    const bot = await pairBot(ctx, '15551000061', store('bot'))
    const ivy = await peer(ctx, '15551000062', 'Ivy')
    const l = new Tool(['listen', '--store', bot.file, '--mark-read', ...VERBOSE], 'listen')
    await l.next('connected')
    const updates = []
    ivy.on('update', u => updates.push(u)) // the read receipt may beat any later waitFor
    const m1 = await ivy.sendText(bot.user, 'read me')
    await l.next(e => e.event === 'message' && e.id === m1.key.id)
    for (let i = 0; i < 100 && !updates.some(u => u.key.id === m1.key.id && u.update.status >= 4); i++) await sleep(100)
    assert.ok(updates.some(u => u.key.id === m1.key.id && u.update.status >= 4), `READ status at Baileys: ${JSON.stringify(updates)}; log ${JSON.stringify((await ctx.get('/log?since=0')).events.filter(e => e.kind === 'receipt'))}`)
    await assertAllAcked(ctx, bot)
    assert.equal(await l.interrupt(), 0)
    const typing = ivy.waitFor('presence', u => [bot.user, bot.lidUser].includes(u.id) && Object.values(u.presences).some(p => p.lastKnownPresence === 'composing'))
    // Baileys reports <paused/> as lastKnownPresence "available"
    const paused = typing.then(() => ivy.waitFor('presence', u => [bot.user, bot.lidUser].includes(u.id) && Object.values(u.presences).some(p => ['paused', 'available'].includes(p.lastKnownPresence))))
    const s1 = await send(bot, ivy.phone, 'typed', ['--typing-ms', '300'])
    const why = async (e) => { throw new Error(`${e.message.slice(0, 80)}; presences ${JSON.stringify(ivy.presences)}; log ${JSON.stringify((await ctx.get('/log?since=0')).events.filter(x => x.kind === 'chatstate'))}`) }
    await typing.catch(why)
    await paused.catch(why)
    assert.equal(textOf(await ivy.waitMessage(m => m.key.id === s1.id)), 'typed')
    return ctx
  },

  // The peer loses its session with us: it asks again with a retry receipt and we re-send the
  // message from our recent-sent cache on a fresh session.
  async retry_peer () {
    const ctx = await startEmulator()
    const bot = await pairBot(ctx, '15551000071', store('bot'))
    const jack = await peer(ctx, '15551000072', 'Jack')
    const l = await listen(bot)
    const m1 = await jack.sendText(bot.user, 'hi')
    await l.next(e => e.event === 'message' && e.id === m1.key.id)
    assert.equal(await l.interrupt(), 0)
    const s1 = await send(bot, jack.phone, 'first')
    assert.equal(textOf(await jack.waitMessage(m => m.key.id === s1.id && textOf(m))), 'first')
    jack.keys.dropSessions()
    const s2 = await send(bot, jack.phone, 'second', ['--linger-ms', '4000'])
    assert.equal(textOf(await jack.waitMessage(m => m.key.id === s2.id && textOf(m), 10000)), 'second')
    const log = (await ctx.get('/log?since=0')).events
    assert.ok(log.some(e => e.kind === 'receipt' && e.type === 'retry' && e.id === s2.id), 'a retry receipt was routed')
    return ctx
  },

  // Hostile input: garbage ciphertexts, truncated prekey messages, a message without <enc>, a
  // message without sender: retry receipts or nacks, logged events, no crash, nothing unacked.
  async bad_input () {
    const ctx = await startEmulator()
    const bot = await pairBot(ctx, '15551000081', store('bot'))
    const kim = await peer(ctx, '15551000082', 'Kim')
    const l = await listen(bot)
    const device = ctx.emu.state.deviceOf(bot.jid)
    const from = `${kim.phone}:1@s.whatsapp.net`
    const inject = (attrs, content) => { for (const c of device.conns) c.send({ tag: 'message', attrs: { t: '1700000000', type: 'text', ...attrs }, content }) }
    inject({ id: 'BAD1', from }, [{ tag: 'enc', attrs: { v: '2', type: 'msg' }, content: Buffer.from('not a signal message') }])
    inject({ id: 'BAD2', from }, [{ tag: 'enc', attrs: { v: '2', type: 'pkmsg' }, content: Buffer.from([0x33, 0x08]) }])
    inject({ id: 'BAD3', from }, [{ tag: 'unavailable', attrs: {} }])
    inject({ id: 'BAD4', from: '1234-5678@g.us', participant: from }, [{ tag: 'enc', attrs: { v: '2', type: 'skmsg' }, content: Buffer.from([1, 2, 3]) }])
    inject({ id: 'BAD5' }, []) // no sender: nacked (487), logged, counted
    inject({ id: 'BAD6', from: '1234-5678@g.us' }, [])
    for (const id of ['BAD1', 'BAD2', 'BAD3', 'BAD4']) {
      const u = await l.next(e => e.event === 'undecryptable' && e.id === id)
      assert.equal(u.retry_count, 1)
      assert.ok(u.reason.length > 0)
    }
    // The session still works afterwards.
    const m = await kim.sendText(bot.user, 'still fine')
    assert.equal((await l.next(e => e.event === 'message' && e.id === m.key.id)).text, 'still fine')
    await assertAllAcked(ctx, bot)
    assert.equal(l.exited, undefined, 'listen is still running')
    assert.equal(await l.interrupt(), 0)
    return ctx
  },

  // A group member loses its state (sessions and sender keys): its retry receipt is answered
  // pairwise with the message and a fresh SKDM, addressed to the group for that participant.
  async group_retry () {
    const ctx = await startEmulator()
    const bot = await pairBot(ctx, '15551000091', store('bot'))
    const lena = await peer(ctx, '15551000092', 'Lena')
    const g = await ctx.post('/groups', { subject: 'retry', owner: lena.phone, participants: [bot.phone], addressing_mode: 'lid' })
    const group = g.body.jid
    const s1 = await send(bot, group, 'one')
    assert.equal(textOf(await lena.waitMessage(m => m.key.id === s1.id && textOf(m))), 'one')
    lena.keys.dropSessions()
    lena.keys.data['sender-key'] = {}
    const s2 = await send(bot, group, 'two', ['--linger-ms', '4000'])
    const r2 = await lena.waitMessage(m => m.key.id === s2.id && textOf(m), 10000)
    assert.equal(textOf(r2), 'two')
    assert.equal(r2.key.remoteJid, group)
    const log = (await ctx.get('/log?since=0')).events
    assert.ok(log.some(e => e.kind === 'receipt' && e.type === 'retry' && e.id === s2.id), 'a retry receipt was routed')
    return ctx
  },

  // The connection drops while a send waits for the server's ack: the send fails at once with
  // client_disconnected (not after the 20 s ack timeout); the next send works.
  async send_disconnect () {
    const ctx = await startEmulator()
    const bot = await pairBot(ctx, '15551000101', store('bot'))
    const mia = await peer(ctx, '15551000102', 'Mia')
    const f = await ctx.post('/faults', { phone: bot.phone, kind: 'drop_before_ack' })
    assert.equal(f.status, 200, JSON.stringify(f.body))
    const started = Date.now()
    const t = new Tool(['send', '--store', bot.file, '--to', mia.phone, '--text', 'lost', ...VERBOSE], 'send')
    assert.equal(await t.exit, 1, t.stderr)
    const ms = Date.now() - started
    assert.match(t.stderr, /client_disconnected/, t.stderr)
    assert.ok(ms < 8000, `failed after ${ms} ms`)
    const log = (await ctx.get('/log?since=0')).events
    assert.ok(log.some(e => e.kind === 'dropped_before_ack'), 'the emulator dropped the message')
    const s = await send(bot, mia.phone, 'after')
    assert.equal(textOf(await mia.waitMessage(m => m.key.id === s.id)), 'after')
    return ctx
  },

  // We lose our session with the peer: its next message fails, a retry receipt recovers it.
  async retry () {
    const ctx = await startEmulator()
    const bot = await pairBot(ctx, '15551000011', store('bot'))
    const bob = await peer(ctx, '15551000012', 'Bob')
    let l = await listen(bot)
    const m1 = await bob.sendText(bot.user, 'one')
    await l.next(e => e.event === 'message' && e.id === m1.key.id)
    assert.equal(await l.interrupt(), 0)
    await send(bot, bob.phone, 'ack') // Bob now sends msg, not pkmsg
    // Wipe our sessions with Bob (the SQLite store, as a crash with lost state would).
    const wipe = spawnSync('sqlite3', [bot.file, 'DELETE FROM sessions;'], { encoding: 'utf8' })
    assert.equal(wipe.status, 0, wipe.stderr)
    l = await listen(bot)
    const m2 = await bob.sendText(bot.user, 'two')
    const u = await l.next(e => e.event === 'undecryptable' && e.id === m2.key.id)
    assert.equal(u.retry_count, 1)
    const e2 = await l.next(e => e.event === 'message' && e.id === m2.key.id)
    assert.equal(e2.text, 'two')
    // One retry receipt was enough: it said "no session" and carried our keys, so Bob built a
    // new session from them at once, without asking the server for our keys again.
    const events = (await ctx.get('/log?since=0')).events
    const retries = events.filter(e => e.kind === 'receipt' && e.type === 'retry' && e.id === m2.key.id)
    assert.equal(retries.length, 1, JSON.stringify(retries))
    const after = events.slice(events.indexOf(retries[0]))
    assert.ok(!after.some(e => e.kind === 'keys_fetched' && e.by.startsWith(bob.phone)), 'Bob used the keys of the retry receipt')
    await assertAllAcked(ctx, bot)
    assert.equal(await l.interrupt(), 0)
    return ctx
  }
}

await runScenarios('messaging_e2e.test.mjs', scenarios)
