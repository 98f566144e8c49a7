import { FlaskConical } from 'lucide-react';
import { useT } from '../i18n/index.jsx';
import { useSandbox } from '../lib/sandbox.js';

/** A full-width notice while the gateway runs in sandbox mode (WhatsApp is simulated). */
export default function SandboxBanner() {
  const t = useT();
  if (!useSandbox()) return null;
  return (
    <div
      role="status"
      data-testid="sandbox-banner"
      className="flex items-center justify-center gap-2 bg-amber-400 px-3 py-1.5 text-center text-sm font-semibold text-amber-950"
    >
      <FlaskConical className="h-4 w-4 shrink-0" aria-hidden="true" />
      <span>{t('sandbox.banner')}</span>
    </div>
  );
}
