// How the gateway serves the built dashboard: SPA fallback, caching, types, gzip, CSP, and the
// API's own 404s untouched. Needs frontend/dist (npm run build -w frontend).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { call, rawRequest, startGateway, statusOf } from '../../tests/integration/harness.mjs';
import { frontendDir } from './browser.mjs';

let gw;
before(async () => {
  gw = await startGateway();
});
after(async () => {
  await gw?.cleanup();
});

test('index.html at / and at page routes, no-cache, strict CSP', async () => {
  for (const p of ['/', '/login', '/dashboard', '/analytics/0b7e1c2a-0000-4000-8000-000000000000', '/sessions/x']) {
    const r = await fetch(gw.base + p);
    assert.equal(r.status, 200, p);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8', p);
    assert.equal(r.headers.get('cache-control'), 'no-cache', p);
    const csp = r.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /connect-src 'self';/);
    assert.match(csp, /frame-ancestors 'none'/);
    const html = await r.text();
    assert.match(html, /<div id="root">/);
    assert.doesNotMatch(html, /<script>(?!<\/script>)/, 'no inline script');
  }
});

test('hashed assets: long cache, right type, gzip, 304', async () => {
  const assets = readdirSync(path.join(frontendDir, 'dist/assets'));
  const js = assets.find((f) => f.startsWith('index-') && f.endsWith('.js'));
  const css = assets.find((f) => f.endsWith('.css'));
  let r = await fetch(`${gw.base}/assets/${js}`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/javascript; charset=utf-8');
  assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(r.headers.get('content-encoding'), 'gzip');
  assert.equal(r.headers.get('content-security-policy'), null);
  assert.ok((await r.text()).length > 1000);
  const etag = r.headers.get('etag');
  r = await fetch(`${gw.base}/assets/${js}`, { headers: { 'if-none-match': etag } });
  assert.equal(r.status, 304);
  r = await fetch(`${gw.base}/assets/${css}`);
  assert.equal(r.headers.get('content-type'), 'text/css; charset=utf-8');
  r = await fetch(`${gw.base}/favicon.svg`);
  assert.equal(r.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
  // A missing asset is a 404, never index.html.
  r = await fetch(`${gw.base}/assets/index-gone.js`);
  assert.equal(r.status, 404);
  assert.equal(r.headers.get('content-type'), 'application/json');
});

test('the API, WebSocket, media, metrics and health keep their answers', async () => {
  let r = await call(gw, 'GET', '/api/v1/nope');
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'not_found');
  r = await call(gw, 'GET', '/api/whatever/page');
  assert.equal(r.status, 404);
  assert.equal(r.json.success, false);
  r = await call(gw, 'GET', '/media/nothing');
  assert.equal(r.status, 404);
  r = await call(gw, 'GET', '/ws/nowhere');
  assert.equal(r.status, 404);
  assert.equal((await call(gw, 'GET', '/health')).status, 200);
  assert.equal((await call(gw, 'POST', '/dashboard')).status, 404);
});

test('no path reaches outside the site', async () => {
  for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fetc%2fpasswd', '/.env', '/assets/%00.js']) {
    const raw = await rawRequest(gw.port, [`GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
    const status = statusOf(raw);
    assert.ok(status === 404 || status === 400, `${p}: ${status}`);
    assert.doesNotMatch(raw, /root:x:0:0/);
  }
});
