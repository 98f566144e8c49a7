// The QR modal against a fake API and socket: an expired code offers "Refresh QR" (a new start),
// a new qr_update replaces the code, and "connected" shows success.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { LiveProvider } from '../src/hooks/live.jsx';
import { AuthProvider } from '../src/lib/auth.jsx';
import { I18nProvider } from '../src/i18n/index.jsx';
import QRModal from '../src/components/QRModal.jsx';

afterEach(() => {
  cleanup();
  localStorage.clear();
  vi.unstubAllGlobals();
});

class FakeSocket {
  constructor() {
    this.msg = new Set();
    FakeSocket.last = this;
  }
  onMessage(fn) {
    this.msg.add(fn);
    return () => this.msg.delete(fn);
  }
  onState(fn) {
    fn('open');
    return () => {};
  }
  start() {}
  stop() {}
  emit(m) {
    for (const fn of this.msg) fn(m);
  }
}

const ok = (data) => ({ ok: true, status: 200, json: async () => ({ success: true, data, message: 'OK' }) });

describe('QRModal', () => {
  it('refreshes an expired code, follows qr_update and shows success on connected', async () => {
    localStorage.setItem('wa.token', 'tok');
    const starts = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url) => {
        if (url === '/api/v1/sessions') return ok([{ session_id: 's1', session_name: 'S', status: 'disconnected' }]);
        if (url === '/api/v1/sessions/s1/start') {
          starts.push(url);
          // The first code has already run out; the next one lasts.
          return ok({ session_id: 's1', status: 'qr', status_reason: 'awaiting_scan', qr_text: `2@code${starts.length}`, expires_in: starts.length === 1 ? 0 : 60 });
        }
        throw new Error(`unexpected ${url}`);
      }),
    );
    const onClose = vi.fn();
    render(
      <I18nProvider initial="en">
        <MemoryRouter>
          <AuthProvider>
            <LiveProvider socketFactory={() => new FakeSocket()}>
              <QRModal sessionId="s1" onClose={onClose} />
            </LiveProvider>
          </AuthProvider>
        </MemoryRouter>
      </I18nProvider>,
    );
    const refresh = await screen.findByTestId('qr-refresh');
    expect(screen.getByText('This QR code has expired.')).toBeTruthy();
    fireEvent.click(refresh);
    await waitFor(() => expect(starts).toHaveLength(2));
    await waitFor(() => expect(screen.getByTestId('qr-code').dataset.expired).toBe('false'));
    expect(screen.getByText(/expires in (59|60) s/)).toBeTruthy();
    act(() => FakeSocket.last.emit({ type: 'qr_update', session_id: 's1', data: { qr_text: '2@rotated', expires_in: 20 } }));
    expect(screen.getByText(/expires in (19|20) s/)).toBeTruthy();
    act(() => FakeSocket.last.emit({ type: 'status_update', session_id: 's1', data: { status: 'connected', phone_number: '6281' } }));
    expect(await screen.findByTestId('qr-success')).toBeTruthy();
    expect(screen.getByText('+6281')).toBeTruthy();
    await waitFor(() => expect(onClose).toHaveBeenCalled(), { timeout: 3000 });
  });
});
