// The login token and what happens when it stops working: any 401 from the API (or the live socket
// refused) sends the user to /login with the page they were on, keeping their drafts
// (useDraft) so that nothing typed is lost.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { useLocation, Navigate } from 'react-router-dom';
import { toast } from 'sonner';
import { api, onUnauthorized, tokenStore } from './api.js';
import { useT } from '../i18n/index.jsx';

const AuthContext = createContext(null);

export function AuthProvider({ children }) {
  const [token, setToken] = useState(() => tokenStore.get());
  // Set when the token stopped working (not on a deliberate logout): the login page says so.
  const [expired, setExpired] = useState(false);
  const t = useT();

  // RequireAuth then sends the user to /login, remembering the page.
  const expire = useCallback(() => {
    if (!tokenStore.get()) return;
    tokenStore.clear();
    setExpired(true);
    setToken(null);
    toast.error(t('auth.expired'), { id: 'expired' });
  }, [t]);

  useEffect(() => {
    onUnauthorized(expire);
  }, [expire]);

  const signIn = useCallback((tok) => {
    tokenStore.set(tok);
    setExpired(false);
    setToken(tok);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      /* the token is dropped either way */
    }
    tokenStore.clear();
    setExpired(false);
    setToken(null);
  }, []);

  const value = useMemo(() => ({ token, expired, signIn, signOut, expire }), [token, expired, signIn, signOut, expire]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export const useAuth = () => useContext(AuthContext);

export function RequireAuth({ children }) {
  const { token } = useAuth();
  const location = useLocation();
  if (!token) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return children;
}
