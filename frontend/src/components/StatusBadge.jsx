import { useT } from '../i18n/index.jsx';

const STYLES = {
  connected: 'bg-emerald-100 text-emerald-800 ring-emerald-600/30',
  qr: 'bg-amber-100 text-amber-900 ring-amber-600/30',
  disconnected: 'bg-slate-100 text-slate-700 ring-slate-500/30',
};
const DOTS = { connected: 'bg-emerald-500', qr: 'bg-amber-500', disconnected: 'bg-slate-400' };

export default function StatusBadge({ status, reason }) {
  const t = useT();
  const s = STYLES[status] ? status : 'disconnected';
  return (
    <span
      data-testid="status-badge"
      data-status={s}
      className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${STYLES[s]}`}
      title={reason ? t(`reason.${reason}`) : undefined}
    >
      <span className={`h-1.5 w-1.5 rounded-full ${DOTS[s]}`} aria-hidden="true" />
      {t(`status.${s}`)}
    </span>
  );
}
