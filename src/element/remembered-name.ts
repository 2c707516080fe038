/**
 * The display name a person last joined with on this site, remembered so the
 * pre-join screen can offer it next time (`localStorage` is per origin). Storage
 * may be missing or refuse (sandboxed iframes, privacy modes, a full quota): then
 * nothing is remembered. What is read back is checked, never trusted.
 */
import { MAX_NAME_LENGTH } from '../protocol/limits.js';

/** Namespaced and versioned, so nothing else on the site collides with it. */
export const NAME_STORAGE_KEY = 'videocall-room:name:v1';

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // reading `localStorage` itself throws where storage is blocked
  }
}

/** The name remembered for this site; empty when none (or storage is blocked, or what is stored is not a name). */
export function rememberedName(): string {
  try {
    const stored = storage()?.getItem(NAME_STORAGE_KEY) ?? '';
    return stored.length <= MAX_NAME_LENGTH ? stored.trim() : '';
  } catch {
    return '';
  }
}

/** Remembers `name` for this site; false when it could not be stored. */
export function rememberName(name: string): boolean {
  try {
    const store = storage();
    store?.setItem(NAME_STORAGE_KEY, name.trim().slice(0, MAX_NAME_LENGTH));
    return !!store;
  } catch {
    return false;
  }
}
