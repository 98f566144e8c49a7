// The gateway's REST API: the {success, data, message} envelope, the token, and one place where a
// 401 is noticed (onUnauthorized) so every page returns to the login the same way.

export class ApiError extends Error {
  constructor(status, message, code, details) {
    super(message);
    this.status = status;
    this.code = code;
    /** Per-field messages of a 400 validation_failed: {session_name: "..."} */
    this.details = details || {};
  }
}

const TOKEN_KEY = 'wa.token';
let unauthorizedHandler = null;

export const tokenStore = {
  get: () => localStorage.getItem(TOKEN_KEY),
  set: (t) => localStorage.setItem(TOKEN_KEY, t),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

/** Called with no argument when an authenticated call gets 401 (expired or revoked token). */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

/**
 * Calls `path` (under /api/v1) and returns the envelope's {data, message}. Throws ApiError with
 * the API's message and field details; a network failure is ApiError status 0.
 */
export async function request(method, path, { body, basic, raw, signal } = {}) {
  const headers = {};
  const token = tokenStore.get();
  if (basic) headers.Authorization = `Basic ${btoa(`${basic}:`)}`;
  else if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, '', 'network');
  }
  if (res.status === 401 && !basic && token) {
    unauthorizedHandler?.();
  }
  if (raw && res.ok) return res;
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (!res.ok || !json?.success) {
    throw new ApiError(res.status, json?.message || res.statusText, json?.error?.code, json?.error?.details);
  }
  return { data: json.data, message: json.message };
}

export const api = {
  generatePin: () => request('POST', '/auth/generate-pin'),
  login: (pin) => request('POST', '/auth/login', { basic: pin }),
  logout: () => request('POST', '/auth/logout'),
  me: () => request('GET', '/auth/me'),
  sessions: () => request('GET', '/sessions'),
  session: (id) => request('GET', `/sessions/${id}`),
  createSession: (body) => request('POST', '/sessions', { body }),
  updateSession: (id, body) => request('PUT', `/sessions/${id}`, { body }),
  deleteSession: (id) => request('DELETE', `/sessions/${id}`),
  start: (id) => request('POST', `/sessions/${id}/start`),
  stop: (id) => request('POST', `/sessions/${id}/stop`),
  reconnect: (id) => request('POST', `/sessions/${id}/reconnect`),
  qr: (id) => request('GET', `/sessions/${id}/qr`),
  pairCode: (id, phone) => request('POST', `/sessions/${id}/pair-code`, { body: { phone } }),
  messages: (id, limit = 20) => request('GET', `/sessions/${id}/messages?limit=${limit}`),
  deliveries: (id, limit = 20) => request('GET', `/sessions/${id}/deliveries?limit=${limit}`),
  retryDelivery: (id, deliveryId) => request('POST', `/sessions/${id}/deliveries/${deliveryId}/retry`),
  webhookSecret: (id) => request('GET', `/sessions/${id}/webhook-secret`),
  rotateSecret: (id) => request('POST', `/sessions/${id}/webhook-secret/rotate`),
  send: (id, body) => request('POST', `/sessions/${id}/send`, { body }),
  analytics: (id, q) => request('GET', `/analytics/sessions/${id}?${new URLSearchParams(q)}`),
  analyticsCsv: (id, q) =>
    request('GET', `/analytics/sessions/${id}?${new URLSearchParams({ ...q, format: 'csv' })}`, { raw: true }),
  sandboxScan: (id) => request('POST', `/sandbox/sessions/${id}/scan`),
  sandboxIncoming: (id, body) => request('POST', `/sandbox/sessions/${id}/incoming`, { body }),
  sandboxOutbox: (id) => request('GET', `/sandbox/sessions/${id}/outbox`),
  apiKeys: () => request('GET', '/api-keys'),
  createApiKey: (body) => request('POST', '/api-keys', { body }),
  deleteApiKey: (id) => request('DELETE', `/api-keys/${id}`),
};
