import { Dialog, DialogPanel, DialogTitle } from '@headlessui/react';
import { X } from 'lucide-react';
import { useT } from '../i18n/index.jsx';

// Headless UI's Dialog: focus trap, Escape closes, focus returns to the opener.
export default function Modal({ open, onClose, title, children, wide = false, testId }) {
  const t = useT();
  return (
    <Dialog open={open} onClose={onClose} className="relative z-50">
      <div className="fixed inset-0 bg-slate-900/50" aria-hidden="true" />
      <div className="fixed inset-0 flex items-end justify-center overflow-y-auto p-2 sm:items-center sm:p-4">
        <DialogPanel
          data-testid={testId}
          className={`card my-auto w-full ${wide ? 'max-w-2xl' : 'max-w-md'} max-h-[95vh] overflow-y-auto p-4 sm:p-6`}
        >
          <div className="mb-4 flex items-start justify-between gap-4">
            <DialogTitle className="text-lg font-semibold">{title}</DialogTitle>
            <button type="button" className="btn-ghost -m-2 p-2" onClick={onClose} aria-label={t('common.close')}>
              <X className="h-5 w-5" aria-hidden="true" />
            </button>
          </div>
          {children}
        </DialogPanel>
      </div>
    </Dialog>
  );
}
