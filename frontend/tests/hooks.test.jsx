// The hooks in a rendered tree: drafts that survive a remount, and the live provider applying
// socket events to the session list (with a fake socket and a stubbed fetch).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { useDraft } from '../src/hooks/useDraft.js';
import { LiveProvider, useLive } from '../src/hooks/live.jsx';
import { AuthProvider } from '../src/lib/auth.jsx';
import { I18nProvider } from '../src/i18n/index.jsx';
import { WS_STATES } from '../src/lib/ws.js';

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  localStorage.clear();
  vi.unstubAllGlobals();
});

describe('useDraft', () => {
  it('keeps what was typed across a remount until cleared', () => {
    const first = renderHook(() => useDraft('t1', { name: '' }));
    act(() => first.result.current[1]({ name: 'half typed' }));
    first.unmount();
    const second = renderHook(() => useDraft('t1', { name: '' }));
    expect(second.result.current[0]).toEqual({ name: 'half typed' });
    act(() => second.result.current[2]());
    second.unmount();
    expect(renderHook(() => useDraft('t1', { name: '' })).result.current[0]).toEqual({ name: '' });
  });
});

class FakeSocket {
  constructor() {
    this.msg = new Set();
    this.st = new Set();
    FakeSocket.last = this;
  }
  onMessage(fn) {
    this.msg.add(fn);
    return () => this.msg.delete(fn);
  }
  onState(fn) {
    this.st.add(fn);
    fn(WS_STATES.closed);
    return () => this.st.delete(fn);
  }
  start() {
    for (const fn of this.st) fn(WS_STATES.open);
  }
  stop() {}
  emit(m) {
    for (const fn of this.msg) fn(m);
  }
  state(s) {
    for (const fn of this.st) fn(s);
  }
}
const factory = () => new FakeSocket();

function Probe() {
  const { sessions, wsState } = useLive();
  return (
    <p data-testid="probe">
      {wsState}:{(sessions || []).map((s) => `${s.session_name}=${s.status}/${s.phone_number || '-'}`).join(',')}
    </p>
  );
}

describe('LiveProvider', () => {
  it('loads the sessions, applies status updates, reloads after being offline', async () => {
    localStorage.setItem('wa.token', 'tok');
    const fetchMock = vi.fn(async () => ({
      ok: true,
      status: 200,
      json: async () => ({ success: true, data: [{ session_id: 'a', session_name: 'A', status: 'disconnected', phone_number: null }] }),
    }));
    vi.stubGlobal('fetch', fetchMock);
    render(
      <I18nProvider initial="en">
        <MemoryRouter>
          <AuthProvider>
            <LiveProvider socketFactory={factory}>
              <Probe />
            </LiveProvider>
          </AuthProvider>
        </MemoryRouter>
      </I18nProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('probe').textContent).toBe('open:A=disconnected/-'));
    expect(fetchMock.mock.calls[0][0]).toBe('/api/v1/sessions');
    expect(fetchMock.mock.calls[0][1].headers.Authorization).toBe('Bearer tok');
    act(() =>
      FakeSocket.last.emit({ type: 'status_update', session_id: 'a', data: { status: 'connected', phone_number: '628123' } }),
    );
    expect(screen.getByTestId('probe').textContent).toBe('open:A=connected/628123');
    act(() => FakeSocket.last.state(WS_STATES.offline));
    expect(screen.getByTestId('probe').textContent).toMatch(/^offline:/);
    act(() => FakeSocket.last.state(WS_STATES.open));
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(2));
  });

  it('a 401 drops the token', async () => {
    localStorage.setItem('wa.token', 'tok');
    vi.stubGlobal('fetch', vi.fn(async () => ({ ok: false, status: 401, json: async () => ({ success: false, message: 'expired' }) })));
    render(
      <I18nProvider initial="en">
        <MemoryRouter>
          <AuthProvider>
            <LiveProvider socketFactory={factory}>
              <Probe />
            </LiveProvider>
          </AuthProvider>
        </MemoryRouter>
      </I18nProvider>,
    );
    await waitFor(() => expect(localStorage.getItem('wa.token')).toBeNull());
  });
});
