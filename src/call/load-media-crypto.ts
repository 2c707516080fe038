import type { MediaCrypto } from './media-crypto.js';

/**
 * The end-to-end encryption code (SFrame, the key exchange, @noble's curves and
 * hashes) as a chunk of its own: fetched only by a room that encrypts, so a plain
 * call does not download it. The one place the bundle splits.
 */
export async function loadMediaCrypto(): Promise<typeof MediaCrypto> {
  return (await import('./media-crypto.js')).MediaCrypto;
}
