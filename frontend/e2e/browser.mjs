// What the browser tests and the dashboard benchmark share: Debian's Chromium driven by
// puppeteer-core (nothing downloads a browser), axe-core run inside the page, screenshots.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
export const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const artifactsDir = process.env.DASHBOARD_ARTIFACTS || path.join(frontendDir, 'artifacts');

export function chromiumPath() {
  const p = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(p)) throw new Error(`${p} not found: scripts/install-deps.sh --test installs Debian's chromium`);
  return p;
}

export async function launch() {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--lang=en-US'],
  });
}

/** A page that records console errors, uncaught exceptions and failed requests. */
export async function newPage(browser, { width = 1280, height = 800 } = {}) {
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`console: ${m.text()} ${m.location()?.url || ''}`);
  });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  return page;
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP, which
 * forbids inline scripts, stays on) and fails on serious or critical violations.
 */
export async function axeCheck(page, label) {
  // Toasts fade in: let them finish, or axe measures half-transparent text.
  await new Promise((r) => setTimeout(r, 500));
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe on ${label}: ${JSON.stringify(bad, null, 1)}`);
  return result;
}

// The whole page at `width`: the viewport is made as tall as the page first. (Puppeteer's
// fullPage capture changes the metrics only while it captures, which charts that follow their
// container's size catch half-way: they showed a few pixels wide in the picture, never on screen.)
async function capture(page, width, height, file) {
  await page.setViewport({ width, height });
  await settle(page);
  const full = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewport({ width, height: Math.max(height, full) });
  await settle(page);
  await page.screenshot({ path: file });
}

/** Saves artifacts/screenshots/<name>-desktop.png and -mobile.png (375 px wide). */
export async function shoot(page, name, { mobile = true } = {}) {
  const dir = path.join(artifactsDir, 'screenshots');
  mkdirSync(dir, { recursive: true });
  const vp = page.viewport();
  await capture(page, 1280, 800, path.join(dir, `${name}-desktop.png`));
  if (mobile) {
    // Width only: switching isMobile/hasTouch would reload the page and lose its state.
    await capture(page, 375, 812, path.join(dir, `${name}-mobile.png`));
    // Nothing may stick out sideways at 360 px.
    await page.setViewport({ width: 360, height: 740 });
    await settle(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: ${overflow}px horizontal overflow at 360px`);
  }
  await page.setViewport(vp);
  await settle(page);
}

const settle = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 150)))));

/** Waits for `selector` and returns its trimmed text. */
export async function textOf(page, selector, timeout = 10000) {
  await page.waitForSelector(selector, { timeout });
  return page.$eval(selector, (el) => el.textContent.trim());
}
