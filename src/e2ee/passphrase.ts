/**
 * Reading a room passphrase: light enough for the page's main bundle, which
 * reads `#vc-key=` before it knows whether to load the E2EE code at all.
 */

/**
 * Passphrases compare equal when people would say they are: Unicode NFKC,
 * surrounding whitespace dropped. Empty means no passphrase.
 */
export function normalizePassphrase(passphrase: string): string {
  return passphrase.normalize('NFKC').trim();
}

/**
 * The passphrase in a page URL's fragment, `#vc-key=…` (also `#…&vc-key=…`),
 * percent-decoded; null when there is none. Browsers never send the fragment to
 * a server, so a link can carry the passphrase past the relay.
 *
 * @example
 * ```ts
 * passphraseFromFragment(location.hash); // "#vc-key=blue%20horse" → "blue horse"
 * ```
 */
export function passphraseFromFragment(fragment: string): string | null {
  const params = fragment.replace(/^#/, '').split('&');
  for (const param of params) {
    if (!param.startsWith('vc-key=')) continue;
    try {
      const value = normalizePassphrase(decodeURIComponent(param.slice('vc-key='.length).replace(/\+/g, ' ')));
      return value || null;
    } catch {
      return null; // broken percent-encoding: no usable passphrase
    }
  }
  return null;
}
