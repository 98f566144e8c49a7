import { memo } from 'react';
import { Link } from 'react-router-dom';
import { BarChart3, Info, Pencil, Play, RotateCw, Square, Trash2 } from 'lucide-react';
import { useT } from '../i18n/index.jsx';
import StatusBadge from './StatusBadge.jsx';

export function truncateMiddle(s, max = 40) {
  if (!s || s.length <= max) return s || '';
  const head = Math.ceil((max - 1) * 0.6);
  return `${s.slice(0, head)}…${s.slice(s.length - (max - 1 - head))}`;
}

const iconBtn = 'btn-secondary px-2.5 py-1.5 text-xs';

// Memoised: a live event re-renders only the card of its session (100 cards stay responsive;
// bench/dashboard). `onAction(kind, session)` must be stable.
export default memo(function SessionCard({ session, onAction, busy }) {
  const t = useT();
  const s = session;
  const onStart = () => onAction('start', s);
  const onStop = () => onAction('stop', s);
  const onReconnect = () => onAction('reconnect', s);
  const onEdit = () => onAction('edit', s);
  const onDelete = () => onAction('delete', s);
  const live = s.status === 'connected' || s.status === 'qr';
  return (
    <article
      className={`card flex flex-col gap-3 p-4 ${s.status === 'connected' ? 'border-l-4 border-l-emerald-500' : s.status === 'qr' ? 'border-l-4 border-l-amber-500' : ''}`}
      data-testid="session-card"
      data-session-id={s.session_id}
      data-status={s.status}
    >
      <div className="flex items-start justify-between gap-2">
        <h2 className="min-w-0 break-words text-base font-semibold" data-testid="session-title">
          {s.session_name}
        </h2>
        <StatusBadge status={s.status} reason={s.status_reason} />
      </div>
      <dl className="grid grid-cols-[auto,1fr] gap-x-3 gap-y-1 text-sm">
        <dt className="text-slate-600">{t('session.phone')}</dt>
        <dd className="font-mono" data-testid="session-phone">
          {s.phone_number ? `+${s.phone_number}` : '—'}
        </dd>
        <dt className="text-slate-600">{t('session.webhook')}</dt>
        <dd className="min-w-0 truncate font-mono text-xs leading-5" title={s.webhook_url}>
          {truncateMiddle(s.webhook_url)}
        </dd>
        {s.status_reason && s.status !== 'connected' && (
          <>
            <dt className="text-slate-600">{t('session.reason')}</dt>
            <dd className="text-xs leading-5">{t(`reason.${s.status_reason}`)}</dd>
          </>
        )}
      </dl>
      <div className="mt-auto flex flex-wrap gap-1.5">
        {s.status !== 'connected' && (
          <button type="button" className="btn-primary px-2.5 py-1.5 text-xs" onClick={onStart} disabled={busy} data-testid="start">
            <Play className="h-3.5 w-3.5" aria-hidden="true" />
            {s.status === 'qr' ? t('session.showQr') : t('session.start')}
          </button>
        )}
        {live && (
          <button type="button" className={iconBtn} onClick={onStop} disabled={busy} data-testid="stop">
            <Square className="h-3.5 w-3.5" aria-hidden="true" />
            {t('session.stop')}
          </button>
        )}
        {s.status === 'connected' && (
          <button type="button" className={iconBtn} onClick={onReconnect} disabled={busy} data-testid="reconnect">
            <RotateCw className="h-3.5 w-3.5" aria-hidden="true" />
            {t('session.reconnect')}
          </button>
        )}
        <button type="button" className={iconBtn} onClick={onEdit} data-testid="edit">
          <Pencil className="h-3.5 w-3.5" aria-hidden="true" />
          {t('common.edit')}
        </button>
        <Link to={`/sessions/${s.session_id}`} className={iconBtn} data-testid="details">
          <Info className="h-3.5 w-3.5" aria-hidden="true" />
          {t('session.details')}
        </Link>
        <Link to={`/analytics/${s.session_id}`} className={iconBtn} data-testid="analytics">
          <BarChart3 className="h-3.5 w-3.5" aria-hidden="true" />
          {t('session.analytics')}
        </Link>
        <button
          type="button"
          className="btn px-2.5 py-1.5 text-xs text-red-700 hover:bg-red-50"
          onClick={onDelete}
          data-testid="delete"
          aria-label={t('session.deleteNamed', { name: s.session_name })}
        >
          <Trash2 className="h-3.5 w-3.5" aria-hidden="true" />
          {t('common.delete')}
        </button>
      </div>
    </article>
  );
});
