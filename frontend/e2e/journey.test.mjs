// The dashboard in a real headless Chromium (Debian's) against the real gateway binary and the
// project's WhatsApp emulator: generate a PIN, copy it, log in, create a session, start it, read
// the QR code off the screen (zbarimg) and scan it with the emulator, watch the card turn green,
// rename the session, read the analytics charts of seeded traffic, switch to Bahasa Indonesia,
// log out. axe-core on every page; screenshots (desktop and 375 px) in artifacts/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call, sql, startGateway } from '../../tests/integration/harness.mjs';
import { startEmulator } from '../../tests/integration/wa_env.mjs';
import { axeCheck, launch, newPage, shoot, textOf } from './browser.mjs';

const PHONE = '6281234567890';
let emu, gw, browser, page, tmp;

before(async () => {
  emu = await startEmulator();
  // No DASHBOARD_DIR: the binary finds frontend/dist from its own location.
  gw = await startGateway({ env: { ...emu.env, GENERATE_PIN_PER_HOUR: '1000', RATE_LIMIT_PER_MINUTE: '100000' } });
  browser = await launch();
  await browser.defaultBrowserContext().overridePermissions(gw.base, ['clipboard-read', 'clipboard-write', 'clipboard-sanitized-write']);
  page = await newPage(browser);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'dash-e2e-'));
});

after(async () => {
  await browser?.close();
  await gw?.cleanup();
  await emu?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const token = () => page.evaluate(() => localStorage.getItem('wa.token'));
const url = () => new URL(page.url()).pathname;

/** Decodes the QR code shown in the element with zbarimg (the pixels, not the DOM). */
async function decodeQrOnScreen(selector) {
  const el = await page.$(selector);
  const file = path.join(tmp, 'qr.png');
  writeFileSync(file, await el.screenshot({ type: 'png' }));
  return execFileSync('zbarimg', ['-q', '--raw', file], { encoding: 'utf8' }).trim();
}

test('the whole journey, in English then Bahasa Indonesia', { timeout: 150_000 }, async () => {
  // Generate PIN (/).
  await page.goto(`${gw.base}/`, { waitUntil: 'networkidle0' });
  assert.equal(await page.$eval('html', (h) => h.lang), 'en');
  await axeCheck(page, 'generate pin');
  await shoot(page, '01-generate-pin');
  await page.click('[data-testid=generate-pin]');
  const pin = await textOf(page, '[data-testid=pin]');
  assert.match(pin, /^[A-Z0-9]{6}$/);
  await page.click('[data-testid=copy-pin]');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, pin);
  await axeCheck(page, 'generated pin');
  await shoot(page, '02-pin-generated');

  // Login: a wrong PIN shows the API's message beside the field, then the copied PIN works.
  await page.goto(`${gw.base}/login`, { waitUntil: 'networkidle0' });
  await page.type('[data-testid=pin-input]', 'abc');
  await page.click('[data-testid=login-submit]');
  await page.waitForSelector('[role=alert]');
  await page.$eval('[data-testid=pin-input]', (i) => {
    i.select();
  });
  await page.type('[data-testid=pin-input]', 'ZZZZZ9');
  await page.click('[data-testid=login-submit]');
  await page.waitForFunction(() => document.querySelector('[role=alert]')?.textContent.includes('invalid PIN'));
  await axeCheck(page, 'login with error');
  await shoot(page, '03-login');
  await page.$eval('[data-testid=pin-input]', (i) => i.select());
  await page.type('[data-testid=pin-input]', copied);
  await page.click('[data-testid=login-submit]');
  await page.waitForSelector('[data-testid=empty-state]');
  assert.equal(url(), '/dashboard');
  await axeCheck(page, 'empty dashboard');
  await shoot(page, '04-dashboard-empty');

  // New session: the form checks before sending, then the API creates it.
  await page.click('[data-testid=new-session]');
  await page.waitForSelector('[data-testid=session-form]');
  await page.type('[data-testid=session-name]', 'Support bot');
  await page.type('[data-testid=session-webhook]', 'ftp://nope');
  await page.click('[data-testid=session-save]');
  await page.waitForFunction(() => document.querySelector('[data-testid=session-form] [role=alert]'));
  await axeCheck(page, 'new session modal');
  await shoot(page, '05-new-session-modal');
  await page.$eval('[data-testid=session-webhook]', (i) => i.select());
  await page.type('[data-testid=session-webhook]', 'http://127.0.0.1:9/hook');
  await page.click('[data-testid=session-save]');
  await page.waitForSelector('[data-testid=session-card]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=session-form]'));
  const sessionId = await page.$eval('[data-testid=session-card]', (c) => c.dataset.sessionId);

  // Start: the QR modal shows the session's QR code, decoded from the pixels.
  await page.click('[data-testid=start]');
  await page.waitForSelector('[data-testid=qr-code] svg', { timeout: 20000 });
  const auth = await token();
  const live = await call(gw, 'GET', `/api/v1/sessions/${sessionId}/qr`, { token: auth });
  assert.equal(live.status, 200, live.text);
  const decoded = await decodeQrOnScreen('[data-testid=qr-code]');
  assert.equal(decoded, live.json.data.qr_text);
  assert.match(await textOf(page, '[data-testid=qr-modal] [role=status]'), /expires in \d+ s/);
  await axeCheck(page, 'qr modal');
  await shoot(page, '06-qr-modal');

  // The emulator's phone scans what the screen shows: success, the modal closes by itself, the
  // card turns green with the number.
  await emu.scan(PHONE, decoded);
  await page.waitForSelector('[data-testid=qr-success]', { timeout: 30000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid=qr-modal]'), { timeout: 10000 });
  await page.waitForSelector('[data-testid=session-card][data-status=connected]');
  assert.equal(await textOf(page, '[data-testid=session-phone]'), `+${PHONE}`);
  assert.equal(await page.$eval('[data-testid=status-badge]', (b) => b.dataset.status), 'connected');
  const border = await page.$eval('[data-testid=session-card]', (c) => getComputedStyle(c).borderLeftColor);
  assert.equal(border, 'rgb(16, 185, 129)'); // emerald-500

  // Edit the name.
  await page.click('[data-testid=edit]');
  await page.waitForSelector('[data-testid=session-form]');
  await page.$eval('[data-testid=session-name]', (i) => i.select());
  await page.type('[data-testid=session-name]', 'Sales bot');
  await page.click('[data-testid=session-save]');
  await page.waitForFunction(() => document.querySelector('[data-testid=session-title]')?.textContent === 'Sales bot');
  await axeCheck(page, 'dashboard with a connected session');
  await shoot(page, '07-dashboard-connected');

  // Analytics of seeded traffic (rows written as the inbound path writes them; the rollup
  // triggers do the rest).
  const day = (n, h) => new Date(Date.now() - n * 86400000).toISOString().slice(0, 11) + `${String(h).padStart(2, '0')}:15:00.000Z`;
  const rows = [];
  const types = ['text', 'text', 'text', 'image', 'document', 'audio', 'text', 'video'];
  for (let i = 0; i < 24; i++) {
    const ok = i % 5 !== 0;
    rows.push(`('${sessionId}', 'SEED${i}', '${types[i % types.length]}', ${i % 3 === 0 ? 1 : 0}, ${i % 6 === 0 ? 1 : 0}, 1, ${ok ? 1 : 0}, ${ok ? 300 + i * 10 : 'NULL'}, ${ok ? 'NULL' : "'HTTP 500'"}, '${day(1 + (i % 6), 8 + (i % 10))}')`);
  }
  sql(gw, 'INSERT INTO analytics (session_id, message_id, message_type, is_group, is_mention, webhook_sent, webhook_success, '
    + `webhook_response_time_ms, error_message, created_at) VALUES ${rows.join(', ')}`);
  await page.click('[data-testid=analytics]');
  await page.waitForSelector('[data-testid=chart-line] .recharts-line path', { timeout: 15000 });
  assert.equal(url(), `/analytics/${sessionId}`);
  await page.waitForSelector('[data-testid=chart-pie] .recharts-pie-sector');
  await page.waitForSelector('[data-testid=chart-peak] .recharts-bar-rectangle');
  await page.waitForSelector('[data-testid=chart-types] .recharts-bar-rectangle');
  const chartWidths = () => page.$$eval('.recharts-wrapper', (w) => w.map((x) => Math.round(x.getBoundingClientRect().width)));
  for (const w of await chartWidths()) assert.ok(w >= 300, `a chart fills its card at 1280 px: ${w}`);
  assert.match(await textOf(page, '[data-testid=stat-total]'), /24/);
  const tableRows = await page.$$eval('[data-testid=daily-table] tbody tr', (r) => r.length);
  assert.equal(tableRows, 30);
  await page.click('[data-testid=range-7d]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=daily-table] tbody tr').length === 7);
  await axeCheck(page, 'analytics');
  await shoot(page, '08-analytics');

  // Session detail and API keys render (and pass axe).
  await page.goto(`${gw.base}/sessions/${sessionId}`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('[data-testid=webhook-secret]');
  await page.waitForFunction(() => !document.body.textContent.includes('Loading…'));
  await axeCheck(page, 'session detail');
  await shoot(page, '09-session-detail');
  await page.goto(`${gw.base}/api-keys`, { waitUntil: 'networkidle0' });
  await page.click('[data-testid=new-key]');
  await page.waitForSelector('[data-testid=key-form] input');
  await page.type('[data-testid=key-form] input', 'n8n');
  await page.click('[data-testid=key-form] button[type=submit]');
  const key = await textOf(page, '[data-testid=new-key-value]');
  assert.match(key, /^wag_/);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('[data-testid=new-key-value]'));
  await axeCheck(page, 'api keys');
  await shoot(page, '10-api-keys');

  // Bahasa Indonesia.
  await page.goto(`${gw.base}/dashboard`, { waitUntil: 'networkidle0' });
  await page.click('[data-testid=lang-id]');
  await page.waitForFunction(() => document.documentElement.lang === 'id');
  assert.equal(await textOf(page, 'h1'), 'Sesi');
  assert.equal(await textOf(page, '[data-testid=new-session]'), 'Sesi baru');
  assert.equal(await textOf(page, '[data-testid=status-badge]'), 'Terhubung');
  await axeCheck(page, 'dashboard in Indonesian');
  await shoot(page, '11-dashboard-id');

  // Log out; a protected page sends back to the login.
  await page.click('[data-testid=logout]');
  await page.waitForFunction(() => location.pathname === '/login');
  assert.equal(await token(), null);
  assert.equal((await call(gw, 'GET', '/api/v1/auth/me', { token: auth })).status, 401);
  await page.goto(`${gw.base}/analytics/${sessionId}`, { waitUntil: 'networkidle0' });
  assert.equal(url(), '/login');
  assert.equal(await textOf(page, 'h1'), 'Masuk dengan PIN Anda');

  // Chrome logs every 4xx as a console error: the deliberately wrong PIN above is the only one.
  const wrongPin = /status of 401 .*\/api\/v1\/auth\/login$/;
  assert.equal(page.problems.filter((x) => wrongPin.test(x)).length, 1);
  assert.deepEqual(page.problems.filter((x) => !wrongPin.test(x)), [], 'no console errors, exceptions or CSP violations');
});

test('linking with a phone number: the 8-character code, entered on the phone, connects', { timeout: 60_000 }, async () => {
  const phone = '6289876543210';
  const p = await newPage(browser);
  const pin = (await call(gw, 'POST', '/api/v1/auth/generate-pin')).json.data.pin;
  const tok = (await call(gw, 'POST', '/api/v1/auth/login', { basic: `${pin}:` })).json.data.token;
  const created = await call(gw, 'POST', '/api/v1/sessions', { token: tok, body: { session_name: 'By phone', webhook_url: 'http://127.0.0.1:9/h' } });
  assert.equal(created.status, 201, created.text);
  await p.evaluateOnNewDocument((t) => {
    localStorage.setItem('wa.token', t);
    localStorage.setItem('wa.lang', 'en');
  }, tok);
  await p.goto(`${gw.base}/dashboard`, { waitUntil: 'networkidle0' });
  await p.click('[data-testid=start]');
  await p.waitForSelector('[data-testid=qr-code] svg', { timeout: 20000 });
  const [tab] = await p.$$('xpath/.//button[@role="tab"][contains(., "phone number")]');
  await tab.click();
  await p.type('[data-testid=pair-phone]', '12ab');
  await p.click('[data-testid=pair-submit]');
  await p.waitForFunction(() => document.querySelector('[data-testid=qr-modal] [role=alert]'));
  await p.$eval('[data-testid=pair-phone]', (i) => i.select());
  await p.type('[data-testid=pair-phone]', `+${phone}`);
  await emu.control('POST', '/accounts', { phone });
  await p.click('[data-testid=pair-submit]');
  const code = await textOf(p, '[data-testid=pair-code]', 25000);
  assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  await axeCheck(p, 'pairing code');
  await shoot(p, '12-pairing-code');
  const linked = await emu.control('POST', `/accounts/${phone}/link-code`, { code });
  assert.equal(linked.status, 200, JSON.stringify(linked.body));
  await p.waitForSelector('[data-testid=qr-success]', { timeout: 30000 });
  await p.waitForSelector('[data-testid=session-card][data-status=connected]', { timeout: 10000 });
  assert.equal(await textOf(p, '[data-testid=session-phone]'), `+${phone}`);
  // Delete asks first (Escape keeps the session), then logs the device out and removes the card.
  await p.waitForFunction(() => !document.querySelector('[data-testid=qr-modal]'), { timeout: 10000 });
  await p.click('[data-testid=delete]');
  await p.waitForSelector('[data-testid=confirm-dialog]');
  await axeCheck(p, 'delete confirmation');
  await shoot(p, '13-delete-confirm', { mobile: false });
  await p.keyboard.press('Escape');
  await p.waitForFunction(() => !document.querySelector('[data-testid=confirm-dialog]'));
  assert.equal((await p.$$('[data-testid=session-card]')).length, 1);
  await p.click('[data-testid=delete]');
  await p.click('[data-testid=confirm]');
  await p.waitForSelector('[data-testid=empty-state]', { timeout: 20000 });
  assert.ok(!(await emu.devices(phone)).some((d) => d.jid), 'the device is gone from the phone');
  assert.deepEqual(p.problems, []);
  await p.close();
});

test('an expired token mid-form returns to the login and keeps what was typed', { timeout: 60_000 }, async () => {
  const p = await newPage(browser);
  const r = await call(gw, 'POST', '/api/v1/auth/generate-pin');
  const pin = r.json.data.pin;
  await p.goto(`${gw.base}/login`, { waitUntil: 'networkidle0' });
  await p.type('[data-testid=pin-input]', pin);
  await p.click('[data-testid=login-submit]');
  await p.waitForSelector('[data-testid=empty-state]');
  await p.click('[data-testid=new-session]');
  await p.type('[data-testid=session-name]', 'Half typed');
  await p.type('[data-testid=session-webhook]', 'https://n8n.example.com/webhook/x');
  // The token is revoked behind the page's back (another tab logged out).
  const tok = await p.evaluate(() => localStorage.getItem('wa.token'));
  assert.equal((await call(gw, 'POST', '/api/v1/auth/logout', { token: tok })).status, 200);
  await p.click('[data-testid=session-save]');
  await p.waitForFunction(() => location.pathname === '/login', { timeout: 10000 });
  assert.match(await textOf(p, '[data-testid=expired]'), /expired|berakhir/); // the language chosen above stays
  await p.type('[data-testid=pin-input]', pin);
  await p.click('[data-testid=login-submit]');
  await p.waitForSelector('[data-testid=new-session]');
  await p.click('[data-testid=new-session]');
  await p.waitForSelector('[data-testid=session-name]');
  assert.equal(await p.$eval('[data-testid=session-name]', (i) => i.value), 'Half typed');
  assert.equal(await p.$eval('[data-testid=session-webhook]', (i) => i.value), 'https://n8n.example.com/webhook/x');
  // The only console errors are the refused requests themselves.
  assert.deepEqual(p.problems.filter((x) => !/401/.test(x)), []);
  await p.close();
});

test("the API's field errors show beside the fields they name", { timeout: 60_000 }, async () => {
  const p = await newPage(browser);
  const pin = (await call(gw, 'POST', '/api/v1/auth/generate-pin')).json.data.pin;
  const tok = (await call(gw, 'POST', '/api/v1/auth/login', { basic: `${pin}:` })).json.data.token;
  await call(gw, 'POST', '/api/v1/sessions', { token: tok, body: { session_name: 'Taken', webhook_url: 'http://127.0.0.1:9/h' } });
  await p.evaluateOnNewDocument((t) => {
    localStorage.setItem('wa.token', t);
    localStorage.setItem('wa.lang', 'en');
  }, tok);
  await p.goto(`${gw.base}/dashboard`, { waitUntil: 'networkidle0' });
  const errorOf = (testId) => p.$eval(`[data-testid=${testId}]`, (input) => {
    const id = input.getAttribute('aria-describedby')?.split(' ').find((x) => x.endsWith('-err'));
    return id ? document.getElementById(id)?.textContent ?? '' : '';
  });
  // A well-formed URL only the server refuses (cloud metadata): its reason appears under the field.
  await p.click('[data-testid=new-session]');
  await p.type('[data-testid=session-name]', 'Fresh name');
  await p.type('[data-testid=session-webhook]', 'http://169.254.169.254/latest/hook');
  await p.click('[data-testid=session-save]');
  await p.waitForFunction(() => document.querySelector('[data-testid=session-webhook]')?.getAttribute('aria-invalid') === 'true', { timeout: 10000 });
  assert.match(await errorOf('session-webhook'), /metadata/i);
  assert.equal(await errorOf('session-name'), '');
  // A name already used: the 409's message appears under the name.
  await p.$eval('[data-testid=session-webhook]', (i) => i.select());
  await p.type('[data-testid=session-webhook]', 'http://127.0.0.1:9/other');
  await p.$eval('[data-testid=session-name]', (i) => i.select());
  await p.type('[data-testid=session-name]', 'Taken');
  await p.click('[data-testid=session-save]');
  await p.waitForFunction(() => document.querySelector('[data-testid=session-name]')?.getAttribute('aria-invalid') === 'true', { timeout: 10000 });
  assert.match(await errorOf('session-name'), /already|exists|taken/i);
  assert.equal(await errorOf('session-webhook'), '');
  await p.close();
});
