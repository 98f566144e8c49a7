import { MessageSquare } from 'lucide-react';
import { useT } from '../i18n/index.jsx';
import LanguageSwitch from './LanguageSwitch.jsx';
import SandboxBanner from './SandboxBanner.jsx';

export default function PublicShell({ children }) {
  const t = useT();
  return (
    <div className="flex min-h-screen flex-col">
      <SandboxBanner />
      <header className="flex items-center justify-between px-4 py-3">
        <span className="flex items-center gap-2 font-semibold">
          <MessageSquare className="h-5 w-5 text-emerald-700" aria-hidden="true" />
          {t('app.name')}
        </span>
        <LanguageSwitch />
      </header>
      <main className="flex flex-1 items-start justify-center px-3 pb-10 pt-6 sm:items-center sm:pt-0">
        <div className="card w-full max-w-md p-5 sm:p-8">{children}</div>
      </main>
    </div>
  );
}
