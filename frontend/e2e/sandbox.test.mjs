// Sandbox mode in a real headless Chromium (Debian's) against the real gateway binary started
// with --sandbox (which runs the project's emulator): the SANDBOX banner shows, "Scan with the
// sandbox phone" links the session, and the sandbox panel sends a DM as a simulated contact
// whose webhook reply (from a real local receiver) appears in the panel's outbox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { call, generatePin, login, startGateway } from '../../tests/integration/harness.mjs';
import { startReceiver } from '../../tests/integration/receiver.mjs';
import { axeCheck, launch, newPage, shoot, textOf } from './browser.mjs';

let gw, rx, browser, page;

before(async () => {
  rx = await startReceiver();
  rx.respond = (q) => ({ status: 200, body: JSON.stringify({ reply: `echo: ${q.json.message?.content}` }) });
  gw = await startGateway({ args: ['--sandbox'], env: { GENERATE_PIN_PER_HOUR: '1000', RATE_LIMIT_PER_MINUTE: '100000' } });
  browser = await launch();
  page = await newPage(browser);
});

after(async () => {
  await browser?.close();
  await gw?.cleanup();
  await rx?.close();
});

test('banner, scan with the sandbox phone, a DM from the panel and its reply', { timeout: 120_000 }, async () => {
  const token = await login(gw, (await generatePin(gw)).pin);
  const created = await call(gw, 'POST', '/api/v1/sessions', { token, body: { session_name: 'Sandbox bot', webhook_url: rx.url } });
  assert.equal(created.status, 201, created.text);
  const id = created.json.data.session_id;

  await page.goto(`${gw.base}/login`, { waitUntil: 'networkidle0' });
  assert.match(await textOf(page, '[data-testid=sandbox-banner]'), /SANDBOX/);
  await page.evaluate((t) => localStorage.setItem('wa.token', t), token);
  await page.goto(`${gw.base}/dashboard`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('[data-testid=session-card]');
  assert.match(await textOf(page, '[data-testid=sandbox-banner]'), /SANDBOX/);

  // Connect: the QR modal offers the sandbox phone, which links the session.
  await page.click('[data-testid=start]');
  await page.waitForSelector('[data-testid=sandbox-scan]', { timeout: 20000 });
  await axeCheck(page, 'qr modal in sandbox mode');
  await shoot(page, '20-sandbox-qr-modal');
  await page.click('[data-testid=sandbox-scan]');
  await page.waitForSelector('[data-testid=qr-success]', { timeout: 30000 });
  await page.waitForSelector('[data-testid=session-card][data-status=connected]', { timeout: 15000 });
  const s = await call(gw, 'GET', `/api/v1/sessions/${id}`, { token });
  assert.equal(s.json.data.status, 'connected');

  // The panel: a DM as a simulated contact; the webhook's reply shows in the outbox.
  await page.goto(`${gw.base}/sessions/${id}`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('[data-testid=sandbox-panel]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=sandbox-send]')?.disabled, { timeout: 10000 });
  await page.type('[data-testid=sandbox-text]', 'hello from the panel');
  await page.click('[data-testid=sandbox-send]');
  const req = await rx.next((q) => q.json.message?.content === 'hello from the panel', 30000);
  assert.equal(req.json.message.from, '6281234567890');
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid=sandbox-outbox-item]')].some((li) => li.textContent.includes('echo: hello from the panel')),
    { timeout: 30000 },
  );
  await axeCheck(page, 'session detail with the sandbox panel');
  await shoot(page, '21-sandbox-panel');
  assert.deepEqual(page.problems, []);
});
