// `wa-tool handshake` end to end against the offline emulator (an independent Noise responder and
// certificate chain in Node; docs/PROTOCOL.md §1, §2.4). Registered as three ctests:
//   node wa/tests/node/handshake_emulator_test.mjs WA_TOOL ok            fresh registration -> first node
//   node wa/tests/node/handshake_emulator_test.mjs WA_TOOL wrong-root    -> non-zero, certificate error
//   node wa/tests/node/handshake_emulator_test.mjs WA_TOOL unreachable   -> non-zero, connect error
//   node wa/tests/node/handshake_emulator_test.mjs WA_TOOL tls           wss:// through a local TLS relay:
//        trusted CA -> handshake completes; untrusted CA or wrong host name -> connect error;
//        the Origin header arrives as https://web.whatsapp.com
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket, WebSocketServer } from 'ws'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'

const [tool, mode] = process.argv.slice(2)
if (!tool || !['ok', 'wrong-root', 'unreachable', 'tls'].includes(mode)) {
  console.error('usage: handshake_emulator_test.mjs WA_TOOL ok|wrong-root|unreachable|tls')
  process.exit(2)
}
const EMULATOR = fileURLToPath(new URL('../../../emulator/src/main.mjs', import.meta.url))

const startEmulator = async () => {
  const child = spawn(process.execPath, [EMULATOR, '--port', '0', '--control-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => { stderr += d })
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator not ready: ${stderr}`)), 15000)
    createInterface({ input: child.stdout }).once('line', (line) => { clearTimeout(timer); resolve(JSON.parse(line)) })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`emulator exited ${code}: ${stderr}`)) })
  })
  const get = async (path) => (await fetch(ready.control_url + path)).json()
  return { ...ready, child, get, stop: () => child.kill('SIGTERM') }
}

// Asynchronous, so that servers in this process (the TLS relay) keep running meanwhile.
const handshake = (args) => new Promise((resolve, reject) => {
  const child = spawn(tool, ['handshake', ...args, '--timeout-ms', '10000'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''; let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr += d })
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000)
  child.on('error', reject)
  child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }) })
})

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
})

if (mode === 'unreachable') {
  const port = await freePort()
  const r = await handshake(['--url', `ws://127.0.0.1:${port}/ws/chat`])
  assert.notEqual(r.status, 0, 'exit status must be non-zero')
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /^handshake: connect: .*\(transport_connect\)\n$/)
  console.log(`ok: ${r.stderr.trim()}`)
  process.exit(0)
}

// A CA and a server certificate for DNS:localhost only (made with the openssl CLI).
const makeCerts = (dir) => {
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
    '-days', '2', '-subj', '/CN=wa-test CA')
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=localhost')
  writeFileSync(join(dir, 'ext'), 'subjectAltName=DNS:localhost\n')
  run('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext')
  return { ca: join(dir, 'ca.pem'), key: readFileSync(join(dir, 'srv.key')), cert: readFileSync(join(dir, 'srv.pem')) }
}

// wss:// server that relays every WebSocket message to and from the emulator's ws:// endpoint.
const startTlsRelay = async (upstreamUrl, tls) => {
  const origins = []
  const server = createHttpsServer({ key: tls.key, cert: tls.cert })
  const wss = new WebSocketServer({ server })
  wss.on('connection', (client, req) => {
    origins.push(req.headers.origin)
    const up = new WebSocket(upstreamUrl)
    const pending = []
    up.on('open', () => { for (const m of pending.splice(0)) up.send(m) })
    client.on('message', (m) => (up.readyState === WebSocket.OPEN ? up.send(m) : pending.push(m)))
    up.on('message', (m) => client.send(m))
    const closeBoth = () => { client.close(); up.close() }
    client.on('close', closeBoth); up.on('close', closeBoth)
    client.on('error', closeBoth); up.on('error', closeBoth)
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return { port: server.address().port, origins, stop: () => { wss.close(); server.close() } }
}

const emu = await startEmulator()
try {
  const info = await emu.get('/info')
  assert.match(info.root_public_key, /^[0-9a-f]{64}$/)
  if (mode === 'tls') {
    const dir = mkdtempSync(join(tmpdir(), 'wa-tls-'))
    const relay = await startTlsRelay(emu.ws_url, makeCerts(dir))
    try {
      const url = `wss://localhost:${relay.port}/ws/chat`
      const good = await handshake(['--url', url, '--root-key', info.root_public_key, '--ca-file', join(dir, 'ca.pem')])
      assert.equal(good.status, 0, `wa-tool over wss failed: ${good.stderr}`)
      assert.equal(JSON.parse(good.stdout).content[0].tag, 'pair-device')
      assert.equal(relay.origins[0], 'https://web.whatsapp.com')
      // TLS verification is on: our CA is not in the system store...
      const untrusted = await handshake(['--url', url, '--root-key', info.root_public_key])
      assert.notEqual(untrusted.status, 0)
      assert.match(untrusted.stderr, /^handshake: connect: TLS handshake with localhost:\d+: .*certificate verify failed.*\(transport_connect\)\n$/)
      // ...and the host name is checked (the certificate names localhost, not 127.0.0.1).
      const wrongHost = await handshake(['--url', `wss://127.0.0.1:${relay.port}/ws/chat`, '--root-key', info.root_public_key, '--ca-file', join(dir, 'ca.pem')])
      assert.notEqual(wrongHost.status, 0)
      assert.match(wrongHost.stderr, /^handshake: connect: TLS handshake with 127\.0\.0\.1:\d+: .*\(transport_connect\)\n$/)
      console.log(`ok: wss handshake; untrusted: ${untrusted.stderr.trim()}; wrong host: ${wrongHost.stderr.trim()}`)
    } finally {
      relay.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  } else if (mode === 'wrong-root') {
    // A root that is not the emulator's (here: its key with one bit flipped).
    const wrong = (parseInt(info.root_public_key[0], 16) ^ 1).toString(16) + info.root_public_key.slice(1)
    const r = await handshake(['--url', emu.ws_url, '--root-key', wrong])
    assert.notEqual(r.status, 0, 'exit status must be non-zero')
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^handshake: certificate: intermediate certificate not signed by the root key \(cert_intermediate_signature\)\n$/)
    // Without --root-key the production root is used, which does not sign the emulator's chain either.
    const d = await handshake(['--url', emu.ws_url])
    assert.notEqual(d.status, 0)
    assert.match(d.stderr, /^handshake: certificate: /)
    console.log(`ok: ${r.stderr.trim()}`)
  } else {
    const r = await handshake(['--url', emu.ws_url, '--root-key', info.root_public_key])
    assert.equal(r.status, 0, `wa-tool failed: ${r.stderr}`)
    const lines = r.stdout.trim().split('\n')
    assert.equal(lines.length, 1, 'exactly one JSON line')
    const node = JSON.parse(lines[0])
    // A fresh registration: the server offers QR refs (§4.1).
    assert.equal(node.tag, 'iq')
    assert.equal(node.attrs.type, 'set')
    assert.equal(node.attrs.xmlns, 'md')
    assert.equal(node.attrs.from, '@s.whatsapp.net')
    assert.equal(node.content.length, 1)
    assert.equal(node.content[0].tag, 'pair-device')
    assert.ok(node.content[0].content.length >= 1 && node.content[0].content.every(c => c.tag === 'ref' && c.content.hex))
    // The emulator accepted the registration payload (it checks the XEdDSA signed prekey).
    const events = (await emu.get('/log?since=0')).events
    assert.ok(events.some(e => e.kind === 'registration'), 'emulator logged the registration')
    assert.ok(!events.some(e => e.kind === 'registration_rejected' || e.kind === 'error'), JSON.stringify(events))
    console.log(`ok: ${lines[0].slice(0, 120)}...`)
  }
} finally {
  emu.stop()
}
