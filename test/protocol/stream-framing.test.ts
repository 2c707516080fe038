import { describe, expect, it } from 'vitest';
import {
  framedStreamHeader,
  FRAMED_STREAM_MARKER,
  laneOf,
  FrameTooLargeError,
  lengthPrefixed,
  LengthPrefixedReader,
} from '../../src/protocol/stream-framing.js';
import { encodeEnvelope } from '../../src/protocol/envelope.js';

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

describe('framed media streams', () => {
  it('start with a marker no one-envelope stream starts with, then the lane as their first message', () => {
    expect([...framedStreamHeader(0x01020304)]).toEqual([FRAMED_STREAM_MARKER, 0, 0, 0, 4, 1, 2, 3, 4]);
    // An envelope's first byte is a protobuf field tag: never 0.
    for (const envelope of [{ ping: { time: 1 } }, { media: { payload: new Uint8Array(3) } }]) {
      expect(encodeEnvelope(envelope)[0]).not.toBe(FRAMED_STREAM_MARKER);
    }
  });

  it('read as the lane then every envelope after the marker, however the chunks split them', () => {
    const messages = [new Uint8Array(1000).fill(1), bytes(2), new Uint8Array(5000).fill(3)];
    const stream = new Uint8Array([...framedStreamHeader(7), ...messages.flatMap((m) => [...lengthPrefixed(m)])]);
    for (const size of [1, 2, 4, 5, 6, 1200, stream.length]) {
      const reader = new LengthPrefixedReader(1 << 20);
      const out: Uint8Array[] = [];
      for (let i = 1; i < stream.length; i += size) out.push(...reader.push(stream.subarray(i, i + size)));
      expect(laneOf(out[0]!)).toBe(7);
      expect(out.slice(1).map((m) => m.length)).toEqual([1000, 1, 5000]);
      expect(out[3]!.every((b) => b === 3)).toBe(true);
      expect(reader.pending).toBe(0);
    }
  });

  it('name no lane with a first message of another size', () => {
    expect(laneOf(bytes(1, 2, 3))).toBe(-1);
  });
});
