// Media URLs: the real binary serves stored media under signed, expiring URLs. The test
// stores files as the store does (a row through the database's own client, the file under
// DATA_DIR/media) to control their names and types, and asks the binary's `media-url` command for
// the signed URL, as an operator would (incoming_media.test.mjs covers files stored by the
// pipeline). On SQLite and PostgreSQL.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  bodyOf, call, dialects, gatewayBin, generatePin, login, rawRequest, sleep, sql, startGateway,
  statusOf,
} from './harness.mjs';

/** Stores `bytes` for `sessionId` like media::Store::save does; returns the id. */
function storeMedia(gw, sessionId, bytes, { mimetype = 'image/png', fileName = 'photo.png' } = {}) {
  const id = randomBytes(16).toString('hex');
  const dir = path.join(gw.dir, 'media');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, id), bytes);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const q = (s) => `'${s.replace(/'/g, "''")}'`;
  sql(gw, `INSERT INTO media (id, session_id, mimetype, file_name, size_bytes, sha256, created_ms)
           VALUES (${q(id)}, ${q(sessionId)}, ${q(mimetype)}, ${q(fileName)}, ${bytes.length},
                   ${q(sha)}, ${Date.now()})`);
  return id;
}

/** `wa-gateway media-url <id>` with the gateway's configuration (plus `env`). */
function mediaUrl(gw, id, env = {}) {
  return spawnSync(gatewayBin, ['media-url', id], {
    env: { ...gw.env, ...env }, cwd: gw.dir, encoding: 'utf8',
  });
}

function signedPath(gw, id, env = {}) {
  const r = mediaUrl(gw, id, env);
  assert.equal(r.status, 0, `media-url failed: ${r.stderr}`);
  return r.stdout.trim();
}

for (const dialect of dialects()) {
  describe(`media URLs on ${dialect}`, () => {
    let gw;
    let sessionId;
    let id;
    let url;
    const bytes = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), randomBytes(5000)]);

    before(async () => {
      gw = await startGateway({ dialect });
      const token = await login(gw, (await generatePin(gw)).pin);
      const r = await call(gw, 'POST', '/api/v1/sessions', {
        token, body: { session_name: 'media bot', webhook_url: 'http://127.0.0.1:9/hook' },
      });
      assert.equal(r.status, 201, r.text);
      sessionId = r.json.data.session_id;
      id = storeMedia(gw, sessionId, bytes, { fileName: 'café photo.png' });
      url = signedPath(gw, id);
    });
    after(async () => {
      const r = await gw.stop();
      assert.equal(r.code, 0, `exit code after SIGTERM; stderr:\n${gw.stderr}`);
      await gw.cleanup();
    });

    test('media-url prints a signed URL, relative without PUBLIC_URL, absolute with it', () => {
      assert.match(url, new RegExp(`^/media/${id}\\?exp=\\d+&sig=[0-9a-f]{64}$`));
      const exp = Number(new URL(url, gw.base).searchParams.get('exp'));
      const week = 7 * 24 * 3600;
      assert.ok(Math.abs(exp - (Date.now() / 1000 + week)) < 60, 'valid for MEDIA_URL_TTL_SECONDS');
      const abs = signedPath(gw, id, { PUBLIC_URL: 'https://gw.example.com/' });
      assert.match(abs, new RegExp(`^https://gw\\.example\\.com/media/${id}\\?exp=\\d+&sig=`));

      const unknown = mediaUrl(gw, randomBytes(16).toString('hex'));
      assert.equal(unknown.status, 1);
      assert.match(unknown.stderr, /no stored media with id/);
      const bad = mediaUrl(gw, '../gateway.db');
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /32 lower-case hexadecimal/);
    });

    test('a signed URL serves the exact bytes with their type and name', async () => {
      const res = await fetch(gw.base + url);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.equal(res.headers.get('content-length'), String(bytes.length));
      assert.equal(res.headers.get('accept-ranges'), 'bytes');
      assert.equal(res.headers.get('content-disposition'),
        `inline; filename="caf_ photo.png"; filename*=UTF-8''caf%C3%A9%20photo.png`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('content-security-policy'), "sandbox; default-src 'none'");
      const maxAge = Number(/^private, max-age=(\d+)$/.exec(res.headers.get('cache-control'))[1]);
      assert.ok(maxAge > 7 * 24 * 3600 - 120 && maxAge <= 7 * 24 * 3600, `max-age ${maxAge}`);
      assert.ok(res.headers.get('etag'));
    });

    test('single ranges get 206, ranges outside the file 416, others the whole file', async () => {
      const get = (range, headers = {}) => fetch(gw.base + url, { headers: { range, ...headers } });
      let res = await get('bytes=2-9');
      assert.equal(res.status, 206);
      assert.equal(res.headers.get('content-range'), `bytes 2-9/${bytes.length}`);
      assert.equal(res.headers.get('content-length'), '8');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes.subarray(2, 10));

      res = await get('bytes=-100');
      assert.equal(res.status, 206);
      assert.equal(res.headers.get('content-range'),
        `bytes ${bytes.length - 100}-${bytes.length - 1}/${bytes.length}`);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes.subarray(bytes.length - 100));

      res = await get(`bytes=${bytes.length - 1}-`);
      assert.equal(res.status, 206);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes.subarray(bytes.length - 1));

      res = await get(`bytes=${bytes.length}-`);
      assert.equal(res.status, 416);
      assert.equal(res.headers.get('content-range'), `bytes */${bytes.length}`);
      assert.equal((await res.json()).error.code, 'range_not_satisfiable');

      for (const ignored of ['bytes=0-1,5-6', 'lines=1-2', 'bytes=9-2']) {
        res = await get(ignored);
        assert.equal(res.status, 200, ignored);
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes, ignored);
      }
      const etag = (await fetch(gw.base + url)).headers.get('etag');
      res = await get('bytes=0-0', { 'if-range': etag });
      assert.equal(res.status, 206);
      await res.arrayBuffer();
      res = await get('bytes=0-0', { 'if-range': '"another-version"' });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    });

    test('HEAD answers the headers of the GET without a body', async () => {
      const { port } = new URL(gw.base);
      const target = url;
      let raw = await rawRequest(port,
        `HEAD ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(raw), 200, raw);
      assert.match(raw, new RegExp(`\r\nContent-Length: ${bytes.length}\r\n`, 'i'));
      assert.match(raw, /\r\nContent-Type: image\/png\r\n/i);
      assert.equal(bodyOf(raw), '', 'no body after the header');
      raw = await rawRequest(port,
        `HEAD ${target} HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(raw), 206, raw);
      assert.match(raw, /\r\nContent-Length: 10\r\n/i);
      assert.equal(bodyOf(raw), '');
      // Keep-alive: a GET after a HEAD on the same connection reads its own answer.
      raw = await rawRequest(port, [
        `HEAD ${target} HTTP/1.1\r\nHost: x\r\n\r\n`,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\nConnection: close\r\n\r\n`,
      ]);
      const answers = raw.split(/(?=HTTP\/1\.1 )/);
      assert.equal(answers.length, 2, raw);
      assert.equal(statusOf(answers[1]), 206);
      assert.equal(Buffer.from(bodyOf(answers[1]), 'latin1').toString('hex'),
        bytes.subarray(0, 4).toString('hex'));
    });

    test('a forged, incomplete or expired signature is 403', async () => {
      const u = new URL(url, gw.base);
      const sig = u.searchParams.get('sig');
      const exp = u.searchParams.get('exp');
      const flipped = (sig[0] === '0' ? '1' : '0') + sig.slice(1);
      const cases = {
        [`/media/${id}?exp=${exp}&sig=${flipped}`]: /invalid media URL signature/,
        [`/media/${id}?exp=${Number(exp) + 1}&sig=${sig}`]: /invalid media URL signature/,
        [`/media/${id}?exp=${exp}`]: /needs the exp and sig/,
        [`/media/${id}`]: /needs the exp and sig/,
        [`/media/${id}?exp=${exp}&sig=${sig.slice(2)}`]: /malformed/,
      };
      const otherId = storeMedia(gw, sessionId, Buffer.from('other'));
      cases[`/media/${otherId}?exp=${exp}&sig=${sig}`] = /invalid media URL signature/;
      for (const [p, message] of Object.entries(cases)) {
        const r = await call(gw, 'GET', p);
        assert.equal(r.status, 403, p);
        assert.equal(r.json.success, false);
        assert.equal(r.json.error.code, 'forbidden');
        assert.match(r.json.message, message, p);
      }

      const short = signedPath(gw, id, { MEDIA_URL_TTL_SECONDS: '1' });
      assert.equal((await fetch(gw.base + short)).status, 200);
      await sleep(2100);
      const r = await call(gw, 'GET', short);
      assert.equal(r.status, 403);
      assert.match(r.json.message, /expired/);
    });

    test('an unknown or deleted file is 404; a deleted session takes its media along', async () => {
      assert.equal((await call(gw, 'GET', `/media/not-an-id?exp=1&sig=${'0'.repeat(64)}`)).status, 404);

      const gone = storeMedia(gw, sessionId, Buffer.from('soon gone'));
      const goneUrl = signedPath(gw, gone);
      assert.equal((await fetch(gw.base + goneUrl)).status, 200);
      sql(gw, `DELETE FROM media WHERE id = '${gone}'`);
      let r = await call(gw, 'GET', goneUrl);
      assert.equal(r.status, 404);
      assert.equal(r.json.message, 'media not found');

      const token = await login(gw, (await generatePin(gw)).pin);
      const s = await call(gw, 'POST', '/api/v1/sessions', {
        token, body: { session_name: 'short-lived', webhook_url: 'http://127.0.0.1:9/hook' },
      });
      const own = storeMedia(gw, s.json.data.session_id, Buffer.from('of a session that goes'));
      const ownUrl = signedPath(gw, own);
      assert.equal((await fetch(gw.base + ownUrl)).status, 200);
      assert.equal((await call(gw, 'DELETE', `/api/v1/sessions/${s.json.data.session_id}`, { token })).status, 200);
      assert.deepEqual(sql(gw, `SELECT COUNT(*) FROM media WHERE id = '${own}'`), [['0']]);
      r = await call(gw, 'GET', ownUrl);
      assert.equal(r.status, 404);
    });
  });
}

test('a MEDIA_URL_TTL_SECONDS longer than the retention is refused, naming it', () => {
  const bad = spawnSync(gatewayBin, ['media-url', '0'.repeat(32)], {
    env: { PATH: process.env.PATH, DATA_DIR: '/nonexistent-dir', MEDIA_RETENTION_DAYS: '1',
      MEDIA_URL_TTL_SECONDS: '2d' },
    encoding: 'utf8',
  });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /MEDIA_URL_TTL_SECONDS.*MEDIA_RETENTION_DAYS/);
});
