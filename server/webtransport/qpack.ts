/**
 * QPACK (RFC 9204) with a dynamic table of capacity zero, which is what this
 * endpoint advertises (SETTINGS_QPACK_MAX_TABLE_CAPACITY = 0): field sections
 * may use only the static table and literals (Huffman-coded or not). Anything
 * that needs the dynamic table is a connection error, as the RFC requires.
 *
 * Encoding uses static references and plain literals, never the dynamic table
 * and never Huffman (responses here are a handful of short fields).
 */
import { H3Error, H3ErrorCode } from './errors.js';
import { huffmanDecode } from './huffman.js';
import { QPACK_STATIC_TABLE } from './qpack-static-table.js';

/** One field line: lowercase name, value. Bytes are kept as Latin-1 strings, so any octet survives. */
export type HeaderField = readonly [name: string, value: string];

/** Largest prefix integer accepted: far above any legal length or index here, and exact in a double. */
const MAX_PREFIX_INT = 2 ** 32 - 1;

function decompressionFailed(message: string): H3Error {
  return new H3Error(H3ErrorCode.QpackDecompressionFailed, `QPACK: ${message}`);
}

/** A decoded prefix integer (RFC 7541 §5.1) and the offset after it; `undefined` if truncated. */
export function readPrefixInt(
  bytes: Uint8Array,
  offset: number,
  prefixBits: number,
  error: (message: string) => H3Error = decompressionFailed,
): { value: number; next: number } | undefined {
  if (offset >= bytes.length) return undefined;
  const max = (1 << prefixBits) - 1;
  let value = bytes[offset]! & max;
  let next = offset + 1;
  if (value < max) return { value, next };
  let shift = 0;
  for (;;) {
    if (next >= bytes.length) return undefined;
    const byte = bytes[next++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (value > MAX_PREFIX_INT) throw error('integer too large');
    if ((byte & 0x80) === 0) return { value, next };
    shift += 7;
  }
}

/** Appends a prefix integer: `flags` fills the bits above the prefix of the first byte. */
export function writePrefixInt(out: number[], value: number, prefixBits: number, flags: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  let rest = value - max;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

/** Reads a string literal whose length has a `prefixBits`-bit prefix and whose H flag is the bit above it. */
function readString(bytes: Uint8Array, offset: number, prefixBits: number): { value: string; next: number } {
  const huffman = (bytes[offset]! & (1 << prefixBits)) !== 0;
  const length = readPrefixInt(bytes, offset, prefixBits);
  if (!length) throw decompressionFailed('truncated string length');
  const end = length.next + length.value;
  if (end > bytes.length) throw decompressionFailed('string runs past the end of the field section');
  const raw = bytes.subarray(length.next, end);
  const decoded = huffman ? huffmanDecode(raw) : raw;
  return { value: Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength).toString('latin1'), next: end };
}

function staticEntry(index: number): readonly [string, string] {
  const entry = QPACK_STATIC_TABLE[index];
  if (!entry) throw decompressionFailed(`static table index ${index} does not exist`);
  return entry;
}

/** Options of {@link decodeFieldSection}. */
export interface DecodeOptions {
  /**
   * Largest decoded size accepted (RFC 9114 §4.2.2: each field counts name + value + 32).
   * Exceeding it is a stream error `ExcessiveLoad`. Default 16 KiB.
   */
  maxFieldSectionSize?: number;
}

/**
 * Decodes an encoded field section (the payload of a HEADERS frame).
 *
 * @throws {@link H3Error} `QpackDecompressionFailed` (connection) for anything malformed or
 *   needing the dynamic table; `ExcessiveLoad` (stream) when the section is too large.
 */
export function decodeFieldSection(bytes: Uint8Array, options: DecodeOptions = {}): HeaderField[] {
  const maxSize = options.maxFieldSectionSize ?? 16 * 1024;
  const ric = readPrefixInt(bytes, 0, 8);
  if (!ric) throw decompressionFailed('truncated field section prefix');
  // With a zero-capacity table the only valid Required Insert Count is 0 (RFC 9204 §4.5.1.1).
  if (ric.value !== 0) throw decompressionFailed('the field section refers to the dynamic table, whose capacity is 0');
  const base = readPrefixInt(bytes, ric.next, 7);
  if (!base) throw decompressionFailed('truncated field section prefix');
  // Sign 1 means Base = RIC - DeltaBase - 1, which is negative when RIC is 0.
  if ((bytes[ric.next]! & 0x80) !== 0) throw decompressionFailed('negative Base');

  const fields: HeaderField[] = [];
  let size = 0;
  let offset = base.next;
  while (offset < bytes.length) {
    const first = bytes[offset]!;
    let name: string;
    let value: string;
    if (first & 0x80) {
      // Indexed field line: 1 T index(6).
      if ((first & 0x40) === 0) throw decompressionFailed('indexed field line refers to the dynamic table');
      const index = readPrefixInt(bytes, offset, 6);
      if (!index) throw decompressionFailed('truncated index');
      [name, value] = staticEntry(index.value);
      offset = index.next;
    } else if (first & 0x40) {
      // Literal with name reference: 0 1 N T index(4), then the value.
      if ((first & 0x10) === 0) throw decompressionFailed('name reference to the dynamic table');
      const index = readPrefixInt(bytes, offset, 4);
      if (!index) throw decompressionFailed('truncated name index');
      name = staticEntry(index.value)[0];
      if (index.next >= bytes.length) throw decompressionFailed('missing value');
      const read = readString(bytes, index.next, 7);
      value = read.value;
      offset = read.next;
    } else if (first & 0x20) {
      // Literal with literal name: 0 0 1 N H length(3), name, then the value.
      const nameRead = readString(bytes, offset, 3);
      name = nameRead.value;
      if (nameRead.next >= bytes.length) throw decompressionFailed('missing value');
      const read = readString(bytes, nameRead.next, 7);
      value = read.value;
      offset = read.next;
    } else {
      // 0001xxxx and 0000xxxx are post-base references: dynamic table only.
      throw decompressionFailed('post-base reference to the dynamic table');
    }
    size += name.length + value.length + 32;
    if (size > maxSize) {
      throw new H3Error(H3ErrorCode.ExcessiveLoad, `field section larger than ${maxSize} bytes`, 'stream');
    }
    fields.push([name, value]);
  }
  return fields;
}

/** Static index of an exact (name, value) entry and of the first entry with each name. */
const exactIndex = new Map<string, number>();
const nameIndex = new Map<string, number>();
QPACK_STATIC_TABLE.forEach(([name, value], index) => {
  exactIndex.set(`${name}\0${value}`, index);
  if (!nameIndex.has(name)) nameIndex.set(name, index);
});

function pushString(out: number[], value: string, prefixBits: number, flags: number): void {
  const bytes = Buffer.from(value, 'latin1');
  writePrefixInt(out, bytes.length, prefixBits, flags);
  for (const byte of bytes) out.push(byte);
}

/**
 * Encodes a field section with static references and literals only (Required
 * Insert Count 0, Base 0, no Huffman). Names must already be lowercase.
 */
export function encodeFieldSection(fields: readonly HeaderField[]): Uint8Array {
  const out: number[] = [0x00, 0x00];
  for (const [name, value] of fields) {
    const exact = exactIndex.get(`${name}\0${value}`);
    if (exact !== undefined) {
      writePrefixInt(out, exact, 6, 0xc0);
      continue;
    }
    const named = nameIndex.get(name);
    if (named !== undefined) {
      writePrefixInt(out, named, 4, 0x50);
    } else {
      pushString(out, name, 3, 0x20);
    }
    pushString(out, value, 7, 0x00);
  }
  return Uint8Array.from(out);
}

function encoderStreamError(message: string): H3Error {
  return new H3Error(H3ErrorCode.QpackEncoderStreamError, `QPACK encoder stream: ${message}`);
}

function decoderStreamError(message: string): H3Error {
  return new H3Error(H3ErrorCode.QpackDecoderStreamError, `QPACK decoder stream: ${message}`);
}

/** Most bytes of one incomplete instruction kept between reads; a real one here is a few bytes. */
const MAX_PENDING_INSTRUCTION = 64;

/**
 * Reads one of the peer's QPACK instruction streams: instructions may be split
 * across reads, so an incomplete one is kept (at most {@link MAX_PENDING_INSTRUCTION}
 * bytes) until the rest arrives.
 */
abstract class InstructionStreamReader {
  private pending: Uint8Array = new Uint8Array(0);

  /** @throws {@link H3Error} for an instruction the stream must not carry, or one too long. */
  push(chunk: Uint8Array): void {
    let bytes = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (offset < bytes.length) {
      const next = this.instruction(bytes, offset);
      if (next === undefined) break;
      offset = next;
    }
    bytes = bytes.subarray(offset);
    if (bytes.length > MAX_PENDING_INSTRUCTION) throw this.error('instruction too long');
    this.pending = Uint8Array.from(bytes);
  }

  /** Checks the instruction at `offset`: returns where the next one starts, or undefined if it is incomplete. */
  protected abstract instruction(bytes: Uint8Array, offset: number): number | undefined;

  protected abstract error(message: string): H3Error;
}

/**
 * Reads the peer's QPACK encoder stream (RFC 9204 §4.3). With our table capacity
 * at 0, the only valid instruction is Set Dynamic Table Capacity 0; every insert
 * would exceed the capacity and is an error.
 *
 * `push` throws {@link H3Error} `QpackEncoderStreamError`.
 */
export class QpackEncoderStreamReader extends InstructionStreamReader {
  protected instruction(bytes: Uint8Array, offset: number): number | undefined {
    if ((bytes[offset]! & 0xe0) !== 0x20) throw encoderStreamError('insert instruction into a table of capacity 0');
    const capacity = readPrefixInt(bytes, offset, 5, encoderStreamError);
    if (!capacity) return undefined;
    if (capacity.value !== 0) throw encoderStreamError(`capacity ${capacity.value} exceeds the advertised 0`);
    return capacity.next;
  }

  protected error(message: string): H3Error {
    return encoderStreamError(message);
  }
}

/**
 * Reads the peer's QPACK decoder stream (RFC 9204 §4.4). We never reference the
 * dynamic table, so a Section Acknowledgment or an Insert Count Increment is an
 * error; Stream Cancellation is fine and ignored.
 *
 * `push` throws {@link H3Error} `QpackDecoderStreamError`.
 */
export class QpackDecoderStreamReader extends InstructionStreamReader {
  protected instruction(bytes: Uint8Array, offset: number): number | undefined {
    const first = bytes[offset]!;
    if (first & 0x80) throw decoderStreamError('section acknowledgment for a section without dynamic references');
    if ((first & 0x40) === 0) throw decoderStreamError('insert count increment, but nothing was inserted');
    return readPrefixInt(bytes, offset, 6, decoderStreamError)?.next;
  }

  protected error(message: string): H3Error {
    return decoderStreamError(message);
  }
}
