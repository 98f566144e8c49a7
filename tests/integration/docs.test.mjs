// The user documentation must keep working:
// - every shell block of README.md, HOW_TO_USE.md and docs/CURL_COLLECTION.md runs, as written and
//   in order, in one bash per document against a fresh real gateway connected to the project's
//   emulator (only the variables the documents declare as placeholders are set: BASE,
//   WEBHOOK_URL, IMAGE_URL);
// - where a person has to act (scan the QR code, write to the bot), the Markdown says so with
//   `<!-- docs-test: do ACTION -->` and the test does it at that point;
// - a block that cannot run (`make run` itself …) is marked `<!-- docs-test: skip -->` on the line
//   before it, and only the few blocks listed in SKIPPED may be;
// - the JavaScript of the n8n Code node in HOW_TO_USE.md verifies a real signed webhook of the
//   gateway (and refuses a tampered one);
// - every relative link (and #anchor) of every Markdown file of the repository resolves.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pairedPeer } from '../../emulator/src/peer.mjs';
import { call, gatewayBin, repoRoot, startGateway, waitFor } from './harness.mjs';
import { startEmulator } from './wa_env.mjs';
import { startReceiver } from './receiver.mjs';

const RUN_DOCS = ['README.md', 'HOW_TO_USE.md', 'docs/CURL_COLLECTION.md'];
// The only blocks allowed to be marked `<!-- docs-test: skip -->` (file: first line).
const SKIPPED = [
  'README.md: make run     # installs what is missing, builds, starts the gateway on http://localhost:8080 (SQLite in ./data)',
  'HOW_TO_USE.md: make run',
];
const SHELL = new Set(['sh', 'bash', 'shell']);
const CONTACT = '6281234567890'; // the number the documents send to
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
// The test's own requests carry this request id, so that they don't count as the documents'.
const own = { headers: { 'x-request-id': 'docs-test-own' } };
const relaxed = { GENERATE_PIN_PER_HOUR: '1000000', RATE_LIMIT_PER_MINUTE: '1000000', LOGIN_FAILURES_PER_MINUTE: '1000000' };

/** Fenced blocks of a Markdown text, in order, with the docs-test marks that precede them. */
export function parseMarkdown(text) {
  const items = []; // {kind: 'block', lang, code, skip, line} | {kind: 'action', name, line}
  const lines = text.split('\n');
  let prev = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const action = /^<!-- docs-test: do ([a-z-]+) -->$/.exec(line.trim());
    if (action) items.push({ kind: 'action', name: action[1], line: i + 1 });
    const fence = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(line);
    if (fence) {
      const start = i;
      const body = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[2]); i++) {
        body.push(lines[i].slice(fence[1].length));
      }
      items.push({
        kind: 'block', lang: fence[3].toLowerCase(), code: body.join('\n'), line: start + 1,
        skip: prev.trim() === '<!-- docs-test: skip -->',
      });
    }
    if (line.trim() !== '') prev = line;
  }
  return items;
}

/** A bash that stays alive across blocks, so that variables set by one block serve the next. */
function startShell(env, cwd) {
  const sh = spawn('bash', ['--noprofile', '--norc'], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let waiting = null;
  const exited = new Promise((resolve) => sh.on('exit', (code) => resolve(code)));
  const poke = () => waiting?.();
  sh.stdout.on('data', (d) => { out += d; poke(); });
  sh.stderr.on('data', (d) => { err += d; });
  sh.on('exit', poke);
  let n = 0;
  return {
    /** Runs `code`; resolves with its stdout. Fails when it fails (set -e) or times out. */
    async run(code, what, timeoutMs = 60000) {
      const mark = `__docs_test_done_${++n}__`;
      const from = out.length;
      const errFrom = err.length;
      sh.stdin.write(`${code}\necho ${mark}\n`);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const at = out.indexOf(`${mark}\n`, from);
        if (at >= 0) return out.slice(from, at);
        if (sh.exitCode !== null) {
          throw new Error(`${what} failed (bash exited ${sh.exitCode})\nstderr:\n${err.slice(errFrom)}\nstdout:\n${out.slice(from)}`);
        }
        if (Date.now() > deadline) throw new Error(`${what} did not finish in ${timeoutMs} ms\nstdout:\n${out.slice(from)}`);
        await new Promise((ok) => { const t = setTimeout(ok, 100); waiting = () => { clearTimeout(t); ok(); }; });
      }
    },
    async variable(name) {
      return (await this.run(`printf '%s\\n' "$${name}"`, `reading $${name}`)).trim();
    },
    async close() {
      sh.stdin.end();
      await exited;
    },
    get stderr() { return err; },
  };
}

/** A port with nothing listening (a webhook receiver that is down). */
async function closedPort() {
  const s = net.createServer();
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address();
  await new Promise((ok) => s.close(ok));
  return port;
}

describe('the documentation runs as written', () => {
  let emu, caDir, caFile, files, filesUrl, contact, deadPort;
  const bots = { 'README.md': '6289876500001', 'HOW_TO_USE.md': '6289876500002', 'docs/CURL_COLLECTION.md': '6289876500003' };

  before(async () => {
    emu = await startEmulator({ media: true });
    caDir = mkdtempSync(path.join(os.tmpdir(), 'docs-test-'));
    caFile = path.join(caDir, 'ca.pem');
    writeFileSync(caFile, emu.emu.info().media_ca_pem);
    files = http.createServer((req, res) => {
      if (req.url === '/menu.png') { res.writeHead(200, { 'content-type': 'image/png' }); res.end(PNG); return; }
      res.writeHead(404); res.end();
    });
    await new Promise((ok) => files.listen(0, '127.0.0.1', ok));
    filesUrl = `http://127.0.0.1:${files.address().port}`;
    contact = await pairedPeer(emu.control_url, CONTACT, { pushName: 'Budi' });
    deadPort = await closedPort();
  });
  after(async () => {
    await contact?.stop();
    await emu?.stop();
    await new Promise((ok) => (files ? files.close(ok) : ok()));
    if (caDir) rmSync(caDir, { recursive: true, force: true });
  });

  test('only the fixed list of blocks is marked as not runnable, and every curl example is a shell block', () => {
    const skipped = [];
    for (const file of RUN_DOCS) {
      for (const b of parseMarkdown(readFileSync(path.join(repoRoot, file), 'utf8'))) {
        if (b.kind !== 'block') continue;
        if (b.skip) skipped.push(`${file}: ${b.code.split('\n')[0]}`);
        else if (/^\s*(curl|make|wa-gateway|\$BASE)\b/m.test(b.code)) {
          assert.ok(SHELL.has(b.lang), `${file}:${b.line}: a command block must be \`\`\`sh (or marked skip) to be run by this test`);
        }
      }
    }
    assert.deepEqual(skipped, SKIPPED);
  });

  for (const file of RUN_DOCS) {
    test(`${file}: every shell block runs against a live gateway`, async (t) => {
      const items = parseMarkdown(readFileSync(path.join(repoRoot, file), 'utf8'));
      const runnable = items.filter((b) => b.kind === 'block' && SHELL.has(b.lang) && !b.skip);
      if (file !== 'README.md') assert.ok(runnable.length >= 5, `${file} has its examples`);
      const bot = bots[file];
      const gw = await startGateway({
        env: {
          ...relaxed, ...emu.env, WHATSAPP_CA_FILE: caFile,
          WEBHOOK_MAX_RETRIES: '0', MEDIA_DOWNLOAD_WAIT_SECONDS: '20s',
        },
      });
      const work = mkdtempSync(path.join(os.tmpdir(), 'docs-run-'));
      const sh = startShell({
        PATH: process.env.PATH, HOME: work, LANG: 'C.UTF-8',
        BASE: gw.base, WEBHOOK_URL: `http://127.0.0.1:${deadPort}/webhook/whatsapp`, IMAGE_URL: `${filesUrl}/menu.png`,
      }, work);
      const transcript = [];
      try {
        await sh.run('set -euo pipefail', 'set -e');
        const session = async () => {
          const token = await sh.variable('TOKEN');
          const id = await sh.variable('SESSION_ID');
          assert.ok(token && id, `${file}: TOKEN and SESSION_ID are set before a person acts`);
          const get = async () => (await call(gw, 'GET', `/api/v1/sessions/${id}`, { token, ...own })).json?.data;
          return { token, id, get };
        };
        const incoming = async (s, pred) => waitFor(async () => {
          const r = await call(gw, 'GET', `/api/v1/sessions/${s.id}/messages?direction=incoming&limit=1`, { token: s.token, ...own });
          return pred(r.json?.data?.messages?.[0]);
        }, { timeoutMs: 30000 });
        for (const item of items) {
          if (item.kind === 'action') {
            const s = await session();
            if (item.name === 'scan-qr') {
              const qr = await call(gw, 'GET', `/api/v1/sessions/${s.id}/qr`, { token: s.token, ...own });
              assert.equal(qr.status, 200, `${file}:${item.line}: a QR code to scan: ${qr.text}`);
              await emu.scan(bot, qr.json.data.qr_text);
              assert.ok(await waitFor(async () => (await s.get())?.status === 'connected', { timeoutMs: 30000 }),
                `${file}:${item.line}: connected after the scan`);
            } else if (item.name === 'contact-writes') {
              const sent = await contact.sendText(`${bot}@s.whatsapp.net`, 'Halo, apakah toko buka hari ini?');
              assert.ok(await incoming(s, (m) => m?.message_id === sent.key.id), `${file}:${item.line}: the message was received`);
              assert.ok(await waitFor(async () => {
                const r = await call(gw, 'GET', `/api/v1/sessions/${s.id}/deliveries?status=failed`, { token: s.token, ...own });
                return r.json?.data?.some?.((d) => d.message_id === sent.key.id);
              }, { timeoutMs: 30000 }), `${file}:${item.line}: its delivery to the (absent) receiver failed`);
            } else if (item.name === 'contact-sends-photo') {
              const sent = await contact.sendImage(`${bot}@s.whatsapp.net`, PNG, 'foto menu');
              assert.ok(await incoming(s, (m) => m?.message_id === sent.key.id && m.media_url), `${file}:${item.line}: the photo was stored`);
            } else {
              assert.fail(`${file}:${item.line}: unknown docs-test action "${item.name}"`);
            }
            transcript.push({ action: item.name });
            continue;
          }
          if (item.skip || !SHELL.has(item.lang)) continue;
          const output = await sh.run(item.code, `${file}:${item.line}`);
          transcript.push({ line: item.line, code: item.code, output });
        }
      } catch (e) {
        t.diagnostic(`gateway stderr:\n${gw.stderr.slice(-4000)}`);
        throw e;
      } finally {
        await sh.close();
        await gw.cleanup();
        rmSync(work, { recursive: true, force: true });
      }
      const all = transcript.map((x) => x.output ?? '').join('');
      if (process.env.DOCS_TEST_TRANSCRIPT) writeFileSync(`${process.env.DOCS_TEST_TRANSCRIPT}.${path.basename(file)}.txt`, transcript.map((x) => x.action ? `## do ${x.action}\n` : `$ ${x.code}\n${x.output}`).join('\n'));
      if (file === 'docs/CURL_COLLECTION.md') {
        checkCollection(transcript, all);
        // Every route of the router is called by some example of the collection.
        const scratch = mkdtempSync(path.join(os.tmpdir(), 'docs-routes-'));
        let routes;
        try {
          routes = JSON.parse(execFileSync(gatewayBin, ['routes'], {
            cwd: scratch, env: { PATH: process.env.PATH, ASAN_OPTIONS: 'detect_leaks=0', DATA_DIR: scratch }, encoding: 'utf8',
          }));
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
        const called = new Set(gw.logs.filter((l) => l.msg === 'request' && l.request_id !== own.headers['x-request-id'] && l.status < 500)
          .map((l) => `${l.method} ${l.route === 'dashboard' ? '/' : l.route}`));
        // Sandbox routes exist only in sandbox mode; this gateway runs in normal mode.
        const missing = routes.filter((r) => !r.pattern.startsWith('/api/v1/sandbox/'))
          .map((r) => `${r.method} ${r.pattern}`).filter((r) => !called.has(r));
        assert.deepEqual(missing, [], 'routes without an example in docs/CURL_COLLECTION.md');
      }
      if (file === 'HOW_TO_USE.md') {
        assert.match(all, /"message":"Message sent successfully"/);
      }
    });
  }

  test('HOW_TO_USE.md: the n8n Code node accepts a real signed webhook and refuses a tampered one', async () => {
    const doc = readFileSync(path.join(repoRoot, 'HOW_TO_USE.md'), 'utf8');
    const marked = /<!-- docs-test: n8n-code-node -->\s*```js\n([\s\S]*?)```/.exec(doc);
    assert.ok(marked, 'HOW_TO_USE.md has the Code node marked <!-- docs-test: n8n-code-node -->');
    const rx = await startReceiver();
    const gw = await startGateway({ env: { ...relaxed, ...emu.env, WHATSAPP_CA_FILE: caFile } });
    try {
      const { pin } = (await call(gw, 'POST', '/api/v1/auth/generate-pin')).json.data;
      const token = (await call(gw, 'POST', '/api/v1/auth/login', { basic: `${pin}:` })).json.data.token;
      const id = (await call(gw, 'POST', '/api/v1/sessions', { token, body: { session_name: 'n8n bot', webhook_url: rx.url } })).json.data.session_id;
      const st = await call(gw, 'POST', `/api/v1/sessions/${id}/start`, { token });
      const bot = '6289876500004';
      await emu.scan(bot, st.json.data.qr_text);
      assert.ok(await waitFor(async () => (await call(gw, 'GET', `/api/v1/sessions/${id}`, { token, ...own })).json?.data?.status === 'connected', { timeoutMs: 30000 }));
      const secret = (await call(gw, 'GET', `/api/v1/sessions/${id}/webhook-secret`, { token })).json.data.secret;
      const sent = await contact.sendText(`${bot}@s.whatsapp.net`, 'Halo bot');
      const req = await rx.next((q) => q.json.message?.id === sent.key.id);
      // What n8n's Webhook node (Raw Body on) hands the next node: the headers, and the body as
      // binary property "data"; the Code node reads it with this.helpers.getBinaryDataBuffer.
      const codeNode = (headers, raw) => {
        const item = { json: { headers, body: JSON.parse(raw) }, binary: { data: { data: Buffer.from(raw).toString('base64'), mimeType: 'application/json' } } };
        const ctx = { helpers: { getBinaryDataBuffer: async (i, prop) => Buffer.from(item.binary[prop].data, 'base64') } };
        const $input = { first: () => item, all: () => [item] };
        const code = marked[1].replace(/'PASTE THE SESSION'S WEBHOOK SECRET HERE'|"PASTE THE SESSION'S WEBHOOK SECRET HERE"/, JSON.stringify(secret));
        assert.notEqual(code, marked[1], 'the Code node has the secret placeholder');
        const fn = new Function('$input', 'require', `return (async () => {\n${code}\n})();`);
        return fn.call(ctx, $input, (m) => { assert.equal(m, 'crypto'); return cryptoModule; });
      };
      const out = await codeNode(req.headers, req.body);
      assert.equal(out[0].json.message.id, sent.key.id, 'the verified payload is passed on');
      assert.equal(out[0].json.message.content, 'Halo bot');
      await assert.rejects(codeNode(req.headers, req.body.replace('Halo bot', 'Halo bos')), /signature/i);
      const stale = { ...req.headers, 'x-webhook-timestamp': String(Number(req.headers['x-webhook-timestamp']) - 3600) };
      await assert.rejects(codeNode(stale, req.body), /signature/i);
    } finally {
      await gw.cleanup();
      await rx.close();
    }
  });
});

const cryptoModule = await import('node:crypto');

function checkCollection(transcript, all) {
  assert.match(all, /"status":"healthy"/);
  assert.match(all, /^<title>[^<]+<\/title>$/m, 'the dashboard is served');
  assert.match(all, /^HTTP\/1\.1 200/m, 'HEAD / too');
  assert.match(all, /PIN: [A-Z0-9]{6}\n/);
  assert.match(all, /"message":"Login successful"/);
  assert.match(all, /SESSION_ID: [0-9a-f-]{36}\n/);
  assert.match(all, /"status":"qr"/);
  assert.match(all, /"qr_text":"[^"]+"/);
  assert.match(all, /"status":"connected"\n"phone_number":"6289876500003"/);
  assert.match(all, /"code":"[A-Z0-9]{4}-[A-Z0-9]{4}"/, 'a pairing code');
  assert.match(all, /"secret":"[0-9a-f]{64}"/);
  assert.match(all, /MESSAGE_ID: [0-9A-F]{16,}\n/);
  assert.ok((all.match(/"message":"Message sent successfully"/g) ?? []).length >= 5, 'every send example sent');
  assert.match(all, /"direction":"incoming"/);
  assert.match(all, /"status":"failed"/);
  assert.match(all, /"status":"pending"|"message":"[^"]*queue[^"]*"/i, 'the retry put the delivery back');
  assert.match(all, /content-type: image\/png/i, 'the received photo is served');
  assert.match(all, / photo$/m, 'the received photo was downloaded');
  assert.match(all, /"status_reason":"stopped"/);
  assert.match(all, /"logged_out":true/);
  assert.match(all, /"key":"wag_[A-Za-z0-9_-]{43}"|wag_/);
  assert.match(all, /"message":"API key revoked"/);
  assert.match(all, /^date,/m, 'the CSV has its header');
  assert.match(all, /"message":"Logout successful"/);
  const codes = all.split('\n').filter((l) => /^\d{3}$/.test(l));
  assert.deepEqual(codes, ['401', '404', '401', '101', '101', '401'],
    'wrong PIN, unknown number, revoked API key, the two WebSocket upgrades and revoked token');
}

test('every relative link and #anchor in the repository\'s Markdown resolves', () => {
  const mdFiles = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\n').filter(Boolean);
  assert.ok(mdFiles.length >= 10);
  const anchorsOf = new Map();
  const anchors = (file) => {
    if (!anchorsOf.has(file)) anchorsOf.set(file, headingSlugs(readFileSync(file, 'utf8')));
    return anchorsOf.get(file);
  };
  const broken = [];
  for (const rel of mdFiles) {
    const file = path.join(repoRoot, rel);
    if (!existsSync(file)) continue; // deleted in the work tree
    const text = withoutCode(readFileSync(file, 'utf8'));
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|href="([^"]+)"/g)) {
      const target = m[1] ?? m[2];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto: …
      const [p, anchor] = target.split('#');
      const dest = p ? path.resolve(path.dirname(file), decodeURIComponent(p)) : file;
      if (!dest.startsWith(repoRoot + path.sep) && dest !== repoRoot) { broken.push(`${rel}: ${target} (outside the repository)`); continue; }
      if (!existsSync(dest)) { broken.push(`${rel}: ${target} (no such file)`); continue; }
      if (anchor !== undefined && anchor !== '') {
        if (statSync(dest).isDirectory() || !dest.endsWith('.md')) { broken.push(`${rel}: ${target} (anchor into a non-Markdown file)`); continue; }
        if (!anchors(dest).has(anchor)) broken.push(`${rel}: ${target} (no heading "#${anchor}")`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

/** Markdown without its fenced code blocks. */
function withoutFences(text) {
  return text.replace(/^([ \t]*)(```+|~~~+)[^\n]*\n[\s\S]*?^\1\2[ \t]*$/gm, '');
}

/** Markdown without fenced code blocks and inline code (links there are not links). */
function withoutCode(text) {
  return withoutFences(text).replace(/`[^`\n]*`/g, '');
}

/** The anchors GitHub gives the headings of a Markdown text (and explicit <a name|id>). */
export function headingSlugs(text) {
  const slugs = new Set();
  const seen = new Map();
  for (const line of withoutFences(text).split('\n')) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = h[1]
        .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text
        .replace(/<[^>]+>/g, '')
        .replace(/`/g, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
        .replace(/ /g, '-');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      slugs.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) slugs.add(a[1]);
  }
  return slugs;
}
