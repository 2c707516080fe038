/**
 * The SFrame header (RFC 9605 §4.3): a config byte, then the key id (KID) and
 * the counter (CTR) as minimal big-endian integers.
 *
 * ```
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+---------------------------+---------------------------+
 * |X|  K  |Y|  C  |   KID... (length=K+1)     |   CTR... (length=C+1)     |
 * +-+-+-+-+-+-+-+-+---------------------------+---------------------------+
 * ```
 * A value 0–7 sits in K (or C) with X (or Y) clear; a larger one is appended in
 * the fewest bytes, and K (or C) holds that length minus one.
 */
import { E2eeError } from './errors.js';

/** Largest KID or CTR an SFrame header can carry: 2^64 − 1. */
export const MAX_SFRAME_VALUE = (1n << 64n) - 1n;

/** A parsed SFrame header. */
export interface SFrameHeader {
  /** Key id: selects the key. */
  kid: bigint;
  /** Counter: makes the nonce; unique per key. */
  ctr: bigint;
  /** Bytes the header takes at the start of the ciphertext. */
  length: number;
}

/** Bytes needed for `value` > 7 in the extended form (1–8). */
function byteLength(value: bigint): number {
  let length = 1;
  while (value > 0xffn) {
    value >>= 8n;
    length++;
  }
  return length;
}

function writeBigEndian(out: Uint8Array, offset: number, value: bigint, length: number): void {
  for (let i = length - 1; i >= 0; i--) {
    out[offset + i] = Number(value & 0xffn);
    value >>= 8n;
  }
}

function checkValue(value: bigint, name: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_SFRAME_VALUE) {
    throw new RangeError(`SFrame ${name} must be an integer in [0, 2^64): ${String(value)}`);
  }
}

/**
 * Encodes the header for `kid` and `ctr` (each in [0, 2^64)) in its one
 * canonical form.
 *
 * @example
 * ```ts
 * encodeSFrameHeader(0x123n, 0x4567n); // 99 01 23 45 67
 * ```
 */
export function encodeSFrameHeader(kid: bigint, ctr: bigint): Uint8Array {
  checkValue(kid, 'KID');
  checkValue(ctr, 'CTR');
  const kidLength = kid < 8n ? 0 : byteLength(kid);
  const ctrLength = ctr < 8n ? 0 : byteLength(ctr);
  const out = new Uint8Array(1 + kidLength + ctrLength);
  const kidBits = kidLength === 0 ? Number(kid) << 4 : 0x80 | ((kidLength - 1) << 4);
  const ctrBits = ctrLength === 0 ? Number(ctr) : 0x08 | (ctrLength - 1);
  out[0] = kidBits | ctrBits;
  if (kidLength) writeBigEndian(out, 1, kid, kidLength);
  if (ctrLength) writeBigEndian(out, 1 + kidLength, ctr, ctrLength);
  return out;
}

/** Reads an extended value and checks it is in its shortest form. */
function readExtended(bytes: Uint8Array, offset: number, length: number, name: string): bigint {
  if (offset + length > bytes.length) {
    throw new E2eeError('e2ee-malformed', `SFrame header truncated: ${name} needs ${length} bytes.`);
  }
  if (length > 1 && bytes[offset] === 0) {
    throw new E2eeError('e2ee-malformed', `SFrame header ${name} is not in its shortest form (leading zero byte).`);
  }
  let value = 0n;
  for (let i = 0; i < length; i++) value = (value << 8n) | BigInt(bytes[offset + i]!);
  if (value < 8n) {
    throw new E2eeError('e2ee-malformed', `SFrame header ${name} ${value} must sit in the config byte.`);
  }
  return value;
}

/**
 * Parses the SFrame header at the start of `bytes` (an SFrame ciphertext).
 * Strict: a truncated header, or a value not in its shortest form (RFC 9605
 * says it MUST be), throws `e2ee-malformed`.
 */
export function parseSFrameHeader(bytes: Uint8Array): SFrameHeader {
  if (bytes.length === 0) throw new E2eeError('e2ee-malformed', 'Empty SFrame ciphertext: no header.');
  const config = bytes[0]!;
  const x = (config & 0x80) !== 0;
  const k = (config >> 4) & 0x07;
  const y = (config & 0x08) !== 0;
  const c = config & 0x07;
  let offset = 1;
  let kid = BigInt(k);
  if (x) {
    kid = readExtended(bytes, offset, k + 1, 'KID');
    offset += k + 1;
  }
  let ctr = BigInt(c);
  if (y) {
    ctr = readExtended(bytes, offset, c + 1, 'CTR');
    offset += c + 1;
  }
  return { kid, ctr, length: offset };
}
