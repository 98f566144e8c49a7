// The sandbox panel of a session (docs/SANDBOX.md): send a message as a simulated contact (a DM,
// or in a group with or without a mention of the bot, optionally with a picture) and see what
// the bot sent back to the simulated contacts.
import { useCallback, useEffect, useState } from 'react';
import { FlaskConical, RefreshCw, Send } from 'lucide-react';
import { toast } from 'sonner';
import { useT } from '../i18n/index.jsx';
import { api } from '../lib/api.js';
import { fieldErrors, toastError } from '../lib/errors.js';
import Field from './Field.jsx';

const OUTBOX_POLL_MS = 2000;

export default function SandboxPanel({ sessionId, connected }) {
  const t = useT();
  const [from, setFrom] = useState('6281234567890');
  const [name, setName] = useState('Sandbox contact');
  const [group, setGroup] = useState('');
  const [mention, setMention] = useState(true);
  const [text, setText] = useState('');
  const [image, setImage] = useState(false);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [outbox, setOutbox] = useState([]);

  const load = useCallback(async () => {
    try {
      setOutbox((await api.sandboxOutbox(sessionId)).data.messages || []);
    } catch {
      /* shown on the next refresh */
    }
  }, [sessionId]);

  useEffect(() => {
    load();
    const id = setInterval(load, OUTBOX_POLL_MS);
    return () => clearInterval(id);
  }, [load]);

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    const body = { from, name: name || undefined, text };
    if (group.trim()) {
      body.group = group.trim();
      body.mention_bot = mention;
    }
    if (image) body.media = { type: 'image' };
    try {
      await api.sandboxIncoming(sessionId, body);
      toast.success(t('sandbox.sent'));
      setText('');
      load();
    } catch (err) {
      setErrors(fieldErrors(err));
      toastError(t, err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card border-2 border-amber-300 p-4" data-testid="sandbox-panel">
      <h2 className="mb-1 flex items-center gap-2 font-semibold">
        <FlaskConical className="h-4 w-4 text-amber-700" aria-hidden="true" />
        {t('sandbox.panel')}
      </h2>
      <p className="mb-3 text-sm text-slate-600">{connected ? t('sandbox.panelHint') : t('sandbox.notConnected')}</p>
      <div className="grid gap-4 lg:grid-cols-2">
        <form onSubmit={submit} noValidate className="space-y-3">
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label={t('sandbox.from')} value={from} onChange={(e) => setFrom(e.target.value)} inputMode="tel" error={errors.from} data-testid="sandbox-from" />
            <Field label={t('sandbox.name')} value={name} onChange={(e) => setName(e.target.value)} error={errors.name} data-testid="sandbox-name" />
          </div>
          <Field
            label={t('sandbox.group')}
            value={group}
            onChange={(e) => setGroup(e.target.value)}
            hint={t('sandbox.groupHint')}
            error={errors.group}
            data-testid="sandbox-group"
          />
          {group.trim() && (
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={mention} onChange={(e) => setMention(e.target.checked)} data-testid="sandbox-mention" />
              {t('sandbox.mention')}
            </label>
          )}
          <Field
            label={t('sandbox.text')}
            value={text}
            onChange={(e) => setText(e.target.value)}
            error={errors.text || errors.mention_bot || errors['media.type']}
            data-testid="sandbox-text"
          />
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={image} onChange={(e) => setImage(e.target.checked)} data-testid="sandbox-image" />
            {t('sandbox.image')}
          </label>
          <button type="submit" className="btn-primary" disabled={busy || !connected} data-testid="sandbox-send">
            <Send className="h-4 w-4" aria-hidden="true" />
            {busy ? t('common.working') : t('sandbox.send')}
          </button>
        </form>
        <div>
          <div className="mb-2 flex items-center justify-between">
            <h3 className="text-sm font-semibold">{t('sandbox.outbox')}</h3>
            <button type="button" className="btn-ghost px-2" onClick={load} aria-label={t('common.refresh')}>
              <RefreshCw className="h-4 w-4" aria-hidden="true" />
            </button>
          </div>
          {outbox.length === 0 ? (
            <p className="text-sm text-slate-600">{t('sandbox.outboxEmpty')}</p>
          ) : (
            <ul className="max-h-72 space-y-2 overflow-y-auto" data-testid="sandbox-outbox">
              {outbox.map((m) => (
                <li key={m.id} className="rounded-md bg-emerald-50 px-3 py-2 text-sm" data-testid="sandbox-outbox-item">
                  <div className="text-xs text-slate-600">
                    {m.group ? t('sandbox.toGroup', { group: m.group }) : t('sandbox.toContact', { to: m.to })}
                    {m.media ? ` · ${m.media.type}` : ''}
                  </div>
                  <div className="whitespace-pre-wrap break-words">{m.text || ''}</div>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}
