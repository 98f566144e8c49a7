import { useEffect, useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router-dom';
import { KeyRound, LayoutGrid, LogOut, MessageSquare, UserRound, WifiOff } from 'lucide-react';
import { toast } from 'sonner';
import { useT } from '../i18n/index.jsx';
import { useAuth } from '../lib/auth.jsx';
import { api } from '../lib/api.js';
import { useLive } from '../hooks/live.jsx';
import LanguageSwitch from './LanguageSwitch.jsx';
import SandboxBanner from './SandboxBanner.jsx';

const linkClass = ({ isActive }) =>
  `inline-flex items-center gap-1.5 rounded-md px-2 py-1.5 text-sm font-medium ${isActive ? 'bg-emerald-50 text-emerald-800' : 'text-slate-700 hover:bg-slate-100'}`;

export default function Layout() {
  const t = useT();
  const { signOut } = useAuth();
  const { wsState } = useLive();
  const navigate = useNavigate();
  const [me, setMe] = useState(null);
  useEffect(() => {
    api.me().then(({ data }) => setMe(data), () => {});
  }, []);
  const logout = async () => {
    await signOut();
    toast.success(t('auth.loggedOut'));
    navigate('/login', { replace: true });
  };
  return (
    <div className="min-h-screen">
      <SandboxBanner />
      <header className="sticky top-0 z-30 border-b border-slate-200 bg-white/95 backdrop-blur">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-3 py-2 sm:px-6">
          <NavLink to="/dashboard" className="flex items-center gap-2 font-semibold text-slate-900">
            <MessageSquare className="h-5 w-5 text-emerald-700" aria-hidden="true" />
            <span>{t('app.name')}</span>
          </NavLink>
          <nav className="order-3 flex w-full gap-1 sm:order-none sm:w-auto" aria-label={t('nav.label')}>
            <NavLink to="/dashboard" className={linkClass}>
              <LayoutGrid className="h-4 w-4" aria-hidden="true" />
              {t('nav.sessions')}
            </NavLink>
            <NavLink to="/api-keys" className={linkClass}>
              <KeyRound className="h-4 w-4" aria-hidden="true" />
              {t('nav.apiKeys')}
            </NavLink>
          </nav>
          <div className="ml-auto flex items-center gap-3">
            {wsState === 'offline' && (
              <span
                data-testid="offline"
                role="status"
                className="inline-flex items-center gap-1 rounded-full bg-red-50 px-2 py-0.5 text-xs font-medium text-red-800"
              >
                <WifiOff className="h-3.5 w-3.5" aria-hidden="true" />
                {t('live.offline')}
              </span>
            )}
            {me && (
              <span className="hidden items-center gap-1 text-xs text-slate-600 md:inline-flex" title={t('auth.account', { id: me.user_id })} data-testid="account">
                <UserRound className="h-4 w-4" aria-hidden="true" />
                {t('auth.accountShort', { id: me.user_id.slice(0, 8) })}
              </span>
            )}
            <LanguageSwitch />
            <button type="button" className="btn-ghost px-2" onClick={logout} data-testid="logout">
              <LogOut className="h-4 w-4" aria-hidden="true" />
              <span>{t('auth.logout')}</span>
            </button>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-3 py-4 sm:px-6 sm:py-6">
        <Outlet />
      </main>
    </div>
  );
}
