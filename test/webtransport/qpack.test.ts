import { describe, expect, it } from 'vitest';
import { H3Error, H3ErrorCode } from '../../server/webtransport/errors.js';
import {
  decodeFieldSection,
  encodeFieldSection,
  QpackDecoderStreamReader,
  QpackEncoderStreamReader,
  readPrefixInt,
  writePrefixInt,
  type HeaderField,
} from '../../server/webtransport/qpack.js';
import { QPACK_STATIC_TABLE } from '../../server/webtransport/qpack-static-table.js';
import { huffmanEncode } from './huffman-encode.js';

const bytes = (hex: string): Uint8Array => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof H3Error) return err.code;
    throw err;
  }
  return undefined;
}

describe('QPACK static table (RFC 9204 Appendix A)', () => {
  it('has 99 entries with the landmarks the examples use', () => {
    expect(QPACK_STATIC_TABLE).toHaveLength(99);
    expect(QPACK_STATIC_TABLE[0]).toEqual([':authority', '']);
    expect(QPACK_STATIC_TABLE[1]).toEqual([':path', '/']);
    expect(QPACK_STATIC_TABLE[15]).toEqual([':method', 'CONNECT']);
    expect(QPACK_STATIC_TABLE[25]).toEqual([':status', '200']);
    expect(QPACK_STATIC_TABLE[98]).toEqual(['x-frame-options', 'sameorigin']);
  });
});

describe('QPACK prefix integers (RFC 7541 §5.1 / C.1)', () => {
  it('encodes and decodes the RFC 7541 C.1 examples', () => {
    const out: number[] = [];
    writePrefixInt(out, 10, 5, 0);
    expect(out).toEqual([10]);
    out.length = 0;
    writePrefixInt(out, 1337, 5, 0);
    expect(out).toEqual([31, 154, 10]);
    out.length = 0;
    writePrefixInt(out, 42, 8, 0);
    expect(out).toEqual([42]);
    expect(readPrefixInt(Uint8Array.of(31, 154, 10), 0, 5)).toEqual({ value: 1337, next: 3 });
    expect(readPrefixInt(Uint8Array.of(31, 154), 0, 5)).toBeUndefined();
  });

  it('rejects an integer beyond 2^32', () => {
    expect(codeOf(() => readPrefixInt(Uint8Array.of(0x1f, 0xff, 0xff, 0xff, 0xff, 0x7f), 0, 5))).toBe(
      H3ErrorCode.QpackDecompressionFailed,
    );
  });
});

describe('QPACK field sections (RFC 9204)', () => {
  it('decodes RFC 9204 B.1: literal field line with name reference', () => {
    expect(decodeFieldSection(bytes('0000 510b 2f69 6e64 6578 2e68 746d 6c'))).toEqual([[':path', '/index.html']]);
  });

  it('rejects the RFC 9204 B.2–B.5 field sections, which need the dynamic table (capacity 0 here)', () => {
    // B.2: Required Insert Count 2, indexed dynamic references.
    expect(codeOf(() => decodeFieldSection(bytes('0381 10 11')))).toBe(H3ErrorCode.QpackDecompressionFailed);
    // B.4: Required Insert Count 5 (encoded 0x05) with a post-base index.
    expect(codeOf(() => decodeFieldSection(bytes('0500 80 c1 81')))).toBe(H3ErrorCode.QpackDecompressionFailed);
  });

  it('rejects the RFC 9204 B.2 encoder stream, which inserts into the dynamic table', () => {
    const reader = new QpackEncoderStreamReader();
    // Set Dynamic Table Capacity=220, then inserts.
    expect(
      codeOf(() => reader.push(bytes('3fbd01 c00f7777772e6578616d706c652e636f6d c10c2f73616d706c652f70617468'))),
    ).toBe(H3ErrorCode.QpackEncoderStreamError);
  });

  it('accepts an encoder stream that only sets capacity 0, split anywhere', () => {
    const reader = new QpackEncoderStreamReader();
    reader.push(Uint8Array.of(0x20));
    reader.push(Uint8Array.of(0x20, 0x3f));
    expect(codeOf(() => reader.push(Uint8Array.of(0x00)))).toBe(H3ErrorCode.QpackEncoderStreamError); // capacity 31
  });

  it('reads a decoder stream: stream cancellations are fine; acknowledgments and increments are errors', () => {
    const reader = new QpackDecoderStreamReader();
    reader.push(Uint8Array.of(0x44, 0x7f));
    reader.push(Uint8Array.of(0x10));
    expect(codeOf(() => new QpackDecoderStreamReader().push(Uint8Array.of(0x84)))).toBe(
      H3ErrorCode.QpackDecoderStreamError,
    );
    expect(codeOf(() => new QpackDecoderStreamReader().push(Uint8Array.of(0x01)))).toBe(
      H3ErrorCode.QpackDecoderStreamError,
    );
  });

  it('decodes every representation that needs no dynamic table, Huffman-coded or not', () => {
    const name = huffmanEncode(Buffer.from('sec-webtransport-http3-draft02'));
    const value = huffmanEncode(Buffer.from('1'));
    const section = Uint8Array.from([
      0x00,
      0x00,
      0xc0 | 15, // indexed static :method CONNECT
      0xd7, // indexed static 23 :scheme https
      0x50 | 1, // literal, static name :path
      0x03,
      ...Buffer.from('/wt'),
      0x28 | (name.length <= 6 ? name.length : 7), // literal name, Huffman (H bit 0x08)
      ...(name.length >= 7 ? [name.length - 7] : []),
      ...name,
      0x80 | value.length,
      ...value,
      0x20 | 6, // literal name, no Huffman
      ...Buffer.from('origin'),
      0x80 | huffmanEncode(Buffer.from('https://a.example')).length,
      ...huffmanEncode(Buffer.from('https://a.example')),
    ]);
    expect(decodeFieldSection(section)).toEqual([
      [':method', 'CONNECT'],
      [':scheme', 'https'],
      [':path', '/wt'],
      ['sec-webtransport-http3-draft02', '1'],
      ['origin', 'https://a.example'],
    ]);
  });

  it('round-trips what it encodes (static exact, static name, literal name)', () => {
    const fields: HeaderField[] = [
      [':status', '200'],
      [':status', '429'],
      ['sec-webtransport-http3-draft', 'draft02'],
      ['content-type', 'text/plain'],
      ['x-long', 'v'.repeat(300)],
    ];
    const encoded = encodeFieldSection(fields);
    expect(encoded.subarray(0, 3)).toEqual(Uint8Array.of(0x00, 0x00, 0xc0 | 25));
    expect(decodeFieldSection(encoded)).toEqual(fields);
  });

  it('rejects dynamic references, post-base forms, bad indices, truncation and a negative base', () => {
    const failed = H3ErrorCode.QpackDecompressionFailed;
    expect(codeOf(() => decodeFieldSection(Uint8Array.of(0x00, 0x00, 0x80)))).toBe(failed); // indexed dynamic
    expect(codeOf(() => decodeFieldSection(Uint8Array.of(0x00, 0x00, 0x40, 0x00)))).toBe(failed); // name ref dynamic
    expect(codeOf(() => decodeFieldSection(Uint8Array.of(0x00, 0x00, 0x10)))).toBe(failed); // post-base indexed
    expect(codeOf(() => decodeFieldSection(Uint8Array.of(0x00, 0x00, 0x00)))).toBe(failed); // post-base name ref
    expect(codeOf(() => decodeFieldSection(Uint8Array.of(0x00, 0x00, 0xc0 | 63, 36)))).toBe(failed); // index 99
    expect(codeOf(() => decodeFieldSection(Uint8Array.of(0x00, 0x00, 0x51, 0x05, 0x2f)))).toBe(failed); // short value
    expect(codeOf(() => decodeFieldSection(Uint8Array.of(0x00, 0x00, 0x51)))).toBe(failed); // no value
    expect(codeOf(() => decodeFieldSection(Uint8Array.of(0x00)))).toBe(failed); // no base
    expect(codeOf(() => decodeFieldSection(Uint8Array.of(0x00, 0x80)))).toBe(failed); // negative base
  });

  it('refuses a field section larger than the limit as a stream error', () => {
    const encoded = encodeFieldSection([['x-big', 'v'.repeat(200)]]);
    let error: unknown;
    try {
      decodeFieldSection(encoded, { maxFieldSectionSize: 100 });
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: H3ErrorCode.ExcessiveLoad, scope: 'stream' });
  });
});
