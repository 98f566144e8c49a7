import { useState } from 'react';
import { useT } from '../i18n/index.jsx';
import Modal from './Modal.jsx';

export default function ConfirmDialog({ open, title, body, confirmLabel, onConfirm, onClose }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} onClose={onClose} title={title} testId="confirm-dialog">
      <p className="text-sm text-slate-700">{body}</p>
      <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <button type="button" className="btn-secondary" onClick={onClose} autoFocus>
          {t('common.cancel')}
        </button>
        <button type="button" className="btn-danger" onClick={confirm} disabled={busy} data-testid="confirm">
          {busy ? t('common.working') : confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
