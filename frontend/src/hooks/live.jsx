// Live state of the user's sessions: the list from GET /sessions, kept current by the events of
// WS /ws (status_update, qr_update). One socket for the whole app while logged in.
import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { api, tokenStore } from '../lib/api.js';
import { LiveSocket, WS_STATES } from '../lib/ws.js';
import { useAuth } from '../lib/auth.jsx';

export const initialLive = { sessions: null, qrs: {}, error: null };

/** Pure state transitions, unit-tested (tests/live.test.js). */
export function liveReducer(state, action) {
  switch (action.type) {
    case 'loaded':
      return { ...state, sessions: action.sessions, error: null };
    case 'load_failed':
      return { ...state, error: action.error };
    case 'upsert': {
      const list = state.sessions || [];
      const i = list.findIndex((s) => s.session_id === action.session.session_id);
      const sessions =
        i < 0 ? [action.session, ...list] : list.map((s, j) => (j === i ? { ...s, ...action.session } : s));
      return { ...state, sessions };
    }
    case 'remove': {
      const qrs = { ...state.qrs };
      delete qrs[action.id];
      return { ...state, sessions: (state.sessions || []).filter((s) => s.session_id !== action.id), qrs };
    }
    case 'qr':
      return { ...state, qrs: { ...state.qrs, [action.id]: action.qr } };
    case 'event':
      return applyEvent(state, action.msg, action.now);
    default:
      return state;
  }
}

export function applyEvent(state, msg, now = Date.now()) {
  if (!msg || !msg.session_id) return state;
  const id = msg.session_id;
  if (msg.type === 'status_update') {
    const d = msg.data || {};
    if (!state.sessions?.some((s) => s.session_id === id)) return state;
    const patch = { status: d.status, status_reason: d.status_reason ?? null, status_detail: d.status_detail ?? null };
    if (d.phone_number !== undefined) patch.phone_number = d.phone_number;
    const sessions = state.sessions.map((s) => (s.session_id === id ? { ...s, ...patch } : s));
    let qrs = state.qrs;
    if (d.status !== 'qr' && qrs[id]) {
      qrs = { ...qrs };
      delete qrs[id];
    }
    return { ...state, sessions, qrs };
  }
  if (msg.type === 'qr_update') {
    const d = msg.data || {};
    return {
      ...state,
      qrs: { ...state.qrs, [id]: { qr_text: d.qr_text, qr_code: d.qr_code, expires_in: d.expires_in, received_at: now } },
    };
  }
  return state;
}

const LiveContext = createContext(null);

export function LiveProvider({ children, socketFactory }) {
  const { token, expire } = useAuth();
  const [state, dispatch] = useReducer(liveReducer, initialLive);
  const [wsState, setWsState] = useState(WS_STATES.closed);
  const listeners = useRef(new Set());
  const expireRef = useRef(expire);
  expireRef.current = expire;

  const reload = useCallback(async () => {
    try {
      const { data } = await api.sessions();
      dispatch({ type: 'loaded', sessions: data || [] });
    } catch (e) {
      if (e.status !== 401) dispatch({ type: 'load_failed', error: e });
    }
  }, []);

  useEffect(() => {
    if (!token) return undefined;
    reload();
    const make =
      socketFactory ||
      ((opts) =>
        new LiveSocket(() => tokenStore.get(), opts));
    const sock = make({
      onUnauthorized: () => expireRef.current(),
      // A refused upgrade is invisible to the browser: ask the API whether the token still works.
      onOpenFailed: (n) => {
        if (n >= 1) api.me().catch(() => {});
      },
    });
    let wasOffline = false;
    const offState = sock.onState((s) => {
      setWsState(s);
      if (s === WS_STATES.offline) wasOffline = true;
      // Back online: events may have been missed while away.
      if (s === WS_STATES.open && wasOffline) {
        wasOffline = false;
        reload();
      }
    });
    const offMsg = sock.onMessage((msg) => {
      dispatch({ type: 'event', msg });
      for (const fn of listeners.current) fn(msg);
    });
    sock.start();
    return () => {
      offState();
      offMsg();
      sock.stop();
    };
  }, [token, reload, socketFactory]);

  const subscribe = useCallback((fn) => {
    listeners.current.add(fn);
    return () => listeners.current.delete(fn);
  }, []);

  const value = useMemo(() => ({ ...state, wsState, dispatch, reload, subscribe }), [state, wsState, reload, subscribe]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export const useLive = () => useContext(LiveContext);
