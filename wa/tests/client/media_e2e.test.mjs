// End-to-end tests of media (issue 12) through `wa-tool upload | download | listen --download |
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

await runScenarios('media_e2e.test.mjs', scenarios)
