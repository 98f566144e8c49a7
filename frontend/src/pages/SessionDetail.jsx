// One session: recent messages both ways with their delivery status, webhook deliveries with their
// attempts (retry a failed one), the webhook secret (reveal, copy, rotate) and a test message.
import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ArrowLeft, ArrowDownLeft, ArrowUpRight, Copy, Eye, EyeOff, RefreshCw, RotateCcw, Send } from 'lucide-react';
import { toast } from 'sonner';
import { useI18n, useT } from '../i18n/index.jsx';
import { api } from '../lib/api.js';
import { fieldErrors, toastError } from '../lib/errors.js';
import { useDraft } from '../hooks/useDraft.js';
import { useLive } from '../hooks/live.jsx';
import StatusBadge from '../components/StatusBadge.jsx';
import Field from '../components/Field.jsx';
import ConfirmDialog from '../components/ConfirmDialog.jsx';
import { copyText } from './GeneratePin.jsx';

const fmtTime = (iso, lang) => (iso ? new Date(iso).toLocaleString(lang === 'id' ? 'id-ID' : 'en-GB') : '—');

export default function SessionDetail() {
  const t = useT();
  const { sessionId } = useParams();
  const { sessions, subscribe } = useLive();
  const live = sessions?.find((s) => s.session_id === sessionId);
  const [messages, setMessages] = useState(null);
  const [deliveries, setDeliveries] = useState(null);

  const loadMessages = useCallback(async () => {
    try {
      setMessages((await api.messages(sessionId, 20)).data.messages);
    } catch (e) {
      toastError(t, e);
      setMessages([]);
    }
  }, [sessionId, t]);
  const loadDeliveries = useCallback(async () => {
    try {
      setDeliveries((await api.deliveries(sessionId, 20)).data || []);
    } catch (e) {
      toastError(t, e);
      setDeliveries([]);
    }
  }, [sessionId, t]);

  useEffect(() => {
    loadMessages();
    loadDeliveries();
  }, [loadMessages, loadDeliveries]);

  // Live: new messages and status changes of this session.
  useEffect(
    () =>
      subscribe((msg) => {
        if (msg.session_id !== sessionId) return;
        if (msg.type === 'message_received') loadMessages();
        if (msg.type === 'message_status') {
          setMessages((list) => list?.map((m) => (m.message_id === msg.data?.message_id ? { ...m, status: msg.data.status } : m)));
        }
      }),
    [subscribe, sessionId, loadMessages],
  );

  return (
    <div className="space-y-4">
      <Link to="/dashboard" className="inline-flex items-center gap-1 text-sm text-emerald-800 hover:underline">
        <ArrowLeft className="h-4 w-4" aria-hidden="true" />
        {t('nav.back')}
      </Link>
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-xl font-semibold">{live?.session_name || t('detail.title')}</h1>
        {live && <StatusBadge status={live.status} reason={live.status_reason} />}
        {live?.phone_number && <span className="font-mono text-sm text-slate-700">+{live.phone_number}</span>}
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <SendForm sessionId={sessionId} onSent={loadMessages} />
        <WebhookSecret sessionId={sessionId} />
      </div>
      <Messages messages={messages} onRefresh={loadMessages} />
      <Deliveries sessionId={sessionId} deliveries={deliveries} onRefresh={loadDeliveries} />
    </div>
  );
}

function Section({ title, action, children, testId }) {
  return (
    <section className="card p-4" data-testid={testId}>
      <div className="mb-3 flex items-center justify-between gap-2">
        <h2 className="text-sm font-semibold">{title}</h2>
        {action}
      </div>
      {children}
    </section>
  );
}

function RefreshButton({ onClick }) {
  const t = useT();
  return (
    <button type="button" className="btn-ghost px-2 py-1 text-xs" onClick={onClick}>
      <RefreshCw className="h-3.5 w-3.5" aria-hidden="true" />
      {t('common.refresh')}
    </button>
  );
}

function SendForm({ sessionId, onSent }) {
  const t = useT();
  const [values, setValues, clear] = useDraft(`send-${sessionId}`, { to: '', content: '' });
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const errs = {};
    if (!values.to.trim()) errs.to = t('form.required');
    else if (!/^[+\d\s\-().]{7,24}$/.test(values.to.trim()) && !values.to.includes('@')) errs.to = t('send.toInvalid');
    if (!values.content.trim()) errs.content = t('form.required');
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const { message } = await api.send(sessionId, { to: values.to.trim(), type: 'text', content: values.content });
      toast.success(message || t('send.sent'));
      clear();
      setValues({ to: values.to, content: '' });
      onSent();
    } catch (err) {
      setErrors(fieldErrors(err));
      toastError(t, err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title={t('send.title')} testId="send-form">
      <form onSubmit={submit} noValidate className="space-y-3">
        <Field
          label={t('send.to')}
          value={values.to}
          onChange={(e) => setValues((v) => ({ ...v, to: e.target.value }))}
          error={errors.to}
          placeholder={t('qr.phonePlaceholder')}
          inputMode="tel"
          data-testid="send-to"
        />
        <Field
          as="textarea"
          rows={3}
          label={t('send.content')}
          value={values.content}
          onChange={(e) => setValues((v) => ({ ...v, content: e.target.value }))}
          error={errors.content}
          data-testid="send-content"
        />
        <button type="submit" className="btn-primary" disabled={busy} data-testid="send-submit">
          <Send className="h-4 w-4" aria-hidden="true" />
          {busy ? t('common.working') : t('send.submit')}
        </button>
      </form>
    </Section>
  );
}

function WebhookSecret({ sessionId }) {
  const t = useT();
  const [secret, setSecret] = useState(null);
  const [shown, setShown] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const fetchSecret = async () => {
    const { data } = await api.webhookSecret(sessionId);
    setSecret(data.secret);
    return data.secret;
  };
  const reveal = async () => {
    try {
      if (!secret) await fetchSecret();
      setShown((s) => !s);
    } catch (e) {
      toastError(t, e);
    }
  };
  const copy = async () => {
    try {
      const s = secret || (await fetchSecret());
      if (await copyText(s)) toast.success(t('secret.copied'));
      else toast.error(t('pin.copyFailed'));
    } catch (e) {
      toastError(t, e);
    }
  };
  const rotate = async () => {
    try {
      const { data, message } = await api.rotateSecret(sessionId);
      setSecret(data.secret);
      setShown(true);
      toast.success(message || t('secret.rotated'));
      setConfirm(false);
    } catch (e) {
      toastError(t, e);
    }
  };
  return (
    <Section title={t('secret.title')} testId="webhook-secret">
      <p className="mb-3 text-xs text-slate-600">{t('secret.intro')}</p>
      <code className="block break-all rounded bg-slate-100 px-3 py-2 font-mono text-xs" data-testid="secret-value">
        {shown && secret ? secret : '•'.repeat(32)}
      </code>
      <div className="mt-3 flex flex-wrap gap-2">
        <button type="button" className="btn-secondary px-2.5 py-1.5 text-xs" onClick={reveal} aria-pressed={shown}>
          {shown ? <EyeOff className="h-3.5 w-3.5" aria-hidden="true" /> : <Eye className="h-3.5 w-3.5" aria-hidden="true" />}
          {shown ? t('secret.hide') : t('secret.reveal')}
        </button>
        <button type="button" className="btn-secondary px-2.5 py-1.5 text-xs" onClick={copy}>
          <Copy className="h-3.5 w-3.5" aria-hidden="true" />
          {t('common.copy')}
        </button>
        <button type="button" className="btn px-2.5 py-1.5 text-xs text-red-700 hover:bg-red-50" onClick={() => setConfirm(true)}>
          <RotateCcw className="h-3.5 w-3.5" aria-hidden="true" />
          {t('secret.rotate')}
        </button>
      </div>
      <ConfirmDialog
        open={confirm}
        title={t('secret.rotateTitle')}
        body={t('secret.rotateBody')}
        confirmLabel={t('secret.rotate')}
        onConfirm={rotate}
        onClose={() => setConfirm(false)}
      />
    </Section>
  );
}

const STATUS_STYLE = {
  sent: 'bg-slate-100 text-slate-800',
  delivered: 'bg-sky-100 text-sky-900',
  read: 'bg-emerald-100 text-emerald-900',
  played: 'bg-emerald-100 text-emerald-900',
  failed: 'bg-red-100 text-red-900',
  pending: 'bg-amber-100 text-amber-900',
};

function Pill({ value }) {
  const t = useT();
  return <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${STATUS_STYLE[value] || 'bg-slate-100'}`}>{t(`msgStatus.${value}`)}</span>;
}

function Messages({ messages, onRefresh }) {
  const { t, lang } = useI18n();
  return (
    <Section title={t('detail.messages')} action={<RefreshButton onClick={onRefresh} />} testId="messages">
      {!messages ? (
        <p className="text-sm text-slate-600">{t('common.loading')}</p>
      ) : messages.length === 0 ? (
        <p className="text-sm text-slate-600">{t('detail.noMessages')}</p>
      ) : (
        <ul className="divide-y divide-slate-100">
          {messages.map((m) => (
            <li key={m.message_id} className="flex items-start gap-2 py-2 text-sm" data-testid="message" data-direction={m.direction} data-status={m.status || ''}>
              {m.direction === 'incoming' ? (
                <ArrowDownLeft className="mt-0.5 h-4 w-4 shrink-0 text-sky-700" aria-label={t('detail.incoming')} />
              ) : (
                <ArrowUpRight className="mt-0.5 h-4 w-4 shrink-0 text-emerald-700" aria-label={t('detail.outgoing')} />
              )}
              <div className="min-w-0 flex-1">
                <div className="flex flex-wrap items-center gap-x-2 text-xs text-slate-600">
                  <span className="font-mono">{m.direction === 'incoming' ? m.from || m.chat_id : m.to || m.chat_id}</span>
                  <span>{fmtTime(m.timestamp, lang)}</span>
                  <span>{t(`type.${m.type}`)}</span>
                </div>
                <p className="break-words">{m.content || '—'}</p>
                {m.error && <p className="text-xs text-red-700">{m.error}</p>}
              </div>
              {m.status && <Pill value={m.status} />}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function Deliveries({ sessionId, deliveries, onRefresh }) {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState({});
  const retry = async (d) => {
    try {
      const { message } = await api.retryDelivery(sessionId, d.delivery_id);
      toast.success(message || t('deliveries.retried'));
      onRefresh();
    } catch (e) {
      toastError(t, e);
    }
  };
  return (
    <Section title={t('deliveries.title')} action={<RefreshButton onClick={onRefresh} />} testId="deliveries">
      {!deliveries ? (
        <p className="text-sm text-slate-600">{t('common.loading')}</p>
      ) : deliveries.length === 0 ? (
        <p className="text-sm text-slate-600">{t('deliveries.none')}</p>
      ) : (
        <ul className="divide-y divide-slate-100">
          {deliveries.map((d) => (
            <li key={d.delivery_id} className="py-2 text-sm" data-testid="delivery" data-status={d.status}>
              <div className="flex flex-wrap items-center gap-2">
                <Pill value={d.status} />
                <span className="font-mono text-xs">{d.event}</span>
                <span className="text-xs text-slate-600">{fmtTime(d.created_at, lang)}</span>
                <span className="text-xs text-slate-600">{t('deliveries.attempts', { n: d.attempt_count })}</span>
                {d.last_status_code ? <span className="text-xs text-slate-600">{t('deliveries.http', { code: d.last_status_code })}</span> : null}
                <div className="ml-auto flex gap-1">
                  {d.attempts?.length > 0 && (
                    <button
                      type="button"
                      className="btn-ghost px-2 py-1 text-xs"
                      aria-expanded={Boolean(open[d.delivery_id])}
                      onClick={() => setOpen((o) => ({ ...o, [d.delivery_id]: !o[d.delivery_id] }))}
                    >
                      {open[d.delivery_id] ? t('deliveries.hideAttempts') : t('deliveries.showAttempts')}
                    </button>
                  )}
                  {d.status === 'failed' && (
                    <button type="button" className="btn-secondary px-2 py-1 text-xs" onClick={() => retry(d)} data-testid="retry-delivery">
                      <RotateCcw className="h-3.5 w-3.5" aria-hidden="true" />
                      {t('deliveries.retry')}
                    </button>
                  )}
                </div>
              </div>
              {d.last_error && <p className="mt-1 text-xs text-red-700">{d.last_error}</p>}
              {open[d.delivery_id] && (
                <ol className="mt-2 space-y-1 rounded bg-slate-50 p-2 text-xs">
                  {/* Numbered in order: a retried delivery starts its attempt count again. */}
                  {d.attempts.map((a, i) => (
                    <li key={`${i}-${a.started_at}`} className="flex flex-wrap gap-x-3">
                      <span>#{i + 1}</span>
                      <span>{fmtTime(a.started_at, lang)}</span>
                      <span>{a.duration_ms} ms</span>
                      <span>{a.status_code ? t('deliveries.http', { code: a.status_code }) : '—'}</span>
                      {a.error && <span className="text-red-700">{a.error}</span>}
                    </li>
                  ))}
                </ol>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
