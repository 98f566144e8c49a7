// A real local HTTP server as the webhook receiver (what n8n is in production), shared by the
// tests of incoming messages and of sending.
import http from 'node:http';
import { sleep } from './harness.mjs';
import { checkWebhookPayload } from './openapi.mjs';

/** A webhook receiver: records every request; `respond(req)` decides each answer. */
export async function startReceiver() {
  const r = {
    requests: [],
    problems: [],
    respond: () => ({ status: 200, body: '{}' }),
    waiters: [],
  };
  r.server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', async () => {
      const entry = { headers: req.headers, body, json: JSON.parse(body), at: Date.now() };
      // Every webhook must be a payload docs/openapi.json documents (its webhooks section).
      if (entry.json && typeof entry.json === 'object' && 'event' in entry.json) r.problems.push(...checkWebhookPayload(entry.json));
      r.requests.push(entry);
      for (const w of r.waiters.splice(0)) w();
      const a = await r.respond(entry);
      if (a.delayMs) await sleep(a.delayMs);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body ?? '');
    });
  });
  await new Promise((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${r.server.address().port}/webhook/whatsapp`;
  r.next = async (pred, timeoutMs = 20000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (r.problems.length) throw new Error(r.problems.join('\n'));
      const found = r.requests.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`receiver: nothing matched; got ${JSON.stringify(r.requests.map((q) => q.json))}`);
      await new Promise((ok) => { const t = setTimeout(ok, 100); r.waiters.push(() => { clearTimeout(t); ok(); }); });
    }
  };
  r.close = () => new Promise((ok) => { r.server.closeAllConnections?.(); r.server.close(ok); });
  return r;
}

