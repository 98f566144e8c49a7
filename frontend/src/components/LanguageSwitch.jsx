import { Languages } from 'lucide-react';
import { LANGS, useI18n } from '../i18n/index.jsx';

export default function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <div className="flex items-center gap-1" role="group" aria-label={t('lang.label')}>
      <Languages className="h-4 w-4 text-slate-600" aria-hidden="true" />
      {LANGS.map((l) => (
        <button
          key={l}
          type="button"
          data-testid={`lang-${l}`}
          className={`rounded px-1.5 py-0.5 text-xs font-semibold ${lang === l ? 'bg-slate-800 text-white' : 'text-slate-700 hover:bg-slate-200'}`}
          aria-pressed={lang === l}
          onClick={() => setLang(l)}
          title={t(`lang.${l}`)}
        >
          {l.toUpperCase()}
        </button>
      ))}
    </div>
  );
}
