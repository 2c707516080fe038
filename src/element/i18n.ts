/**
 * The element's string catalogue. Every user-facing string lives here or in a
 * feature's own part registered with {@link defineStrings}, keyed the same in
 * every language, so a site can add a language or reword one string.
 *
 * Lookup falls back from the chosen language to English, then to the key
 * itself, so a missing translation shows English rather than nothing.
 */

/** One language's strings: key → text, `{name}` placeholders filled by {@link translate}. */
export type StringTable = Record<string, string>;

const catalogues = new Map<string, StringTable>();

/**
 * Adds strings to the catalogue, per language (BCP 47 primary subtag: `en`, `it`).
 * Later calls override earlier ones key by key, so a site can reword any string.
 *
 * @example
 * defineStrings({ en: { 'chat.send': 'Send' }, it: { 'chat.send': 'Invia' } });
 */
export function defineStrings(tables: Record<string, StringTable>): void {
  for (const [lang, table] of Object.entries(tables)) {
    const key = lang.toLowerCase();
    catalogues.set(key, { ...catalogues.get(key), ...table });
  }
}

/** Languages with at least one string. */
export function availableLanguages(): string[] {
  return [...catalogues.keys()];
}

/**
 * The text for `key` in `lang` (`it-IT` looks up `it`), with `{param}`
 * placeholders replaced; English, then the key, when missing.
 */
export function translate(lang: string, key: string, params?: Record<string, string | number>): string {
  const primary = lang.toLowerCase().split('-')[0] ?? 'en';
  const text = catalogues.get(primary)?.[key] ?? catalogues.get('en')?.[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
}
