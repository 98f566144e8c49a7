// Transport and bad input: startup contract, Noise handshake with the emulator's certificate chain
// (checked by Baileys' own noise handler), malformed frames, bad handshakes, unknown stanzas and bad
// control requests. The emulator must log them, answer with an error and keep serving others.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import WebSocket from 'ws'
import { Curve, encodeBinaryNode, generateRegistrationNode, initAuthCreds, makeNoiseHandler, NOISE_WA_HEADER, proto, WA_CERT_DETAILS } from 'baileys'
import { makeCertChain } from '../src/certs.mjs'
import { pairedPeer } from '../src/peer.mjs'
import { xeddsaVerify } from '../src/xeddsa.mjs'
import { sleep, startEmulator, textOf } from './helpers.mjs'

const silent = { level: 'silent', child () { return this }, trace () {}, debug () {}, info () {}, warn () {}, error () {} }

describe('transport and bad input', () => {
  let emu, alice, bob
  before(async () => {
    emu = await startEmulator(['--qr-first-ms', '1500', '--qr-next-ms', '500'])
    alice = await pairedPeer(emu.control_url, '15550007777', { pushName: 'Alice' })
    bob = await pairedPeer(emu.control_url, '15550008888', { pushName: 'Bob' })
  })
  after(async () => {
    for (const p of [alice, bob]) await p?.stop()
    await emu?.stop()
  })

  test('startup contract: ready line and /info', async () => {
    assert.match(emu.ws_url, /^ws:\/\/127\.0\.0\.1:[0-9]+\/ws\/chat$/)
    assert.match(emu.control_url, /^http:\/\/127\.0\.0\.1:[0-9]+$/)
    const info = await emu.api('GET', '/info')
    assert.equal(info.ws_url, emu.ws_url)
    assert.match(info.root_public_key, /^[0-9a-f]{64}$/)
    assert.match(info.media_ca_pem, /^-----BEGIN CERTIFICATE-----/)
  })

  test('Noise XX: Baileys\' handler verifies the chain under the emulator root, registration gets 6 refs', async () => {
    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from((await emu.api('GET', '/info')).root_public_key, 'hex')
    const ws = new WebSocket(emu.ws_url)
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
    const eph = Curve.generateKeyPair()
    const noise = makeNoiseHandler({ keyPair: eph, NOISE_HEADER: NOISE_WA_HEADER, logger: silent })
    const inbox = []
    ws.on('message', (d) => noise.decodeFrame(d, (f) => inbox.push(f)))
    const waitFrame = async () => { for (let i = 0; i < 100 && !inbox.length; i++) await sleep(20); assert.ok(inbox.length, 'frame expected'); return inbox.shift() }
    ws.send(noise.encodeFrame(proto.HandshakeMessage.encode({ clientHello: { ephemeral: eph.public } }).finish()))
    const hello = proto.HandshakeMessage.decode(await waitFrame())
    const creds = initAuthCreds()
    const keyEnc = noise.processHandshake(hello, creds.noiseKey) // throws if the chain does not verify
    const payload = generateRegistrationNode(creds, { version: [2, 3000, 1043857760], browser: ['Ubuntu', 'Chrome', '22.04'], countryCode: 'US', syncFullHistory: false })
    const payloadEnc = noise.encrypt(proto.ClientPayload.encode(payload).finish())
    ws.send(noise.encodeFrame(proto.HandshakeMessage.encode({ clientFinish: { static: keyEnc, payload: payloadEnc } }).finish()))
    await noise.finishInit()
    const iq = await waitFrame()
    assert.equal(iq.tag, 'iq')
    assert.equal(iq.attrs.from, '@s.whatsapp.net')
    const refs = iq.content[0].content
    assert.equal(iq.content[0].tag, 'pair-device')
    assert.equal(refs.length, 6)
    ws.send(noise.encodeFrame(encodeBinaryNode({ tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'result', id: iq.attrs.id } })))
    // an unknown IQ gets an empty result, an unknown stanza an error ack; the stream stays up
    ws.send(noise.encodeFrame(encodeBinaryNode({ tag: 'iq', attrs: { id: 'u1', type: 'get', xmlns: 'w:p', to: '@s.whatsapp.net' } })))
    const pong = await waitFrame()
    assert.deepEqual([pong.tag, pong.attrs.type, pong.attrs.id], ['iq', 'result', 'u1'])
    ws.close()

    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from((await emu.api('GET', '/info')).root_public_key, 'hex')
  })

  test('certificate chain: intermediate signed by the root (serial 0), leaf = server static signed by the intermediate', async () => {
    // Checked with an independent XEdDSA verifier: Baileys rc14's Curve.verify accepts any signature.
    const root = Curve.generateKeyPair()
    const serverStatic = Curve.generateKeyPair()
    const chain = proto.CertChain.decode(makeCertChain(root, serverStatic.public))
    const inter = proto.CertChain.NoiseCertificate.Details.decode(chain.intermediate.details)
    const leaf = proto.CertChain.NoiseCertificate.Details.decode(chain.leaf.details)
    assert.ok(xeddsaVerify(root.public, chain.intermediate.details, chain.intermediate.signature))
    assert.ok(!xeddsaVerify(Curve.generateKeyPair().public, chain.intermediate.details, chain.intermediate.signature))
    assert.ok(xeddsaVerify(Buffer.from(inter.key), chain.leaf.details, chain.leaf.signature))
    assert.equal(inter.issuerSerial, 0)
    assert.equal(leaf.issuerSerial, inter.serial)
    assert.ok(Buffer.from(leaf.key).equals(serverStatic.public))
    const now = Date.now() / 1000
    assert.ok(Number(inter.notBefore) <= now && now <= Number(inter.notAfter))
    assert.ok(Number(leaf.notBefore) <= now && now <= Number(leaf.notAfter))
  })

  const expectClosedAndLogged = async (send, where) => {
    const before = (await emu.events('error')).length
    const ws = new WebSocket(emu.ws_url)
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
    const closed = new Promise(resolve => ws.once('close', resolve))
    await send(ws)
    await closed
    const errors = await emu.events('error')
    assert.ok(errors.length > before, 'error logged')
    if (where) assert.equal(errors[errors.length - 1].where, where)
  }

  test('bad connection header is logged and the socket closed', async () => {
    await expectClosedAndLogged(ws => ws.send(Buffer.from('GET / HTTP/1.1\r\n')), 'framing')
  })

  test('a hello that is not a HandshakeMessage is logged and the socket closed', async () => {
    await expectClosedAndLogged(ws => ws.send(Buffer.concat([NOISE_WA_HEADER, Buffer.from([0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff])])), 'hello')
  })

  test('a hello with a short ephemeral key is rejected', async () => {
    const bad = proto.HandshakeMessage.encode({ clientHello: { ephemeral: Buffer.alloc(7) } }).finish()
    const len = Buffer.alloc(3); len.writeUIntBE(bad.length, 0, 3)
    await expectClosedAndLogged(ws => ws.send(Buffer.concat([NOISE_WA_HEADER, len, bad])), 'hello')
  })

  test('a client finish that fails authentication is rejected', async () => {
    await expectClosedAndLogged(async (ws) => {
      const eph = Curve.generateKeyPair()
      const noise = makeNoiseHandler({ keyPair: eph, NOISE_HEADER: NOISE_WA_HEADER, logger: silent })
      ws.on('message', () => {
        const junk = proto.HandshakeMessage.encode({ clientFinish: { static: Buffer.alloc(48, 1), payload: Buffer.alloc(40, 2) } }).finish()
        ws.send(noise.encodeFrame(junk))
      })
      ws.send(noise.encodeFrame(proto.HandshakeMessage.encode({ clientHello: { ephemeral: eph.public } }).finish()))
    }, 'finish')
  })

  test('a frame length above the limit is rejected', async () => {
    await expectClosedAndLogged(ws => ws.send(Buffer.concat([NOISE_WA_HEADER, Buffer.from([0xff, 0xff, 0xff])])), undefined)
  })

  test('garbage after the handshake, unknown stanzas: logged, errors answered, other clients unaffected', async () => {
    // unknown stanza + unknown IQ from a logged-in Baileys client
    const reply = await alice.sock.query({ tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'get', xmlns: 'emulator:does-not-exist' }, content: [{ tag: 'whatever', attrs: {} }] })
    assert.equal(reply.attrs.type, 'result')
    await alice.sock.sendNode({ tag: 'bogus', attrs: { id: 'B1' } })
    await sleep(200)
    const unknown = await emu.events('unknown_iq', 'unknown_stanza')
    assert.ok(unknown.some(e => e.kind === 'unknown_iq' && e.xmlns === 'emulator:does-not-exist'))
    assert.ok(unknown.some(e => e.kind === 'unknown_stanza' && e.tag === 'bogus'))
    // other connections keep working
    const m = await bob.sendText(alice.user, 'still alive')
    assert.equal(textOf(await alice.waitMessage(x => x.key.id === m.key.id)), 'still alive')
    assert.ok(emu.alive())
  })

  test('QR refs rotate; an expired ref cannot be scanned; after 6 refs the client gives up', async () => {
    const { Peer } = await import('../src/peer.mjs')
    const p = new Peer({ controlUrl: emu.control_url, phone: '15550009999', qrTimeoutMs: 700 })
    await p.init()
    const qrs = []
    p.on('connection', u => { if (u.qr) qrs.push(u.qr) })
    const closed = p.waitClose(20000)
    p.connect()
    await closed // Baileys shows the 6 refs, then closes with timedOut
    assert.equal(p.disconnects[0], 408)
    assert.equal(qrs.length, 6)
    assert.equal(new Set(qrs.map(q => q.split(',')[0])).size, 6)
    // emulator windows: 1.5 s then 0.5 s each (+2 s grace): the first ref has expired by now
    await sleep(1500)
    await assert.rejects(emu.api('POST', '/accounts/15550009999/scan', { qr: qrs[0] }), /-> 404|-> 410/)
    await p.stop()
  })

  test('a ref shown by a live companion but past its window is refused with 410', async () => {
    const { Peer } = await import('../src/peer.mjs')
    const p = new Peer({ controlUrl: emu.control_url, phone: '15550009998', qrTimeoutMs: 60000 })
    await p.init()
    p.connect()
    const { qr } = await p.waitFor('connection', u => !!u.qr)
    await sleep(4000) // > first window 1.5 s + 2 s grace
    await assert.rejects(emu.api('POST', '/accounts/15550009998/scan', { qr }), /-> 410/)
    await p.stop()
  })

  test('bad control-API requests are answered with errors and logged', async () => {
    const raw = async (method, path, body) => {
      const res = await fetch(emu.control_url + path, { method, body, headers: { 'content-type': 'application/json' } })
      return [res.status, await res.json()]
    }
    assert.equal((await raw('POST', '/accounts', '{not json'))[0], 400)
    assert.equal((await raw('POST', '/accounts', '[1,2]'))[0], 400)
    assert.equal((await raw('POST', '/accounts', JSON.stringify({ phone: 'abc' })))[0], 400)
    assert.equal((await raw('POST', '/accounts/15550000000/scan', JSON.stringify({ qr: 'x' })))[0], 404)
    assert.equal((await raw('POST', '/accounts/15550007777/scan', JSON.stringify({ qr: 'a,b,c,d' })))[0], 400)
    assert.equal((await raw('POST', '/accounts/15550007777/scan', JSON.stringify({ qr: 'nope,' + Buffer.alloc(32).toString('base64') + ',' + Buffer.alloc(32).toString('base64') + ',' + Buffer.alloc(32).toString('base64') + ',1' })))[0], 404)
    assert.equal((await raw('POST', '/accounts/15550007777/link-code', JSON.stringify({ code: 'ABCD-EFGH' })))[0], 404)
    assert.equal((await raw('POST', '/accounts/15550007777/link-code', JSON.stringify({ code: 'bad' })))[0], 400)
    assert.equal((await raw('GET', '/accounts/15550000000/devices'))[0], 404)
    assert.equal((await raw('POST', '/groups', JSON.stringify({ subject: 'x', owner: '15550007777', participants: ['15550008888'], addressing_mode: 'weird' })))[0], 400)
    assert.equal((await raw('POST', '/groups', JSON.stringify({ subject: 'x', owner: '15550007777', participants: 'no' })))[0], 400)
    assert.equal((await raw('GET', '/log?since=-1'))[0], 400)
    assert.equal((await raw('GET', '/nope'))[0], 404)
    assert.equal((await raw('DELETE', '/info'))[0], 405)
    assert.equal((await raw('POST', '/accounts', 'x'.repeat(70000)))[0], 413)
    const errs = await emu.events('control_error')
    assert.ok(errs.length >= 14, `logged ${errs.length}`)
    const log = await emu.api('GET', '/log?since=0')
    const later = await emu.api('GET', `/log?since=${log.next}`)
    assert.equal(later.events.length, 0)
    assert.ok(emu.alive())
  })

  test('after all that the emulator logged no uncaught errors and clients acked everything', async () => {
    assert.deepEqual((await emu.events('error')).filter(e => e.where === 'uncaught' || e.where === 'unhandled'), [])
    await emu.assertAllAcked()
  })
})
