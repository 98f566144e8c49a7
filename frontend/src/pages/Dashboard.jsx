import { useCallback, useRef, useState } from 'react';
import { Plus, Smartphone } from 'lucide-react';
import { toast } from 'sonner';
import { useT } from '../i18n/index.jsx';
import { api } from '../lib/api.js';
import { toastError } from '../lib/errors.js';
import { useLive } from '../hooks/live.jsx';
import SessionCard from '../components/SessionCard.jsx';
import SessionFormModal from '../components/SessionFormModal.jsx';
import ConfirmDialog from '../components/ConfirmDialog.jsx';
import QRModal from '../components/QRModal.jsx';

export default function Dashboard() {
  const t = useT();
  const { sessions, error, dispatch, reload } = useLive();
  const [form, setForm] = useState(null); // {session} or {session: null}
  const [deleting, setDeleting] = useState(null);
  const [qrFor, setQrFor] = useState(null);
  const [busy, setBusy] = useState({});

  const act = async (s, fn) => {
    setBusy((b) => ({ ...b, [s.session_id]: true }));
    try {
      const { data, message } = await fn(s.session_id);
      if (data?.status) dispatch({ type: 'upsert', session: { session_id: s.session_id, status: data.status, status_reason: data.status_reason ?? null } });
      toast.success(message || t('common.done'));
    } catch (e) {
      toastError(t, e);
    } finally {
      setBusy((b) => ({ ...b, [s.session_id]: false }));
    }
  };

  // One stable callback for every card (SessionCard is memoised).
  const actRef = useRef(act);
  actRef.current = act;
  const onAction = useCallback((kind, s) => {
    if (kind === 'start') setQrFor(s.session_id);
    else if (kind === 'stop') actRef.current(s, api.stop);
    else if (kind === 'reconnect') actRef.current(s, api.reconnect);
    else if (kind === 'edit') setForm({ session: s });
    else if (kind === 'delete') setDeleting(s);
  }, []);

  const remove = async () => {
    const s = deleting;
    try {
      const { message } = await api.deleteSession(s.session_id);
      dispatch({ type: 'remove', id: s.session_id });
      toast.success(message || t('common.deleted'));
      setDeleting(null);
    } catch (e) {
      toastError(t, e);
    }
  };

  return (
    <div>
      <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold">{t('dashboard.title')}</h1>
          {sessions && (
            <p className="text-sm text-slate-600">
              {t('dashboard.summary', {
                total: sessions.length,
                connected: sessions.filter((s) => s.status === 'connected').length,
              })}
            </p>
          )}
        </div>
        <button type="button" className="btn-primary" onClick={() => setForm({ session: null })} data-testid="new-session">
          <Plus className="h-4 w-4" aria-hidden="true" />
          {t('dashboard.newSession')}
        </button>
      </div>

      {error && !sessions && (
        <div className="card p-4 text-sm text-red-800" role="alert">
          {error.message || t('error.generic')}{' '}
          <button type="button" className="underline" onClick={reload}>
            {t('common.retry')}
          </button>
        </div>
      )}
      {!sessions && !error && (
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-busy="true" aria-label={t('common.loading')}>
          {[0, 1, 2].map((i) => (
            <div key={i} className="card h-40 animate-pulse bg-slate-100" />
          ))}
        </div>
      )}
      {sessions && sessions.length === 0 && (
        <div className="card flex flex-col items-center gap-3 px-4 py-12 text-center" data-testid="empty-state">
          <Smartphone className="h-10 w-10 text-slate-500" aria-hidden="true" />
          <h2 className="text-lg font-semibold">{t('dashboard.emptyTitle')}</h2>
          <p className="max-w-sm text-sm text-slate-600">{t('dashboard.emptyBody')}</p>
          <button type="button" className="btn-primary" onClick={() => setForm({ session: null })}>
            <Plus className="h-4 w-4" aria-hidden="true" />
            {t('dashboard.newSession')}
          </button>
        </div>
      )}
      {sessions && sessions.length > 0 && (
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" data-testid="session-list">
          {sessions.map((s) => (
            <SessionCard
              key={s.session_id}
              session={s}
              busy={Boolean(busy[s.session_id])}
              onAction={onAction}
            />
          ))}
        </div>
      )}

      <SessionFormModal
        open={Boolean(form)}
        session={form?.session}
        onClose={() => setForm(null)}
        onSaved={(data) => data && dispatch({ type: 'upsert', session: data })}
      />
      <ConfirmDialog
        open={Boolean(deleting)}
        title={t('session.deleteTitle')}
        body={t('session.deleteBody', { name: deleting?.session_name || '' })}
        confirmLabel={t('common.delete')}
        onConfirm={remove}
        onClose={() => setDeleting(null)}
      />
      <QRModal sessionId={qrFor} onClose={() => setQrFor(null)} />
    </div>
  );
}
