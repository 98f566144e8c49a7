// Fault injection through POST /faults, each with the disconnect reason Baileys reports,
// plus logout (remove-companion-device) and login failures for unknown devices.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { pairedPeer } from '../src/peer.mjs'
import { sleep, startEmulator, textOf } from './helpers.mjs'

describe('faults and logout', () => {
  let emu, alice, bob
  before(async () => {
    emu = await startEmulator()
    alice = await pairedPeer(emu.control_url, '15550004444', { pushName: 'Alice', keepAliveIntervalMs: 1000 })
    bob = await pairedPeer(emu.control_url, '15550005555', { pushName: 'Bob' })
  })
  after(async () => {
    for (const p of [alice, bob]) await p?.stop()
    await emu?.stop()
  })

  const lastCode = (p) => p.disconnects[p.disconnects.length - 1]

  /** Injects a fault on alice, waits for Baileys to report the close, reconnects, checks messaging. */
  const faultAndRecover = async (fault, expectedCode, { recover = true } = {}) => {
    const closed = alice.waitClose(20000)
    const r = await emu.api('POST', '/faults', { phone: alice.phone, ...fault })
    assert.equal(r.connections, 1)
    await closed
    assert.equal(lastCode(alice), expectedCode)
    if (!recover) return
    await alice.reconnect()
    const m = await bob.sendText(alice.user, `after ${fault.kind} ${fault.code ?? ''}`)
    const got = await alice.waitMessage(x => x.key.id === m.key.id)
    assert.equal(textOf(got), `after ${fault.kind} ${fault.code ?? ''}`)
  }

  test('drop: the socket dies, Baileys reports connectionClosed (428) and logs in again', async () => {
    await faultAndRecover({ kind: 'drop' }, 428)
  })

  test('stream_error with a code: Baileys reports that code (503)', async () => {
    await faultAndRecover({ kind: 'stream_error', code: 503 }, 503)
  })

  test('stream_error 515: restartRequired', async () => {
    await faultAndRecover({ kind: 'stream_error', code: '515' }, 515)
  })

  test('stream_error conflict replaced: connectionReplaced (440)', async () => {
    await faultAndRecover({ kind: 'stream_error', code: 'replaced' }, 440)
  })

  test('pause: the server stops answering, Baileys declares the connection lost (408)', async () => {
    await faultAndRecover({ kind: 'pause', seconds: 9 }, 408)
  })

  test('a second login of the same device replaces the first (conflict type=replaced)', async () => {
    const first = alice.sock
    const closed = alice.waitClose(10000)
    const open = alice.waitOpen(10000)
    alice.connect()
    await closed
    await open
    assert.equal(lastCode(alice), 440)
    assert.notEqual(alice.sock, first)
  })

  test('pause then drop: what the pause held is queued, listed as unacked and delivered at the next login', async () => {
    await emu.api('POST', '/faults', { phone: alice.phone, kind: 'pause', seconds: 30 })
    const sent = await bob.sendText(alice.user, 'held by the pause')
    await sleep(300)
    assert.ok((await emu.api('GET', '/unacked')).some(u => u.id === sent.key.id && u.held), 'a held stanza is listed')
    const closed = alice.waitClose(20000)
    await emu.api('POST', '/faults', { phone: alice.phone, kind: 'drop' })
    await closed
    assert.ok((await emu.api('GET', '/unacked')).some(u => u.id === sent.key.id && u.queued), 'the held stanza went to the offline queue')
    await alice.reconnect()
    const got = await alice.waitMessage(m => m.key.id === sent.key.id, 20000)
    assert.equal(textOf(got), 'held by the pause')
  })

  test('a login that replaces a connection gets what that connection left unacknowledged first, in order', async () => {
    await emu.api('POST', '/faults', { phone: alice.phone, kind: 'pause', seconds: 30 })
    const held = await bob.sendText(alice.user, 'held, then replaced')
    await sleep(300)
    assert.ok((await emu.api('GET', '/unacked')).some(u => u.id === held.key.id && u.held), 'held by the pause')
    const closed = alice.waitClose(10000)
    const open = alice.waitOpen(10000)
    alice.connect() // a second login of the device while the first connection is still open
    await closed
    await open
    const later = await bob.sendText(alice.user, 'sent after the new login')
    await alice.waitMessage(m => m.key.id === later.key.id, 20000)
    await alice.waitMessage(m => m.key.id === held.key.id, 5000)
    const order = alice.inbox.map(m => m.key.id).filter(id => id === held.key.id || id === later.key.id)
    assert.deepEqual(order, [held.key.id, later.key.id], 'the held message comes first')
    assert.deepEqual((await emu.api('GET', '/unacked')).filter(u => u.id === held.key.id), [])
  })

  test('bad fault requests are rejected with 400 and logged', async () => {
    for (const body of [{ kind: 'explode' }, { kind: 'pause', seconds: -1 }, { kind: 'stream_error', code: 'nope' }, { phone: 5, kind: 'drop' }]) {
      await assert.rejects(emu.api('POST', '/faults', body), /-> 400/)
    }
    await assert.rejects(emu.api('POST', '/faults', { phone: '19999999999', kind: 'drop' }), /-> 404/)
  })

  test('stream_error device_removed: loggedOut (401), the device is gone and cannot log in again', async () => {
    await faultAndRecover({ kind: 'stream_error', code: 'device_removed' }, 401, { recover: false })
    assert.deepEqual(await emu.api('GET', `/accounts/${alice.phone}/devices`), [])
    const closed = alice.waitClose(10000)
    alice.connect()
    await closed
    assert.equal(lastCode(alice), 401)
    assert.ok((await emu.events('login_failed')).some(e => e.phone === alice.phone && e.reason === 'unknown device'))
  })

  test('logout removes the device; its next login fails with 401', async () => {
    const before = await emu.api('GET', `/accounts/${bob.phone}/devices`)
    assert.equal(before.length, 1)
    const closed = bob.waitClose()
    await bob.sock.logout()
    await closed
    assert.equal(lastCode(bob), 401)
    await sleep(200)
    assert.deepEqual(await emu.api('GET', `/accounts/${bob.phone}/devices`), [])
    assert.ok((await emu.events('logout')).some(e => e.jid === bob.jid))
    const failed = bob.waitClose()
    bob.connect()
    await failed
    assert.equal(lastCode(bob), 401)
  })

  test('a login with a wrong noise key for a known device fails with 401', async () => {
    const carol = await pairedPeer(emu.control_url, '15550006666', { pushName: 'Carol' })
    try {
      await carol.stop()
      carol.creds.noiseKey = (await import('baileys')).Curve.generateKeyPair()
      carol.stopped = false
      const closed = carol.waitClose()
      carol.connect()
      await closed
      assert.equal(lastCode(carol), 401)
      assert.ok((await emu.events('login_failed')).some(e => e.phone === carol.phone && e.reason === 'noise key mismatch'))
    } finally { await carol.stop() }
  })

  test('no internal errors and nothing left unacknowledged by connected clients', async () => {
    assert.deepEqual(await emu.events('error'), [])
    assert.deepEqual((await emu.api('GET', '/unacked')).filter(u => !u.queued), [])
    assert.ok(emu.alive())
  })
})
