// The QR modal when nobody scans in time, in Debian's Chromium against the real gateway and the
// project's emulator: the gateway gives up (status_reason qr_timeout), the modal says so and offers
// "Refresh QR", which starts a new round with a new code; the phone scans that one and the session
// connects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call, startGateway } from '../../tests/integration/harness.mjs';
import { createSession, newUser, startEmulator, waitSession } from '../../tests/integration/wa_env.mjs';
import { axeCheck, launch, newPage, shoot, textOf } from './browser.mjs';

const PHONE = '6281366600001';
let emu, gw, browser, page, tmp;

before(async () => {
  emu = await startEmulator();
  // One short QR window per start, so the test sees the gateway give up.
  gw = await startGateway({ env: { ...emu.env, WHATSAPP_QR_TIMEOUT_SECONDS: '4s', WHATSAPP_QR_REFRESH_SECONDS: '4s', RATE_LIMIT_PER_MINUTE: '100000' } });
  browser = await launch();
  page = await newPage(browser);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'qr-expiry-'));
});

after(async () => {
  await browser?.close();
  await gw?.cleanup();
  await emu?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function decodeQrOnScreen() {
  const el = await page.$('[data-testid=qr-code]');
  const file = path.join(tmp, 'qr.png');
  writeFileSync(file, await el.screenshot({ type: 'png' }));
  return execFileSync('zbarimg', ['-q', '--raw', file], { encoding: 'utf8' }).trim();
}

test('every QR code runs out: the modal says so, Refresh QR shows a new code that links', { timeout: 90_000 }, async () => {
  const user = await newUser(gw);
  const { session_id: id } = await createSession(gw, user.token, 'Slow scanner');
  await page.evaluateOnNewDocument((t) => {
    localStorage.setItem('wa.token', t);
    localStorage.setItem('wa.lang', 'en');
  }, user.token);
  await page.goto(`${gw.base}/dashboard`, { waitUntil: 'networkidle0' });
  await page.click('[data-testid=start]');
  await page.waitForSelector('[data-testid=qr-code][data-expired=false] svg', { timeout: 20000 });
  const first = await decodeQrOnScreen();

  // Nobody scans: the gateway stops waiting and the modal tells the user, with the Refresh button.
  await waitSession(gw, user.token, id, (d) => d.status === 'disconnected' && d.status_reason === 'qr_timeout', { what: 'qr_timeout' });
  await page.waitForSelector('[data-testid=qr-refresh]', { timeout: 10000 });
  assert.equal(await textOf(page, '[data-testid=qr-modal] [role=status]'), 'The QR codes expired before anyone scanned them.');
  assert.equal(await page.$('[data-testid=qr-code][data-expired=false]'), null, 'no live QR code is left on screen');
  await axeCheck(page, 'qr timed out');
  await shoot(page, '14-qr-timed-out', { mobile: false });

  // Refresh QR: a new round, a different code on screen, which the phone scans.
  await page.click('[data-testid=qr-refresh]');
  await page.waitForSelector('[data-testid=qr-code][data-expired=false] svg', { timeout: 20000 });
  const second = await decodeQrOnScreen();
  assert.notEqual(second, first, 'the refreshed QR is a new code');
  const live = await call(gw, 'GET', `/api/v1/sessions/${id}/qr`, { token: user.token });
  assert.equal(live.json.data.qr_text, second);
  await emu.scan(PHONE, second);
  await page.waitForSelector('[data-testid=qr-success]', { timeout: 30000 });
  await page.waitForSelector('[data-testid=session-card][data-status=connected]', { timeout: 15000 });
  assert.deepEqual(page.problems, []);
});
