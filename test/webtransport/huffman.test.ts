import { describe, expect, it } from 'vitest';
import { H3Error, H3ErrorCode } from '../../server/webtransport/errors.js';
import { HUFFMAN_CODES, huffmanDecode } from '../../server/webtransport/huffman.js';
import { huffmanEncode } from './huffman-encode.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/** Huffman-coded strings from RFC 7541 Appendix C.4 (requests) and C.6 (responses). */
const RFC7541_VECTORS: Array<[string, string]> = [
  ['www.example.com', 'f1e3c2e5f23a6ba0ab90f4ff'],
  ['no-cache', 'a8eb10649cbf'],
  ['custom-key', '25a849e95ba97d7f'],
  ['custom-value', '25a849e95bb8e8b4bf'],
  ['302', '6402'],
  ['private', 'aec3771a4b'],
  ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07abe941054d444a8200595040b8166e082a62d1bff'],
  ['https://www.example.com', '9d29ad171863c78f0b97c8e9ae82ae43d3'],
  ['307', '640eff'],
  ['Mon, 21 Oct 2013 20:13:22 GMT', 'd07abe941054d444a8200595040b8166e084a62d1bff'],
  ['gzip', '9bd9ab'],
  [
    'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
    '94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
  ],
];

describe('HPACK Huffman code (RFC 7541 Appendix B)', () => {
  it('is a complete canonical prefix code of 257 symbols', () => {
    expect(HUFFMAN_CODES).toHaveLength(257);
    const kraft = HUFFMAN_CODES.reduce((sum, [, bits]) => sum + 2 ** -bits, 0);
    expect(kraft).toBe(1);
    // Canonical: sorted by (length, symbol), each code is the previous plus one, shifted to its length.
    const sorted = HUFFMAN_CODES.map(([code, bits], symbol) => ({ code, bits, symbol })).sort(
      (a, b) => a.bits - b.bits || a.symbol - b.symbol,
    );
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      expect(cur.code).toBe((prev.code + 1) * 2 ** (cur.bits - prev.bits));
    }
  });

  it.each(RFC7541_VECTORS)('decodes the RFC 7541 example %j', (text, coded) => {
    expect(ascii(huffmanDecode(Buffer.from(coded, 'hex')))).toBe(text);
  });

  it.each(RFC7541_VECTORS)('encodes the RFC 7541 example %j', (text, coded) => {
    expect(hex(huffmanEncode(Buffer.from(text, 'latin1')))).toBe(coded);
  });

  it('round-trips every octet, alone and all together', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(huffmanDecode(huffmanEncode(all))).toEqual(all);
    for (let i = 0; i < 256; i++) expect(huffmanDecode(huffmanEncode(Uint8Array.of(i)))).toEqual(Uint8Array.of(i));
  });

  it('decodes the empty string', () => {
    expect(huffmanDecode(new Uint8Array(0))).toEqual(new Uint8Array(0));
  });

  const rejects = (bytes: Uint8Array, why: RegExp): void => {
    let error: unknown;
    try {
      huffmanDecode(bytes);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(H3Error);
    expect((error as H3Error).code).toBe(H3ErrorCode.QpackDecompressionFailed);
    expect((error as H3Error).message).toMatch(why);
  };

  it('rejects the EOS symbol inside a string', () => {
    // EOS is 30 ones: four 0xff bytes hold it plus two bits of padding.
    rejects(Uint8Array.of(0xff, 0xff, 0xff, 0xff), /EOS/);
  });

  it('rejects padding longer than 7 bits', () => {
    // 'a' is 00011 (5 bits), then 11 bits of ones.
    rejects(Uint8Array.of(0b00011111, 0xff), /more than 7 bits/);
  });

  it('rejects padding that is not all ones', () => {
    // 'a' (00011) then 000: zero padding.
    rejects(Uint8Array.of(0b00011000), /not all ones/);
  });
});
