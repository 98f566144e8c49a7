// Languages: English and Bahasa Indonesia. The first visit follows the browser (navigator.languages);
// the header's switch remembers the choice. Every visible string comes from en.js / id.js.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import en from './en.js';
import id from './id.js';

export const dictionaries = { en, id };
export const LANGS = ['en', 'id'];
const KEY = 'wa.lang';

export function detectLanguage(stored = safeStored(), languages = navigator.languages || [navigator.language]) {
  if (LANGS.includes(stored)) return stored;
  for (const l of languages || []) {
    const base = String(l).toLowerCase().split('-')[0];
    if (base === 'id' || base === 'in' || base === 'ms') return 'id';
    if (base === 'en') return 'en';
  }
  return 'en';
}

function safeStored() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** The string for `key` in `lang` with {name} placeholders filled; the key itself when missing. */
export function translate(lang, key, vars) {
  // A value the API added after this build (a new status_reason): its own name, not the key.
  const s = dictionaries[lang]?.[key] ?? dictionaries.en[key] ?? key.slice(key.lastIndexOf('.') + 1);
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
}

const I18nContext = createContext({ lang: 'en', setLang: () => {}, t: (k, v) => translate('en', k, v) });

export function I18nProvider({ children, initial }) {
  const [lang, setLangState] = useState(() => initial || detectLanguage());
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = translate(lang, 'app.title');
  }, [lang]);
  const setLang = useCallback((l) => {
    setLangState(l);
    try {
      localStorage.setItem(KEY, l);
    } catch {
      /* private mode: the choice lasts for this page */
    }
  }, []);
  const t = useCallback((k, v) => translate(lang, k, v), [lang]);
  const value = useMemo(() => ({ lang, setLang, t }), [lang, setLang, t]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export const useI18n = () => useContext(I18nContext);
export const useT = () => useContext(I18nContext).t;
