// End-to-end tests of media through `wa-tool upload | download | listen --download |
// send` against the offline emulator and its HTTPS media host (emulator/src/media.mjs, a CA of its
// own that wa-tool trusts through --ca-file), with unmodified Baileys clients as the other people.
//   node wa/tests/client/media_e2e.test.mjs WA_TOOL SCENARIO
// Each scenario is one ctest (wa/tests/client/CMakeLists.txt).
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import assert from 'node:assert/strict'
import sharp from 'sharp'
import { dir, listen, pairBot, peer, runScenarios, startEmulator, store, Tool, VERBOSE } from './e2e_harness.mjs'

/** A real picture (sharp, from the repository's node_modules): a gradient-free coloured block. */
const picture = (format, width, height) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } })[format]().toBuffer()

const sha = (b) => createHash('sha256').update(b).digest('hex')

/** The emulator with its media host; its CA written where wa-tool can read it. */
const startMediaEmulator = async () => {
  const ctx = await startEmulator({ media: true })
  ctx.caFile = join(dir, 'media-ca.pem')
  writeFileSync(ctx.caFile, ctx.emu.media.caPem)
  return ctx
}

/** Runs one wa-tool command to completion; resolves {code, events, stderr, ms}. */
const run = async (args, name = args[0]) => {
  const started = Date.now()
  const t = new Tool([...args, ...VERBOSE], name)
  const code = await t.exit
  return { code, events: t.events, stderr: t.stderr, ms: Date.now() - started }
}

const upload = async (ctx, bot, type, file) => {
  const r = await run(['upload', '--store', bot.file, '--ca-file', ctx.caFile, '--type', type, '--file', file])
  assert.equal(r.code, 0, r.stderr)
  return r.events.find(e => e.event === 'uploaded')
}

const download = (ctx, bot, type, media, out, extra = []) =>
  run(['download', '--store', bot.file, '--ca-file', ctx.caFile, '--type', type, '--media', JSON.stringify(media), '--out', out, ...extra])

/** `wa-tool send` with any flags; resolves {id, timestamp}. */
const sendWith = async (ctx, bot, to, flags) => {
  const r = await run(['send', '--store', bot.file, '--ca-file', ctx.caFile, '--to', to, ...flags])
  assert.equal(r.code, 0, `send ${flags.join(' ')}: ${r.stderr}`)
  const last = r.events.at(-1)
  assert.match(last.id, /^3EB0[0-9A-F]{18}$/)
  return last
}

const isJpeg = (b) => Buffer.isBuffer(b) || b instanceof Uint8Array ? b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff : false

/** A two-page PDF, uncompressed (its page objects countable). */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n4 0 obj << /Type /Page /Parent 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')

const scenarios = {
  // Upload and download through the HTTPS media host, and every way the host can misbehave:
  // each is bounded (timeouts, byte cap) and refused with its own error; nothing is written.
  async transfer () {
    const ctx = await startMediaEmulator()
    const bot = await pairBot(ctx, '15552000001', store('bot'))
    const plain = randomBytes(300_000)
    const file = join(dir, 'plain.bin')
    writeFileSync(file, plain)

    const up = await upload(ctx, bot, 'document', file)
    assert.equal(up.file_length, plain.length)
    assert.equal(up.file_sha256, sha(plain))
    assert.match(up.direct_path, /^\/v\/document\//)
    assert.equal(up.media_key.length, 64)
    const blob = ctx.emu.media.blobs.get(Buffer.from(up.file_enc_sha256, 'hex').toString('base64url'))
    assert.ok(blob, 'the host holds the blob under its enc hash')
    assert.equal(sha(blob), up.file_enc_sha256)
    assert.ok(!blob.includes(plain.subarray(0, 64)), 'the blob is not the plaintext')
    const log = (await ctx.get('/log?since=0')).events
    assert.ok(log.some(e => e.kind === 'media_upload' && e.type === 'document'))

    const out = join(dir, 'out.bin')
    const ok = await download(ctx, bot, 'document', up, out)
    assert.equal(ok.code, 0, ok.stderr)
    assert.deepEqual(readFileSync(out), plain)

    // Wrong keys (the type picks the HKDF info): refused, nothing written.
    const wrongOut = join(dir, 'wrong.bin')
    const wrong = await download(ctx, bot, 'image', up, wrongOut)
    assert.equal(wrong.code, 1)
    assert.equal(wrong.events.at(-1).code, 'media_mac_mismatch')
    assert.ok(!existsSync(wrongOut))

    const TIMEOUT = 1500
    const cases = [
      ['stall', 'media_timeout', { timeout: true }],
      ['slow', 'media_timeout', { timeout: true }],
      ['huge_length', 'media_too_large'],
      ['short_body', 'transport_read'],
      ['oversize', 'media_too_large'],
      ['garbage', 'media_hash_mismatch'],
      ['status', 'media_http', { status: 410 }],
      ['not_http', 'media_http']
    ]
    for (const [mode, code, { timeout, status } = {}] of cases) {
      const f = await ctx.post('/media/faults', { mode, status })
      assert.equal(f.status, 200, JSON.stringify(f.body))
      const target = join(dir, `fault-${mode}.bin`)
      const r = await download(ctx, bot, 'document', up, target, ['--media-timeout-ms', String(TIMEOUT), '--max-bytes', '1000000'])
      assert.equal(r.code, 1, `${mode}: ${r.stderr}`)
      const e = r.events.at(-1)
      assert.equal(e.event, 'download_error', mode)
      assert.equal(e.code, code, `${mode}: ${e.error}`)
      if (status) assert.match(e.error, new RegExp(`HTTP ${status}`))
      if (timeout) assert.ok(r.ms < TIMEOUT + 4000, `${mode}: bounded (${r.ms} ms)`)
      assert.ok(!existsSync(target), `${mode}: nothing written`)
    }
    // A tampered blob on the host fails the hash check.
    const c = await ctx.post('/media/corrupt', { token: Buffer.from(up.file_enc_sha256, 'hex').toString('base64url') })
    assert.equal(c.status, 200, JSON.stringify(c.body))
    const tampered = await download(ctx, bot, 'document', up, join(dir, 'tampered.bin'))
    assert.equal(tampered.code, 1)
    assert.equal(tampered.events.at(-1).code, 'media_hash_mismatch')
    assert.ok(!existsSync(join(dir, 'tampered.bin')))

    // An image a Baileys peer sends is downloaded by `listen --download` byte for byte.
    const alice = await peer(ctx, '15552000002', 'Alice')
    const media = join(dir, 'media')
    mkdirSync(media)
    const l = await listen(bot, ['--ca-file', ctx.caFile, '--download', media])
    const png = await picture('png', 40, 30)
    const m = await alice.sendImage(bot.user, png, 'a caption')
    const ev = await l.next(e => e.event === 'message' && e.id === m.key.id)
    assert.equal(ev.type, 'image')
    assert.equal(ev.text, 'a caption')
    assert.equal(ev.media.mimetype, 'image/png')
    const got = await l.next(e => e.event === 'media' && e.id === m.key.id)
    assert.equal(got.sha256, sha(png))
    assert.deepEqual(readFileSync(got.path), png)
    assert.equal(await l.interrupt(), 0)
    return ctx
  }
}

// Every content type we send, as Baileys receives it: attachments downloaded by Baileys are our
// exact bytes, with mimetype, caption, file name, dimensions, ptt, waveform, thumbnails; quoted
// replies (of an image, with a document) and mentions in captions; location and contact cards.
// Then every attachment type a Baileys peer sends is downloaded by us byte for byte, and a blob
// tampered on the host fails our hash check.
scenarios.send_types = async () => {
  const ctx = await startMediaEmulator()
  const bot = await pairBot(ctx, '15552000011', store('bot'))
  const alice = await peer(ctx, '15552000012', 'Alice')
  const file = (name, bytes) => { const p = join(dir, name); writeFileSync(p, bytes); return p }
  const jpeg = await picture('jpeg', 640, 480)
  const png = await picture('png', 40, 30)
  const webp = await sharp({ create: { width: 512, height: 512, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).webp().toBuffer()
  const video = randomBytes(250_000)
  const voice = randomBytes(40_000)
  const song = randomBytes(60_000)
  const waveform = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 3) % 100))
  const received = async (id) => alice.waitMessage(m => m.key.id === id)
  const downloaded = async (m, bytes) => assert.deepEqual(Buffer.from(await alice.download(m)), bytes)

  // Image (JPEG) with a caption that mentions Alice.
  const s1 = await sendWith(ctx, bot, alice.phone, ['--image', file('p.jpg', jpeg), '--caption', `look @${alice.phone}`, '--mention', alice.phone])
  const r1 = await received(s1.id)
  const im = r1.message.imageMessage
  assert.equal(im.caption, `look @${alice.phone}`)
  assert.equal(im.mimetype, 'image/jpeg')
  assert.equal(im.width, 640)
  assert.equal(im.height, 480)
  assert.ok(isJpeg(im.jpegThumbnail) && im.jpegThumbnail.length < 5000, 'a small JPEG thumbnail')
  const thumb = await sharp(Buffer.from(im.jpegThumbnail)).metadata()
  assert.deepEqual([thumb.width, thumb.height], [72, 54])
  assert.deepEqual(im.contextInfo.mentionedJid, [alice.user])
  await downloaded(r1, jpeg)
  // Image (PNG): dimensions from its header, a JPEG thumbnail of it.
  const s2 = await sendWith(ctx, bot, alice.phone, ['--image', file('p.png', png), '--mimetype', 'image/png'])
  const r2 = await received(s2.id)
  assert.equal(r2.message.imageMessage.mimetype, 'image/png')
  assert.deepEqual([r2.message.imageMessage.width, r2.message.imageMessage.height], [40, 30])
  assert.ok(isJpeg(r2.message.imageMessage.jpegThumbnail))
  await downloaded(r2, png)
  // Video with caption and duration; a GIF-playback video.
  const s3 = await sendWith(ctx, bot, alice.phone, ['--video', file('v.mp4', video), '--caption', 'clip', '--seconds', '5', '--width', '1280', '--height', '720'])
  const r3 = await received(s3.id)
  const vm = r3.message.videoMessage
  assert.equal(vm.caption, 'clip')
  assert.equal(vm.seconds, 5)
  assert.equal(vm.mimetype, 'video/mp4')
  assert.ok(!vm.gifPlayback)
  assert.ok(isJpeg(vm.jpegThumbnail), 'a (blank) JPEG thumbnail')
  await downloaded(r3, video)
  const s4 = await sendWith(ctx, bot, alice.phone, ['--video', file('g.mp4', video.subarray(0, 1000)), '--gif'])
  const r4 = await received(s4.id)
  assert.equal(r4.message.videoMessage.gifPlayback, true)
  await downloaded(r4, video.subarray(0, 1000))
  // Voice note (ptt) with seconds and waveform; plain audio.
  const s5 = await sendWith(ctx, bot, alice.phone, ['--audio', file('n.ogg', voice), '--ptt', '--seconds', '4', '--waveform', waveform.toString('hex')])
  const r5 = await received(s5.id)
  const am = r5.message.audioMessage
  assert.equal(am.ptt, true)
  assert.equal(am.seconds, 4)
  assert.equal(am.mimetype, 'audio/ogg; codecs=opus')
  assert.deepEqual(Buffer.from(am.waveform), waveform)
  await downloaded(r5, voice)
  const s6 = await sendWith(ctx, bot, alice.phone, ['--audio', file('s.mp3', song), '--mimetype', 'audio/mpeg'])
  const r6 = await received(s6.id)
  assert.ok(!r6.message.audioMessage.ptt)
  assert.equal(r6.message.audioMessage.mimetype, 'audio/mpeg')
  await downloaded(r6, song)
  // Document with file name, caption and its page count.
  const s7 = await sendWith(ctx, bot, alice.phone, ['--document', file('r.pdf', PDF), '--file-name', 'report.pdf', '--mimetype', 'application/pdf', '--caption', 'Q3 numbers'])
  const r7 = await received(s7.id)
  const dm = r7.message.documentMessage ?? r7.message.documentWithCaptionMessage?.message?.documentMessage
  assert.equal(dm.fileName, 'report.pdf')
  assert.equal(dm.mimetype, 'application/pdf')
  assert.equal(dm.caption, 'Q3 numbers')
  assert.equal(dm.pageCount, 2)
  await downloaded(r7, PDF)
  // Sticker: WebP with its dimensions.
  const s8 = await sendWith(ctx, bot, alice.phone, ['--sticker', file('s.webp', webp)])
  const r8 = await received(s8.id)
  assert.equal(r8.message.stickerMessage.mimetype, 'image/webp')
  assert.deepEqual([r8.message.stickerMessage.width, r8.message.stickerMessage.height], [512, 512])
  await downloaded(r8, webp)
  // Location and contact card.
  const s9 = await sendWith(ctx, bot, alice.phone, ['--location', '52.5163,13.3777', '--name', 'Brandenburger Tor', '--address', 'Pariser Platz, Berlin'])
  const lm = (await received(s9.id)).message.locationMessage
  assert.equal(lm.degreesLatitude, 52.5163)
  assert.equal(lm.degreesLongitude, 13.3777)
  assert.equal(lm.name, 'Brandenburger Tor')
  assert.equal(lm.address, 'Pariser Platz, Berlin')
  const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:Ann Example\nTEL;type=CELL;waid=15550009999:+1 555 000 9999\nEND:VCARD'
  const s10 = await sendWith(ctx, bot, alice.phone, ['--contact', 'Ann Example', '--vcard', vcard])
  const cm = (await received(s10.id)).message.contactMessage
  assert.equal(cm.displayName, 'Ann Example')
  assert.equal(cm.vcard, vcard)
  // Quoted replies: a text quoting Alice's image, a document quoting her text.
  const a1 = await alice.sendImage(bot.user, png, 'her picture')
  const s11 = await sendWith(ctx, bot, alice.phone, ['--text', 'nice', '--quote', a1.key.id, '--quote-type', 'image', '--quote-text', 'her picture', '--quote-participant', alice.user])
  const q1 = (await received(s11.id)).message.extendedTextMessage
  assert.equal(q1.text, 'nice')
  assert.equal(q1.contextInfo.stanzaId, a1.key.id)
  assert.equal(q1.contextInfo.participant, alice.user)
  assert.equal(q1.contextInfo.quotedMessage.imageMessage.caption, 'her picture')
  const a2 = await alice.sendText(bot.user, 'send me the file')
  const s12 = await sendWith(ctx, bot, alice.phone, ['--document', file('r2.pdf', PDF), '--file-name', 'r2.pdf', '--quote', a2.key.id, '--quote-text', 'send me the file'])
  const r12 = await received(s12.id)
  const doc12 = r12.message.documentMessage ?? r12.message.documentWithCaptionMessage?.message?.documentMessage
  assert.ok(doc12, 'a document arrived')
  const dq = doc12.contextInfo
  assert.equal(dq.stanzaId, a2.key.id)
  assert.equal(dq.quotedMessage.conversation, 'send me the file')
  await downloaded(r12, PDF)

  // Baileys -> us: each attachment type downloaded byte for byte.
  const media = join(dir, 'media')
  mkdirSync(media)
  let l = await listen(bot, ['--ca-file', ctx.caFile, '--download', media])
  const doc = randomBytes(120_000)
  const sent = [
    [await alice.sendDocument(bot.user, doc, { fileName: 'data.bin', caption: 'the data' }), doc, 'document'],
    [await alice.sendAudio(bot.user, voice, { ptt: true }), voice, 'audio'],
    [await alice.sendAudio(bot.user, song, { mimetype: 'audio/mpeg' }), song, 'audio'],
    [await alice.sendVideo(bot.user, video, { caption: 'her clip' }), video, 'video'],
    [await alice.sendSticker(bot.user, webp), webp, 'sticker'],
    [await alice.sendImage(bot.user, png, 'again'), png, 'image']
  ]
  for (const [m, bytes, type] of sent) {
    const ev = await l.next(e => e.event === 'message' && e.id === m.key.id)
    assert.equal(ev.type, type)
    const got = await l.next(e => (e.event === 'media' || e.event === 'media_error') && e.id === m.key.id)
    assert.equal(got.event, 'media', `${type}: ${got.error}`)
    assert.equal(got.sha256, sha(bytes), type)
    assert.deepEqual(readFileSync(got.path), bytes)
    if (type === 'document') {
      assert.equal(ev.media.file_name, 'data.bin')
      assert.equal(ev.text, 'the data')
    }
  }
  assert.equal(await l.interrupt(), 0)
  // A blob tampered on the host after Alice's upload: our download fails its hash check.
  const t = await alice.sendDocument(bot.user, doc, { fileName: 'tampered.bin' })
  const c = await ctx.post('/media/corrupt', {})
  assert.equal(c.status, 200)
  l = await listen(bot, ['--ca-file', ctx.caFile, '--download', media])
  const bad = await l.next(e => (e.event === 'media' || e.event === 'media_error') && e.id === t.key.id)
  assert.equal(bad.event, 'media_error')
  assert.equal(bad.code, 'media_hash_mismatch')
  assert.ok(!existsSync(join(media, t.key.id)))
  assert.equal(await l.interrupt(), 0)
  return ctx
}

await runScenarios('media_e2e.test.mjs', scenarios)
