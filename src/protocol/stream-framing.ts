/**
 * Envelopes on a byte stream (the WebTransport session's control stream): each
 * one preceded by its length as a 4-byte big-endian unsigned integer. WebSocket
 * messages and WebTransport datagrams and per-frame streams carry their own
 * boundaries and need none of this.
 */
import { withLengthPrefix } from '../shared/bytes.js';

/** Bytes of the length prefix. */
export const LENGTH_PREFIX_BYTES = 4;

/** `bytes` with its length prefix, ready to write to a stream. */
export function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  return withLengthPrefix(bytes, LENGTH_PREFIX_BYTES);
}

/** A length prefix announced a message above the reader's limit. */
export class FrameTooLargeError extends Error {
  readonly code = 'too-large';
  constructor(
    readonly length: number,
    readonly max: number,
  ) {
    super(`a ${length}-byte message on the stream is more than the ${max} bytes allowed`);
    this.name = 'FrameTooLargeError';
  }
}

/**
 * Reassembles length-prefixed messages from stream chunks of any size. A length
 * above `maxMessageBytes` throws {@link FrameTooLargeError} before anything of
 * that message is buffered; the stream is then unusable (its framing is lost).
 */
export class LengthPrefixedReader {
  private buffer = new Uint8Array(0);
  private failed = false;

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes held for a message not complete yet. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Adds a chunk; returns the messages it completed, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failed) return [];
    let data = chunk;
    if (this.buffer.length > 0) {
      data = new Uint8Array(this.buffer.length + chunk.length);
      data.set(this.buffer);
      data.set(chunk, this.buffer.length);
    }
    const out: Uint8Array[] = [];
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let at = 0;
    while (data.length - at >= LENGTH_PREFIX_BYTES) {
      const length = view.getUint32(at);
      if (length > this.maxMessageBytes) {
        this.failed = true;
        this.buffer = new Uint8Array(0);
        throw new FrameTooLargeError(length, this.maxMessageBytes);
      }
      if (data.length - at - LENGTH_PREFIX_BYTES < length) break;
      // A copy: the caller may keep messages while the chunk's buffer is reused.
      out.push(data.slice(at + LENGTH_PREFIX_BYTES, at + LENGTH_PREFIX_BYTES + length));
      at += LENGTH_PREFIX_BYTES + length;
    }
    this.buffer = at === data.length ? new Uint8Array(0) : data.slice(at);
    return out;
  }
}
