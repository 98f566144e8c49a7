// Incoming media (issue 12): photos, videos, audio, documents and stickers that Baileys peers send
// to a linked session are downloaded through the project's emulator (its HTTPS media host),
// verified, decrypted and stored; the webhook waits for the download and carries a signed
// media_url that serves the exact bytes, or media_url null with media_error when the host sends a
// tampered file, no longer has it, or does not answer in time. The job survives kill -9.
// Real gateway binary, SQLite and PostgreSQL.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { pairedPeer } from '../../emulator/src/peer.mjs';
import { call, dialects, sql, startGateway, waitFor } from './harness.mjs';
import { createSession, newUser, startEmulator, waitSession } from './wa_env.mjs';
import { startReceiver } from './receiver.mjs';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };

const received = (rx, id) => rx.next((q) => q.json.event === 'message.received' && q.json.message.id === id, 30000);

async function fetchBytes(url) {
  const r = await fetch(url);
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

for (const dialect of dialects()) {
  describe(`incoming media on ${dialect}`, () => {
    let emu, gw, rx, user, sessionId, alice, caFile, caDir;
    const bot = dialect === 'sqlite' ? '6281720000001' : '6281720000002';
    const alicePhone = dialect === 'sqlite' ? '6281720000011' : '6281720000012';
    const botJid = `${bot}@s.whatsapp.net`;
    const mediaFault = (body) => emu.control('POST', '/media/faults', body);

    before(async () => {
      emu = await startEmulator({ media: true });
      rx = await startReceiver();
      caDir = mkdtempSync(path.join(os.tmpdir(), 'in-media-ca-'));
      caFile = path.join(caDir, 'ca.pem');
      writeFileSync(caFile, emu.emu.info().media_ca_pem);
      gw = await startGateway({ dialect, env: { ...relaxed, ...emu.env, WHATSAPP_CA_FILE: caFile, MEDIA_DOWNLOAD_WAIT_SECONDS: '20s' } });
      user = await newUser(gw);
      sessionId = (await createSession(gw, user.token, 'media bot', rx.url)).session_id;
      const st = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/start`, { token: user.token });
      await emu.scan(bot, st.json.data.qr_text);
      await waitSession(gw, user.token, sessionId, (d) => d.status === 'connected', { what: 'connected' });
      alice = await pairedPeer(emu.control_url, alicePhone, { pushName: 'Alice' });
    });
    after(async () => {
      await alice?.stop();
      await gw?.cleanup();
      if (gw) rmSync(gw.dir, { recursive: true, force: true });  // restarted on the same directory
      await rx?.close();
      await emu?.stop();
      if (caDir) rmSync(caDir, { recursive: true, force: true });
    });

    test('every media type reaches the webhook with a media_url that serves the exact bytes', async () => {
      const files = {
        image: PNG,
        video: randomBytes(40 * 1024),
        audio: randomBytes(12 * 1024),
        document: Buffer.from('%PDF-1.4\n% a small document\n%%EOF\n'),
        sticker: randomBytes(3 * 1024),
      };
      const sent = {
        image: await alice.sendImage(botJid, files.image, 'a photo'),
        video: await alice.sendVideo(botJid, files.video, { caption: 'a clip' }),
        audio: await alice.sendAudio(botJid, files.audio, { ptt: true }),
        document: await alice.sendDocument(botJid, files.document, { fileName: 'Laporan Mei.pdf', mimetype: 'application/pdf', caption: 'the report' }),
        sticker: await alice.sendSticker(botJid, files.sticker),
      };
      // Sent right after the media, in the same chat: it must not overtake them.
      const after = await alice.sendText(botJid, 'and that was all');
      const types = { image: 'image', video: 'video', audio: 'audio', document: 'document', sticker: 'sticker' };
      const mimetypes = { image: 'image/png', video: 'video/mp4', audio: 'audio/ogg; codecs=opus', document: 'application/pdf', sticker: 'image/webp' };
      for (const [kind, msg] of Object.entries(sent)) {
        const w = await received(rx, msg.key.id);
        const m = w.json.message;
        assert.equal(m.type, types[kind], kind);
        assert.equal(m.media_error, null, `${kind}: ${m.media_error}`);
        assert.match(m.media_url, new RegExp(`^http://127\\.0\\.0\\.1:${gw.port}/media/[0-9a-f]{32}\\?exp=\\d+&sig=[0-9a-f]{64}$`), kind);
        const got = await fetchBytes(m.media_url);
        assert.equal(got.status, 200, kind);
        assert.ok(got.body.equals(files[kind]), `${kind}: the served bytes differ from what the peer sent`);
        assert.equal(got.headers.get('content-type'), mimetypes[kind], kind);
        if (kind === 'document') {
          assert.match(got.headers.get('content-disposition'), /Laporan Mei\.pdf/);
          assert.equal(m.content, 'the report');
        }
        if (kind === 'image') assert.equal(m.content, 'a photo');
      }
      const last = await received(rx, after.key.id);
      const imageAt = rx.requests.findIndex((q) => q.json.message?.id === sent.sticker.key.id);
      assert.ok(rx.requests.indexOf(last) > imageAt, 'the text overtook the media sent before it');

      // The message log shows the same file (signed when read).
      const log = await call(gw, 'GET', `/api/v1/sessions/${sessionId}/messages/${sent.document.key.id}`, { token: user.token });
      assert.equal(log.status, 200, log.text);
      assert.equal(log.json.data.media_error, null);
      const again = await fetchBytes(log.json.data.media_url);
      assert.ok(again.body.equals(files.document));
      const rows = sql(gw, `SELECT state, attempts FROM incoming_media WHERE session_id = '${sessionId}' AND message_id = '${sent.video.key.id}'`);
      assert.deepEqual(rows, [['stored', '1']]);
    });

    test('a tampered file fails its check; a file the host dropped comes back from the phone, or the webhook says why', async () => {
      await mediaFault({ mode: 'garbage' });
      const tampered = await alice.sendImage(botJid, PNG, 'tampered');
      const w1 = (await received(rx, tampered.key.id)).json.message;
      assert.equal(w1.media_url, null);
      assert.match(w1.media_error, /^media_(hash|mac)_mismatch/);
      assert.equal(w1.content, 'tampered');

      // The host no longer has a file (410) its phone still has: the phone is asked to upload it
      // again (media retry) and the download from the new path gives the exact bytes.
      const before = (await emu.control('GET', '/log')).body.events.filter((e) => e.kind === 'media_retry').length;
      await mediaFault({ mode: 'status', status: 410 });
      const expired = await alice.sendDocument(botJid, Buffer.from('expired but kept by the phone'), { fileName: 'old.txt', mimetype: 'text/plain' });
      const w0 = (await received(rx, expired.key.id)).json.message;
      assert.equal(w0.media_error, null, w0.media_error);
      assert.equal((await fetchBytes(w0.media_url)).body.toString(), 'expired but kept by the phone');
      const retries = (await emu.control('GET', '/log')).body.events.filter((e) => e.kind === 'media_retry').slice(before);
      assert.deepEqual(retries.map((e) => [e.id, e.result]), [[expired.key.id, 'success']]);
      const stored = JSON.parse(sql(gw, `SELECT descriptor FROM incoming_media WHERE session_id = '${sessionId}' AND message_id = '${expired.key.id}'`)[0][0]);
      assert.match(stored.direct_path, /reupload=\d+/, 'the job keeps the new path');

      // A file no phone has any more (its key was never given to the emulator's phones): the phone
      // answers "not found" and the webhook says both what the host and what the phone said.
      await mediaFault({ mode: 'status', status: 404 });
      const gone = await alice.sock.sendMessage(botJid, { document: Buffer.from('gone'), fileName: 'gone.txt', mimetype: 'text/plain' });
      const w2 = (await received(rx, gone.key.id)).json.message;
      assert.equal(w2.media_url, null);
      assert.match(w2.media_error, /^media_http: HTTP 404; asked the phone to upload it again: media_reupload_failed: the phone answered not found \(code 2\)/);
      const metrics = await call(gw, 'GET', '/metrics');
      assert.match(metrics.text, /^incoming_media_reuploads_total 1$/m);

      // A transient failure (a 503) is tried again and then succeeds.
      await mediaFault({ mode: 'status', status: 503 });
      const retried = await alice.sendImage(botJid, PNG, 'after a 503');
      const w3 = (await received(rx, retried.key.id)).json.message;
      assert.equal(w3.media_error, null);
      assert.ok((await fetchBytes(w3.media_url)).body.equals(PNG));

      const log = await call(gw, 'GET', `/api/v1/sessions/${sessionId}/messages/${tampered.key.id}`, { token: user.token });
      assert.equal(log.json.data.media_url, null);
      assert.match(log.json.data.media_error, /^media_(hash|mac)_mismatch/);
    });

    test('a webhook may answer with media: an image by URL and a document in base64 reach the sender', async () => {
      const files = http.createServer((req, res) => {
        if (req.url === '/pic.png') { res.writeHead(200, { 'content-type': 'image/png' }); res.end(PNG); return; }
        res.writeHead(404); res.end();
      });
      await new Promise((ok) => files.listen(0, '127.0.0.1', ok));
      const pdf = Buffer.from('%PDF-1.4\n% reply\n%%EOF\n');
      try {
        rx.respond = (q) => {
          const text = q.json.message?.content;
          if (text === 'photo please') return { status: 200, body: JSON.stringify({ reply: { type: 'image', media_url: `http://127.0.0.1:${files.address().port}/pic.png`, content: 'here it is' } }) };
          if (text === 'invoice please') return { status: 200, body: JSON.stringify({ reply: { type: 'document', media_base64: pdf.toString('base64'), mimetype: 'application/pdf', filename: 'Faktur.pdf', content: 'your invoice' } }) };
          if (text === 'broken please') return { status: 200, body: JSON.stringify({ reply: { type: 'image', content: 'no media' } }) };
          return { status: 200, body: '{}' };
        };
        await alice.sendText(botJid, 'broken please');
        await alice.sendText(botJid, 'photo please');
        const img = await alice.waitMessage((m) => m.message?.imageMessage?.caption === 'here it is', 30000);
        assert.ok((await alice.download(img)).equals(PNG), 'the image reply differs from the file at media_url');
        await alice.sendText(botJid, 'invoice please');
        const doc = await alice.waitMessage((m) => m.message?.documentMessage?.fileName === 'Faktur.pdf', 30000);
        assert.equal(doc.message.documentMessage.mimetype, 'application/pdf');
        assert.ok((await alice.download(doc)).equals(pdf));
        // The invalid reply sent nothing and was counted.
        assert.equal(alice.inbox.filter((m) => m.message?.imageMessage?.caption === 'no media').length, 0);
        const metrics = await fetch(`${gw.base}/metrics`).then((r) => r.text());
        assert.match(metrics, /^webhook_replies_failed_total [1-9]/m);
      } finally {
        rx.respond = () => ({ status: 200, body: '{}' });
        await new Promise((ok) => files.close(ok));
      }
    });

    test('a download cut by kill -9 resumes after the restart; a download that hangs releases the webhook at the wait', async () => {
      // The download hangs; the gateway dies with the job pending and the webhook held back.
      await mediaFault({ mode: 'stall' });
      const photo = await alice.sendImage(botJid, PNG, 'survives a crash');
      const pending = await waitFor(() => sql(gw, `SELECT state FROM incoming_media WHERE message_id = '${photo.key.id}'`)[0]?.[0] === 'pending', 15000);
      assert.ok(pending, 'no pending download job was written');
      // The hanging download has begun (the media host took the fault).
      assert.ok(await waitFor(() => emu.emu.media.faults.length === 0, 15000), 'the download never started');
      await gw.stop('SIGKILL');
      assert.equal(rx.requests.filter((q) => q.json.message?.id === photo.key.id).length, 0, 'the webhook went out before the download');

      gw = await startGateway({ dialect, dataDir: gw.dir, env: { ...gw.env, MEDIA_DOWNLOAD_WAIT_SECONDS: '2s' } });
      const w = (await received(rx, photo.key.id)).json.message;
      assert.equal(w.media_error, null, w.media_error);
      assert.ok((await fetchBytes(w.media_url)).body.equals(PNG), 'the resumed download stored other bytes');

      // Now a hanging download: the webhook goes out at MEDIA_DOWNLOAD_WAIT_SECONDS without it.
      await mediaFault({ mode: 'stall' });
      const slow = await alice.sendImage(botJid, PNG, 'slow host');
      const t0 = Date.now();
      const w2 = (await received(rx, slow.key.id)).json.message;
      assert.equal(w2.media_url, null);
      assert.match(w2.media_error, /^media_timeout/);
      assert.ok(Date.now() - t0 >= 1000, 'the webhook did not wait for the download');
    });
  });
}
