// Presence and chat states, device-list and identity-change notifications to contacts, w:gp2 group
// notifications and the low-prekey notification, each observed through unmodified Baileys clients.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { pairedPeer } from '../src/peer.mjs'
import { sleep, startEmulator, textOf } from './helpers.mjs'

/** Waits until the emulator's log has an event matching pred. */
const waitEvent = async (emu, pred, timeoutMs = 10000) => {
  const until = Date.now() + timeoutMs
  for (;;) {
    const found = (await emu.events()).find(pred)
    if (found) return found
    if (Date.now() > until) throw new Error('no matching log event')
    await sleep(100)
  }
}

describe('presence, device lists, identity changes and groups', () => {
  let emu, alice, bob, carol
  const extra = [] // further Baileys devices started by the tests
  before(async () => {
    emu = await startEmulator()
    alice = await pairedPeer(emu.control_url, '15550011111', { pushName: 'Alice' })
    bob = await pairedPeer(emu.control_url, '15550012222', { pushName: 'Bob' })
    carol = await pairedPeer(emu.control_url, '15550013333', { pushName: 'Carol' })
  })
  after(async () => {
    for (const p of [alice, bob, carol, ...extra]) await p?.stop()
    await emu?.stop()
  })

  test('presence subscribe, available/unavailable, and 1:1 chat states composing/paused', async () => {
    const first = alice.waitPresence(bob.user, 'available')
    await alice.sock.presenceSubscribe(bob.user)
    await first // the subscription is answered with bob's current presence

    const composing = alice.waitPresence(bob.user, 'composing', bob.user)
    await bob.sock.sendPresenceUpdate('composing', alice.user)
    await composing
    const paused = alice.waitPresence(bob.user, 'available', bob.user) // Baileys maps <paused/> to available
    await bob.sock.sendPresenceUpdate('paused', alice.user)
    await paused
    const states = (await emu.events('chatstate')).filter(e => e.from === bob.jid)
    assert.deepEqual(states.map(e => [e.state, e.delivered]), [['composing', 1], ['paused', 1]])

    const away = alice.waitPresence(bob.user, 'unavailable')
    await bob.sock.sendPresenceUpdate('unavailable')
    const u = await away
    assert.ok(u.presences[bob.user].lastSeen > 0, 'unavailable carries last seen')
    const back = alice.waitPresence(bob.user, 'available')
    await bob.sock.sendPresenceUpdate('available')
    await back
    // carol never subscribed: she gets no presence of bob
    assert.ok(!carol.presences.some(p => p.id === bob.user))
  })

  test('group chat state: members see <chatstate from=G participant=sender>', async () => {
    const { jid } = await emu.api('POST', '/groups', { subject: 'typing', owner: alice.phone, participants: [bob.phone, carol.phone], addressing_mode: 'pn' })
    const seenByAlice = alice.waitPresence(jid, 'composing', bob.user)
    const seenByCarol = carol.waitPresence(jid, 'composing', bob.user)
    await bob.sock.sendPresenceUpdate('composing', jid)
    await Promise.all([seenByAlice, seenByCarol])
    const ev = (await emu.events('chatstate')).filter(e => e.to === jid)
    assert.equal(ev[0].delivered, 2)
  })

  test('w:gp2: a client-created group, then add and remove a participant', async () => {
    const upsert = bob.waitFor('group-upsert', g => g.subject === 'gp2 test')
    const meta = await alice.sock.groupCreate('gp2 test', [bob.user])
    await upsert // <create> notification

    const bobSeesAdd = bob.waitFor('group-participants', u => u.id === meta.id && u.action === 'add')
    const carolSeesAdd = carol.waitFor('group-participants', u => u.id === meta.id && u.action === 'add')
    const res = await alice.sock.groupParticipantsUpdate(meta.id, [carol.user], 'add')
    assert.deepEqual(res.map(r => [r.jid, r.status]), [[carol.user, '200']])
    const added = await bobSeesAdd
    assert.deepEqual(added.participants.map(p => p.id), [carol.user])
    assert.equal(added.author, alice.user)
    await carolSeesAdd
    // only the group's admin changes its members; unknown and duplicate members get per-participant errors
    await assert.rejects(bob.sock.groupParticipantsUpdate(meta.id, [carol.user], 'remove'))
    const dup = await alice.sock.groupParticipantsUpdate(meta.id, [carol.user, '19990000001@s.whatsapp.net'], 'add')
    assert.deepEqual(dup.map(r => r.status), ['409', '404'])

    const m = await alice.sendText(meta.id, 'welcome carol')
    assert.equal(textOf(await carol.waitMessage(x => x.key.id === m.key.id)), 'welcome carol')

    const bobSeesRemove = bob.waitFor('group-participants', u => u.id === meta.id && u.action === 'remove')
    const carolSeesRemove = carol.waitFor('group-participants', u => u.id === meta.id && u.action === 'remove')
    await alice.sock.groupParticipantsUpdate(meta.id, [carol.user], 'remove')
    assert.deepEqual((await bobSeesRemove).participants.map(p => p.id), [carol.user])
    await carolSeesRemove
    const after = await alice.sendText(meta.id, 'carol is gone')
    await bob.waitMessage(x => x.key.id === after.key.id)
    const routed = (await emu.events('message')).find(e => e.id === after.key.id)
    assert.equal(routed.delivered, 1)

    // the control API does the same (owner acts unless "by" is given)
    const viaApi = bob.waitFor('group-participants', u => u.id === meta.id && u.action === 'add')
    const r = await emu.api('POST', `/groups/${meta.id}/participants`, { action: 'add', participants: [carol.phone] })
    assert.deepEqual(r.participants, [{ jid: carol.user, status: 200 }])
    await viaApi
    await emu.api('POST', `/groups/${meta.id.split('@')[0]}/participants`, { action: 'remove', participants: [carol.phone] })
    await assert.rejects(emu.api('POST', `/groups/${meta.id}/participants`, { action: 'kick', participants: [carol.phone] }), /-> 400/)
    await assert.rejects(emu.api('POST', '/groups/1203630000/participants', { action: 'add', participants: [carol.phone] }), /-> 404/)
    await emu.assertAllAcked()
  })

  test('a contact learns of a new companion device: the next message reaches it too', async () => {
    const hello = await alice.sendText(bob.user, 'hello bob')
    await bob.waitMessage(x => x.key.id === hello.key.id)
    const reply = await bob.sendText(alice.user, 'hi alice')
    await alice.waitMessage(x => x.key.id === reply.key.id)

    const bob2 = await pairedPeer(emu.control_url, bob.phone, { pushName: 'Bob', browser: ['Mac OS', 'Safari', '17'] })
    extra.push(bob2)
    assert.notEqual(bob2.jid, bob.jid)
    const notified = await waitEvent(emu, e => e.kind === 'devices_notified' && e.change === 'add' && e.devices.includes(bob2.jid))
    assert.ok(notified.contacts.includes(alice.user))
    await emu.assertAllAcked() // alice (and bob's first device) processed the notification

    const m = await alice.sendText(bob.user, 'to both of your devices')
    const [got1, got2] = await Promise.all([bob.waitMessage(x => x.key.id === m.key.id), bob2.waitMessage(x => x.key.id === m.key.id)])
    assert.equal(textOf(got1), 'to both of your devices')
    assert.equal(textOf(got2), 'to both of your devices')
    assert.equal((await emu.events('message')).find(e => e.id === m.key.id).delivered, 2)

    // the removal is announced as well: after bob2 logs out alice stops encrypting for it
    const closed = bob2.waitClose()
    await bob2.sock.logout()
    await closed
    await waitEvent(emu, e => e.kind === 'devices_notified' && e.change === 'remove' && e.devices.includes(bob2.jid))
    await emu.assertAllAcked()
    const m2 = await alice.sendText(bob.user, 'only one device now')
    await bob.waitMessage(x => x.key.id === m2.key.id)
    const routed = (await emu.events('message')).find(e => e.id === m2.key.id)
    assert.equal(routed.delivered, 1)
    assert.equal(routed.undeliverable, undefined, 'alice did not encrypt for the removed device')
  })

  test('identity change: the phone re-registers, contacts are told, messaging resumes on a new session', async () => {
    const closed = bob.waitClose()
    const r = await emu.api('POST', `/accounts/${bob.phone}/reset-identity`)
    assert.deepEqual(r.removed, [bob.jid])
    assert.equal(r.lid, bob.accountLid)
    await closed
    assert.equal(bob.disconnects.at(-1), 401)
    await bob.stop()
    const told = await waitEvent(emu, e => e.kind === 'identity_notified' && e.jid === bob.user)
    assert.ok(told.contacts.includes(alice.user))
    // Baileys reacts to <identity/> by re-fetching the user's (device 0) bundle, reason=identity
    const bobUsers = [bob.user, bob.accountLid]
    const refetch = await waitEvent(emu, e => e.kind === 'keys_fetched' && e.seq > told.seq && e.by === alice.jid && e.reason === 'identity' && e.jids.some(j => bobUsers.includes(j)))
    assert.ok(refetch)
    await emu.assertAllAcked()

    // the same phone links a fresh companion (new Signal identity, new device id)
    const bob3 = await pairedPeer(emu.control_url, bob.phone, { pushName: 'Bob' })
    extra.push(bob3)
    assert.notEqual(bob3.jid, bob.jid)
    assert.ok(!Buffer.from(bob3.creds.signedIdentityKey.public).equals(Buffer.from(bob.creds.signedIdentityKey.public)))
    const m = await alice.sendText(bob.user, 'are you still there?')
    const got = await bob3.waitMessage(x => x.key.id === m.key.id)
    assert.equal(textOf(got), 'are you still there?')
    const back = await bob3.sendText(alice.user, 'yes, new phone')
    assert.equal(textOf(await alice.waitMessage(x => x.key.id === back.key.id)), 'yes, new phone')
    // a new session: alice fetched the new device's bundle (identity = bob3's fresh key)
    const fetched = (await emu.events('keys_fetched')).filter(e => e.seq > refetch.seq && e.by === alice.jid)
    assert.ok(fetched.some(e => e.jids.includes(bob3.jid) || e.jids.includes(bob3.lid)), `alice fetched bob3's bundle: ${JSON.stringify(fetched)}`)
    await emu.assertAllAcked()
  })

  test('bad presence and chat-state input is logged, never fatal', async () => {
    await alice.sock.sendNode({ tag: 'chatstate', attrs: { to: 'not-a-jid' }, content: [{ tag: 'composing', attrs: {} }] })
    await alice.sock.sendNode({ tag: 'chatstate', attrs: { to: carol.user }, content: [{ tag: 'dancing', attrs: {} }] })
    await alice.sock.sendNode({ tag: 'chatstate', attrs: { to: '19990000002@s.whatsapp.net' }, content: [{ tag: 'composing', attrs: {} }] })
    await alice.sock.sendNode({ tag: 'presence', attrs: { type: 'subscribe', to: '19990000002@s.whatsapp.net' } })
    await waitEvent(emu, e => e.kind === 'presence' && e.type === 'subscribe' && e.error === 'unknown user')
    const bad = (await emu.events('bad_stanza')).filter(e => e.tag === 'chatstate')
    assert.equal(bad.length, 2)
    assert.ok((await emu.events('chatstate')).some(e => e.to === '19990000002@s.whatsapp.net' && e.error === 'unknown user'))
    await assert.rejects(emu.api('POST', '/accounts/19990000000/reset-identity'), /-> 404/)
    const m = await alice.sendText(carol.user, 'still fine')
    await carol.waitMessage(x => x.key.id === m.key.id)
  })

  test('the emulator logged no internal errors', async () => {
    assert.deepEqual(await emu.events('error'), [])
    assert.ok(emu.alive())
  })
})

describe('low-prekey notification', () => {
  let emu, alice, bob
  before(async () => {
    // The server keeps 6 one-time prekeys per device and warns below 4: three bundle fetches suffice.
    emu = await startEmulator(['--max-prekeys', '6', '--prekey-low-threshold', '4'])
    alice = await pairedPeer(emu.control_url, '15550014444', { pushName: 'Alice' })
    bob = await pairedPeer(emu.control_url, '15550015555', { pushName: 'Bob' })
  })
  after(async () => {
    for (const p of [alice, bob]) await p?.stop()
    await emu?.stop()
  })

  const prekeysOf = async (p) => (await emu.api('GET', `/accounts/${p.phone}/devices`)).find(d => d.jid === p.jid).prekeys

  test('bundle fetches drain the count, the device is told and Baileys uploads more', async () => {
    assert.equal(await prekeysOf(bob), 6)
    for (let i = 0; i < 3; i++) await alice.sock.assertSessions([bob.jid], true)
    const low = await waitEvent(emu, e => e.kind === 'prekeys_low' && e.jid === bob.jid)
    assert.deepEqual([low.count, low.threshold], [3, 4])
    const upload = await waitEvent(emu, e => e.kind === 'prekeys_uploaded' && e.jid === bob.jid && e.seq > low.seq)
    assert.equal(upload.added, 3) // Baileys sent 5; the server keeps at most 6
    assert.equal(await prekeysOf(bob), 6)
    const m = await alice.sendText(bob.user, 'still works')
    assert.equal(textOf(await bob.waitMessage(x => x.key.id === m.key.id)), 'still works')
    await emu.assertAllAcked()
    assert.deepEqual(await emu.events('error'), [])
  })
})
