// The live session state: events from WS /ws applied to the list.
import { describe, expect, it } from 'vitest';
import { applyEvent, initialLive, liveReducer } from '../src/hooks/live.jsx';
import { secondsLeft } from '../src/components/QRModal.jsx';
import { validateSession } from '../src/components/SessionFormModal.jsx';
import { presetRange } from '../src/pages/Analytics.jsx';
import { truncateMiddle } from '../src/components/SessionCard.jsx';

const t = (k) => k;
const loaded = liveReducer(initialLive, {
  type: 'loaded',
  sessions: [
    { session_id: 'a', session_name: 'A', status: 'disconnected', phone_number: null },
    { session_id: 'b', session_name: 'B', status: 'connected', phone_number: '62811' },
  ],
});

describe('live state', () => {
  it('applies status updates to the right session', () => {
    const s = applyEvent(loaded, {
      type: 'status_update',
      session_id: 'a',
      data: { status: 'connected', status_reason: null, phone_number: '6281234' },
    });
    expect(s.sessions[0]).toMatchObject({ status: 'connected', phone_number: '6281234' });
    expect(s.sessions[1]).toBe(loaded.sessions[1]);
  });

  it('keeps the latest QR and drops it once the session leaves qr', () => {
    let s = applyEvent(loaded, { type: 'qr_update', session_id: 'a', data: { qr_text: '2@x', expires_in: 60 } }, 1000);
    expect(s.qrs.a).toMatchObject({ qr_text: '2@x', expires_in: 60, received_at: 1000 });
    s = applyEvent(s, { type: 'qr_update', session_id: 'a', data: { qr_text: '2@y', expires_in: 20 } }, 2000);
    expect(s.qrs.a.qr_text).toBe('2@y');
    s = applyEvent(s, { type: 'status_update', session_id: 'a', data: { status: 'connected' } });
    expect(s.qrs.a).toBeUndefined();
  });

  it('ignores events of unknown sessions and unknown types', () => {
    expect(applyEvent(loaded, { type: 'status_update', session_id: 'zzz', data: { status: 'qr' } })).toBe(loaded);
    expect(applyEvent(loaded, { type: 'pong' })).toBe(loaded);
    expect(applyEvent(loaded, { type: 'message_received', session_id: 'a', data: {} })).toBe(loaded);
  });

  it('upserts and removes', () => {
    let s = liveReducer(loaded, { type: 'upsert', session: { session_id: 'c', session_name: 'C', status: 'disconnected' } });
    expect(s.sessions.map((x) => x.session_id)).toEqual(['c', 'a', 'b']);
    s = liveReducer(s, { type: 'upsert', session: { session_id: 'a', session_name: 'A2' } });
    expect(s.sessions[1]).toMatchObject({ session_name: 'A2', status: 'disconnected' });
    s = liveReducer(s, { type: 'remove', id: 'a' });
    expect(s.sessions.map((x) => x.session_id)).toEqual(['c', 'b']);
  });
});

describe('helpers', () => {
  it('counts a QR down from its arrival', () => {
    expect(secondsLeft({ expires_in: 60, received_at: 0 }, 0)).toBe(60);
    expect(secondsLeft({ expires_in: 60, received_at: 0 }, 59_500)).toBe(1);
    expect(secondsLeft({ expires_in: 20, received_at: 0 }, 25_000)).toBe(0);
    expect(secondsLeft(undefined)).toBe(0);
    expect(secondsLeft({ expires_in: 60, received_at: 1000 }, 400)).toBe(60);
  });

  it('validates a session like the API', () => {
    expect(validateSession({ session_name: ' ', webhook_url: 'ftp://x' }, t)).toEqual({
      session_name: 'form.required',
      webhook_url: 'session.urlInvalid',
    });
    expect(validateSession({ session_name: 'x'.repeat(101), webhook_url: 'https://a.b/c' }, t)).toEqual({
      session_name: 'session.nameTooLong',
    });
    expect(validateSession({ session_name: 'ok', webhook_url: 'http://127.0.0.1:5678/webhook' }, t)).toEqual({});
  });

  it('computes date ranges', () => {
    const today = new Date(2026, 11, 3, 23, 59);
    expect(presetRange('today', today)).toEqual({ start_date: '2026-12-03', end_date: '2026-12-03' });
    expect(presetRange('7d', today)).toEqual({ start_date: '2026-11-27', end_date: '2026-12-03' });
    expect(presetRange('30d', today)).toEqual({ start_date: '2026-11-04', end_date: '2026-12-03' });
  });

  it('truncates long URLs in the middle', () => {
    expect(truncateMiddle('short')).toBe('short');
    const s = truncateMiddle('https://n8n.example.com/webhook/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 30);
    expect(s).toHaveLength(30);
    expect(s).toContain('…');
  });
});
