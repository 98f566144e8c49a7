// Baileys' receive path on the same kind of stream as wa-bench-messaging: per session a sender and
// a receiver (Baileys' libsignal repository over in-memory key stores), a session set up through
// a prekey bundle and one reply, then N padded `conversation` messages as <message> stanzas,
// handed to Baileys' decryptMessageNode(...).decrypt() round-robin across sessions.
//   node bench/messaging/bench_baileys.mjs --messages N [--sessions S]
// stdout, one JSON line: {"sessions","messages","cpu_s","msgs_per_cpu_s","wall_s"}.
import { randomBytes } from 'node:crypto'
import { addTransactionCapability, Curve, decryptMessageNode, initAuthCreds, proto } from 'baileys'
import { makeLibSignalRepository } from 'baileys/lib/Signal/libsignal.js'
import { MemoryKeyStore } from '../../emulator/src/peer.mjs'

const args = process.argv.slice(2)
const opt = (k, d) => { const i = args.indexOf(k); return i >= 0 ? Number(args[i + 1]) : d }
const messages = opt('--messages', 0)
const sessions = opt('--sessions', 1)
if (!messages) { console.error('usage: bench_baileys.mjs --messages N [--sessions S]'); process.exit(2) }
const silent = { level: 'silent', child: () => silent, trace () {}, debug () {}, info () {}, warn () {}, error () {}, fatal () {} }

const device = (user) => {
  const creds = initAuthCreds()
  const keys = addTransactionCapability(new MemoryKeyStore(), silent, { maxCommitRetries: 1, delayBetweenTriesMs: 0 })
  const jid = `${user}:1@s.whatsapp.net`
  creds.me = { id: jid, name: 'bench' }
  return { creds, keys, jid, repo: makeLibSignalRepository({ creds, keys }, silent) }
}

// Bundle keys carry the 0x05 type byte on the Signal side (Baileys' generateSignalPubKey).
const djb = (k) => k.length === 33 ? k : Buffer.concat([Buffer.from([5]), k])
const pad = (buf) => { const n = 1 + (randomBytes(1)[0] & 0x0f); return Buffer.concat([buf, Buffer.alloc(n, n)]) }
const stanza = (from, id, type, ciphertext) => ({
  tag: 'message',
  attrs: { from, id, t: '1700000000', type: 'text', notify: 'Bench' },
  content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }]
})

const setUp = async (i, n) => {
  const a = device(`1${1000000 + i}`)
  const b = device(`2${1000000 + i}`)
  const pre = Curve.generateKeyPair()
  await b.keys.set({ 'pre-key': { 1: pre } })
  await a.repo.injectE2ESession({
    jid: b.jid,
    session: {
      registrationId: b.creds.registrationId,
      identityKey: djb(b.creds.signedIdentityKey.public),
      signedPreKey: { keyId: b.creds.signedPreKey.keyId, publicKey: djb(b.creds.signedPreKey.keyPair.public), signature: b.creds.signedPreKey.signature },
      preKey: { keyId: 1, publicKey: djb(pre.public) }
    }
  })
  const hello = Buffer.from([1, 2, 3])
  const first = await a.repo.encryptMessage({ jid: b.jid, data: hello })
  await b.repo.decryptMessage({ jid: a.jid, type: first.type, ciphertext: first.ciphertext })
  const reply = await b.repo.encryptMessage({ jid: a.jid, data: hello })
  await a.repo.decryptMessage({ jid: b.jid, type: reply.type, ciphertext: reply.ciphertext })
  const stanzas = []
  for (let k = 0; k < n; k++) {
    const m = proto.Message.encode({ conversation: `benchmark message number ${k} with some text` }).finish()
    const ct = await a.repo.encryptMessage({ jid: b.jid, data: pad(Buffer.from(m)) })
    stanzas.push(stanza(a.jid, `3EB0${k}`, ct.type, ct.ciphertext))
  }
  return { b, stanzas }
}

const perSession = Math.max(1, Math.floor(messages / sessions))
const all = []
for (let i = 0; i < sessions; i++) all.push(await setUp(i, perSession))
let handled = 0; let texts = 0
const wall0 = process.hrtime.bigint()
const cpu0 = process.cpuUsage()
for (let k = 0; k < perSession; k++) {
  for (const s of all) {
    const { fullMessage, decrypt } = decryptMessageNode(s.stanzas[k], s.b.jid, undefined, s.b.repo, silent)
    await decrypt()
    if (fullMessage.message?.conversation) texts++
    handled++
  }
}
const cpu = process.cpuUsage(cpu0)
const cpuS = (cpu.user + cpu.system) / 1e6
const wallS = Number(process.hrtime.bigint() - wall0) / 1e9
console.log(JSON.stringify({ sessions, messages: handled, texts, cpu_s: cpuS, msgs_per_cpu_s: handled / cpuS, wall_s: wallS }))
process.exit(texts === handled ? 0 : 1)
