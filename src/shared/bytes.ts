/**
 * Byte-array helpers that several layers need: joining arrays, and putting a
 * length in front of a variable-length field.
 */

/** `parts` joined in one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * `bytes` after their length as a `prefixBytes`-byte big-endian unsigned
 * integer, in one new array: how a field of variable length is delimited (2
 * bytes in E2EE key-derivation inputs, 4 for envelopes on a stream).
 * @throws RangeError when the length does not fit in the prefix
 */
export function withLengthPrefix(bytes: Uint8Array, prefixBytes: 2 | 4): Uint8Array {
  const out = new Uint8Array(prefixBytes + bytes.length);
  const view = new DataView(out.buffer);
  if (bytes.length >= 2 ** (8 * prefixBytes)) {
    throw new RangeError(`${bytes.length} bytes do not fit a ${prefixBytes}-byte length`);
  }
  if (prefixBytes === 2) view.setUint16(0, bytes.length);
  else view.setUint32(0, bytes.length);
  out.set(bytes, prefixBytes);
  return out;
}

/**
 * `view` itself when it spans its whole buffer, else a copy that does: what a
 * message may transfer without taking unrelated bytes (or bytes still in use,
 * such as the rest of a received chunk) along.
 */
export function ownBuffer<T extends Uint8Array | Float32Array>(view: T): T {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : (view.slice() as T);
}
