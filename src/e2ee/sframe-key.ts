/**
 * SFrame encryption and decryption with one key (RFC 9605 §4.4.3, §4.4.4):
 *
 * ```
 * nonce      = sframe_salt XOR CTR
 * aad        = SFrame header || metadata
 * ciphertext = SFrame header || AES-128-GCM(sframe_key, nonce, aad, plaintext)   (tag included)
 * ```
 * Which key and which counter to use is the caller's business (see
 * `sender-keys.ts`); this module only applies them.
 */
import { concatBytes } from '../shared/bytes.js';
import { defaultAeadProvider, type AeadProvider, type AesGcmKey } from './aead.js';
import { E2eeError } from './errors.js';
import {
  AES_128_GCM_SHA256_128,
  deriveSFrameKeyMaterial,
  sframeNonce,
  type SFrameKeyMaterial,
} from './sframe-cipher-suite.js';
import { encodeSFrameHeader, type SFrameHeader } from './sframe-header.js';

/** One SFrame key: a KID with its `sframe_key` (imported for AES-GCM) and `sframe_salt`. */
export class SFrameKey {
  private constructor(
    /** The key id this key is labelled with. */
    readonly kid: bigint,
    private readonly salt: Uint8Array,
    private readonly aead: AesGcmKey,
  ) {}

  /** Derives the key and salt for `kid` from `baseKey` (RFC 9605 §4.4.2). */
  static async fromBaseKey(
    baseKey: Uint8Array,
    kid: bigint,
    provider: AeadProvider = defaultAeadProvider(),
  ): Promise<SFrameKey> {
    const material = deriveSFrameKeyMaterial(baseKey, kid);
    try {
      return await SFrameKey.fromKeyMaterial(material, kid, provider);
    } finally {
      material.key.fill(0);
    }
  }

  /** A key from an already derived `sframe_key` and `sframe_salt` (test vectors give these). */
  static async fromKeyMaterial(
    material: SFrameKeyMaterial,
    kid: bigint,
    provider: AeadProvider = defaultAeadProvider(),
  ): Promise<SFrameKey> {
    if (material.salt.length !== AES_128_GCM_SHA256_128.nn) throw new RangeError('sframe_salt must be 12 bytes.');
    return new SFrameKey(kid, material.salt.slice(), await provider.importKey(material.key));
  }

  /**
   * The SFrame ciphertext of `plaintext` under counter `ctr`, with `metadata`
   * authenticated but not carried. The caller must never use one counter twice
   * with this key.
   */
  async encrypt(ctr: bigint, metadata: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const header = encodeSFrameHeader(this.kid, ctr);
    const sealed = await this.aead.seal(sframeNonce(this.salt, ctr), concatBytes([header, metadata]), plaintext);
    return concatBytes([header, sealed]);
  }

  /**
   * The plaintext of an SFrame `ciphertext` whose `header` was parsed with
   * `parseSFrameHeader`. Rejects with `e2ee-decrypt-failed` when the
   * header, the metadata or the ciphertext do not authenticate.
   */
  async decrypt(header: SFrameHeader, ciphertext: Uint8Array, metadata: Uint8Array): Promise<Uint8Array> {
    if (header.kid !== this.kid)
      throw new E2eeError('e2ee-unknown-key', `Frame has KID ${header.kid}, key is ${this.kid}.`);
    if (ciphertext.length < header.length + AES_128_GCM_SHA256_128.nt) {
      throw new E2eeError('e2ee-malformed', 'SFrame ciphertext shorter than its header and tag.');
    }
    const aad = concatBytes([ciphertext.subarray(0, header.length), metadata]);
    return this.aead.open(sframeNonce(this.salt, header.ctr), aad, ciphertext.subarray(header.length));
  }
}
