// Control API (HTTP + JSON on loopback): the contract other tools rely on (issue 5 §5).
// Handlers parse and validate, call one emulator operation, and map errors to HTTP status here.
import { createServer } from 'node:http'

const MAX_BODY = 64 * 1024

class HttpError extends Error {
  constructor (status, message) { super(message); this.status = status }
}

const readJson = (req) => new Promise((resolve, reject) => {
  const chunks = []; let size = 0
  req.on('data', (c) => {
    size += c.length
    if (size <= MAX_BODY) chunks.push(c) // past the limit: drain without keeping, answer 413 at the end
  })
  req.on('end', () => {
    if (size > MAX_BODY) return reject(new HttpError(413, 'body too large'))
    const text = Buffer.concat(chunks).toString('utf8')
    if (!text.trim()) return resolve({})
    try {
      const v = JSON.parse(text)
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return reject(new HttpError(400, 'body must be a JSON object'))
      resolve(v)
    } catch { reject(new HttpError(400, 'body is not valid JSON')) }
  })
  req.on('error', reject)
})

const mediaOf = (emu) => {
  if (!emu.media) throw new HttpError(409, 'the emulator runs without its media host')
  return emu.media
}

/** Route table: [method, pattern, handler(emu, params, body, query)]. */
const ROUTES = [
  ['GET', /^\/info$/, (emu) => emu.info()],
  ['POST', /^\/accounts$/, (emu, _, b) => {
    const a = emu.state.createAccount(b.phone, b.push_name)
    emu.log.add('account', { phone: a.phone, lid: a.lidUser })
    return { phone: a.phone, lid: a.lidUser }
  }],
  ['POST', /^\/accounts\/([0-9]+)\/scan$/, (emu, [phone], b) => emu.pairing.scan(phone, b.qr)],
  ['POST', /^\/accounts\/([0-9]+)\/link-code$/, (emu, [phone], b) => emu.pairing.linkCode(phone, b.code)],
  ['GET', /^\/accounts\/([0-9]+)\/devices$/, (emu, [phone]) => emu.devicesOf(phone)],
  ['POST', /^\/groups$/, (emu, _, b) => emu.createGroup(b)],
  // Additions (not in the original contract):
  ['POST', /^\/groups\/([0-9]+)(?:@g\.us)?\/participants$/, (emu, [id], b) => emu.groupParticipants(id, b)],
  ['POST', /^\/accounts\/([0-9]+)\/reset-identity$/, (emu, [phone]) => emu.resetIdentity(phone)],
  ['POST', /^\/faults$/, (emu, _, b) => emu.fault(b)],
  // Media host test hooks (issue 12): misbehaving downloads, a tampered stored blob.
  ['POST', /^\/media\/faults$/, (emu, _, b) => mediaOf(emu).setFault(b)],
  ['POST', /^\/media\/corrupt$/, (emu, _, b) => mediaOf(emu).corrupt(b)],
  // Media retry (docs/PROTOCOL.md §8.6): the host drops a file; the phones learn sent files' keys.
  ['POST', /^\/media\/expire$/, (emu, _, b) => mediaOf(emu).expire(b)],
  ['POST', /^\/media\/keys$/, (emu, _, b) => emu.phoneMedia.remember(b)],
  ['GET', /^\/log$/, (emu, _, __, q) => {
    const since = q.get('since') === null ? 0 : Number(q.get('since'))
    if (!Number.isInteger(since) || since < 0) throw new HttpError(400, 'since must be a non-negative integer')
    return emu.log.since(since)
  }],
  // Not in the original contract; an addition for tests: stanzas sent but not yet acknowledged.
  ['GET', /^\/unacked$/, (emu, _, __, q) => emu.unacked(Number(q.get('older_than_ms') || 0))]
]

export const makeControlServer = (emu) => createServer(async (req, res) => {
  const url = new URL(req.url, 'http://control')
  let status = 200; let body
  try {
    const matches = ROUTES.map(([m, re, h]) => [m, url.pathname.match(re), h]).filter(([, mm]) => mm)
    if (!matches.length) throw new HttpError(404, `no route ${url.pathname}`)
    const route = matches.find(([m]) => m === req.method)
    if (!route) throw new HttpError(405, `method ${req.method} not allowed on ${url.pathname}`)
    const input = req.method === 'POST' ? await readJson(req) : {}
    body = await route[2](emu, route[1].slice(1), input, url.searchParams)
  } catch (err) {
    status = Number.isInteger(err.status) ? err.status : 500
    body = { error: err.message }
    emu.log.add('control_error', { method: req.method, path: url.pathname, status, error: err.message })
  }
  const text = JSON.stringify(body ?? {})
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
})
