import { useState } from 'react';
import { toast } from 'sonner';
import { useT } from '../i18n/index.jsx';
import { api } from '../lib/api.js';
import { fieldErrors, toastError } from '../lib/errors.js';
import { useDraft } from '../hooks/useDraft.js';
import Field from './Field.jsx';
import Modal from './Modal.jsx';

/** The checks the API makes (docs/API.md), made first so that a bad form is never sent. */
export function validateSession(values, t) {
  const errors = {};
  const name = values.session_name.trim();
  if (!name) errors.session_name = t('form.required');
  else if ([...name].length > 100) errors.session_name = t('session.nameTooLong');
  // eslint-disable-next-line no-control-regex
  else if (/[\u0000-\u001f\u007f]/.test(name)) errors.session_name = t('session.nameControl');
  const url = values.webhook_url.trim();
  if (!url) errors.webhook_url = t('form.required');
  else if (url.length > 2048) errors.webhook_url = t('session.urlTooLong');
  else {
    let u = null;
    try {
      u = new URL(url);
    } catch {
      u = null;
    }
    if (!u || !['http:', 'https:'].includes(u.protocol)) errors.webhook_url = t('session.urlInvalid');
  }
  return errors;
}

/** New session (session null) or edit one. Drafts survive a re-login (useDraft). */
export default function SessionFormModal({ open, session, onClose, onSaved }) {
  const t = useT();
  const editing = Boolean(session);
  const initial = { session_name: session?.session_name || '', webhook_url: session?.webhook_url || '' };
  return (
    <Modal open={open} onClose={onClose} title={editing ? t('session.editTitle') : t('session.newTitle')} testId="session-form">
      {open && (
        <SessionForm
          key={session?.session_id || 'new'}
          draftKey={editing ? `session-edit-${session.session_id}` : 'session-new'}
          initial={initial}
          session={session}
          onClose={onClose}
          onSaved={onSaved}
        />
      )}
    </Modal>
  );
}

function SessionForm({ draftKey, initial, session, onClose, onSaved }) {
  const t = useT();
  const [values, setValues, clearDraft] = useDraft(draftKey, initial);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setValues((v) => ({ ...v, [k]: e.target.value }));
  const submit = async (e) => {
    e.preventDefault();
    const errs = validateSession(values, t);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const body = { session_name: values.session_name.trim(), webhook_url: values.webhook_url.trim() };
    setBusy(true);
    try {
      const { data, message } = session ? await api.updateSession(session.session_id, body) : await api.createSession(body);
      clearDraft();
      toast.success(message || t('common.saved'));
      onSaved?.(data);
      onClose();
    } catch (err) {
      const fe = fieldErrors(err);
      if (err.status === 409) fe.session_name = err.message;
      setErrors(fe);
      toastError(t, err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      <Field
        label={t('session.name')}
        name="session_name"
        value={values.session_name}
        onChange={set('session_name')}
        error={errors.session_name}
        maxLength={100}
        placeholder={t('session.namePlaceholder')}
        data-testid="session-name"
        autoFocus
      />
      <Field
        label={t('session.webhook')}
        name="webhook_url"
        type="url"
        value={values.webhook_url}
        onChange={set('webhook_url')}
        error={errors.webhook_url}
        placeholder={t('session.webhookPlaceholder')}
        hint={t('session.webhookHint')}
        data-testid="session-webhook"
      />
      <div className="flex flex-col-reverse gap-2 pt-2 sm:flex-row sm:justify-end">
        <button type="button" className="btn-secondary" onClick={onClose}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="btn-primary" disabled={busy} data-testid="session-save">
          {busy ? t('common.working') : session ? t('common.save') : t('session.create')}
        </button>
      </div>
    </form>
  );
}
