import { useEffect, useRef, useState } from 'react';
import { Tab, TabGroup, TabList, TabPanel, TabPanels } from '@headlessui/react';
import QRCode from 'react-qr-code';
import { CheckCircle2, RefreshCw, Smartphone } from 'lucide-react';
import { toast } from 'sonner';
import { useT } from '../i18n/index.jsx';
import { api } from '../lib/api.js';
import { toastError } from '../lib/errors.js';
import { useLive } from '../hooks/live.jsx';
import Modal from './Modal.jsx';
import Field from './Field.jsx';

/** Seconds left of a QR that had `expires_in` seconds when it arrived at `received_at`. */
export function secondsLeft(qr, now = Date.now()) {
  if (!qr || qr.expires_in == null) return 0;
  const elapsed = Math.max(0, now - qr.received_at); // the ticking clock may lag the arrival
  return Math.max(0, Math.ceil(qr.expires_in - elapsed / 1000));
}

const AUTO_CLOSE_MS = 1500;

/**
 * Starts the session (POST /start) and shows its QR, following qr_update events; shows success
 * and closes itself once the session is connected. The second tab links by phone number.
 */
export default function QRModal({ sessionId, onClose }) {
  const t = useT();
  const open = Boolean(sessionId);
  return (
    <Modal open={open} onClose={onClose} title={t('qr.title')} testId="qr-modal">
      {open && <QRBody key={sessionId} sessionId={sessionId} onClose={onClose} />}
    </Modal>
  );
}

function QRBody({ sessionId, onClose }) {
  const t = useT();
  const { sessions, qrs, dispatch } = useLive();
  const session = sessions?.find((s) => s.session_id === sessionId);
  const qr = qrs[sessionId];
  const [starting, setStarting] = useState(false);
  const [now, setNow] = useState(Date.now());
  const connected = session?.status === 'connected';
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  const start = async () => {
    setStarting(true);
    try {
      const { data } = await api.start(sessionId);
      if (data?.qr_text) {
        dispatch({ type: 'qr', id: sessionId, qr: { qr_text: data.qr_text, expires_in: data.expires_in, received_at: Date.now() } });
      }
      dispatch({
        type: 'upsert',
        session: { session_id: sessionId, status: data.status, status_reason: data.status_reason, phone_number: data.phone_number },
      });
    } catch (e) {
      toastError(t, e);
    } finally {
      setStarting(false);
    }
  };

  useEffect(() => {
    if (session?.status !== 'connected') start();
    // Once, when the modal opens.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(id);
  }, []);

  useEffect(() => {
    if (!connected) return undefined;
    toast.success(t('qr.connectedToast', { name: session?.session_name || '' }));
    const id = setTimeout(() => closeRef.current(), AUTO_CLOSE_MS);
    return () => clearTimeout(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [connected]);

  if (connected) {
    return (
      <div className="flex flex-col items-center gap-3 py-6 text-center" data-testid="qr-success" role="status">
        <CheckCircle2 className="h-14 w-14 text-emerald-600" aria-hidden="true" />
        <p className="text-lg font-semibold">{t('qr.connected')}</p>
        {session?.phone_number && <p className="font-mono text-slate-700">+{session.phone_number}</p>}
      </div>
    );
  }

  const left = secondsLeft(qr, now);
  // The gateway gave up: every QR code of this start ran out unscanned (status_reason qr_timeout).
  const timedOut = session?.status === 'disconnected' && session?.status_reason === 'qr_timeout';
  const expired = !qr || left === 0 || timedOut;
  return (
    <TabGroup>
      <TabList className="mb-4 grid grid-cols-2 gap-1 rounded-lg bg-slate-100 p-1 text-sm">
        {[t('qr.tabQr'), t('qr.tabPhone')].map((label) => (
          <Tab
            key={label}
            className="rounded-md px-2 py-1.5 font-medium text-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-600 data-[selected]:bg-white data-[selected]:text-slate-900 data-[selected]:shadow"
          >
            {label}
          </Tab>
        ))}
      </TabList>
      <TabPanels>
        <TabPanel className="flex flex-col items-center gap-3">
          <div className="relative rounded-lg border border-slate-200 bg-white p-3">
            {qr?.qr_text ? (
              <div data-testid="qr-code" data-expired={expired ? 'true' : 'false'} className={expired ? 'opacity-20' : ''}>
                <QRCode value={qr.qr_text} size={232} title={t('qr.alt')} />
              </div>
            ) : (
              <div className="flex h-[232px] w-[232px] items-center justify-center text-sm text-slate-600">
                {starting ? t('qr.starting') : t('qr.none')}
              </div>
            )}
          </div>
          <p className="text-sm text-slate-700" role="status" aria-live="polite">
            {timedOut ? t('qr.timedOut') : qr?.qr_text && !expired ? t('qr.waiting', { s: left }) : qr?.qr_text ? t('qr.expired') : ''}
          </p>
          {expired && !starting && (
            <button type="button" className="btn-primary" onClick={start} data-testid="qr-refresh">
              <RefreshCw className="h-4 w-4" aria-hidden="true" />
              {t('qr.refresh')}
            </button>
          )}
          <ol className="list-decimal space-y-0.5 self-stretch pl-5 text-xs text-slate-600">
            <li>{t('qr.step1')}</li>
            <li>{t('qr.step2')}</li>
            <li>{t('qr.step3')}</li>
          </ol>
        </TabPanel>
        <TabPanel>
          <PairByPhone sessionId={sessionId} />
        </TabPanel>
      </TabPanels>
    </TabGroup>
  );
}

function PairByPhone({ sessionId }) {
  const t = useT();
  const [phone, setPhone] = useState('');
  const [error, setError] = useState(null);
  const [code, setCode] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const digits = phone.replace(/[\s\-().+]/g, '');
    if (!/^[1-9][0-9]{6,14}$/.test(digits)) {
      setError(t('qr.phoneInvalid'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { data } = await api.pairCode(sessionId, phone);
      setCode(data.code);
    } catch (err) {
      setError(err.details?.phone || err.message);
      toastError(t, err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} noValidate className="space-y-3">
      <Field
        label={t('qr.phone')}
        value={phone}
        onChange={(e) => setPhone(e.target.value)}
        inputMode="tel"
        placeholder={t('qr.phonePlaceholder')}
        error={error}
        hint={t('qr.phoneHint')}
        data-testid="pair-phone"
      />
      <button type="submit" className="btn-primary w-full" disabled={busy} data-testid="pair-submit">
        <Smartphone className="h-4 w-4" aria-hidden="true" />
        {busy ? t('common.working') : t('qr.getCode')}
      </button>
      {code && (
        <div className="rounded-lg bg-emerald-50 p-4 text-center">
          <p className="text-xs text-slate-700">{t('qr.enterCode')}</p>
          <output data-testid="pair-code" className="mt-1 block font-mono text-3xl font-bold tracking-widest text-emerald-900">
            {code}
          </output>
        </div>
      )}
    </form>
  );
}
