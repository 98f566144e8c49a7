// Media host: media_conn answer and HTTPS upload/download on loopback (wa-protocol.md §8),
// served with a certificate issued by the emulator's own CA (made with the openssl CLI, since
// Node's crypto cannot issue X.509 certificates). Blobs are kept in memory, bounded in total size.
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const MAX_BLOB = 64 * 1024 * 1024
const MAX_TOTAL = 512 * 1024 * 1024

/** CA + server certificate for 127.0.0.1/localhost; returns PEM strings. */
export const makeMediaCertificates = () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-emu-ca-'))
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  try {
    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
      '-days', '3650', '-subj', '/CN=WA Emulator Media CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1')
    const ext = join(dir, 'ext.cnf')
    execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ${JSON.stringify(ext)}`])
    run('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '825', '-extfile', ext)
    return {
      caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      certPem: readFileSync(join(dir, 'srv.pem'), 'utf8'),
      keyPem: readFileSync(join(dir, 'srv.key'), 'utf8')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export class MediaServer {
  constructor (emu) {
    this.emu = emu
    this.blobs = new Map() // token -> Buffer
    this.total = 0
    this.auth = randomBytes(24).toString('base64url')
    this.faults = [] // one entry per upcoming download (GET): {mode, status}
    this.expired = new Map() // token -> Buffer: dropped by the host (410), still on the phones
    this.reuploads = 0
    this.sockets = new Set()
  }

  /**
   * Test hook (POST /media/faults): the next `count` downloads misbehave. Modes: `stall` (no
   * answer at all), `slow` (headers, then silence), `huge_length` (Content-Length far beyond any
   * cap), `short_body` (Content-Length longer than the body, then close), `oversize` (a chunked
   * body of `bytes`, default 8 MiB), `garbage` (200 with random bytes of the blob's length),
   * `status` (HTTP `status`, default 404), `not_http` (bytes that are not HTTP).
   */
  setFault ({ mode, count = 1, status, bytes }) {
    const modes = ['stall', 'slow', 'huge_length', 'short_body', 'oversize', 'garbage', 'status', 'not_http']
    if (!modes.includes(mode)) throw Object.assign(new Error(`mode must be one of ${modes.join(', ')}`), { status: 400 })
    if (!Number.isInteger(count) || count < 1 || count > 100) throw Object.assign(new Error('count must be in [1, 100]'), { status: 400 })
    for (let i = 0; i < count; i++) this.faults.push({ mode, status: status ?? 404, bytes: bytes ?? 8 * 1024 * 1024 })
    this.emu.log.add('media_fault', { mode, count })
    return { pending: this.faults.length }
  }

  /** Test hook (POST /media/corrupt): flips one byte of a stored blob (by token, else the newest). */
  corrupt ({ token } = {}) {
    const key = token ? token.replace(/=+$/, '') : [...this.blobs.keys()].at(-1)
    const blob = key && this.blobs.get(key)
    if (!blob) throw Object.assign(new Error('no such blob'), { status: 404 })
    blob[Math.floor(blob.length / 2)] ^= 0x5a
    this.emu.log.add('media_corrupted', { token: key })
    return { token: key, bytes: blob.length }
  }

  /**
   * Test hook (POST /media/expire): the host drops a stored blob (by token, else the newest), as
   * WhatsApp does after a while; downloads then get 410 until a phone uploads it again.
   */
  expire ({ token } = {}) {
    const key = token ? token.replace(/=+$/, '') : [...this.blobs.keys()].at(-1)
    const blob = key && this.blobs.get(key)
    if (!blob) throw Object.assign(new Error('no such blob'), { status: 404 })
    this.blobs.delete(key)
    this.total -= blob.length
    this.expired.set(key, blob)
    this.emu.log.add('media_expired', { token: key })
    return { token: key }
  }

  /** A phone uploads a blob again (media retry): it is served once more. Returns it, or null. */
  restore (token) {
    const blob = this.blobs.get(token) ?? this.expired.get(token)
    if (!blob) return null
    if (this.expired.delete(token)) { this.blobs.set(token, blob); this.total += blob.length }
    return blob
  }

  async start (host) {
    const { caPem, certPem, keyPem } = makeMediaCertificates()
    this.caPem = caPem
    this.server = createServer({ cert: certPem, key: keyPem }, (req, res) => this.handle(req, res))
    this.server.on('secureConnection', (sock) => { this.sockets.add(sock); sock.on('close', () => this.sockets.delete(sock)) })
    await new Promise((resolve, reject) => { this.server.once('error', reject); this.server.listen(0, host, resolve) })
    this.hostname = `${host}:${this.server.address().port}`
  }

  stop () {
    for (const s of this.sockets) s.destroy()
    return new Promise(resolve => { this.server.closeAllConnections?.(); this.server.close(() => resolve()) })
  }

  mediaConnNode () {
    return {
      tag: 'media_conn',
      attrs: { auth: this.auth, ttl: '300', auth_ttl: '21600', max_buckets: '12' },
      content: [{ tag: 'host', attrs: { hostname: this.hostname, maxContentLengthBytes: String(MAX_BLOB) } }]
    }
  }

  handle (req, res) {
    const url = new URL(req.url, `https://${this.hostname}`)
    const reply = (status, body, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type })
      res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body))
    }
    const m = url.pathname.match(/^\/(mms|v)\/([a-z0-9-]+)\/([A-Za-z0-9_=-]+)$/)
    if (req.method === 'POST' && m && m[1] === 'mms') {
      if (url.searchParams.get('auth') !== this.auth) {
        this.emu.log.add('media_error', { reason: 'bad auth' })
        return reply(401, { error: 'bad auth' })
      }
      const chunks = []; let size = 0; let tooBig = false
      req.on('data', (c) => { size += c.length; if (size > MAX_BLOB) tooBig = true; else chunks.push(c) })
      req.on('end', () => {
        if (tooBig) return reply(413, { error: 'too large' })
        const blob = Buffer.concat(chunks)
        const token = m[3].replace(/=+$/, '')
        const hash = createHash('sha256').update(blob).digest('base64url')
        if (hash !== token) {
          this.emu.log.add('media_error', { reason: 'token is not the blob hash', type: m[2] })
          return reply(400, { error: 'enc hash mismatch' })
        }
        while (this.total + blob.length > MAX_TOTAL && this.blobs.size) {
          const [k, v] = this.blobs.entries().next().value
          this.blobs.delete(k); this.total -= v.length
        }
        if (!this.blobs.has(token)) { this.blobs.set(token, blob); this.total += blob.length }
        const directPath = `/v/${m[2]}/${token}?mms-type=${m[2]}`
        this.emu.log.add('media_upload', { type: m[2], bytes: blob.length, token })
        reply(200, { url: `https://${this.hostname}${directPath}`, direct_path: directPath, handle: token })
      })
      req.on('error', () => reply(400, { error: 'read error' }))
      return
    }
    if (req.method === 'GET' && m && m[1] === 'v') {
      const token = m[3].replace(/=+$/, '')
      const blob = this.blobs.get(token)
      if (!blob && this.expired.has(token)) return reply(410, { error: 'gone' })
      if (!blob) return reply(404, { error: 'not found' })
      const fault = this.faults.shift()
      if (fault) return this.misbehave(fault, blob, req, res)
      const range = req.headers.range?.match(/^bytes=(\d+)-(\d*)$/)
      if (range) {
        const start = Number(range[1]); const end = range[2] ? Math.min(Number(range[2]), blob.length - 1) : blob.length - 1
        res.writeHead(206, { 'content-type': 'application/octet-stream', 'content-range': `bytes ${start}-${end}/${blob.length}` })
        return res.end(blob.subarray(start, end + 1))
      }
      this.emu.log.add('media_download', { type: m[2], bytes: blob.length })
      return reply(200, blob, 'application/octet-stream')
    }
    this.emu.log.add('media_error', { reason: 'no route', method: req.method, path: url.pathname })
    reply(404, { error: 'no route' })
  }

  misbehave ({ mode, status, bytes }, blob, req, res) {
    this.emu.log.add('media_misbehaved', { mode, path: req.url })
    const sock = res.socket
    switch (mode) {
      case 'stall': return // the socket stays open and silent until the client gives up
      case 'slow':
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length })
        res.flushHeaders()
        return
      case 'huge_length':
        sock.write(`HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${1024 ** 4}\r\n\r\n`)
        sock.write(blob)
        return
      case 'short_body':
        sock.write(`HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${blob.length + 1000}\r\n\r\n`)
        sock.end(blob)
        return
      case 'oversize': {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }) // chunked
        const chunk = Buffer.alloc(64 * 1024, 0x61)
        let left = bytes
        const pump = () => {
          while (left > 0) {
            left -= chunk.length
            if (!res.write(chunk)) return res.once('drain', pump)
          }
          res.end()
        }
        res.on('error', () => {})
        return pump()
      }
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        return res.end(randomBytes(blob.length))
      case 'status':
        res.writeHead(status, { 'content-type': 'application/json' })
        return res.end(JSON.stringify({ error: `status ${status}` }))
      case 'not_http':
        return sock.end('SSH-2.0-OpenSSH_9.2\r\n\r\ngarbage garbage\r\n')
    }
  }
}
