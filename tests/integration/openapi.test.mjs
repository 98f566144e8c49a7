// docs/openapi.json is the API's source of truth. This test fails when the router has a route the
// document does not list or the document lists one the router does not have (the route table
// comes from the binary itself, `wa-gateway routes`); when the document is not structurally valid
// OpenAPI 3.1 (every $ref resolves, every schema compiles with Ajv in strict mode, path
// parameters match their templates); and when the gateway does not serve it byte for byte at
// /api/openapi.json. Every JSON response of the other black-box tests is validated against it by
// harness.call() (tests/integration/openapi.mjs).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call, gatewayBin, repoRoot, startGateway } from './harness.mjs';
import { HTTP_METHODS, checkResponse, deref, openapi, openapiText, validatorFor } from './openapi.mjs';

/** The router's routes as "METHOD /path/{param}", from `wa-gateway routes [extra...]`. */
function routeTable(extra = []) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'openapi-routes-'));
  try {
    const r = spawnSync(gatewayBin, ['routes', ...extra], {
      cwd: dir, env: { PATH: process.env.PATH, ASAN_OPTIONS: 'detect_leaks=0', DATA_DIR: dir }, encoding: 'utf8', timeout: 60000,
    });
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const parseTable = (stdout) => {
  const line = stdout.split('\n').find((l) => l.startsWith('['));
  assert.ok(line, `no JSON route list in: ${stdout}`);
  return JSON.parse(line).map((r) => `${r.method} ${r.pattern.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
};

function documented({ sandbox }) {
  const out = [];
  for (const [p, item] of Object.entries(openapi.paths)) {
    for (const m of HTTP_METHODS) {
      const op = item[m];
      if (!op) continue;
      if (!sandbox && op['x-sandbox-only'] === true) continue;
      out.push(`${m.toUpperCase()} ${p}`);
    }
  }
  return out;
}

const sorted = (xs) => [...xs].sort();

describe('route table <-> docs/openapi.json', () => {
  test('every route of the router is documented, and every documented route exists', (t) => {
    const r = routeTable();
    assert.equal(r.status, 0, r.stderr);
    const routes = parseTable(r.stdout);
    assert.ok(routes.length > 30, `suspiciously few routes: ${routes.length}`);
    const docs = documented({ sandbox: false });
    const missing = routes.filter((x) => !docs.includes(x));
    const extra = docs.filter((x) => !routes.includes(x));
    assert.deepEqual(missing, [], 'router routes missing from docs/openapi.json');
    assert.deepEqual(extra, [], 'documented routes the router does not have (sandbox-only ones need "x-sandbox-only": true)');
    t.diagnostic(`${routes.length} routes, all documented`);
  });

  test('sandbox-only operations are marked, live under /api/v1/sandbox/, and match a --sandbox route table', (t) => {
    const sandboxOnly = documented({ sandbox: true }).filter((x) => !documented({ sandbox: false }).includes(x));
    for (const x of sandboxOnly) assert.match(x, /^[A-Z]+ \/api\/v1\/sandbox\//, `${x}: x-sandbox-only outside /api/v1/sandbox/`);
    const r = routeTable(['--sandbox']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(sandboxOnly.length >= 3, `sandbox-only operations: ${sandboxOnly.join(', ')}`);
    assert.deepEqual(sorted(parseTable(r.stdout)), sorted(documented({ sandbox: true })), 'the --sandbox route table and the document differ');
    t.diagnostic(`${sandboxOnly.length} sandbox-only operations`);
  });

  test('a route missing from the document is caught (the check is not vacuous)', () => {
    assert.deepEqual(checkResponse('GET', '/api/v1/not-a-route', 200, 'application/json', { success: true, message: '' }).length, 1);
    const r = routeTable();
    const routes = parseTable(r.stdout);
    const docs = documented({ sandbox: false }).filter((x) => x !== 'POST /api/v1/sessions/{id}/send');
    assert.deepEqual(routes.filter((x) => !docs.includes(x)), ['POST /api/v1/sessions/{id}/send']);
  });
});

describe('docs/openapi.json is valid OpenAPI 3.1', () => {
  test('top level', () => {
    assert.match(openapi.openapi, /^3\.1\.\d+$/);
    assert.equal(typeof openapi.info?.title, 'string');
    assert.equal(typeof openapi.info?.version, 'string');
    assert.ok(openapi.paths && typeof openapi.paths === 'object');
    for (const k of Object.keys(openapi)) {
      assert.ok(['openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks', 'components', 'security', 'tags', 'externalDocs'].includes(k) || k.startsWith('x-'), `unknown top-level field ${k}`);
    }
  });

  test('every $ref resolves', () => {
    const refs = [];
    const walk = (o, where) => {
      if (Array.isArray(o)) o.forEach((x, i) => walk(x, `${where}/${i}`));
      else if (o && typeof o === 'object') {
        if (typeof o.$ref === 'string') refs.push([o.$ref, where]);
        for (const [k, v] of Object.entries(o)) walk(v, `${where}/${k}`);
      }
    };
    walk(openapi, '#');
    assert.ok(refs.length > 50);
    for (const [ref, where] of refs) assert.doesNotThrow(() => deref({ $ref: ref }), `${where}: ${ref}`);
  });

  test('every schema compiles with Ajv (JSON Schema 2020-12, strict)', () => {
    let n = 0;
    for (const [name, schema] of Object.entries(openapi.components.schemas)) {
      validatorFor(`#/components/schemas/${name}`, schema);
      n++;
    }
    const operations = [
      ...Object.entries(openapi.paths).flatMap(([p, item]) => HTTP_METHODS.filter((m) => item[m]).map((m) => [`${m} ${p}`, item[m], item.parameters ?? []])),
      ...Object.entries(openapi.webhooks ?? {}).flatMap(([p, item]) => HTTP_METHODS.filter((m) => item[m]).map((m) => [`webhook ${p} ${m}`, item[m], []])),
    ];
    for (const [where, op, shared] of operations) {
      for (const prm of [...shared, ...(op.parameters ?? [])].map(deref)) {
        assert.ok(['path', 'query', 'header', 'cookie'].includes(prm.in), `${where}: parameter ${prm.name} in ${prm.in}`);
        validatorFor(`${where} param ${prm.name}`, prm.schema);
        n++;
      }
      for (const [ct, media] of Object.entries(deref(op.requestBody ?? { content: {} }).content)) {
        if (media.schema) { validatorFor(`${where} body ${ct}`, media.schema); n++; }
      }
      assert.ok(Object.keys(op.responses ?? {}).length > 0, `${where}: no responses`);
      for (const [status, resp] of Object.entries(op.responses)) {
        assert.match(status, /^([1-5]\d\d|[1-5]XX|default)$/, `${where}: response key ${status}`);
        const r = deref(resp);
        assert.equal(typeof r.description, 'string', `${where} ${status}: a response needs a description`);
        for (const [ct, media] of Object.entries(r.content ?? {})) {
          if (media.schema) { validatorFor(`${where} ${status} ${ct}`, media.schema); n++; }
        }
      }
    }
    assert.ok(n > 100, `only ${n} schemas compiled`);
  });

  test('operations: unique operationId, known security schemes, path parameters match their template', () => {
    const ids = new Set();
    const schemes = Object.keys(openapi.components.securitySchemes);
    for (const [p, item] of Object.entries(openapi.paths)) {
      const inTemplate = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      for (const m of HTTP_METHODS.filter((x) => item[x])) {
        const op = item[m];
        assert.ok(op.operationId && !ids.has(op.operationId), `${m} ${p}: operationId missing or repeated`);
        ids.add(op.operationId);
        for (const req of op.security ?? openapi.security ?? []) {
          for (const s of Object.keys(req)) assert.ok(schemes.includes(s), `${m} ${p}: unknown security scheme ${s}`);
        }
        const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(deref).filter((x) => x.in === 'path');
        assert.deepEqual(declared.map((x) => x.name).sort(), inTemplate, `${m} ${p}: path parameters`);
        for (const d of declared) assert.equal(d.required, true, `${m} ${p}: path parameter ${d.name} must be required`);
      }
    }
    assert.ok(schemes.includes('bearerAuth') && schemes.includes('apiKeyHeader'), 'both auth schemes (JWT bearer, API key)');
  });

  test('the WebSocket routes describe their messages', () => {
    for (const p of ['/ws', '/ws/sessions/{id}']) {
      assert.match(openapi.paths[p].get.description, /WsMessage/);
      assert.ok(openapi.paths[p].get.responses['101']);
    }
    for (const t of ['qr_update', 'status_update', 'message_received', 'message_waiting', 'message_status', 'pong']) {
      assert.ok(openapi.components.schemas.WsMessage.oneOf.some((r) => deref(r).properties.type.const === t), `WsMessage lacks ${t}`);
    }
  });
});

describe('served by the gateway', () => {
  test('GET /api/openapi.json is docs/openapi.json byte for byte; GET /api/docs is the reference page', async () => {
    // A dashboard directory holding the reference page as the frontend build ships it.
    const site = mkdtempSync(path.join(os.tmpdir(), 'openapi-site-'));
    mkdirSync(path.join(site, 'api-docs'));
    cpSync(path.join(repoRoot, 'frontend/api-docs/index.html'), path.join(site, 'api-docs/index.html'));
    cpSync(path.join(repoRoot, 'frontend/index.html'), path.join(site, 'index.html'));
    const gw = await startGateway({ env: { DASHBOARD_DIR: site } });
    try {
      const r = await call(gw, 'GET', '/api/openapi.json');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^application\/json/);
      assert.equal(r.text, openapiText);
      const d = await call(gw, 'GET', '/api/docs');
      assert.equal(d.status, 200);
      assert.match(d.headers.get('content-type'), /^text\/html/);
      assert.match(d.headers.get('content-security-policy'), /script-src 'self'/);
      assert.match(d.text, /<script src="\/api-docs\/api-docs\.js"><\/script>/);
      assert.doesNotMatch(d.text, /<script>/, 'no inline script');
    } finally {
      await gw.cleanup();
      rmSync(site, { recursive: true, force: true });
    }
  });

  test('without the built reference, /api/docs is a JSON 404 that says how to build it', async () => {
    const site = mkdtempSync(path.join(os.tmpdir(), 'openapi-site-'));
    const gw = await startGateway({ env: { DASHBOARD_DIR: site } });
    try {
      const d = await call(gw, 'GET', '/api/docs');
      assert.equal(d.status, 404);
      assert.match(d.json.message, /not built.*\/api\/openapi\.json/);
    } finally {
      await gw.cleanup();
      rmSync(site, { recursive: true, force: true });
    }
  });

  test('the response check catches an undocumented status and a body outside the schema', () => {
    assert.match(checkResponse('GET', '/api/v1/auth/me', 418, 'application/json', { success: false, message: 'x', error: { code: 'not_found' } })[0], /status not documented/);
    assert.match(checkResponse('GET', '/api/v1/auth/me', 200, 'application/json', { success: true, message: 'OK', data: { user_id: 'nope' } })[0], /does not match/);
    assert.deepEqual(checkResponse('GET', '/api/v1/auth/me', 200, 'application/json', {
      success: true, message: 'OK', data: { user_id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479', created_at: '2026-11-24T10:15:30.123Z', last_login: null },
    }), []);
  });
});
