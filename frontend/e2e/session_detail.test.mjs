// The session detail page in Debian's Chromium against the real gateway, the project's emulator
// and a real local webhook receiver: the "send test message" form reaches a Baileys peer, and a
// webhook delivery that failed is retried from its button and then succeeds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { call, startGateway } from '../../tests/integration/harness.mjs';
import { startReceiver } from '../../tests/integration/receiver.mjs';
import { createSession, newUser, startEmulator, waitSession } from '../../tests/integration/wa_env.mjs';
import { pairedPeer } from '../../emulator/src/peer.mjs';
import { axeCheck, launch, newPage, shoot, textOf } from './browser.mjs';

const BOT = '6281355500001';
const ALICE = '6281355500002';
let emu, rx, gw, user, sessionId, alice, browser, page;

before(async () => {
  emu = await startEmulator();
  rx = await startReceiver();
  // No retries: the first failed attempt leaves the delivery failed, for the button to retry.
  gw = await startGateway({ env: { ...emu.env, WEBHOOK_MAX_RETRIES: '0', RATE_LIMIT_PER_MINUTE: '100000' } });
  user = await newUser(gw);
  sessionId = (await createSession(gw, user.token, 'Detail bot', rx.url)).session_id;
  const st = await call(gw, 'POST', `/api/v1/sessions/${sessionId}/start`, { token: user.token });
  await emu.scan(BOT, st.json.data.qr_text);
  await waitSession(gw, user.token, sessionId, (d) => d.status === 'connected', { what: 'connected' });
  alice = await pairedPeer(emu.control_url, ALICE, { pushName: 'Alice' });
  browser = await launch();
  page = await newPage(browser);
  await page.evaluateOnNewDocument((t) => {
    localStorage.setItem('wa.token', t);
    localStorage.setItem('wa.lang', 'en');
  }, user.token);
});

after(async () => {
  await browser?.close();
  await alice?.stop();
  await gw?.cleanup();
  await rx?.close();
  await emu?.stop();
});

/** Waits for a toast whose text matches `re` (Sonner renders them in an aria-live list). */
async function toastMatching(re, timeout = 15000) {
  const handle = await page.waitForFunction(
    (src) => [...document.querySelectorAll('[data-sonner-toast]')].map((n) => n.textContent).find((x) => new RegExp(src).test(x)),
    { timeout },
    re.source,
  );
  return handle.jsonValue();
}

test('the send form checks its fields, then sends a message the peer receives', { timeout: 90_000 }, async () => {
  await page.goto(`${gw.base}/sessions/${sessionId}`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('[data-testid=send-form]');
  // Empty fields are refused in the page; nothing reaches the API.
  await page.click('[data-testid=send-submit]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=send-form] [role=alert]').length === 2);
  assert.equal(await page.$eval('[data-testid=send-to]', (i) => i.getAttribute('aria-invalid')), 'true');

  await page.type('[data-testid=send-to]', `+${ALICE}`);
  await page.type('[data-testid=send-content]', 'Hello from the dashboard');
  await page.click('[data-testid=send-submit]');
  await toastMatching(/sent|queued|accepted/i);
  const got = await alice.waitMessage((m) => (m.message?.conversation ?? m.message?.extendedTextMessage?.text) === 'Hello from the dashboard', 20000);
  assert.ok(got, 'the peer received the text');
  // The message list shows it as outgoing, and the content field is cleared for the next one.
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid=message][data-direction=outgoing]')].some((li) => li.textContent.includes('Hello from the dashboard')),
    { timeout: 15000 },
  );
  assert.equal(await page.$eval('[data-testid=send-content]', (i) => i.value), '');
  assert.equal(await page.$eval('[data-testid=send-to]', (i) => i.value), `+${ALICE}`);
  await axeCheck(page, 'session detail after send');
  await shoot(page, '20-session-detail-sent');
});

test('a failed webhook delivery is retried from its button and succeeds', { timeout: 90_000 }, async () => {
  rx.respond = () => ({ status: 500, body: '{"error":"n8n is down"}' });
  const sent = await alice.sendText(`${BOT}@s.whatsapp.net`, 'are you there?');
  await rx.next((q) => q.json.message?.id === sent.key.id);
  // The page learns of the failure from its refresh button (deliveries are not pushed live).
  await page.goto(`${gw.base}/sessions/${sessionId}`, { waitUntil: 'networkidle0' });
  const refresh = async () => {
    const [btn] = await page.$$('xpath/.//section[@data-testid="deliveries"]//button[contains(., "Refresh")]');
    await btn.click();
  };
  const deadline = Date.now() + 20000;
  while (!(await page.$('[data-testid=delivery][data-status=failed] [data-testid=retry-delivery]'))) {
    assert.ok(Date.now() < deadline, 'the failed delivery never showed with a Retry button');
    await refresh();
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.match(await textOf(page, '[data-testid=delivery][data-status=failed]'), /HTTP 500|500/);

  // n8n is back: Retry delivers it, the toast says so, the row turns delivered, with two attempts.
  rx.respond = () => ({ status: 200, body: '{}' });
  const before = rx.requests.filter((q) => q.json.message?.id === sent.key.id).length;
  await page.click('[data-testid=delivery][data-status=failed] [data-testid=retry-delivery]');
  await toastMatching(/retr|queued|scheduled/i);
  await rx.next((q) => q.json.message?.id === sent.key.id && rx.requests.indexOf(q) >= 0 && rx.requests.filter((x) => x.json.message?.id === sent.key.id).length > before);
  const again = rx.requests.filter((q) => q.json.message?.id === sent.key.id);
  assert.equal(again.length, before + 1);
  assert.equal(again.at(-1).headers['x-webhook-id'], again[0].headers['x-webhook-id'], 'the retry keeps the event id');
  const done = Date.now() + 20000;
  while (!(await page.$('[data-testid=delivery][data-status=delivered]'))) {
    assert.ok(Date.now() < done, 'the delivery never showed as delivered on the page');
    await refresh();
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(await page.$('[data-testid=delivery][data-status=failed]'), null);
  // The attempts of the row: the failed one, then the successful retry.
  const [show] = await page.$$('xpath/.//section[@data-testid="deliveries"]//button[contains(., "Attempts")]');
  // (Clicked through the DOM: the "Queued again" toast may cover the button's spot on screen.)
  await show.evaluate((b) => b.click());
  await page
    .waitForFunction(() => document.querySelectorAll('[data-testid=delivery] ol li').length >= 2, { timeout: 10000 })
    .catch(async (e) => {
      throw new Error(`${e.message}; deliveries: ${await page.$eval('[data-testid=deliveries]', (x) => x.innerText)}`);
    });
  const attempts = await page.$$eval('[data-testid=delivery] ol li', (lis) => lis.map((li) => li.textContent));
  assert.equal(attempts.length, 2, JSON.stringify(attempts));
  assert.match(attempts[0], /500/);
  assert.match(attempts[1], /200/);
  await axeCheck(page, 'session detail deliveries');
  await shoot(page, '21-session-detail-deliveries');
  assert.deepEqual(page.problems.filter((x) => !/500/.test(x)), [], 'no console errors beyond the failed webhook');
});
