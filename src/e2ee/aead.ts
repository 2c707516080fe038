/**
 * AES-128-GCM with a 16-byte tag behind one small interface, in three flavours
 * that produce the same bytes:
 *
 * - `webcrypto` (the default): `crypto.subtle`, native (BoringSSL in Chromium,
 *   on WebCrypto's own worker threads; OpenSSL on libuv's pool in Node). About
 *   0.1–0.35 ms per 60 kB frame each way on the loaded 2-core CI box, ~10× less
 *   CPU than noble, and in Chromium only ~0.06–0.13 ms of it on the calling
 *   thread (the input copy and the dispatch).
 * - `noble`: `@noble/ciphers`, pure JavaScript, all on the calling thread. The
 *   reference in tests and the fallback without `crypto.subtle` (pages served
 *   over plain http). Too slow for video: 1.5–3.3 ms per 60 kB frame each way
 *   in Node and Chromium, against a budget of 1 ms per frame.
 * - `hybrid`: `webcrypto` from 2 KiB up, `noble` below. In Node it halves the
 *   CPU of audio packets (WebCrypto's fixed cost per call dominates 120 bytes);
 *   in Chromium it does not help (WebCrypto's audio calls cost ~50 µs, ~10–15 µs
 *   of it on the page's thread), so it is an option for Node tools, not the default.
 *
 * Figures: `npx tsx bench/e2ee.ts --browser`.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { AES_128_GCM_SHA256_128 } from './sframe-cipher-suite.js';
import { E2eeError } from './errors.js';

/** One AES-GCM key, ready to seal and open. */
export interface AesGcmKey {
  /** `plaintext` encrypted, followed by the 16-byte tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** The plaintext; rejects with `e2ee-decrypt-failed` when the tag does not verify. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
}

/** Makes {@link AesGcmKey}s from raw 16-byte keys. */
export interface AeadProvider {
  readonly name: 'webcrypto' | 'noble' | 'hybrid' | (string & {});
  importKey(raw: Uint8Array): Promise<AesGcmKey>;
}

function decryptFailed(cause?: unknown): E2eeError {
  return new E2eeError('e2ee-decrypt-failed', 'Frame authentication failed: it was altered or the key is wrong.', {
    cause,
  });
}

function checkKey(raw: Uint8Array): void {
  if (raw.length !== AES_128_GCM_SHA256_128.nk)
    throw new RangeError(`AES-128-GCM needs a 16-byte key, not ${raw.length}.`);
}

/** AES-128-GCM in pure JavaScript (`@noble/ciphers`). */
export const nobleAesGcm: AeadProvider = {
  name: 'noble',
  importKey(raw: Uint8Array): Promise<AesGcmKey> {
    checkKey(raw);
    const key = raw.slice();
    return Promise.resolve({
      seal: (nonce, aad, plaintext) => Promise.resolve(gcm(key, nonce, aad).encrypt(plaintext)),
      open: (nonce, aad, ciphertext) => {
        try {
          return Promise.resolve(gcm(key, nonce, aad).decrypt(ciphertext));
        } catch (error) {
          return Promise.reject(decryptFailed(error));
        }
      },
    });
  },
};

/**
 * WebCrypto wants `ArrayBuffer`-backed views in its TypeScript types; ours are
 * (nothing here uses SharedArrayBuffer), so the cast only informs the checker.
 */
function view(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

/** AES-128-GCM through `subtle` (WebCrypto); the key is imported once, non-extractable. */
export function webCryptoAesGcm(subtle: SubtleCrypto = globalThis.crypto.subtle): AeadProvider {
  return {
    name: 'webcrypto',
    async importKey(raw: Uint8Array): Promise<AesGcmKey> {
      checkKey(raw);
      const key = await subtle.importKey('raw', view(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
      return {
        async seal(nonce, aad, plaintext) {
          const params = { name: 'AES-GCM', iv: view(nonce), additionalData: view(aad), tagLength: 128 };
          return new Uint8Array(await subtle.encrypt(params, key, view(plaintext)));
        },
        async open(nonce, aad, ciphertext) {
          const params = { name: 'AES-GCM', iv: view(nonce), additionalData: view(aad), tagLength: 128 };
          try {
            return new Uint8Array(await subtle.decrypt(params, key, view(ciphertext)));
          } catch (error) {
            throw decryptFailed(error);
          }
        },
      };
    },
  };
}

/**
 * WebCrypto for payloads of `threshold` bytes or more, `@noble/ciphers` below:
 * a WebCrypto call has a fixed cost (argument checks, copies, a hop to another
 * thread and back) that dominates small payloads such as audio packets, where
 * pure JavaScript is cheaper. The bytes are the same either way.
 */
export function hybridAesGcm(threshold = 2048, subtle: SubtleCrypto = globalThis.crypto.subtle): AeadProvider {
  const web = webCryptoAesGcm(subtle);
  return {
    name: 'hybrid',
    async importKey(raw: Uint8Array): Promise<AesGcmKey> {
      const [small, large] = await Promise.all([nobleAesGcm.importKey(raw), web.importKey(raw)]);
      const tag = AES_128_GCM_SHA256_128.nt;
      return {
        seal: (nonce, aad, plaintext) => (plaintext.length < threshold ? small : large).seal(nonce, aad, plaintext),
        open: (nonce, aad, ciphertext) =>
          (ciphertext.length < threshold + tag ? small : large).open(nonce, aad, ciphertext),
      };
    },
  };
}

/**
 * The provider for media frames: {@link webCryptoAesGcm} where `crypto.subtle`
 * exists (secure contexts, workers, Node), else {@link nobleAesGcm}.
 */
export function defaultAeadProvider(): AeadProvider {
  return typeof globalThis.crypto?.subtle?.encrypt === 'function' ? webCryptoAesGcm() : nobleAesGcm;
}
