// The peer harness as a process (what non-Node tests use), and link-code edge cases.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { Peer } from '../src/peer.mjs'
import { startEmulator } from './helpers.mjs'

const CLI = fileURLToPath(new URL('../src/peer-cli.mjs', import.meta.url))

const startCli = (controlUrl, phone, name) => {
  const child = spawn(process.execPath, [CLI, '--control-url', controlUrl, '--phone', phone, '--name', name], { stdio: ['pipe', 'pipe', 'pipe'] })
  const events = []
  const waiters = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    const e = JSON.parse(line)
    events.push(e)
    for (const w of [...waiters]) if (w.pred(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e) }
  })
  const waitEvent = (pred, ms = 20000) => {
    const found = events.find(pred)
    if (found) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const w = { pred, resolve }
      waiters.push(w)
      setTimeout(() => reject(new Error(`${phone}: no event; got ${JSON.stringify(events)}`)), ms).unref()
    })
  }
  const exited = new Promise(resolve => child.once('exit', resolve))
  return { child, events, waitEvent, send: (cmd) => child.stdin.write(JSON.stringify(cmd) + '\n'), stop: async () => { child.stdin.end(); await Promise.race([exited, new Promise(r => setTimeout(r, 5000).unref())]); child.kill('SIGKILL') } }
}

describe('peer CLI and link codes', () => {
  let emu, a, b
  before(async () => { emu = await startEmulator() })
  after(async () => {
    await a?.stop(); await b?.stop()
    await emu?.stop()
  })

  test('two CLI peers pair, exchange a message and a read receipt', async () => {
    a = startCli(emu.control_url, '15550010001', 'Ann')
    b = startCli(emu.control_url, '15550010002', 'Ben')
    const ra = await a.waitEvent(e => e.event === 'ready')
    const rb = await b.waitEvent(e => e.event === 'ready')
    assert.match(ra.jid, /^15550010001:1@s\.whatsapp\.net$/)
    a.send({ cmd: 'send', to: '15550010002@s.whatsapp.net', text: 'hi ben', ref: 'r1' })
    const { id } = await a.waitEvent(e => e.event === 'result' && e.ref === 'r1')
    const got = await b.waitEvent(e => e.event === 'message' && e.id === id)
    assert.equal(got.text, 'hi ben')
    assert.equal(got.from, '15550010001@s.whatsapp.net')
    await a.waitEvent(e => e.event === 'status' && e.id === id && e.status >= 3)
    b.send({ cmd: 'read', id, ref: 'r2' })
    await a.waitEvent(e => e.event === 'status' && e.id === id && e.status === 4)
    assert.ok(rb.lid.endsWith('@lid'))
  })

  test('a wrong link code is refused and the companion stays unpaired', async () => {
    const p = new Peer({ controlUrl: emu.control_url, phone: '15550010003' })
    await p.init()
    try {
      const sock = p.connect()
      await p.waitFor('connection', u => !!u.qr)
      const code = await sock.requestPairingCode(p.phone)
      const wrong = code[0] === 'A' ? 'B' + code.slice(1) : 'A' + code.slice(1)
      await assert.rejects(emu.api('POST', `/accounts/${p.phone}/link-code`, { code: wrong }), /-> 400/)
      assert.deepEqual(await emu.api('GET', `/accounts/${p.phone}/devices`), [])
    } finally { await p.stop() }
  })
})
