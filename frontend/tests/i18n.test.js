// Every key in both languages, every key used by the code defined, and no visible string written
// in a component instead of the dictionaries.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import en from '../src/i18n/en.js';
import id from '../src/i18n/id.js';
import { detectLanguage, translate } from '../src/i18n/index.jsx';

const srcDir = path.resolve(__dirname, '../src');
function sources(dir = srcDir) {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return p.endsWith('i18n') ? [] : sources(p);
    return /\.(jsx?|mjs)$/.test(f) ? [p] : [];
  });
}

describe('dictionaries', () => {
  it('have the same keys in English and Bahasa Indonesia', () => {
    const missingInId = Object.keys(en).filter((k) => !(k in id));
    const missingInEn = Object.keys(id).filter((k) => !(k in en));
    expect(missingInId).toEqual([]);
    expect(missingInEn).toEqual([]);
  });

  it('have no empty strings and the same placeholders in both', () => {
    for (const k of Object.keys(en)) {
      expect(en[k].trim(), k).not.toBe('');
      expect(id[k].trim(), k).not.toBe('');
      const ph = (s) => (s.match(/\{\w+\}/g) || []).sort();
      expect(ph(id[k]), k).toEqual(ph(en[k]));
    }
  });

  it('define every literal key the code uses', () => {
    const used = new Set();
    for (const f of sources()) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z]+\.[a-zA-Z0-9_.]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(100);
    expect([...used].filter((k) => !(k in en))).toEqual([]);
  });

  it('translate every key built from a value the API sends', () => {
    const families = {
      status: ['connected', 'qr', 'disconnected'],
      type: ['text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll', 'unknown'],
      msgStatus: ['sent', 'delivered', 'read', 'played', 'failed', 'pending'],
      'analytics.preset': ['today', '7d', '30d', 'custom'],
      lang: ['en', 'id'],
      reason: ['connecting', 'awaiting_scan', 'awaiting_pair_code', 'reconnecting', 'failed', 'stopped', 'qr_timeout', 'logged_out', 'banned', 'replaced', 'client_outdated'],
    };
    for (const [prefix, values] of Object.entries(families)) {
      for (const v of values) expect(en, `${prefix}.${v}`).toHaveProperty([`${prefix}.${v}`]);
    }
  });
});

const JSX_TEXT = /(?<![=-])>\s*([A-Za-z][^<>{}=;]*[A-Za-z])\s*</g;

describe('no hard-coded visible strings', () => {
  it('the check finds text between tags but not expressions or arrows', () => {
    expect([...'<p>Hello world</p>'.matchAll(JSX_TEXT)]).toHaveLength(1);
    expect([...'<p>{t(\'x\')}</p>'.matchAll(JSX_TEXT)]).toHaveLength(0);
    expect([...'(s) => s.a < b'.matchAll(JSX_TEXT)]).toHaveLength(0);
  });

  it('components put text only through t()', () => {
    const offenders = [];
    for (const f of sources()) {
      const text = readFileSync(f, 'utf8');
      // Text between JSX tags: ">Some words<" (not {expressions}).
      for (const m of text.matchAll(JSX_TEXT)) {
        offenders.push(`${path.basename(f)}: ${m[1]}`);
      }
      // Visible attributes with literal text.
      for (const m of text.matchAll(/\b(placeholder|title|aria-label|alt|label)="([^"]*[A-Za-z]{2,}[^"]*)"/g)) {
        offenders.push(`${path.basename(f)}: ${m[1]}="${m[2]}"`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('language', () => {
  it('follows the browser, then the stored choice', () => {
    expect(detectLanguage(null, ['id-ID', 'en-US'])).toBe('id');
    expect(detectLanguage(null, ['en-GB'])).toBe('en');
    expect(detectLanguage(null, ['fr-FR'])).toBe('en');
    expect(detectLanguage('en', ['id-ID'])).toBe('en');
    expect(detectLanguage('xx', ['id'])).toBe('id');
  });

  it('fills placeholders and falls back to English, then to the value', () => {
    expect(translate('id', 'dashboard.summary', { total: 3, connected: 1 })).toBe('Sesi: 3 · terhubung: 1');
    expect(translate('en', 'dashboard.summary', { total: 3, connected: 1 })).toBe('Sessions: 3 · connected: 1');
    expect(translate('id', 'reason.some_new_reason')).toBe('some_new_reason');
  });
});
