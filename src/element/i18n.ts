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

/** The catalogue a BCP 47 tag looks up: its primary subtag, lowercase (`it-IT` → `it`). */
export function primaryLanguage(lang: string): string {
  return lang.toLowerCase().split('-')[0] || 'en';
}

/** Not a string anyone defines: tells "missing" from any text. */
const MISSING = '\u0000';

/**
 * Adds strings that load after the page may have reworded them (a lazily loaded
 * panel's, a language's built-in catalogue): a key the page already defined in a
 * language is kept, not overwritten.
 */
export function defineMissingStrings(tables: Record<string, StringTable>): void {
  defineStrings(
    Object.fromEntries(
      Object.entries(tables).map(([lang, table]) => [
        lang,
        Object.fromEntries(Object.entries(table).filter(([key]) => translateOr(lang, key, MISSING) === MISSING)),
      ]),
    ),
  );
}

/** Languages with at least one string. */
export function availableLanguages(): string[] {
  return [...catalogues.keys()];
}

/**
 * The text for `key` in `lang` when the catalogue has it (in that language or in
 * English), else `fallback`: for texts that come with their own English
 * wording, such as an error's message, translated by its code where we can.
 */
export function translateOr(
  lang: string,
  key: string,
  fallback: string,
  params?: Record<string, string | number>,
): string {
  const primary = primaryLanguage(lang);
  if (catalogues.get(primary)?.[key] === undefined) return fallback;
  return translate(lang, key, params);
}

/**
 * The text for `key` in `lang` (`it-IT` looks up `it`), with `{param}`
 * placeholders replaced; English, then the key, when missing.
 */
export function translate(lang: string, key: string, params?: Record<string, string | number>): string {
  const primary = primaryLanguage(lang);
  const text = catalogues.get(primary)?.[key] ?? catalogues.get('en')?.[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
}

/**
 * The language an element speaks: its own `lang` attribute, else the nearest
 * ancestor's (crossing shadow roots, so an element inside another component
 * follows that component's host), else the document's, else the browser's, else
 * English. Lowercase BCP 47 tag, as written (`it-IT`); {@link translate} picks its primary subtag.
 */
export function languageOf(element: Element): string {
  let node: Element | null = element;
  while (node) {
    const lang = node.getAttribute('lang');
    if (lang) return lang.toLowerCase();
    node = node.parentElement ?? ((node.getRootNode() as ShadowRoot).host || null);
  }
  const page = element.ownerDocument?.documentElement.getAttribute('lang');
  return (page || globalThis.navigator?.language || 'en').toLowerCase();
}

/**
 * The element's own strings. Features add theirs next to their code with
 * {@link defineStrings}; a site rewords or adds a language the same way, or
 * through `VideocallRoomElement.defineStrings`.
 */
defineStrings({
  en: {
    'controls.label': 'Call controls',
    'controls.mic': 'Microphone',
    'controls.micMute': 'Mute microphone',
    'controls.micUnmute': 'Unmute microphone',
    'controls.camera': 'Camera',
    'controls.cameraOff': 'Turn camera off',
    'controls.cameraOn': 'Turn camera on',
    'controls.leave': 'Leave',
    'status.waiting': 'Waiting for the host to let you in…',
    'status.locked': 'The room is locked.',
    'status.joining': 'Joining {room}…',
    'status.left': 'You left the call.',
    'status.tryAgain': 'Try again',
    'status.rejoin': 'Rejoin',
    'status.noRoom': 'Set a room to start a call.',
    'status.hear': 'Click to hear the call',
    'status.reconnecting': 'Reconnecting…',
    'tile.guest': 'Guest',
    'tile.you': '{name} (you)',
    'tile.micOff': 'Microphone off',
    'tile.cameraOff': 'Camera off',
    'tile.selfEncrypted': 'Your media is end-to-end encrypted',
    'tile.cantDecrypt': "Can't decrypt {name}: a different passphrase, or the keys were tampered with.",
    'tile.verified': 'End-to-end encrypted, verified',
    'tile.unverified': 'End-to-end encrypted. Compare this code with {name}',
    'tile.pending': 'Exchanging keys…',
    'tile.mismatch': 'Keys do not match',
    'lobby.label': 'Waiting to join',
    'lobby.one': '1 person wants to join',
    'lobby.many': '{n} people want to join',
    'lobby.admit': 'Admit',
    'lobby.deny': 'Deny',
    'moderation.mic-muted': 'An admin muted your microphone.',
    'moderation.mic-muted-locked': 'An admin muted your microphone. You can turn it on again when they allow it.',
    'moderation.camera-muted': 'An admin turned your camera off.',
    'moderation.camera-muted-locked': 'An admin turned your camera off. You can turn it on again when they allow it.',
    'moderation.mic-allowed': 'An admin allowed your microphone again.',
    'moderation.camera-allowed': 'An admin allowed your camera again.',
    'moderation.room-locked': 'The room is locked: new people wait until an admin lets them in.',
    'moderation.room-unlocked': 'The room is unlocked.',
    'announce.joined': 'You joined the call.',
    'announce.participantJoined': '{name} joined.',
    'announce.participantLeft': '{name} left.',
    'announce.left': 'You left the call.',
    'error.webcodecs-unsupported':
      'This browser cannot make video calls: it lacks WebCodecs. Use a recent Chrome, Edge, Firefox or Safari.',
  },
});
