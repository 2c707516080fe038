/**
 * Which URL paths serve the client bundle, and how long browsers may keep them:
 *
 * - `/videocall-room.js`, `/videocall-room.iife.js` (+ `.map`), `/integrity.json`:
 *   the moving URLs, revalidated on every load (`no-cache` + ETag → 304).
 * - `/chunks/<name>-<hash>.js` (+ `.map`): what the module imports on demand (E2EE);
 *   content-addressed, so `immutable` at any path.
 * - `/v<version>/…` (e.g. `/v0.2.0/videocall-room.js`): the same files under this
 *   relay's package version, `immutable` for a year, so a page can pin them with
 *   Subresource Integrity. Another version there is a 404 that says which one is served.
 */

/** The bundle's files, as named under `dist/`. */
export const BUNDLE_FILES: ReadonlySet<string> = new Set([
  'videocall-room.js',
  'videocall-room.js.map',
  'videocall-room.iife.js',
  'videocall-room.iife.js.map',
  'integrity.json',
]);

export const MOVING_CACHE_CONTROL = 'no-cache';
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export type BundleRequest =
  { kind: 'file'; file: string; cacheControl: string } | { kind: 'other-version'; requested: string };

const VERSIONED = /^\/v([0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.+-]+)?)\/((?:chunks\/)?[^/]+)$/;
const CHUNK = /^chunks\/[A-Za-z0-9_-]+\.js(?:\.map)?$/;

/** What `path` asks of the bundle, or null when it is not a bundle path. */
export function bundleRequest(path: string, version: string): BundleRequest | null {
  const name = path.slice(1);
  if (BUNDLE_FILES.has(name)) return { kind: 'file', file: name, cacheControl: MOVING_CACHE_CONTROL };
  if (CHUNK.test(name)) return { kind: 'file', file: name, cacheControl: IMMUTABLE_CACHE_CONTROL };
  const match = VERSIONED.exec(path);
  if (!match || !(BUNDLE_FILES.has(match[2]) || CHUNK.test(match[2]))) return null;
  if (match[1] !== version) return { kind: 'other-version', requested: match[1] };
  return { kind: 'file', file: match[2], cacheControl: IMMUTABLE_CACHE_CONTROL };
}
