/**
 * QUIC variable-length integers (RFC 9000 §16): the two high bits of the first
 * byte give the length (1, 2, 4 or 8 bytes), the rest is the value, big-endian.
 *
 * Values are JavaScript numbers. Every value this stack acts on (lengths, stream
 * IDs, settings it knows) is far below 2^53; larger ones (GREASE identifiers) lose
 * low bits, which is harmless because they are only ever skipped.
 */

/** Largest value a varint can carry, 2^62 - 1. */
export const MAX_VARINT = 2 ** 62 - 1;

/** A decoded varint and the bytes it took; `undefined` from {@link readVarint} means more bytes are needed. */
export interface VarintRead {
  value: number;
  length: number;
}

/** Bytes needed to encode `value`. */
export function varintLength(value: number): 1 | 2 | 4 | 8 {
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x40000000) return 4;
  return 8;
}

/** Reads a varint at `offset`; `undefined` when `bytes` ends before it does. */
export function readVarint(bytes: Uint8Array, offset = 0): VarintRead | undefined {
  if (offset >= bytes.length) return undefined;
  const first = bytes[offset]!;
  const length = 1 << (first >> 6);
  if (offset + length > bytes.length) return undefined;
  let value = first & 0x3f;
  for (let i = 1; i < length; i++) value = value * 256 + bytes[offset + i]!;
  return { value, length };
}

/** Writes `value` at `offset` in the shortest form; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_VARINT) {
    throw new RangeError(`${value} is not a QUIC varint (an integer from 0 to 2^62-1)`);
  }
  const length = varintLength(value);
  let rest = value;
  for (let i = length - 1; i >= 1; i--) {
    out[offset + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  out[offset] = rest | ((31 - Math.clz32(length)) << 6);
  return offset + length;
}

/** `value` as a varint in a new array. */
export function encodeVarint(value: number): Uint8Array {
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
