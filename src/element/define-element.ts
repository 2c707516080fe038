/**
 * Defining `<videocall-room>` when a page may load the bundle more than once (two
 * embeds, a CMS block beside a bundled app). The same version again is harmless and
 * silent. A different version can't replace the first (custom elements are defined
 * once per page), so the page keeps the first and says so with both versions, rather
 * than silently running an element other than the one the second script asked for.
 */
import { PACKAGE_VERSION } from './package-version.js';

/** The tag the element is defined under. */
export const TAG_NAME = 'videocall-room';

/** What a definition exposes about its version (`VideocallRoomElement.version`). */
interface Versioned {
  readonly version?: unknown;
}

/**
 * Defines `ctor` as `<videocall-room>` unless the page already has one. Returns the
 * version now defined; warns (once per call) when that is not `PACKAGE_VERSION`.
 */
export function defineVideocallRoom(ctor: CustomElementConstructor, registry = customElements): string {
  const existing = registry.get(TAG_NAME);
  if (!existing) {
    registry.define(TAG_NAME, ctor);
    return PACKAGE_VERSION;
  }
  if (existing === ctor) return PACKAGE_VERSION;
  const theirs = (existing as Versioned).version;
  const defined = typeof theirs === 'string' ? theirs : 'an unknown version';
  if (defined !== PACKAGE_VERSION) {
    // A console warning, not a vc-error event: no element of ours may exist yet, and this
    // is for the site's developer (load one copy), not for the people in the call.
    console.warn(
      `videocall-room ${PACKAGE_VERSION} was loaded, but videocall-room ${defined} already defines <${TAG_NAME}> ` +
        `on this page; the page keeps ${defined}. Load one copy of the script (or the same version everywhere).`,
    );
  }
  return defined;
}
