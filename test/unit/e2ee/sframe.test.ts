import { describe, expect, it } from 'vitest';
import {
  defaultAeadProvider,
  hybridAesGcm,
  nobleAesGcm,
  webCryptoAesGcm,
  type AeadProvider,
} from '../../../src/e2ee/aead.js';
import { E2eeError } from '../../../src/e2ee/errors.js';
import {
  AES_128_GCM_SHA256_128,
  deriveSFrameKeyMaterial,
  ratchetBaseKey,
  sframeNonce,
} from '../../../src/e2ee/sframe-cipher-suite.js';
import { SFrameKey } from '../../../src/e2ee/sframe-key.js';
import { encodeSFrameHeader, parseSFrameHeader } from '../../../src/e2ee/sframe-header.js';
import { flipBit, hex, toHex } from './helpers.js';
import { RFC9605_AES_128_GCM_SHA256_128 as V, RFC9605_HEADER_VECTORS } from './rfc9605-vectors.js';

const providers: AeadProvider[] = [nobleAesGcm, webCryptoAesGcm(), hybridAesGcm()];

describe('SFrame header (RFC 9605 §4.3, Appendix C.1)', () => {
  it('encodes every published header vector byte for byte', () => {
    expect(RFC9605_HEADER_VECTORS).toHaveLength(289);
    for (const [kid, ctr, header] of RFC9605_HEADER_VECTORS) {
      expect(toHex(encodeSFrameHeader(BigInt(kid), BigInt(ctr))), `kid ${kid} ctr ${ctr}`).toBe(header);
    }
  });

  it('decodes every published header vector to its KID and CTR', () => {
    for (const [kid, ctr, header] of RFC9605_HEADER_VECTORS) {
      const bytes = hex(header);
      expect(parseSFrameHeader(bytes)).toEqual({ kid: BigInt(kid), ctr: BigInt(ctr), length: bytes.length });
    }
  });

  it('reads only the header at the start of a longer ciphertext', () => {
    expect(parseSFrameHeader(hex('9901234567b7412c'))).toEqual({ kid: 0x123n, ctr: 0x4567n, length: 5 });
  });

  it('refuses an empty or truncated header with e2ee-malformed', () => {
    for (const bad of ['', '08', '0a01', '90ff', '9901', '9f0100ffffffffffffff', 'ffffffffffffffffffffffffffffffff']) {
      expect(() => parseSFrameHeader(hex(bad)), bad).toThrow(
        expect.objectContaining({ name: 'E2eeError', code: 'e2ee-malformed' }),
      );
    }
  });

  it('refuses values not in their shortest form, which RFC 9605 forbids', () => {
    // CTR 5 in the extended form; KID 0x00ff written in two bytes; CTR with a leading zero byte.
    for (const bad of ['0805', '8000', '9000ff', '0900ff', '8f070000000000000000']) {
      expect(() => parseSFrameHeader(hex(bad)), bad).toThrow(E2eeError);
    }
  });

  it('accepts the largest KID and CTR and refuses values outside [0, 2^64) when encoding', () => {
    const max = (1n << 64n) - 1n;
    expect(parseSFrameHeader(encodeSFrameHeader(max, max))).toEqual({ kid: max, ctr: max, length: 17 });
    expect(() => encodeSFrameHeader(1n << 64n, 0n)).toThrow(RangeError);
    expect(() => encodeSFrameHeader(0n, -1n)).toThrow(RangeError);
  });

  it('never throws anything but an E2eeError on random bytes', () => {
    for (let i = 0; i < 2000; i++) {
      const bytes = crypto.getRandomValues(new Uint8Array(i % 20));
      try {
        const header = parseSFrameHeader(bytes);
        expect(toHex(encodeSFrameHeader(header.kid, header.ctr))).toBe(toHex(bytes.subarray(0, header.length)));
      } catch (error) {
        expect(error).toBeInstanceOf(E2eeError);
      }
    }
  });
});

describe('SFrame key schedule (RFC 9605 §4.4.2, Appendix C.3 suite 0x0004)', () => {
  const kid = BigInt(V.kid);
  const ctr = BigInt(V.ctr);

  it('is the suite the vector is for', () => {
    expect(AES_128_GCM_SHA256_128.id).toBe(V.cipherSuite);
  });

  it('derives the published sframe_key and sframe_salt from base_key', () => {
    const { key, salt } = deriveSFrameKeyMaterial(hex(V.baseKey), kid);
    expect(toHex(key)).toBe(V.sframeKey);
    expect(toHex(salt)).toBe(V.sframeSalt);
  });

  it('uses the published labels: the same key from WebCrypto HKDF given those labels', async () => {
    // An independent implementation: Node's WebCrypto HKDF (empty salt), fed the RFC's label bytes.
    const ikm = await crypto.subtle.importKey('raw', hex(V.baseKey), 'HKDF', false, ['deriveBits']);
    const derive = async (info: string, bytes: number) =>
      toHex(
        new Uint8Array(
          await crypto.subtle.deriveBits(
            { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: hex(info) },
            ikm,
            bytes * 8,
          ),
        ),
      );
    expect(await derive(V.sframeKeyLabel, 16)).toBe(V.sframeKey);
    expect(await derive(V.sframeSaltLabel, 12)).toBe(V.sframeSalt);
  });

  it('forms the published nonce as salt XOR CTR', () => {
    expect(toHex(sframeNonce(hex(V.sframeSalt), ctr))).toBe(V.nonce);
    expect(toHex(sframeNonce(hex(V.sframeSalt), 0n))).toBe(V.sframeSalt);
  });

  it('ratchets a base key one way to a new 32-byte key, the same every time', () => {
    const next = ratchetBaseKey(hex(V.baseKey));
    expect(next).toHaveLength(32);
    expect(toHex(ratchetBaseKey(hex(V.baseKey)))).toBe(toHex(next));
    expect(toHex(next)).not.toContain(V.baseKey);
  });
});

describe.each(providers.map((p) => [p.name, p] as const))('SFrame encrypt/decrypt with %s AES-GCM', (_, provider) => {
  const kid = BigInt(V.kid);
  const ctr = BigInt(V.ctr);
  const metadata = hex(V.metadata);

  it('produces the published ciphertext from base_key (Appendix C.3, 0x0004)', async () => {
    const key = await SFrameKey.fromBaseKey(hex(V.baseKey), kid, provider);
    expect(toHex(await key.encrypt(ctr, metadata, hex(V.pt)))).toBe(V.ct);
  });

  it('decrypts the published ciphertext to the published plaintext', async () => {
    const key = await SFrameKey.fromBaseKey(hex(V.baseKey), kid, provider);
    const ct = hex(V.ct);
    const header = parseSFrameHeader(ct);
    // The AAD is the header followed by the metadata.
    expect(toHex(ct.subarray(0, header.length)) + V.metadata).toBe(V.aad);
    expect(toHex(await key.decrypt(header, ct, metadata))).toBe(V.pt);
  });

  it('rejects the vector with any single bit flipped in header, ciphertext, tag or metadata', async () => {
    const key = await SFrameKey.fromBaseKey(hex(V.baseKey), kid, provider);
    const ct = hex(V.ct);
    for (let i = 0; i < ct.length; i++) {
      const bad = flipBit(ct, i, i % 8);
      let header;
      try {
        header = parseSFrameHeader(bad);
      } catch (error) {
        expect((error as E2eeError).code).toBe('e2ee-malformed');
        continue;
      }
      // A changed KID is a different key: the context refuses it before trying.
      await expect(key.decrypt(header, bad, metadata), `byte ${i}`).rejects.toMatchObject({
        code: header.kid === kid ? 'e2ee-decrypt-failed' : 'e2ee-unknown-key',
      });
    }
    for (let i = 0; i < metadata.length; i++) {
      await expect(key.decrypt(parseSFrameHeader(ct), ct, flipBit(metadata, i))).rejects.toMatchObject({
        code: 'e2ee-decrypt-failed',
      });
    }
    await expect(key.decrypt(parseSFrameHeader(ct), ct, new Uint8Array())).rejects.toMatchObject({
      code: 'e2ee-decrypt-failed',
    });
  });

  it('rejects a ciphertext cut short, even below the tag length', async () => {
    const key = await SFrameKey.fromBaseKey(hex(V.baseKey), kid, provider);
    const ct = hex(V.ct);
    for (const length of [5, 6, 20, ct.length - 1]) {
      const cut = ct.subarray(0, length);
      await expect(key.decrypt(parseSFrameHeader(cut), cut, metadata)).rejects.toBeInstanceOf(E2eeError);
    }
  });

  it('round-trips empty and large frames', async () => {
    const key = await SFrameKey.fromBaseKey(crypto.getRandomValues(new Uint8Array(16)), 7n, provider);
    for (const size of [0, 1, 1200, 150_000]) {
      const pt = new Uint8Array(size).map((_, i) => i * 31);
      const ct = await key.encrypt(BigInt(size), metadata, pt);
      expect(ct.length).toBe(pt.length + 16 + parseSFrameHeader(ct).length);
      expect(await key.decrypt(parseSFrameHeader(ct), ct, metadata)).toEqual(pt);
    }
  });
});

describe('the AES-GCM providers', () => {
  it('default to WebCrypto where crypto.subtle exists', () => {
    expect(defaultAeadProvider().name).toBe('webcrypto');
  });

  it('make the same bytes, and each opens what another sealed, below and above the hybrid threshold', async () => {
    const base = crypto.getRandomValues(new Uint8Array(16));
    const keys = await Promise.all(providers.map((p) => SFrameKey.fromBaseKey(base, 300n, p)));
    const aad = hex('0102');
    for (const size of [100, 2047, 2048, 5000]) {
      const pt = crypto.getRandomValues(new Uint8Array(size));
      const sealed = await Promise.all(keys.map((k) => k.encrypt(99n, aad, pt)));
      expect(new Set(sealed.map(toHex)).size, `size ${size}`).toBe(1);
      for (const key of keys) {
        for (const ct of sealed) expect(await key.decrypt(parseSFrameHeader(ct), ct, aad)).toEqual(pt);
      }
    }
  });
});
