import { describe, expect, it } from 'vitest';
import { concatBytes, withLengthPrefix } from '../../src/shared/bytes.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('concatBytes', () => {
  it('joins the parts in order into a new array', () => {
    const a = bytes(1, 2);
    const joined = concatBytes([a, bytes(), bytes(3), a.subarray(1)]);
    expect([...joined]).toEqual([1, 2, 3, 2]);
    joined[0] = 9;
    expect(a[0]).toBe(1);
    expect(concatBytes([])).toEqual(new Uint8Array(0));
  });
});

describe('withLengthPrefix', () => {
  it('puts the length in front, big-endian, in 2 or 4 bytes', () => {
    expect([...withLengthPrefix(bytes(7, 8, 9), 2)]).toEqual([0, 3, 7, 8, 9]);
    expect([...withLengthPrefix(bytes(7, 8, 9), 4)]).toEqual([0, 0, 0, 3, 7, 8, 9]);
    expect([...withLengthPrefix(new Uint8Array(0x1234), 2).subarray(0, 2)]).toEqual([0x12, 0x34]);
    expect([...withLengthPrefix(bytes(), 4)]).toEqual([0, 0, 0, 0]);
  });

  it('refuses a length the prefix cannot hold', () => {
    expect(withLengthPrefix(new Uint8Array(0xffff), 2)).toHaveLength(0x10001);
    expect(() => withLengthPrefix(new Uint8Array(0x10000), 2)).toThrow(RangeError);
  });
});
