// The OpenAPI document (docs/openapi.json) as a checker for the black-box tests: every JSON
// response a test receives through harness.call() is validated against the schema the document
// gives for that route and status, and an undocumented status fails the call. Schemas are
// compiled with Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1) in strict mode.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const openapiPath = path.join(repoRoot, 'docs/openapi.json');
export const openapiText = readFileSync(openapiPath, 'utf8');
export const openapi = JSON.parse(openapiText);

const COMPONENTS_ID = 'https://wa-gateway.invalid/openapi/components';
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A copy of `schema` whose "#/components/schemas/X" references point into the Ajv registry. */
function rewriteRefs(schema) {
  if (Array.isArray(schema)) return schema.map(rewriteRefs);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$ref' && typeof v === 'string') {
      const m = /^#\/components\/schemas\/([^/]+)$/.exec(v);
      if (!m) throw new Error(`unsupported $ref ${v} (only #/components/schemas/<name> inside schemas)`);
      if (!openapi.components?.schemas?.[m[1]]) throw new Error(`$ref ${v} does not resolve`);
      out[k] = `${COMPONENTS_ID}#/$defs/${m[1]}`;
    } else {
      out[k] = rewriteRefs(v);
    }
  }
  return out;
}

export function newAjv() {
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addFormat('binary', true); // OpenAPI's marker for a non-JSON body
  ajv.addKeyword({ keyword: 'x-access' });
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(openapi.components?.schemas ?? {}) });
  return ajv;
}

const ajv = newAjv();
const compiled = new Map();
/** Compiles (once) a schema of the document; `key` identifies it in messages and the cache. */
export function validatorFor(key, schema) {
  let v = compiled.get(key);
  if (!v) {
    v = ajv.compile(rewriteRefs(schema));
    compiled.set(key, v);
  }
  return v;
}

/** Resolves a local "#/components/…" reference of a non-schema object (a response, a parameter). */
export function deref(obj) {
  let o = obj;
  for (let i = 0; o && typeof o.$ref === 'string' && i < 10; i++) {
    if (!o.$ref.startsWith('#/')) throw new Error(`non-local $ref ${o.$ref}`);
    o = o.$ref.slice(2).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((acc, s) => (acc === undefined ? undefined : acc[s]), openapi);
    if (o === undefined) throw new Error(`$ref ${obj.$ref} does not resolve`);
  }
  return o;
}

const templates = Object.keys(openapi.paths).map((p) => {
  const segs = p.split('/');
  return {
    path: p,
    literal: segs.filter((s) => !/^\{.+\}$/.test(s)).length,
    re: new RegExp(`^${segs.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`),
  };
}).sort((a, b) => b.literal - a.literal);

/** The documented operation for a request: {path, method, operation}, or null. */
export function findOperation(method, urlPath) {
  const p = urlPath.split('?')[0];
  const m = method.toLowerCase();
  for (const t of templates) {
    if (!t.re.test(p)) continue;
    const op = openapi.paths[t.path][m];
    if (op) return { path: t.path, method: m, operation: op };
  }
  return null;
}

/** The documented response object for a status ("200", then "2XX", then "default"). */
export function responseFor(operation, status) {
  const r = operation.responses ?? {};
  const hit = r[String(status)] ?? r[`${String(status)[0]}XX`] ?? r.default;
  return hit ? deref(hit) : null;
}

/**
 * Checks one response against the document. Returns a list of problems (empty when it conforms).
 * `json` is the parsed body or null when the body is not JSON.
 */
export function checkResponse(method, urlPath, status, contentType, json) {
  const found = findOperation(method, urlPath);
  const isJson = /^application\/json\b/i.test(contentType ?? '') && json !== null;
  if (!found) {
    // No documented operation (an unknown route, a wrong method, a page path of the dashboard):
    // only errors come back, and they are the error envelope.
    if (!isJson) return [];
    if (status < 400) return [`${method} ${urlPath}: ${status} JSON from a route the document does not list`];
    const v = validatorFor('#/components/schemas/Error', { $ref: '#/components/schemas/Error' });
    return v(json) ? [] : [`${method} ${urlPath} ${status}: not the documented error body: ${ajv.errorsText(v.errors)}`];
  }
  const where = `${found.method.toUpperCase()} ${found.path} -> ${status}`;
  const resp = responseFor(found.operation, status);
  if (!resp) {
    return [`${where}: status not documented (documented: ${Object.keys(found.operation.responses).join(', ')})`];
  }
  if (!isJson) return [];
  const media = resp.content?.['application/json'];
  if (!media) return [`${where}: JSON body, but the document gives no application/json content`];
  if (!media.schema) return [];
  const key = `${found.method} ${found.path} ${status}`;
  const v = validatorFor(key, media.schema);
  return v(json) ? [] : [`${where}: body does not match the document: ${ajv.errorsText(v.errors, { separator: '; ' })}`];
}

/** Validates a webhook payload the gateway sent against the document's webhooks section. */
export function checkWebhookPayload(body) {
  const hook = openapi.webhooks?.sessionEvent?.post;
  if (!hook) return ['the document has no webhooks.sessionEvent'];
  const v = validatorFor('webhook sessionEvent', hook.requestBody.content['application/json'].schema);
  return v(body) ? [] : [`webhook payload does not match the document: ${ajv.errorsText(v.errors, { separator: '; ' })}`];
}

/** Validates a WebSocket frame the gateway sent against components/schemas/WsMessage. */
export function checkWsMessage(msg) {
  const v = validatorFor('#/components/schemas/WsMessage', { $ref: '#/components/schemas/WsMessage' });
  return v(msg) ? [] : [`WebSocket message does not match docs/openapi.json WsMessage: ${ajv.errorsText(v.errors, { separator: '; ' })}: ${JSON.stringify(msg).slice(0, 1000)}`];
}
