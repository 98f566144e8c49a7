// Sending through the API: a linked session sends to Baileys peers through the
// project's emulator; delivery status follows the peers' receipts, on the API, both WebSockets
// and the message.status webhook. Real gateway binary, SQLite and PostgreSQL.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pairedPeer } from '../../emulator/src/peer.mjs';
import { call, dialects, lastTestNoSanitizerReports, sleep, startGateway, waitFor } from './harness.mjs';
import { WsClient, createSession, newUser, startEmulator, waitSession, wsUrl } from './wa_env.mjs';
import { startReceiver } from './receiver.mjs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';

// A 1x1 PNG and a two-page PDF, sent through the API and compared byte for byte on arrival.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 2/Kids[3 0 R 4 0 R]>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R>>endobj\n4 0 obj<</Type/Page/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };
// Low enough for the last test to reach it, high enough for the others.
const SEND_RATE = 25;

const textOf = (m) => m.message?.conversation ?? m.message?.extendedTextMessage?.text;

for (const dialect of dialects()) {
  describe(`sending on ${dialect}`, () => {
    let emu, gw, rx, user, other, sessionId, stoppedId, alice, carol, caDir, files, filesUrl;
    const bot = dialect === 'sqlite' ? '6281710000001' : '6281710000002';
    const alicePhone = dialect === 'sqlite' ? '6281710000011' : '6281710000012';
    const carolPhone = dialect === 'sqlite' ? '6281710000021' : '6281710000022';
    const send = (body, token = user.token, id = sessionId) =>
      call(gw, 'POST', `/api/v1/sessions/${id}/send`, { token, body });

    before(async () => {
      emu = await startEmulator({ media: true });
      rx = await startReceiver();
      caDir = mkdtempSync(path.join(os.tmpdir(), 'send-ca-'));
      writeFileSync(path.join(caDir, 'ca.pem'), emu.emu.info().media_ca_pem);
      files = http.createServer((req, res) => {
        if (req.url === '/report.pdf') { res.writeHead(200, { 'content-type': 'application/pdf' }); res.end(PDF); return; }
        if (req.url === '/to-metadata') { res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }); res.end(); return; }
        if (req.url === '/big') { res.writeHead(200, { 'content-type': 'image/png' }); res.end(Buffer.alloc(70 * 1024)); return; }
        res.writeHead(404); res.end();
      });
      await new Promise((ok) => files.listen(0, '127.0.0.1', ok));
      filesUrl = `http://127.0.0.1:${files.address().port}`;
      gw = await startGateway({ dialect, env: { ...relaxed, ...emu.env, SEND_RATE_PER_MINUTE: String(SEND_RATE), WHATSAPP_CA_FILE: path.join(caDir, 'ca.pem'), MEDIA_MAX_BYTES: String(64 * 1024) } });
      user = await newUser(gw);
      other = await newUser(gw);
      const s = await createSession(gw, user.token, 'sender bot', rx.url);
      sessionId = s.session_id;
      stoppedId = (await createSession(gw, user.token, 'never started', rx.url)).session_id;
      const st = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/start`, { token: user.token });
      await emu.scan(bot, st.json.data.qr_text);
      await waitSession(gw, user.token, sessionId, (d) => d.status === 'connected', { what: 'connected' });
      const put = await call(gw, 'PUT', `/api/v1/sessions/${sessionId}`, {
        token: user.token, body: { webhook_events: ['message.received', 'message.status'] },
      });
      assert.equal(put.status, 200, put.text);
      alice = await pairedPeer(emu.control_url, alicePhone, { pushName: 'Alice' });
      carol = await pairedPeer(emu.control_url, carolPhone, { pushName: 'Carol' });
    });
    after(async () => {
      await alice?.stop();
      await carol?.stop();
      await gw?.cleanup();
      await rx?.close();
      await emu?.stop();
      await new Promise((ok) => files ? files.close(ok) : ok());
      if (caDir) rmSync(caDir, { recursive: true, force: true });
    });

    test('a text to a phone number arrives; its status moves to delivered and read everywhere', async () => {
      const live = await WsClient.open(wsUrl(gw, '/ws', user.token));
      const r = await send({ to: `+${alicePhone.slice(0, 4)} ${alicePhone.slice(4)}`, type: 'text', content: 'hello from the API' });
      assert.equal(r.status, 200, r.text);
      const d = r.json.data;
      assert.equal(d.status, 'sent');
      assert.match(d.message_id, /^[0-9A-F]{16,}$/);
      assert.match(d.timestamp, /^\d{4}-\d\d-\d\dT.*Z$/);
      assert.equal(d.chat_id, `${alicePhone}@s.whatsapp.net`);
      const got = await alice.waitMessage((m) => m.key.id === d.message_id);
      assert.equal(textOf(got), 'hello from the API');
      // Baileys acknowledged delivery by itself; now Alice reads it.
      assert.ok(await waitFor(async () => (await call(gw, 'GET', `/api/v1/sessions/${sessionId}/messages/${d.message_id}`, { token: user.token })).json?.data?.status === 'delivered',
        { timeoutMs: 15000 }), 'delivered');
      await alice.sock.readMessages([got.key]);
      const read = await waitFor(async () => {
        const m = (await call(gw, 'GET', `/api/v1/sessions/${sessionId}/messages/${d.message_id}`, { token: user.token })).json?.data;
        return m?.status === 'read' ? m : null;
      }, { timeoutMs: 15000 });
      assert.ok(read, 'read');
      assert.equal(read.direction, 'outgoing');
      assert.equal(read.type, 'text');
      assert.equal(read.content, 'hello from the API');
      assert.equal(read.to, alicePhone);
      for (const step of ['sent', 'delivered', 'read']) assert.match(read.status_timestamps[step] ?? '', /Z$|\+00/, step);
      assert.equal(read.status_timestamps.played, null);
      const wsDelivered = await live.next((m) => m.type === 'message_status' && m.data.message_id === d.message_id && m.data.status === 'delivered');
      assert.equal(wsDelivered.session_id, sessionId);
      await live.next((m) => m.type === 'message_status' && m.data.message_id === d.message_id && m.data.status === 'read');
      live.close();
      const hook = await rx.next((q) => q.json.event === 'message.status' && q.json.message.id === d.message_id && q.json.message.status === 'read');
      assert.equal(hook.json.session_id, sessionId);
      assert.equal(hook.json.message.chat_id, d.chat_id);
      assert.ok(rx.requests.some((q) => q.json.event === 'message.status' && q.json.message.id === d.message_id && q.json.message.status === 'delivered'));
    });

    test('a quoted reply and mentions arrive as such; the log pages by chat and direction', async () => {
      const question = await alice.sendText(`${bot}@s.whatsapp.net`, 'which plan?');
      await rx.next((q) => q.json.message?.id === question.key.id);
      const r = await send({ to: alicePhone, content: `the yearly one @${carolPhone}`, quoted_message_id: question.key.id, mentions: [carolPhone] });
      assert.equal(r.status, 200, r.text);
      const got = await alice.waitMessage((m) => m.key.id === r.json.data.message_id);
      const ctx = got.message.extendedTextMessage.contextInfo;
      assert.equal(ctx.stanzaId, question.key.id);
      assert.equal(textOf({ message: ctx.quotedMessage }), 'which plan?');
      assert.deepEqual(ctx.mentionedJid, [`${carolPhone}@s.whatsapp.net`]);

      // In a group: the mention reaches Carol as a mention.
      const g = await emu.control('POST', '/groups', { subject: 'Plans', owner: alicePhone, participants: [bot, carolPhone], addressing_mode: 'pn' });
      assert.equal(g.status, 200, JSON.stringify(g.body));
      const gr = await send({ to: g.body.jid, content: `@${carolPhone} welcome`, mentions: [`+${carolPhone}`] });
      assert.equal(gr.status, 200, gr.text);
      assert.equal(gr.json.data.chat_id, g.body.jid);
      const inGroup = await carol.waitMessage((m) => m.key.id === gr.json.data.message_id);
      assert.equal(inGroup.key.remoteJid, g.body.jid);
      assert.deepEqual(inGroup.message.extendedTextMessage.contextInfo.mentionedJid, [`${carolPhone}@s.whatsapp.net`]);

      // The message log: Alice's chat, newest first, one per page.
      const list = async (q) => (await call(gw, 'GET', `/api/v1/sessions/${sessionId}/messages?${q}`, { token: user.token }));
      const all = (await list(`chat=${alicePhone}`)).json.data.messages;
      assert.ok(all.length >= 3, JSON.stringify(all));
      assert.equal(all[0].message_id, r.json.data.message_id);
      assert.equal(all[0].quoted_message_id, question.key.id);
      assert.equal(all[1].message_id, question.key.id);
      assert.equal(all[1].direction, 'incoming');
      assert.equal(all[1].from, alicePhone);
      const p1 = (await list(`chat=${encodeURIComponent(`+${alicePhone}`)}&direction=outgoing&limit=1`)).json.data;
      assert.equal(p1.messages.length, 1);
      assert.equal(p1.messages[0].message_id, r.json.data.message_id);
      assert.equal(p1.next_before, r.json.data.message_id);
      const p2 = (await list(`chat=${alicePhone}&direction=outgoing&limit=1&before=${p1.next_before}`)).json.data;
      assert.equal(p2.messages[0].content, 'hello from the API');
      assert.ok(!p2.messages.some((m) => m.direction === 'incoming'));
      const groupOnly = (await list(`chat=${encodeURIComponent(g.body.jid)}`)).json.data.messages;
      assert.deepEqual(groupOnly.map((m) => m.message_id), [gr.json.data.message_id]);
      assert.equal((await list('before=NOPE')).status, 404);
      assert.equal((await list('direction=sideways')).status, 400);
      assert.equal((await list('limit=0')).status, 400);
    });

    test('media: an image by base64 and a document by URL arrive byte-identical; location and contact too', async () => {
      const img = await send({ to: alicePhone, type: 'image', media_base64: `data:image/png;base64,${PNG.toString('base64')}`, caption: 'a pixel' });
      assert.equal(img.status, 200, img.text);
      const gotImg = await alice.waitMessage((m) => m.key.id === img.json.data.message_id);
      assert.equal(gotImg.message.imageMessage.caption, 'a pixel');
      assert.equal(gotImg.message.imageMessage.mimetype, 'image/png');
      assert.equal(gotImg.message.imageMessage.width, 1);
      assert.deepEqual(await alice.download(gotImg), PNG);
      const doc = await send({ to: alicePhone, type: 'document', media_url: `${filesUrl}/report.pdf` });
      assert.equal(doc.status, 200, doc.text);
      const gotDoc = await alice.waitMessage((m) => m.key.id === doc.json.data.message_id);
      const dm = gotDoc.message.documentMessage ?? gotDoc.message.documentWithCaptionMessage?.message?.documentMessage;
      assert.equal(dm.fileName, 'report.pdf');
      assert.equal(dm.mimetype, 'application/pdf');
      assert.deepEqual(await alice.download(gotDoc), PDF);
      const loc = await send({ to: alicePhone, type: 'location', location: { latitude: -6.1754, longitude: 106.8272, name: 'Monas' } });
      assert.equal(loc.status, 200, loc.text);
      const gotLoc = await alice.waitMessage((m) => m.key.id === loc.json.data.message_id);
      assert.equal(gotLoc.message.locationMessage.name, 'Monas');
      assert.ok(Math.abs(gotLoc.message.locationMessage.degreesLatitude + 6.1754) < 1e-6);
      const card = await send({ to: alicePhone, type: 'contact', contact: { name: 'Budi', phone: '+62 811 2222' } });
      assert.equal(card.status, 200, card.text);
      const gotCard = await alice.waitMessage((m) => m.key.id === card.json.data.message_id);
      assert.equal(gotCard.message.contactMessage.displayName, 'Budi');
      assert.match(gotCard.message.contactMessage.vcard, /waid=628112222/);
      const logged = (await call(gw, 'GET', `/api/v1/sessions/${sessionId}/messages/${doc.json.data.message_id}`, { token: user.token })).json.data;
      assert.equal(logged.type, 'document');

      // media_url refusals: cloud metadata (directly and by redirect), too large, not found.
      const meta = await send({ to: alicePhone, type: 'image', media_url: 'http://169.254.169.254/latest/meta-data/' });
      assert.equal(meta.status, 400, meta.text);
      assert.match(meta.json.message, /media_url/);
      const redirect = await send({ to: alicePhone, type: 'image', media_url: `${filesUrl}/to-metadata` });
      assert.equal(redirect.status, 400, redirect.text);
      const big = await send({ to: alicePhone, type: 'image', media_url: `${filesUrl}/big` });
      assert.equal(big.status, 413, big.text);
      const bigB64 = await send({ to: alicePhone, type: 'image', mimetype: 'image/png', media_base64: Buffer.alloc(70 * 1024).toString('base64') });
      assert.equal(bigB64.status, 413, bigB64.text);
      const missing = await send({ to: alicePhone, type: 'image', media_url: `${filesUrl}/nothing.png` });
      assert.equal(missing.status, 400, missing.text);
    });

    test('typing: the peer sees "typing…" before the text when asked for', async () => {
      const startedAt = Date.now();
      const r = await send({ to: alicePhone, content: 'thinking about it… done', typing: true });
      assert.equal(r.status, 200, r.text);
      const got = await alice.waitMessage((m) => m.key.id === r.json.data.message_id);
      const arrivedAt = Date.now();
      assert.ok(got);
      const composing = alice.presences.find((u) => u.at >= startedAt && Object.values(u.presences).some((v) => v.lastKnownPresence === 'composing'));
      assert.ok(composing && composing.at <= arrivedAt, `typing shown first: ${JSON.stringify(alice.presences.slice(-3))}`);
      assert.ok(arrivedAt - startedAt >= 800, 'the text waited for the typing time');
    });

    test('refusals: not on WhatsApp 404, not connected 409, other users 404, bad fields 400', async () => {
      const nobody = await send({ to: '6281799999999', content: 'anyone?' });
      assert.equal(nobody.status, 404, nobody.text);
      assert.match(nobody.json.message, /6281799999999 is not on WhatsApp/);
      const stopped = await send({ to: alicePhone, content: 'hi' }, user.token, stoppedId);
      assert.equal(stopped.status, 409, stopped.text);
      assert.match(stopped.json.message, /not connected/);
      assert.equal(stopped.json.error.details.status, 'disconnected');
      const foreign = await send({ to: alicePhone, content: 'hi' }, other.token);
      assert.equal(foreign.status, 404, foreign.text);
      const unknownQuote = await send({ to: alicePhone, content: 'hi', quoted_message_id: 'NOT-A-MESSAGE' });
      assert.equal(unknownQuote.status, 400);
      assert.ok(unknownQuote.json.error.details.quoted_message_id);

      const bad = async (body, field, pattern) => {
        const r = await send(body);
        assert.equal(r.status, 400, `${JSON.stringify(body)} -> ${r.text}`);
        assert.ok(r.json.error.details[field], `${field} named in ${r.text}`);
        if (pattern) assert.match(r.json.error.details[field], pattern);
      };
      await bad({ content: 'no recipient' }, 'to', /required/);
      await bad({ to: 'abc', content: 'x' }, 'to');
      await bad({ to: '123@broadcast', content: 'x' }, 'to');
      await bad({ to: alicePhone, type: 'fax', content: 'x' }, 'type', /text, image, document, audio, video, sticker, location, contact/);
      await bad({ to: alicePhone, type: 'text' }, 'content', /required/);
      await bad({ to: alicePhone, content: 42 }, 'content', /string/);
      await bad({ to: alicePhone, content: 'x'.repeat(65537) }, 'content');
      await bad({ to: alicePhone, content: 'x', mentions: 'carol' }, 'mentions');
      await bad({ to: alicePhone, content: 'x', mentions: ['carol'] }, 'mentions');
      await bad({ to: alicePhone, content: 'x', shout: true }, 'shout', /unknown/);
      await bad({ to: alicePhone, type: 'image', media_base64: '%%%' , mimetype: 'image/png' }, 'media_base64', /base64/);
      await bad({ to: alicePhone, type: 'image' }, 'media_url', /media_url or media_base64/);
      await bad({ to: alicePhone, type: 'location', location: { latitude: 91, longitude: 0 } }, 'location.latitude');
      await bad({ to: alicePhone, type: 'contact', contact: { phone: '628' } }, 'contact.name');
      await bad({ to: alicePhone, content: 'x', typing: 'yes' }, 'typing');
      const notJson = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/send`, { token: user.token, body: '{"to":', headers: { 'content-type': 'application/json' } });
      assert.equal(notJson.status, 400);
      // Nothing of the above was sent or logged.
      const out = (await call(gw, 'GET', `/api/v1/sessions/${sessionId}/messages?direction=outgoing&limit=200`, { token: user.token })).json.data.messages;
      assert.ok(!out.some((m) => m.content === 'anyone?' || m.content === 'no recipient'));
    });

    test('an API key sends (as n8n would), is refused once deleted, and reaches no other user', async () => {
      const created = await call(gw, 'POST', '/api/v1/api-keys', { token: user.token, body: { name: 'n8n', session_ids: [sessionId] } });
      assert.equal(created.status, 201, created.text);
      const { key, id } = created.json.data;
      const viaKey = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/send`, { headers: { 'x-api-key': key }, body: { to: alicePhone, content: 'sent with an API key' } });
      assert.equal(viaKey.status, 200, viaKey.text);
      assert.equal(textOf(await alice.waitMessage((m) => m.key.id === viaKey.json.data.message_id)), 'sent with an API key');
      const otherKey = (await call(gw, 'POST', '/api/v1/api-keys', { token: other.token, body: { name: 'theirs' } })).json.data.key;
      const foreign = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/send`, { headers: { 'x-api-key': otherKey }, body: { to: alicePhone, content: 'not mine' } });
      assert.equal(foreign.status, 404, foreign.text);
      assert.equal((await call(gw, 'DELETE', `/api/v1/api-keys/${id}`, { token: user.token })).status, 200);
      const revoked = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/send`, { headers: { authorization: `Bearer ${key}` }, body: { to: alicePhone, content: 'after revocation' } });
      assert.equal(revoked.status, 401, revoked.text);
    });

    test('the send rate limit answers 429 with Retry-After and sends nothing more', async () => {
      let limited;
      let sent = 0;
      for (let i = 0; i < SEND_RATE + 1 && !limited; i++) {
        const r = await send({ to: alicePhone, content: `burst ${i}` });
        if (r.status === 429) limited = r;
        else { assert.equal(r.status, 200, r.text); sent++; }
      }
      assert.ok(limited, 'the limit was reached');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.match(limited.json.message, /SEND_RATE_PER_MINUTE/);
      await sleep(1000);
      const bursts = alice.inbox.filter((m) => /^burst \d+$/.test(textOf(m) ?? ''));
      assert.equal(bursts.length, sent, 'every accepted send arrived and no refused one');
    });
  });
}

lastTestNoSanitizerReports();
