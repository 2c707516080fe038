/**
 * Built-in languages other than English, each a chunk of its own: a page in
 * English never downloads them. Panels loaded later carry their own strings.
 * (Apart from i18n.ts, which the chunks import: a loader there would be a cycle.)
 */
import { primaryLanguage } from './i18n.js';

const builtInLanguages: Record<string, () => Promise<unknown>> = {
  it: () => import('./strings-it.js'),
};
const languageLoads = new Map<string, Promise<void>>();

/**
 * Undefined when `lang`'s built-in strings are in the catalogue (or it has none
 * built in: English, or a language a site adds); else a promise that resolves
 * once they are. A failed load resolves too: the element then speaks English.
 */
export function languageReady(lang: string): Promise<void> | undefined {
  const primary = primaryLanguage(lang);
  const load = builtInLanguages[primary];
  if (!load) return undefined;
  let loading = languageLoads.get(primary);
  if (!loading) {
    loading = load().then(
      () => {
        delete builtInLanguages[primary];
      },
      (error: unknown) => {
        // Offline, or the chunk is gone after a deploy: English rather than no element, and
        // not tried again on every render.
        delete builtInLanguages[primary];
        console.warn(`videocall-room: the ${primary} strings did not load; speaking English`, error);
      },
    );
    languageLoads.set(primary, loading);
  }
  return loading;
}
