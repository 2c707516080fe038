import { describe, expect, it } from 'vitest';
import { FrameTooLargeError, lengthPrefixed, LengthPrefixedReader } from '../../src/protocol/stream-framing.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('length-prefixed stream framing', () => {
  it('prefixes a message with its length as 4 big-endian bytes', () => {
    expect([...lengthPrefixed(bytes(7, 8, 9))]).toEqual([0, 0, 0, 3, 7, 8, 9]);
    expect([...lengthPrefixed(bytes())]).toEqual([0, 0, 0, 0]);
  });

  it('reassembles messages split and joined across chunks in any way', () => {
    const messages = [bytes(1), bytes(), bytes(2, 3, 4), new Uint8Array(300).fill(5)];
    const stream = new Uint8Array(messages.reduce((n, m) => n + 4 + m.length, 0));
    let at = 0;
    for (const m of messages) {
      stream.set(lengthPrefixed(m), at);
      at += 4 + m.length;
    }
    for (const size of [1, 2, 3, 5, 7, 64, stream.length]) {
      const reader = new LengthPrefixedReader(1024);
      const out: Uint8Array[] = [];
      for (let i = 0; i < stream.length; i += size) out.push(...reader.push(stream.subarray(i, i + size)));
      expect(out.map((m) => [...m])).toEqual(messages.map((m) => [...m]));
      expect(reader.pending).toBe(0);
    }
  });

  it('refuses a length above the limit before buffering it, then reads nothing more', () => {
    const reader = new LengthPrefixedReader(10);
    expect(reader.push(lengthPrefixed(new Uint8Array(10)))).toHaveLength(1);
    expect(() => reader.push(bytes(0, 0, 0, 11))).toThrow(FrameTooLargeError);
    expect(reader.push(lengthPrefixed(bytes(1)))).toEqual([]);
  });

  it('returns copies that later chunks do not overwrite', () => {
    const reader = new LengthPrefixedReader(10);
    const chunk = lengthPrefixed(bytes(1, 2));
    const [first] = reader.push(chunk);
    chunk.fill(9);
    expect([...first!]).toEqual([1, 2]);
  });
});
