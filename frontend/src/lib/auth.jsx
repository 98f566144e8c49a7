// The login token and what happens when it stops working: any 401 from the API (or the live socket
// refused) sends the user to /login with the page they were on, keeping their drafts
// (useDraft) so that nothing typed is lost.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { useLocation, useNavigate, Navigate } from 'react-router-dom';
import { toast } from 'sonner';
import { api, onUnauthorized, tokenStore } from './api.js';
import { useT } from '../i18n/index.jsx';

const AuthContext = createContext(null);

export function AuthProvider({ children }) {
  const [token, setToken] = useState(() => tokenStore.get());
  const navigate = useNavigate();
  const location = useLocation();
  const t = useT();

  const expire = useCallback(() => {
    if (!tokenStore.get()) return;
    tokenStore.clear();
    setToken(null);
    toast.error(t('auth.expired'), { id: 'expired' });
    navigate('/login', { replace: true, state: { from: location.pathname + location.search, expired: true } });
  }, [navigate, location, t]);

  useEffect(() => {
    onUnauthorized(expire);
  }, [expire]);

  const signIn = useCallback((tok) => {
    tokenStore.set(tok);
    setToken(tok);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      /* the token is dropped either way */
    }
    tokenStore.clear();
    setToken(null);
  }, []);

  const value = useMemo(() => ({ token, signIn, signOut, expire }), [token, signIn, signOut, expire]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export const useAuth = () => useContext(AuthContext);

export function RequireAuth({ children }) {
  const { token } = useAuth();
  const location = useLocation();
  if (!token) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return children;
}
