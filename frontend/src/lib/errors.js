import { toast } from 'sonner';

// Toast for a failed call: the API's own message, or a translated one when there is none.
export function toastError(t, e) {
  if (e?.name === 'AbortError') return;
  if (e?.status === 401) return; // the login page says it
  const msg = e?.status === 0 ? t('error.network') : e?.message || t('error.generic');
  toast.error(msg);
}

/** Field errors of a 400 validation_failed, keyed by field name. */
export function fieldErrors(e) {
  return e?.code === 'validation_failed' || e?.status === 400 || e?.status === 409 ? e.details || {} : {};
}
