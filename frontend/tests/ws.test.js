// The live socket: backoff, offline state, reconnect, message dispatch, revoked token.
import { describe, expect, it, vi } from 'vitest';
import { LiveSocket, WS_STATES, backoffDelay } from '../src/lib/ws.js';

class FakeWS {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeWS.all.push(this);
  }
  send(d) {
    this.sent.push(d);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  message(obj) {
    this.onmessage?.({ data: JSON.stringify(obj) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

function harness(extra = {}) {
  FakeWS.all = [];
  const timers = [];
  const sock = new LiveSocket(() => 'tok', {
    url: 'ws://x/ws?token=tok',
    WebSocketImpl: FakeWS,
    setTimer: (f, ms) => {
      timers.push({ f, ms });
      return timers.length;
    },
    clearTimer: () => {},
    pingMs: 1000,
    ...extra,
  });
  return { sock, timers, last: () => FakeWS.all[FakeWS.all.length - 1] };
}

describe('backoffDelay', () => {
  it('doubles from 0.5 s up to 15 s with ±20 % jitter', () => {
    expect(backoffDelay(0, () => 0.5)).toBe(500);
    expect(backoffDelay(1, () => 0.5)).toBe(1000);
    expect(backoffDelay(3, () => 0.5)).toBe(4000);
    expect(backoffDelay(10, () => 0.5)).toBe(15000);
    expect(backoffDelay(0, () => 0)).toBe(400);
    expect(backoffDelay(0, () => 1)).toBe(600);
  });
});

describe('LiveSocket', () => {
  it('delivers parsed messages and ignores garbage', () => {
    const { sock, last } = harness();
    const got = [];
    sock.onMessage((m) => got.push(m));
    sock.start();
    last().open();
    last().message({ type: 'status_update', session_id: 'a' });
    last().onmessage({ data: 'not json' });
    expect(got).toEqual([{ type: 'status_update', session_id: 'a' }]);
  });

  it('goes offline on a drop and reconnects with growing delays', () => {
    const { sock, timers, last } = harness();
    const states = [];
    sock.onState((s) => states.push(s));
    sock.start();
    last().open();
    expect(sock.state).toBe(WS_STATES.open);
    last().drop();
    expect(sock.state).toBe(WS_STATES.offline);
    const retry1 = timers.filter((t) => t.ms !== 1000).at(-1);
    retry1.f();
    expect(FakeWS.all).toHaveLength(2);
    last().drop(); // failed again before opening
    const retry2 = timers.filter((t) => t.ms !== 1000).at(-1);
    expect(retry2.ms).toBeGreaterThan(retry1.ms);
    retry2.f();
    last().open();
    expect(sock.state).toBe(WS_STATES.open);
    expect(states).toEqual([WS_STATES.closed, WS_STATES.connecting, WS_STATES.open, WS_STATES.offline, WS_STATES.open]);
  });

  it('pings while open', () => {
    const { sock, timers, last } = harness();
    sock.start();
    last().open();
    timers.find((t) => t.ms === 1000).f();
    expect(last().sent).toEqual([JSON.stringify({ type: 'ping' })]);
  });

  it('stops retrying and reports a revoked token (1008)', () => {
    const onUnauthorized = vi.fn();
    const { sock, timers, last } = harness({ onUnauthorized });
    sock.start();
    last().open();
    const before = timers.length;
    last().drop(1008);
    expect(onUnauthorized).toHaveBeenCalledOnce();
    expect(sock.state).toBe(WS_STATES.closed);
    expect(timers.length).toBe(before);
  });

  it('asks the owner to check the token when an open fails', () => {
    const onOpenFailed = vi.fn();
    const { sock, last } = harness({ onOpenFailed });
    sock.start();
    last().drop();
    expect(onOpenFailed).toHaveBeenCalledWith(0);
  });

  it('stop() closes without reconnecting', () => {
    const { sock, timers, last } = harness();
    sock.start();
    last().open();
    sock.stop();
    const n = timers.length;
    last().onclose?.({ code: 1000 });
    expect(timers.length).toBe(n);
    expect(sock.state).toBe(WS_STATES.closed);
  });
});
