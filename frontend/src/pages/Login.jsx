import { useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { LogIn } from 'lucide-react';
import { toast } from 'sonner';
import { useT } from '../i18n/index.jsx';
import { api } from '../lib/api.js';
import { useAuth } from '../lib/auth.jsx';
import Field from '../components/Field.jsx';
import PublicShell from '../components/PublicShell.jsx';

export const PIN_RE = /^[A-Z0-9]{6}$/;

export default function Login() {
  const t = useT();
  const location = useLocation();
  const navigate = useNavigate();
  const { signIn, expired } = useAuth();
  const [pin, setPin] = useState(location.state?.pin || '');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const p = pin.trim().toUpperCase();
    if (!PIN_RE.test(p)) {
      setError(t('login.pinFormat'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { data, message } = await api.login(p);
      signIn(data.token);
      toast.success(message || t('login.ok'));
      navigate(location.state?.from || '/dashboard', { replace: true });
    } catch (err) {
      const msg = err.status === 0 ? t('error.network') : err.message;
      setError(msg);
      toast.error(msg);
    } finally {
      setBusy(false);
    }
  };
  return (
    <PublicShell>
      <h1 className="text-xl font-semibold">{t('login.title')}</h1>
      {expired && (
        <p className="mt-3 rounded-md bg-amber-50 p-3 text-sm text-amber-900" role="status" data-testid="expired">
          {t('auth.expired')}
        </p>
      )}
      <form className="mt-6 space-y-4" onSubmit={submit} noValidate>
        <Field
          label={t('login.pin')}
          name="pin"
          value={pin}
          onChange={(e) => setPin(e.target.value.toUpperCase())}
          autoComplete="off"
          autoCapitalize="characters"
          maxLength={6}
          className="[&_input]:font-mono [&_input]:tracking-widest"
          error={error}
          hint={t('login.pinHint')}
          data-testid="pin-input"
          autoFocus
        />
        <button type="submit" className="btn-primary w-full" disabled={busy} data-testid="login-submit">
          <LogIn className="h-4 w-4" aria-hidden="true" />
          {busy ? t('common.working') : t('auth.login')}
        </button>
      </form>
      <p className="mt-6 text-center text-sm text-slate-600">
        {t('login.noPin')}{' '}
        <Link to="/" className="font-medium text-emerald-800 underline">
          {t('pin.generate')}
        </Link>
      </p>
    </PublicShell>
  );
}
