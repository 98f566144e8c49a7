import { useCallback, useEffect, useState } from 'react';
import { Copy, KeyRound, Plus, Trash2 } from 'lucide-react';
import { toast } from 'sonner';
import { useI18n } from '../i18n/index.jsx';
import { api } from '../lib/api.js';
import { fieldErrors, toastError } from '../lib/errors.js';
import { useLive } from '../hooks/live.jsx';
import { useDraft } from '../hooks/useDraft.js';
import Field from '../components/Field.jsx';
import Modal from '../components/Modal.jsx';
import ConfirmDialog from '../components/ConfirmDialog.jsx';
import { copyText } from './GeneratePin.jsx';

export default function ApiKeys() {
  const { t, lang } = useI18n();
  const { sessions } = useLive();
  const [keys, setKeys] = useState(null);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState(null);
  const [revoking, setRevoking] = useState(null);
  const load = useCallback(async () => {
    try {
      setKeys((await api.apiKeys()).data || []);
    } catch (e) {
      toastError(t, e);
      setKeys([]);
    }
  }, [t]);
  useEffect(() => {
    load();
  }, [load]);
  const names = Object.fromEntries((sessions || []).map((s) => [s.session_id, s.session_name]));
  const revoke = async () => {
    try {
      const { message } = await api.deleteApiKey(revoking.id);
      toast.success(message || t('keys.revoked'));
      setRevoking(null);
      load();
    } catch (e) {
      toastError(t, e);
    }
  };
  const fmt = (iso) => (iso ? new Date(iso).toLocaleString(lang === 'id' ? 'id-ID' : 'en-GB') : t('keys.never'));
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold">{t('keys.title')}</h1>
          <p className="text-sm text-slate-600">{t('keys.intro')}</p>
        </div>
        <button type="button" className="btn-primary" onClick={() => setCreating(true)} data-testid="new-key">
          <Plus className="h-4 w-4" aria-hidden="true" />
          {t('keys.new')}
        </button>
      </div>
      <div className="card">
        {!keys ? (
          <p className="p-4 text-sm text-slate-600">{t('common.loading')}</p>
        ) : keys.length === 0 ? (
          <div className="flex flex-col items-center gap-2 p-8 text-center text-sm text-slate-600">
            <KeyRound className="h-8 w-8" aria-hidden="true" />
            {t('keys.none')}
          </div>
        ) : (
          <ul className="divide-y divide-slate-100">
            {keys.map((k) => (
              <li key={k.id} className="flex flex-wrap items-center gap-x-4 gap-y-1 p-4 text-sm">
                <div className="min-w-0 flex-1">
                  <p className="font-medium">{k.name}</p>
                  <p className="font-mono text-xs text-slate-600">{k.prefix}…</p>
                </div>
                <div className="text-xs text-slate-600">
                  <p>{k.session_ids ? t('keys.limited', { list: k.session_ids.map((id) => names[id] || id.slice(0, 8)).join(', ') || '—' }) : t('keys.allSessions')}</p>
                  <p>{t('keys.lastUsed', { when: fmt(k.last_used_at) })}</p>
                </div>
                <button
                  type="button"
                  className="btn px-2.5 py-1.5 text-xs text-red-700 hover:bg-red-50"
                  onClick={() => setRevoking(k)}
                  aria-label={t('keys.revokeNamed', { name: k.name })}
                >
                  <Trash2 className="h-3.5 w-3.5" aria-hidden="true" />
                  {t('keys.revoke')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <Modal open={creating} onClose={() => setCreating(false)} title={t('keys.new')} testId="key-form">
        {creating && (
          <KeyForm
            sessions={sessions || []}
            onClose={() => setCreating(false)}
            onCreated={(k) => {
              setCreating(false);
              setCreated(k);
              load();
            }}
          />
        )}
      </Modal>
      <Modal open={Boolean(created)} onClose={() => setCreated(null)} title={t('keys.createdTitle')}>
        <p className="text-sm text-amber-900">{t('keys.createdBody')}</p>
        <code className="mt-3 block break-all rounded bg-slate-100 p-3 font-mono text-xs" data-testid="new-key-value">
          {created?.key}
        </code>
        <button
          type="button"
          className="btn-secondary mt-3"
          onClick={async () => ((await copyText(created.key)) ? toast.success(t('keys.copied')) : toast.error(t('pin.copyFailed')))}
        >
          <Copy className="h-4 w-4" aria-hidden="true" />
          {t('common.copy')}
        </button>
      </Modal>
      <ConfirmDialog
        open={Boolean(revoking)}
        title={t('keys.revokeTitle')}
        body={t('keys.revokeBody', { name: revoking?.name || '' })}
        confirmLabel={t('keys.revoke')}
        onConfirm={revoke}
        onClose={() => setRevoking(null)}
      />
    </div>
  );
}

function KeyForm({ sessions, onClose, onCreated }) {
  const { t } = useI18n();
  const [values, setValues, clear] = useDraft('api-key-new', { name: '', limited: false, session_ids: [] });
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const errs = {};
    if (!values.name.trim()) errs.name = t('form.required');
    else if (values.name.trim().length > 100) errs.name = t('session.nameTooLong');
    if (values.limited && values.session_ids.length === 0) errs.session_ids = t('keys.pickOne');
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const body = { name: values.name.trim() };
      if (values.limited) body.session_ids = values.session_ids;
      const { data, message } = await api.createApiKey(body);
      clear();
      toast.success(message || t('keys.createdTitle'));
      onCreated(data);
    } catch (err) {
      setErrors(fieldErrors(err));
      toastError(t, err);
    } finally {
      setBusy(false);
    }
  };
  const toggle = (id) =>
    setValues((v) => ({ ...v, session_ids: v.session_ids.includes(id) ? v.session_ids.filter((x) => x !== id) : [...v.session_ids, id] }));
  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      <Field label={t('keys.name')} value={values.name} onChange={(e) => setValues((v) => ({ ...v, name: e.target.value }))} error={errors.name} placeholder={t('keys.namePlaceholder')} autoFocus />
      <fieldset>
        <legend className="label">{t('keys.scope')}</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="scope" checked={!values.limited} onChange={() => setValues((v) => ({ ...v, limited: false }))} />
          {t('keys.allSessions')}
        </label>
        <label className="mt-1 flex items-center gap-2 text-sm">
          <input type="radio" name="scope" checked={values.limited} onChange={() => setValues((v) => ({ ...v, limited: true }))} />
          {t('keys.someSessions')}
        </label>
        {values.limited && (
          <div className="mt-2 max-h-40 space-y-1 overflow-y-auto rounded border border-slate-200 p-2">
            {sessions.map((s) => (
              <label key={s.session_id} className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={values.session_ids.includes(s.session_id)} onChange={() => toggle(s.session_id)} />
                {s.session_name}
              </label>
            ))}
          </div>
        )}
        {errors.session_ids && (
          <p className="mt-1 text-xs text-red-700" role="alert">
            {errors.session_ids}
          </p>
        )}
      </fieldset>
      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <button type="button" className="btn-secondary" onClick={onClose}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="btn-primary" disabled={busy}>
          {busy ? t('common.working') : t('keys.create')}
        </button>
      </div>
    </form>
  );
}
