// Unit tests of the nodes with n8n's own n8n-workflow package (NodeApiError, returnJsonArray);
// the n8n function contexts are small doubles. The real n8n run is tests/n8n/n8n_e2e.test.mjs.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { NodeApiError } = require('n8n-workflow');

const { WaGatewayTrigger, checkSignature, MAX_AGE_SECONDS } = require('../dist/nodes/WaGatewayTrigger/WaGatewayTrigger.node.js');
const { WaGateway } = require('../dist/nodes/WaGateway/WaGateway.node.js');
const { WaGatewayApi } = require('../dist/credentials/WaGatewayApi.credentials.js');

const SECRET = 'a'.repeat(64);
const sign = (secret, ts, body) => `sha256=${crypto.createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

// A gateway double behind helpers.httpRequestWithAuthentication: routes "METHOD /path" to answers.
function gateway(routes) {
  const calls = [];
  const request = async function (credentialName, options) {
    assert.equal(credentialName, 'waGatewayApi');
    const path = options.url.replace('http://gw.test/api/v1', '');
    calls.push({ method: options.method, path, body: options.body, qs: options.qs });
    const answer = routes[`${options.method} ${path}`];
    if (!answer) throw Object.assign(new Error('Request failed with status code 404'), { response: { status: 404, data: { success: false, message: 'session not found' } } });
    if (answer instanceof Error) throw answer;
    return { success: true, data: typeof answer === 'function' ? answer(options) : answer, message: 'ok' };
  };
  return { calls, request };
}

function context({ params = {}, staticData = {}, routes = {}, headers = {}, rawBody, items = [{ json: {} }], binary } = {}) {
  const gw = gateway(routes);
  const res = { code: 200, sent: undefined, status(c) { this.code = c; return this; }, json(b) { this.sent = b; return this; } };
  const node = { name: 'node', type: 'test', typeVersion: 1, parameters: {} };
  const ctx = {
    gw,
    res,
    staticData,
    getNode: () => node,
    getCredentials: async () => ({ baseUrl: 'http://gw.test/', apiKey: 'wag_x' }),
    getNodeParameter: (name, _i, fallback) => (name in params ? params[name] : fallback),
    getNodeWebhookUrl: () => 'http://n8n.test/webhook/abc/whatsapp',
    getWorkflowStaticData: () => staticData,
    getRequestObject: () => ({ headers, rawBody, body: rawBody ? JSON.parse(rawBody) : {} }),
    getResponseObject: () => res,
    getInputData: () => items,
    continueOnFail: () => false,
    helpers: {
      httpRequestWithAuthentication: gw.request,
      returnJsonArray: (d) => (Array.isArray(d) ? d : [d]).map((json) => ({ json })),
      assertBinaryData: () => binary.meta,
      getBinaryDataBuffer: async () => binary.buffer,
    },
  };
  return ctx;
}

test('credentials send the key as X-Api-Key and test against /auth/me', () => {
  const c = new WaGatewayApi();
  assert.equal(c.authenticate.properties.headers['X-Api-Key'], '={{$credentials.apiKey}}');
  assert.equal(c.test.request.url, '/api/v1/auth/me');
  assert.deepEqual(c.properties.map((p) => p.name), ['baseUrl', 'apiKey']);
});

test('checkSignature accepts the gateway signature and refuses bad, stale and missing ones', () => {
  const body = '{"event":"message.received"}';
  const ts = String(now());
  const h = { 'x-webhook-timestamp': ts, 'x-webhook-signature': sign(SECRET, ts, body) };
  assert.equal(checkSignature(SECRET, h, Buffer.from(body), now()), undefined);
  assert.match(checkSignature('b'.repeat(64), h, Buffer.from(body), now()), /bad X-Webhook-Signature/);
  assert.match(checkSignature(SECRET, h, Buffer.from(body + ' '), now()), /bad X-Webhook-Signature/);
  assert.match(checkSignature(SECRET, { ...h, 'x-webhook-signature': undefined }, body, now()), /missing X-Webhook-Signature/);
  assert.match(checkSignature(SECRET, { ...h, 'x-webhook-timestamp': 'x' }, body, now()), /malformed/);
  const old = String(now() - MAX_AGE_SECONDS - 5);
  assert.match(checkSignature(SECRET, { 'x-webhook-timestamp': old, 'x-webhook-signature': sign(SECRET, old, body) }, body, now()), /stale/);
  assert.match(checkSignature('', h, body, now()), /no secret/);
});

test('trigger: a signed request starts the workflow with the payload as it is', async () => {
  const body = JSON.stringify({ event: 'message.received', message: { id: 'M1', content: 'ping' } });
  const ts = String(now());
  const ctx = context({ staticData: { secret: SECRET }, rawBody: Buffer.from(body), headers: { 'x-webhook-timestamp': ts, 'x-webhook-signature': sign(SECRET, ts, body) } });
  const out = await new WaGatewayTrigger().webhook.call(ctx);
  assert.deepEqual(out.workflowData, [[{ json: JSON.parse(body) }]]);
});

test('trigger: unsigned, wrongly signed or stale requests get 401 and start nothing', async () => {
  const body = '{"event":"message.received"}';
  const ts = String(now());
  const cases = [
    {},
    { 'x-webhook-timestamp': ts, 'x-webhook-signature': sign('c'.repeat(64), ts, body) },
    { 'x-webhook-timestamp': String(now() - 3600), 'x-webhook-signature': sign(SECRET, String(now() - 3600), body) },
  ];
  for (const headers of cases) {
    const ctx = context({ staticData: { secret: SECRET }, rawBody: Buffer.from(body), headers });
    const out = await new WaGatewayTrigger().webhook.call(ctx);
    assert.equal(out.workflowData, undefined);
    assert.equal(out.noWebhookResponse, true);
    assert.equal(ctx.res.code, 401);
    assert.match(ctx.res.sent.message, /^rejected: /);
  }
});

test('trigger: activation registers a subscription to its own URL; deactivation deletes it', async () => {
  const staticData = {};
  const routes = {
    'POST /sessions/S1/webhooks': (o) => ({ webhook_id: 'W1', url: o.body.url, events: o.body.events, secret: SECRET }),
    'GET /sessions/S1/webhooks': [{ webhook_id: 'W1', url: 'http://n8n.test/webhook/abc/whatsapp' }],
    'DELETE /sessions/S1/webhooks/W1': { deleted: true },
  };
  const ctx = context({ params: { sessionId: 'S1', events: ['message.received', 'session.status'] }, staticData, routes });
  const hooks = new WaGatewayTrigger().webhookMethods.default;
  assert.equal(await hooks.checkExists.call(ctx), false);
  assert.equal(await hooks.create.call(ctx), true);
  assert.deepEqual(ctx.gw.calls[0], { method: 'POST', path: '/sessions/S1/webhooks', body: { url: 'http://n8n.test/webhook/abc/whatsapp', events: ['message.received', 'session.status'] }, qs: undefined });
  assert.equal(staticData.secret, SECRET);
  assert.equal(staticData.webhookId, 'W1');
  assert.equal(await hooks.checkExists.call(ctx), true);
  assert.equal(await hooks.delete.call(ctx), true);
  assert.equal(ctx.gw.calls.at(-1).method, 'DELETE');
  assert.equal(ctx.gw.calls.at(-1).path, '/sessions/S1/webhooks/W1');
  assert.deepEqual(staticData, {});
});

test('trigger: activation on a deleted session fails naming the cause', async () => {
  const ctx = context({ params: { sessionId: 'GONE', events: ['message.received'] }, routes: {} });
  await assert.rejects(new WaGatewayTrigger().webhookMethods.default.create.call(ctx), (e) => e instanceof NodeApiError && /Session not found/.test(e.message));
});

test('session picker lists the sessions of the key', async () => {
  const ctx = context({ routes: { 'GET /sessions': [{ session_id: 'S1', session_name: 'Bot', status: 'connected' }] } });
  const options = await new WaGatewayTrigger().methods.loadOptions.getSessions.call(ctx);
  assert.deepEqual(options, [{ name: 'Bot (connected)', value: 'S1' }]);
});

test('action: reply quotes the message in its chat', async () => {
  const routes = { 'POST /sessions/S1/send': { message_id: 'OUT1', status: 'sent' } };
  const ctx = context({ params: { operation: 'reply', sessionId: 'S1', chatId: '62811@s.whatsapp.net', messageId: 'M1', text: 'pong' }, routes });
  const out = await new WaGateway().execute.call(ctx);
  assert.deepEqual(out, [[{ json: { message_id: 'OUT1', status: 'sent' }, pairedItem: { item: 0 } }]]);
  assert.deepEqual(ctx.gw.calls[0].body, { to: '62811@s.whatsapp.net', type: 'text', content: 'pong', quoted_message_id: 'M1' });
});

test('action: media from a binary property goes as base64 with its mimetype', async () => {
  const routes = { 'POST /sessions/S1/send': { message_id: 'OUT2' } };
  const binary = { meta: { mimeType: 'application/pdf', fileName: 'a.pdf' }, buffer: Buffer.from('%PDF-1.4') };
  const ctx = context({ params: { operation: 'sendDocument', sessionId: 'S1', to: '62811', mediaSource: 'binary', binaryPropertyName: 'data', caption: 'the file' }, routes, binary });
  await new WaGateway().execute.call(ctx);
  assert.deepEqual(ctx.gw.calls[0].body, { to: '62811', type: 'document', media_base64: Buffer.from('%PDF-1.4').toString('base64'), mimetype: 'application/pdf', filename: 'a.pdf', content: 'the file' });
});

test('action: mark read, typing, status, QR and analytics call their routes', async () => {
  const routes = {
    'POST /sessions/S1/messages/M%201/read': { read: true },
    'POST /sessions/S1/typing': { state: 'composing' },
    'GET /sessions/S1/messages/M%201': { status: 'read' },
    'GET /sessions/S1': { status: 'connected' },
    'GET /sessions/S1/qr': { qr_code: 'data:' },
    'GET /analytics/sessions/S1': { total_messages: 3 },
    'GET /sessions': [{ session_id: 'S1' }, { session_id: 'S2' }],
  };
  const run = async (params) => {
    const ctx = context({ params: { sessionId: 'S1', messageId: 'M 1', to: '62811', typingState: 'composing', period: 'weekly', ...params }, routes });
    const out = await new WaGateway().execute.call(ctx);
    return { out: out[0].map((x) => x.json), call: ctx.gw.calls[0] };
  };
  assert.deepEqual((await run({ operation: 'markRead' })).out, [{ read: true }]);
  assert.deepEqual((await run({ operation: 'typing' })).call.body, { to: '62811', state: 'composing' });
  assert.deepEqual((await run({ operation: 'messageStatus' })).out, [{ status: 'read' }]);
  assert.deepEqual((await run({ operation: 'sessionStatus' })).out, [{ status: 'connected' }]);
  assert.deepEqual((await run({ operation: 'getQr' })).out, [{ qr_code: 'data:' }]);
  assert.deepEqual((await run({ operation: 'analytics' })).call.qs, { period: 'weekly' });
  assert.equal((await run({ operation: 'listSessions' })).out.length, 2);
});

test('action: errors carry the gateway message; a down gateway and a wrong key are named', async () => {
  const err409 = Object.assign(new Error('Request failed with status code 409'), { response: { status: 409, data: { success: false, message: 'the session is not connected (status: disconnected); start it and link it first', error: { code: 'conflict', details: { status: 'disconnected' } } } } });
  const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const unauthorized = Object.assign(new Error('Request failed with status code 401'), { response: { status: 401, data: { success: false, message: 'invalid API key' } } });
  const cases = [
    [err409, /Gateway answered 409: the session is not connected .*status: disconnected/],
    [down, /The gateway at http:\/\/gw.test cannot be reached \(connection refused\)/],
    [unauthorized, /refused the API key \(401\): invalid API key/],
  ];
  for (const [error, re] of cases) {
    const ctx = context({ params: { operation: 'sendText', sessionId: 'S1', to: '62811', text: 'x' }, routes: { 'POST /sessions/S1/send': error } });
    await assert.rejects(new WaGateway().execute.call(ctx), (e) => e instanceof NodeApiError && re.test(e.message));
  }
});
