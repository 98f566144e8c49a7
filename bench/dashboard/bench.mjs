// See run.sh. Prints a Markdown summary.
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { call, generatePin, login, sleep, startGateway } from '../../tests/integration/harness.mjs';
import { startEmulator } from '../../tests/integration/wa_env.mjs';
import { frontendDir, launch } from '../../frontend/e2e/browser.mjs';

const ROUNDS = Number(process.env.ROUNDS || 7);
const SESSIONS = Number(process.env.SESSIONS || 100);
const LOAD_SECONDS = Number(process.env.LOAD_SECONDS || 15);

const range = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} (median ${median(xs).toFixed(0)})`;
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// 1. What the first visit downloads: the JS and CSS that index.html references (lazy chunks not).
const dist = path.join(frontendDir, 'dist');
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
let gz = 0;
let rawBytes = 0;
for (const f of initial) {
  const b = readFileSync(path.join(dist, f));
  rawBytes += b.length;
  gz += gzipSync(b, { level: 9 }).length;
}

const emu = await startEmulator();
const gw = await startGateway({
  env: { ...emu.env, GENERATE_PIN_PER_HOUR: '1000', RATE_LIMIT_PER_MINUTE: '1000000', SEND_RATE_PER_MINUTE: '1000000' },
});
const { pin } = await generatePin(gw);
const token = await login(gw, pin);
const ids = [];
for (let i = 0; i < SESSIONS; i++) {
  const r = await call(gw, 'POST', '/api/v1/sessions', {
    token,
    body: { session_name: `Agent ${String(i + 1).padStart(3, '0')}`, webhook_url: `http://127.0.0.1:9/hook/${i}` },
  });
  ids.push(r.json.data.session_id);
}

const browser = await launch();
const fcp = [];
const tti = [];
try {
  // 2. FCP and TTI of /dashboard, cold cache, logged in.
  for (let round = 0; round < ROUNDS; round++) {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.setCacheEnabled(false);
    await page.evaluateOnNewDocument((t) => {
      localStorage.setItem('wa.token', t);
      window.__longTasks = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__longTasks.push(e.startTime + e.duration);
      }).observe({ type: 'longtask', buffered: true });
    }, token);
    await page.goto(`${gw.base}/dashboard`, { waitUntil: 'load' });
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=session-card]').length === n, { timeout: 30000 }, SESSIONS);
    const cardsAt = await page.evaluate(() => performance.now());
    await sleep(1000); // a quiet second: any long task after the cards would show here
    const m = await page.evaluate(() => ({
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
      lastLong: Math.max(0, ...window.__longTasks),
    }));
    fcp.push(m.fcp);
    tti.push(Math.max(cardsAt, m.lastLong));
    await ctx.close();
  }

  // 3. Responsiveness while the sessions change state: every session is started and stopped in
  // a loop (each start and stop is a status_update, plus a qr_update on the socket), and the page
  // is probed with a 50 ms timer (its worst lateness) and a click that opens a modal.
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  await page.evaluateOnNewDocument((t) => {
    localStorage.setItem('wa.token', t);
    // Count what the live socket receives.
    const Orig = window.WebSocket;
    window.__wsMessages = 0;
    window.WebSocket = class extends Orig {
      constructor(...a) {
        super(...a);
        this.addEventListener('message', () => window.__wsMessages++);
      }
    };
  }, token);
  await page.goto(`${gw.base}/dashboard`, { waitUntil: 'networkidle0' });
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=session-card]').length === n, {}, SESSIONS);
  await page.evaluate(() => {
    window.__lag = [];
    let last = performance.now();
    window.__probe = setInterval(() => {
      const now = performance.now();
      window.__lag.push(now - last - 50);
      last = now;
    }, 50);
  });
  let calls = 0;
  const until = Date.now() + LOAD_SECONDS * 1000;
  const worker = async (slice) => {
    while (Date.now() < until) {
      for (const id of slice) {
        if (Date.now() >= until) break;
        await call(gw, 'POST', `/api/v1/sessions/${id}/start`, { token });
        await call(gw, 'POST', `/api/v1/sessions/${id}/stop`, { token });
        calls += 2;
      }
    }
  };
  const workers = [];
  for (let w = 0; w < 10; w++) workers.push(worker(ids.filter((_, i) => i % 10 === w)));
  const wsBefore = await page.evaluate(() => window.__wsMessages);
  // Measured entirely inside the page (click → the frame after the dialog is in the DOM, then
  // close it and wait 300 ms), so that DevTools round trips of the busy load generator do not count.
  await page.evaluate((ms) => {
    window.__clicks = [];
    const end = performance.now() + ms;
    const one = () => {
      if (performance.now() > end) return;
      if (document.querySelector('[data-testid=session-form]')) return void setTimeout(one, 50);
      const t0 = performance.now();
      document.querySelector('[data-testid=new-session]').click();
      const check = () => {
        const form = document.querySelector('[data-testid=session-form]');
        if (!form) return void requestAnimationFrame(check);
        requestAnimationFrame(() => {
          window.__clicks.push(performance.now() - t0);
          form.querySelector('button[type=button]').click();
          setTimeout(one, 300);
        });
      };
      check();
    };
    one();
  }, (LOAD_SECONDS - 1) * 1000);
  const clicker = sleep(LOAD_SECONDS * 1000);
  await Promise.all([...workers, clicker]);
  const clicks = await page.evaluate(() => window.__clicks);
  const lag = await page.evaluate(() => {
    clearInterval(window.__probe);
    return window.__lag;
  });
  const statuses = await page.$$eval('[data-testid=session-card]', (c) => c.length);
  const wsMessages = (await page.evaluate(() => window.__wsMessages)) - wsBefore;

  const lines = [
    `| figure | result | target |`,
    `|---|---|---|`,
    `| initial JS + CSS (index.html's ${initial.length} files), gzip -9 | ${(gz / 1024).toFixed(1)} KB (${(rawBytes / 1024).toFixed(0)} KB raw) | ≤ 150 KB |`,
    `| FCP of /dashboard, ${SESSIONS} sessions, cold cache, ${ROUNDS} rounds (ms) | ${range(fcp)} | ≤ 800 |`,
    `| TTI of /dashboard (all ${SESSIONS} cards rendered, no long task after; ms) | ${range(tti)} | ≤ 1500 |`,
    `| under load: start/stop calls in ${LOAD_SECONDS} s / live events the page received | ${calls} / ${wsMessages} | |`,
    `| under load: 50 ms timer lateness, median / p99 / max (ms) | ${Math.max(0, median(lag)).toFixed(0)} / ${[...lag].sort((a, b) => a - b)[Math.floor(lag.length * 0.99)].toFixed(0)} / ${Math.max(...lag).toFixed(0)} | |`,
    `| under load: click "New session" → dialog painted, median / max (ms, ${clicks.length} clicks) | ${median(clicks).toFixed(0)} / ${Math.max(...clicks).toFixed(0)} | |`,
    `| cards still shown after the load | ${statuses} | ${SESSIONS} |`,
  ];
  console.log(lines.join('\n'));
} finally {
  await browser.close();
  await gw.cleanup();
  await emu.stop();
}
