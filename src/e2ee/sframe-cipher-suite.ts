/**
 * The SFrame cipher suite we use, AES_128_GCM_SHA256_128 (RFC 9605 §4.5,
 * value 0x0004), and its key schedule (§4.4.2, §4.4.3, §5.1).
 */
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../shared/bytes.js';
import { uint64Bytes, utf8 } from './bytes.js';

/** Constants of AES_128_GCM_SHA256_128 (RFC 9605 Table 1). */
export const AES_128_GCM_SHA256_128 = {
  /** IANA "SFrame Cipher Suites" value. */
  id: 0x0004,
  name: 'AES_128_GCM_SHA256_128',
  /** Hash output size (SHA-256). */
  nh: 32,
  /** AEAD key size (AES-128). */
  nk: 16,
  /** AEAD nonce size. */
  nn: 12,
  /** AEAD tag size: the full 16-byte GCM tag. */
  nt: 16,
} as const;

const SUITE = AES_128_GCM_SHA256_128;
const SUITE_BYTES = new Uint8Array([SUITE.id >>> 8, SUITE.id & 0xff]);
const KEY_LABEL = utf8('SFrame 1.0 Secret key ');
const SALT_LABEL = utf8('SFrame 1.0 Secret salt ');
const RATCHET_LABEL = utf8('SFrame 1.0 Ratchet');

/** The AEAD key and the nonce salt derived from one `base_key` and KID. */
export interface SFrameKeyMaterial {
  /** `sframe_key`, {@link AES_128_GCM_SHA256_128}.nk bytes. */
  key: Uint8Array;
  /** `sframe_salt`, {@link AES_128_GCM_SHA256_128}.nn bytes. */
  salt: Uint8Array;
}

/**
 * RFC 9605 §4.4.2 `derive_key_salt(KID, base_key)`:
 *
 * ```
 * sframe_secret = HKDF-Extract("", base_key)
 * sframe_key  = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret key "  + KID + cipher_suite, Nk)
 * sframe_salt = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret salt " + KID + cipher_suite, Nn)
 * ```
 * with KID as 8 big-endian bytes (not its header form) and the suite as 2.
 */
export function deriveSFrameKeyMaterial(baseKey: Uint8Array, kid: bigint): SFrameKeyMaterial {
  const secret = extract(sha256, baseKey, new Uint8Array(0));
  const suffix = concatBytes([uint64Bytes(kid), SUITE_BYTES]);
  const key = expand(sha256, secret, concatBytes([KEY_LABEL, suffix]), SUITE.nk);
  const salt = expand(sha256, secret, concatBytes([SALT_LABEL, suffix]), SUITE.nn);
  secret.fill(0);
  return { key, salt };
}

/**
 * RFC 9605 §4.4.3: the nonce is `sframe_salt` XOR CTR, CTR encoded as a
 * big-endian integer of `Nn` bytes.
 */
export function sframeNonce(salt: Uint8Array, ctr: bigint): Uint8Array {
  const nonce = salt.slice(0, SUITE.nn);
  let value = ctr;
  for (let i = SUITE.nn - 1; i >= 0 && value > 0n; i--) {
    nonce[i]! ^= Number(value & 0xffn);
    value >>= 8n;
  }
  return nonce;
}

/**
 * RFC 9605 §5.1: the next `base_key` of a sender-key ratchet,
 * `HKDF-Expand(HKDF-Extract("", base_key), "SFrame 1.0 Ratchet", Nh)`.
 * One-way: whoever holds the next key cannot compute this one.
 */
export function ratchetBaseKey(baseKey: Uint8Array): Uint8Array {
  const secret = extract(sha256, baseKey, new Uint8Array(0));
  const next = expand(sha256, secret, RATCHET_LABEL, SUITE.nh);
  secret.fill(0);
  return next;
}
