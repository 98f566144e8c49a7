import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Copy, KeyRound, TriangleAlert } from 'lucide-react';
import { toast } from 'sonner';
import { useT } from '../i18n/index.jsx';
import { api } from '../lib/api.js';
import { toastError } from '../lib/errors.js';
import PublicShell from '../components/PublicShell.jsx';

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export default function GeneratePin() {
  const t = useT();
  const [pin, setPin] = useState(null);
  const [busy, setBusy] = useState(false);
  const generate = async () => {
    setBusy(true);
    try {
      const { data, message } = await api.generatePin();
      setPin(data.pin);
      toast.warning(message || t('pin.save'));
    } catch (e) {
      toastError(t, e);
    } finally {
      setBusy(false);
    }
  };
  const copy = async () => {
    if (await copyText(pin)) toast.success(t('pin.copied'));
    else toast.error(t('pin.copyFailed'));
  };
  return (
    <PublicShell>
      <h1 className="text-xl font-semibold">{t('pin.title')}</h1>
      <p className="mt-1 text-sm text-slate-600">{t('pin.intro')}</p>
      {!pin ? (
        <button type="button" className="btn-primary mt-6 w-full" onClick={generate} disabled={busy} data-testid="generate-pin">
          <KeyRound className="h-4 w-4" aria-hidden="true" />
          {busy ? t('common.working') : t('pin.generate')}
        </button>
      ) : (
        <div className="mt-6 space-y-4">
          <div className="flex items-center justify-between gap-2 rounded-lg border-2 border-dashed border-emerald-600 bg-emerald-50 px-4 py-3">
            <output data-testid="pin" className="font-mono text-3xl font-bold tracking-[0.3em] text-emerald-900" aria-label={t('pin.yourPin')}>
              {pin}
            </output>
            <button type="button" className="btn-secondary" onClick={copy} data-testid="copy-pin">
              <Copy className="h-4 w-4" aria-hidden="true" />
              {t('common.copy')}
            </button>
          </div>
          <p className="flex gap-2 rounded-md bg-amber-50 p-3 text-sm text-amber-900" role="note">
            <TriangleAlert className="h-5 w-5 shrink-0" aria-hidden="true" />
            {t('pin.save')}
          </p>
          <Link to="/login" state={{ pin }} className="btn-primary w-full" data-testid="go-login">
            {t('pin.goLogin')}
          </Link>
        </div>
      )}
      <p className="mt-6 text-center text-sm text-slate-600">
        {t('pin.haveOne')}{' '}
        <Link to="/login" className="font-medium text-emerald-800 underline">
          {t('auth.login')}
        </Link>
      </p>
    </PublicShell>
  );
}
