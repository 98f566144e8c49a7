// Pairing, login, prekeys, 1:1 and group messaging with receipts, media and retry receipts,
// all with unmodified Baileys clients against the emulator started as a separate process.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { pairedPeer } from '../src/peer.mjs'
import { PNG, sleep, startEmulator, textOf } from './helpers.mjs'

describe('two QR-paired and one link-code-paired Baileys clients', () => {
  let emu, alice, bob, carol
  before(async () => {
    emu = await startEmulator()
    alice = await pairedPeer(emu.control_url, '15550001111', { pushName: 'Alice' })
    bob = await pairedPeer(emu.control_url, '15550002222', { pushName: 'Bob' })
    carol = await pairedPeer(emu.control_url, '15550003333', { pushName: 'Carol', linkCode: true })
  })
  after(async () => {
    for (const p of [alice, bob, carol]) await p?.stop()
    await emu?.stop()
  })

  test('each pairs, gets 515, reconnects and logs in with its device JID and LID', async () => {
    for (const p of [alice, bob, carol]) {
      assert.match(p.jid, new RegExp(`^${p.phone}:[1-9][0-9]*@s\\.whatsapp\\.net$`))
      assert.equal(p.pairResult.jid, p.jid)
      assert.equal(p.pairResult.lid, p.lid)
      assert.equal(p.lid.split(':')[0] + '@lid', p.accountLid)
      assert.deepEqual(p.disconnects, [515])
      const devices = await emu.api('GET', `/accounts/${p.phone}/devices`)
      assert.deepEqual(devices.map(d => [d.jid, d.connected]), [[p.jid, true]])
    }
    assert.ok(carol.pairingCode.match(/^[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}$/))
    const kinds = (await emu.events('paired', 'login')).map(e => e.kind)
    assert.equal(kinds.filter(k => k === 'paired').length, 3)
    assert.ok(kinds.filter(k => k === 'login').length >= 3)
  })

  test('each uploaded its initial 812 prekeys', async () => {
    for (const p of [alice, bob, carol]) {
      const uploads = (await emu.events('prekeys_uploaded')).filter(e => e.jid === p.jid)
      assert.ok(uploads.some(e => e.added === 812), `no 812-key upload for ${p.jid}`)
    }
  })

  test('1:1 messages both ways with server ack, delivered and read receipts', async () => {
    const m1 = await alice.sendText(bob.user, 'hello bob')
    const got1 = await bob.waitMessage(m => m.key.id === m1.key.id)
    assert.equal(textOf(got1), 'hello bob')
    assert.equal(got1.key.remoteJid, alice.user)
    assert.equal(got1.pushName, 'Alice')
    await alice.waitStatus(m1.key.id, 3) // DELIVERY_ACK
    await bob.sock.readMessages([got1.key])
    await alice.waitStatus(m1.key.id, 4) // READ

    const m2 = await bob.sendText(alice.user, 'hi alice')
    const got2 = await alice.waitMessage(m => m.key.id === m2.key.id)
    assert.equal(textOf(got2), 'hi alice')
    await bob.waitStatus(m2.key.id, 3)
    await alice.sock.readMessages([got2.key])
    await bob.waitStatus(m2.key.id, 4)
    await emu.assertAllAcked()
  })

  for (const mode of ['pn', 'lid']) {
    test(`${mode} group: messages both ways, mentions in the group's addressing form`, async () => {
      const { jid } = await emu.api('POST', '/groups', { subject: `team ${mode}`, owner: alice.phone, participants: [bob.phone, carol.phone], addressing_mode: mode })
      assert.match(jid, /@g\.us$/)
      const form = (p) => (mode === 'lid' ? p.lidUser : p.user)
      const mention = form(bob)
      const m = await alice.sendText(jid, `hey @${mention.split('@')[0]}`, { mentions: [mention] })
      for (const p of [bob, carol]) {
        const got = await p.waitMessage(x => x.key.id === m.key.id)
        assert.equal(got.key.remoteJid, jid)
        assert.equal(got.key.participant, form(alice))
        assert.equal(got.key.addressingMode, mode)
        assert.equal(got.key.participantAlt, mode === 'lid' ? alice.user : alice.lidUser)
        assert.deepEqual(got.message.extendedTextMessage.contextInfo.mentionedJid, [mention])
      }
      const r = await carol.sendText(jid, 'carol here', { mentions: [form(alice)] })
      for (const p of [alice, bob]) {
        const got = await p.waitMessage(x => x.key.id === r.key.id)
        assert.equal(textOf(got), 'carol here')
        assert.equal(got.key.participant, form(carol))
        assert.deepEqual(got.message.extendedTextMessage.contextInfo.mentionedJid, [form(alice)])
      }
      const routed = (await emu.events('message')).filter(e => e.to === jid)
      assert.deepEqual(routed.map(e => e.delivered), [2, 2])
      await emu.assertAllAcked()
    })
  }

  test('an image goes through the media endpoints and the receiver decrypts it', async () => {
    const m = await alice.sendImage(bob.user, PNG, 'a pixel')
    const got = await bob.waitMessage(x => x.key.id === m.key.id)
    const img = got.message.imageMessage
    assert.equal(img.caption, 'a pixel')
    assert.ok(img.url.startsWith('https://127.0.0.1:'), img.url)
    const data = await bob.download(got)
    assert.ok(data.equals(PNG))
    const ev = await emu.events('media_upload', 'media_download')
    assert.ok(ev.some(e => e.kind === 'media_upload' && e.type === 'image'))
    assert.ok(ev.some(e => e.kind === 'media_download'))
    await emu.assertAllAcked()
  })

  test("a file the host dropped comes back: Baileys' media retry, answered by the emulator's phone", async () => {
    const m = await alice.sendImage(bob.user, PNG, 'old picture')
    const got = await bob.waitMessage(x => x.key.id === m.key.id)
    const token = got.message.imageMessage.directPath.match(/^\/v\/[a-z0-9-]+\/([^?]+)/)[1]
    await emu.api('POST', '/media/expire', { token })
    await assert.rejects(bob.download(got), /Failed to fetch stream/)
    // Baileys' updateMediaMessage sends its server-error receipt, decrypts the phone's answer and
    // points the message at the new path, from which the download works again.
    // (Baileys builds the new URL from its media_conn host: fetched first, so it is the emulator's.)
    await bob.sock.refreshMediaConn(true)
    await bob.sock.updateMediaMessage(got)
    assert.ok(got.message.imageMessage.url.startsWith('https://127.0.0.1:'), got.message.imageMessage.url)
    const data = await bob.download(got)
    assert.ok(data.equals(PNG))
    assert.match(got.message.imageMessage.directPath, /reupload=\d+/)
    const retries = (await emu.events('media_retry')).filter(e => e.id === m.key.id)
    assert.deepEqual(retries.map(e => e.result), ['success'])
    await emu.assertAllAcked()
  })

  test('a media retry for a file no phone knows is answered "not found"', async () => {
    const m = await alice.sock.sendMessage(bob.user, { image: PNG, mimetype: 'image/png' }) // key not registered
    const got = await bob.waitMessage(x => x.key.id === m.key.id)
    await emu.api('POST', '/media/expire', { token: got.message.imageMessage.directPath.match(/^\/v\/[a-z0-9-]+\/([^?]+)/)[1] })
    await assert.rejects(bob.sock.updateMediaMessage(got), /Failed to re-upload media \(2\)/)
    const retries = (await emu.events('media_retry')).filter(e => e.id === m.key.id)
    assert.deepEqual(retries.map(e => e.result), ['not_found'])
  })

  test('a retry receipt recovers a message after the receiver lost its session', async () => {
    const warm = await alice.sendText(carol.user, 'before loss')
    await carol.waitMessage(x => x.key.id === warm.key.id)
    carol.keys.dropSessions()
    const m = await alice.sendText(carol.user, 'after loss')
    const got = await carol.waitMessage(x => x.key.id === m.key.id && textOf(x) === 'after loss', 30000)
    assert.equal(textOf(got), 'after loss')
    const retries = (await emu.events('receipt')).filter(e => e.id === m.key.id && e.type === 'retry')
    assert.equal(retries.length, 1)
    assert.equal(retries[0].delivered, 1)
    await emu.assertAllAcked()
  })

  test('messages to an offline device are queued and delivered at its next login', async () => {
    const closed = bob.waitClose()
    bob.sock.end(undefined)
    await closed
    await sleep(200)
    const m = await alice.sendText(bob.user, 'while you were away')
    await bob.reconnect()
    const got = await bob.waitMessage(x => x.key.id === m.key.id)
    assert.equal(textOf(got), 'while you were away')
    const queued = (await emu.events('message')).find(e => e.id === m.key.id)
    assert.equal(queued.delivered, 1)
    await sleep(300)
    assert.ok((await emu.events('receipt')).some(e => e.id === m.key.id && e.from === bob.jid), 'bob acknowledged the queued message')
    await emu.assertAllAcked()
  })

  test('the emulator logged no internal errors', async () => {
    assert.deepEqual(await emu.events('error'), [])
    assert.ok(emu.alive())
  })
})
