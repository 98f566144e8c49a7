// The dashboard's one live connection: WS /ws?token=… (every session of the user). Reconnects with
// exponential backoff and jitter, keeps the socket alive with pings, and reports its state so the
// page can say when it is offline. No polling.

export const WS_STATES = { connecting: 'connecting', open: 'open', offline: 'offline', closed: 'closed' };

/** Backoff before reconnect attempt `n` (0-based): 0.5 s doubling to 15 s, ±20 % jitter. */
export function backoffDelay(n, random = Math.random) {
  const base = Math.min(15000, 500 * 2 ** n);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export class LiveSocket {
  /**
   * @param {() => string|null} tokenFn current token (read at each connect)
   * @param {{url?: string, WebSocketImpl?: typeof WebSocket, setTimer?: Function, clearTimer?: Function,
   *          pingMs?: number, onUnauthorized?: Function}} opts
   */
  constructor(tokenFn, opts = {}) {
    this.tokenFn = tokenFn;
    this.opts = opts;
    this.WS = opts.WebSocketImpl || globalThis.WebSocket;
    this.setTimer = opts.setTimer || ((f, ms) => setTimeout(f, ms));
    this.clearTimer = opts.clearTimer || ((t) => clearTimeout(t));
    this.listeners = new Set();
    this.stateListeners = new Set();
    this.state = WS_STATES.closed;
    this.attempt = 0;
    this.stopped = true;
  }

  url() {
    if (this.opts.url) return this.opts.url;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/ws?token=${encodeURIComponent(this.tokenFn() || '')}`;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.clearTimer(this.retryTimer);
    this.clearTimer(this.pingTimer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000);
      this.ws = null;
    }
    this.setState(WS_STATES.closed);
  }

  onMessage(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state);
    return () => this.stateListeners.delete(fn);
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }

  connect() {
    if (this.stopped) return;
    this.setState(this.attempt === 0 ? WS_STATES.connecting : WS_STATES.offline);
    const ws = new this.WS(this.url());
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.setState(WS_STATES.open);
      this.schedulePing();
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      for (const fn of this.listeners) fn(msg);
    };
    ws.onclose = (ev) => {
      this.clearTimer(this.pingTimer);
      if (this.stopped) return;
      // 1008: the token was revoked (logout elsewhere) — the login page, not a retry loop.
      if (ev?.code === 1008) {
        this.stopped = true;
        this.setState(WS_STATES.closed);
        this.opts.onUnauthorized?.();
        return;
      }
      // A refused upgrade (401 after a logout elsewhere) looks like any failed open here: let the
      // owner check the token over HTTP, where the status is visible.
      if (!opened) this.opts.onOpenFailed?.(this.attempt);
      this.setState(WS_STATES.offline);
      const delay = backoffDelay(this.attempt++);
      this.retryTimer = this.setTimer(() => this.connect(), delay);
    };
    ws.onerror = () => {};
  }

  schedulePing() {
    const ms = this.opts.pingMs ?? 25000;
    this.pingTimer = this.setTimer(() => {
      if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify({ type: 'ping' }));
      this.schedulePing();
    }, ms);
  }
}
