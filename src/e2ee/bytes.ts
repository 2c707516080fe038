/**
 * Byte helpers shared by the E2EE modules.
 * @internal
 */
import { withLengthPrefix } from '../shared/bytes.js';
import { E2eeError } from './errors.js';

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * `bytes` prefixed with their length as a 2-byte big-endian integer: fields of
 * variable length (room, session ids) can then be concatenated without ambiguity.
 * Throws `e2ee-malformed` beyond 65535 bytes.
 */
export function lengthPrefixed16(bytes: Uint8Array): Uint8Array {
  if (bytes.length > 0xffff) throw new E2eeError('e2ee-malformed', 'Field longer than 65535 bytes.');
  return withLengthPrefix(bytes, 2);
}

/** `value` (0 ≤ value < 2^64) as 8 big-endian bytes. */
export function uint64Bytes(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

/** Constant-time comparison of two byte arrays of equal length (false when the lengths differ). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Lexicographic comparison of two strings by UTF-16 code units: the same order on every client. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
