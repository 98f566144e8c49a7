// The API reference at /api/docs: Swagger UI bundled by the dashboard build (dist/api-docs/),
// rendering /api/openapi.json in Debian's Chromium under the gateway's strict Content-Security-
// Policy, with no CSP violation, no error and no request leaving the gateway. Needs
// frontend/dist (npm run build -w frontend).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startGateway } from '../../tests/integration/harness.mjs';
import { frontendDir, launch, newPage } from './browser.mjs';

const doc = JSON.parse(readFileSync(path.join(frontendDir, '../docs/openapi.json'), 'utf8'));
const methodsOf = (items) => Object.values(items ?? {}).flatMap((item) => Object.keys(item).filter((k) => ['get', 'put', 'post', 'delete', 'head', 'patch', 'options'].includes(k)));
// Swagger UI lists the document's outgoing webhooks (the gateway's deliveries) as operations too.
const operations = [...methodsOf(doc.paths), ...methodsOf(doc.webhooks)];

let gw;
let browser;
before(async () => {
  gw = await startGateway();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await gw?.cleanup();
});

test('/api/docs renders every operation of the document, same-origin only, no CSP violation', async () => {
  const page = await newPage(browser);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const violations = [];
  await page.exposeFunction('reportViolation', (v) => violations.push(v));
  // Registered through the DevTools protocol, so it runs whatever the page's CSP says.
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      // eslint-disable-next-line no-undef
      reportViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const res = await page.goto(`${gw.base}/api/docs`, { waitUntil: 'networkidle0' });
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'], /script-src 'self';/);
  await page.waitForSelector('.opblock', { timeout: 30000 });
  const title = await page.$eval('.info .title', (e) => e.textContent);
  assert.match(title, new RegExp(doc.info.title));
  const shown = await page.$$eval('.opblock', (els) => els.length);
  assert.equal(shown, operations.length, 'every operation and webhook of docs/openapi.json is listed');
  // One operation opens with its responses and schema.
  await page.click('#operations-Sessions-postApiV1Sessions .opblock-summary-control');
  await page.waitForSelector('#operations-Sessions-postApiV1Sessions .responses-wrapper', { timeout: 10000 });
  const opened = await page.$eval('#operations-Sessions-postApiV1Sessions', (e) => e.textContent);
  assert.match(opened, /session_name/);
  assert.match(opened, /409/);
  await page.waitForNetworkIdle({ idleTime: 300 });
  const foreign = requests.filter((u) => !u.startsWith(gw.base) && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.deepEqual(foreign, [], 'requests to another host');
  assert.ok(requests.includes(`${gw.base}/api/openapi.json`), 'the page loads the document from the gateway');
  assert.deepEqual(violations, [], 'CSP violations');
  assert.deepEqual(page.problems, [], 'console errors');
  await page.close();
});
