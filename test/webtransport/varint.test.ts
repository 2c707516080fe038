import { describe, expect, it } from 'vitest';
import { encodeVarint, MAX_VARINT, readVarint, varintLength } from '../../server/webtransport/varint.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('QUIC varints', () => {
  // RFC 9000 Appendix A.1 sample encodings.
  it('decodes the RFC 9000 sample encodings', () => {
    // Above 2^53 the value is the nearest double (such values are only ever skipped).
    expect(readVarint(Buffer.from('c2197c5eff14e88c', 'hex'))).toEqual({
      value: Number(151288809941952652n),
      length: 8,
    });
    expect(readVarint(Buffer.from('9d7f3e7d', 'hex'))).toEqual({ value: 494878333, length: 4 });
    expect(readVarint(Buffer.from('7bbd', 'hex'))).toEqual({ value: 15293, length: 2 });
    expect(readVarint(Buffer.from('25', 'hex'))).toEqual({ value: 37, length: 1 });
    expect(readVarint(Buffer.from('4025', 'hex'))).toEqual({ value: 37, length: 2 });
  });

  it('encodes in the shortest form', () => {
    expect(hex(encodeVarint(37))).toBe('25');
    expect(hex(encodeVarint(15293))).toBe('7bbd');
    expect(hex(encodeVarint(494878333))).toBe('9d7f3e7d');
    expect(hex(encodeVarint(2 ** 40))).toBe('c000010000000000');
    expect([0, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30].map(varintLength)).toEqual([1, 1, 2, 2, 4, 4, 8]);
  });

  it('round-trips values across every length', () => {
    for (const value of [0, 1, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30, 2 ** 53 - 1]) {
      const bytes = encodeVarint(value);
      expect(readVarint(bytes)).toEqual({ value, length: bytes.length });
    }
  });

  it('asks for more bytes when truncated, at any offset', () => {
    expect(readVarint(new Uint8Array(0))).toBeUndefined();
    expect(readVarint(Buffer.from('c2197c', 'hex'))).toBeUndefined();
    expect(readVarint(Buffer.from('00807b', 'hex'), 1)).toBeUndefined();
    expect(readVarint(Buffer.from('007bbd', 'hex'), 1)).toEqual({ value: 15293, length: 2 });
  });

  it('refuses to encode what is not a varint', () => {
    expect(() => encodeVarint(-1)).toThrow(RangeError);
    expect(() => encodeVarint(1.5)).toThrow(RangeError);
    expect(() => encodeVarint(MAX_VARINT * 2)).toThrow(RangeError);
  });
});
