/**
 * HTTP/3 frames (RFC 9114 §7): type and length varints, then the payload. Here
 * are the frame and stream type numbers, an encoder and a parser for each frame
 * this endpoint handles, and {@link FrameReader}, which cuts a stream's bytes into
 * frames incrementally with a size limit per type and skips unknown types.
 */
import { connectionError, H3Error, H3ErrorCode } from './errors.js';
import { concatBytes, readVarint, varintLength, writeVarint } from './varint.js';

/** Frame types (RFC 9114 §7.2, and WebTransport's stream signal). */
export const FrameType = {
  Data: 0x00,
  Headers: 0x01,
  CancelPush: 0x03,
  Settings: 0x04,
  PushPromise: 0x05,
  Goaway: 0x07,
  MaxPushId: 0x0d,
  /** WEBTRANSPORT_STREAM: first on a bidirectional stream, followed by the session ID and no length. */
  WebTransportStream: 0x41,
} as const;

/** HTTP/2 frame types that are reserved in HTTP/3: receiving one is `FrameUnexpected` (§7.2.8). */
const HTTP2_FRAME_TYPES = new Set([0x02, 0x06, 0x08, 0x09]);

/** Unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2, WebTransport). */
export const StreamType = {
  Control: 0x00,
  Push: 0x01,
  QpackEncoder: 0x02,
  QpackDecoder: 0x03,
  WebTransport: 0x54,
} as const;

/** Setting identifiers (RFC 9114 §7.2.4.1, RFC 9204, RFC 8441/9220, RFC 9297, WebTransport drafts). */
export const SettingId = {
  QpackMaxTableCapacity: 0x01,
  MaxFieldSectionSize: 0x06,
  QpackBlockedStreams: 0x07,
  EnableConnectProtocol: 0x08,
  H3Datagram: 0x33,
  /** draft-ietf-masque-h3-datagram-04, still sent by some clients. */
  H3DatagramDraft04: 0xffd277,
  /** draft-ietf-webtrans-http3-02: 1 enables WebTransport. */
  EnableWebTransportDraft02: 0x2b603742,
  /** draft-ietf-webtrans-http3-07 to -12: how many sessions the sender accepts. */
  WebTransportMaxSessionsDraft07: 0xc671706a,
  /** draft-ietf-webtrans-http3-13 and later. */
  WebTransportMaxSessions: 0x14e9cd29,
} as const;

/** HTTP/2 setting identifiers, forbidden in HTTP/3 SETTINGS (§7.2.4.1). */
const HTTP2_SETTINGS = new Set([0x02, 0x03, 0x04, 0x05]);

/** One frame: its type and its whole payload. */
export interface Frame {
  type: number;
  payload: Uint8Array;
}

/** A frame's bytes: type, length, payload. */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(payload.length) + payload.length);
  let offset = writeVarint(out, 0, type);
  offset = writeVarint(out, offset, payload.length);
  out.set(payload, offset);
  return out;
}

/** Just the frame header (type and length), for a payload sent separately. */
export function encodeFrameHeader(type: number, length: number): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(length));
  writeVarint(out, writeVarint(out, 0, type), length);
  return out;
}

function encodeVarints(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.reduce((n, v) => n + varintLength(v), 0));
  let offset = 0;
  for (const value of values) offset = writeVarint(out, offset, value);
  return out;
}

/** A SETTINGS frame from identifier → value pairs (in the map's order). */
export function encodeSettings(settings: ReadonlyMap<number, number>): Uint8Array {
  const values: number[] = [];
  for (const [id, value] of settings) values.push(id, value);
  return encodeFrame(FrameType.Settings, encodeVarints(values));
}

/** A GOAWAY frame carrying a stream ID (from a server) or push ID (from a client). */
export function encodeGoaway(id: number): Uint8Array {
  return encodeFrame(FrameType.Goaway, encodeVarints([id]));
}

export function encodeHeaders(fieldSection: Uint8Array): Uint8Array {
  return encodeFrame(FrameType.Headers, fieldSection);
}

export function encodeData(payload: Uint8Array): Uint8Array {
  return encodeFrame(FrameType.Data, payload);
}

function frameError(what: string, message: string): H3Error {
  return connectionError(H3ErrorCode.FrameError, `${what}: ${message}`);
}

/**
 * A SETTINGS payload as identifier → value.
 *
 * @throws {@link H3Error} `FrameError` when truncated; `SettingsError` for a duplicate,
 *   an HTTP/2 identifier, or a known boolean setting that is not 0 or 1.
 */
export function parseSettings(payload: Uint8Array): Map<number, number> {
  const settings = new Map<number, number>();
  let offset = 0;
  while (offset < payload.length) {
    const id = readVarint(payload, offset);
    if (!id) throw frameError('SETTINGS', 'truncated identifier');
    const value = readVarint(payload, offset + id.length);
    if (!value) throw frameError('SETTINGS', 'truncated value');
    offset += id.length + value.length;
    if (HTTP2_SETTINGS.has(id.value)) {
      throw connectionError(H3ErrorCode.SettingsError, `SETTINGS: HTTP/2 setting 0x${id.value.toString(16)}`);
    }
    if (settings.has(id.value)) {
      throw connectionError(H3ErrorCode.SettingsError, `SETTINGS: duplicate setting 0x${id.value.toString(16)}`);
    }
    const boolean =
      id.value === SettingId.EnableConnectProtocol ||
      id.value === SettingId.H3Datagram ||
      id.value === SettingId.EnableWebTransportDraft02;
    if (boolean && value.value > 1) {
      throw connectionError(H3ErrorCode.SettingsError, `SETTINGS: 0x${id.value.toString(16)} must be 0 or 1`);
    }
    settings.set(id.value, value.value);
  }
  return settings;
}

/** The single varint that is the whole payload of GOAWAY, MAX_PUSH_ID and CANCEL_PUSH. */
export function parseSingleVarint(what: string, payload: Uint8Array): number {
  const id = readVarint(payload, 0);
  if (!id || id.length !== payload.length) throw frameError(what, 'the payload is not exactly one varint');
  return id.value;
}

/** A PUSH_PROMISE payload: push ID, then the encoded field section. */
export function parsePushPromise(payload: Uint8Array): { pushId: number; fieldSection: Uint8Array } {
  const id = readVarint(payload, 0);
  if (!id) throw frameError('PUSH_PROMISE', 'truncated push ID');
  return { pushId: id.value, fieldSection: payload.subarray(id.length) };
}

/** Per frame type, the largest payload a {@link FrameReader} accepts; types absent are skipped unread. */
export type FrameLimits = ReadonlyMap<number, number>;

export interface FrameReaderOptions {
  /** Largest payload per type read; other types are skipped. */
  limits: FrameLimits;
  /**
   * Checked on each frame header before its payload is read: an error to throw
   * for a type not allowed here. Default: HTTP/2-only types are `FrameUnexpected`.
   */
  reject?: (type: number) => H3Error | undefined;
  /** The error for a payload above its limit. Default: connection error `ExcessiveLoad`. */
  tooLarge?: (message: string) => H3Error;
}

/** The default `reject`: HTTP/2 frame types reserved in HTTP/3 (§7.2.8) are `FrameUnexpected`. */
export function rejectHttp2Frames(type: number): H3Error | undefined {
  return HTTP2_FRAME_TYPES.has(type)
    ? connectionError(H3ErrorCode.FrameUnexpected, `HTTP/2 frame type 0x${type.toString(16)}`)
    : undefined;
}

/**
 * Cuts a stream's bytes into frames. Known types (those in `limits`) are
 * buffered whole up to their limit; unknown and reserved (GREASE) types are
 * skipped without buffering; types `reject` names are an error. Capsules (RFC 9297
 * §3.2) have the same type-length-value shape, so they are read with it too.
 *
 * Pushed chunks are kept by reference: the caller must not reuse them.
 */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Bytes of an unknown frame still to skip. */
  private skipping = 0;

  private readonly limits: FrameLimits;
  private readonly reject: (type: number) => H3Error | undefined;
  private readonly tooLarge: (message: string) => H3Error;

  constructor(options: FrameReaderOptions) {
    this.limits = options.limits;
    this.reject = options.reject ?? rejectHttp2Frames;
    this.tooLarge = options.tooLarge ?? ((message) => connectionError(H3ErrorCode.ExcessiveLoad, message));
  }

  /** True when no partial frame is pending (a FIN here is clean). */
  get idle(): boolean {
    return this.buffered === 0 && this.skipping === 0;
  }

  /**
   * Adds bytes; returns the frames they complete.
   *
   * @throws {@link H3Error} `FrameUnexpected` for an HTTP/2 frame type, `ExcessiveLoad`
   *   for a frame above its limit.
   */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let data = chunk;
    if (this.skipping > 0) {
      const skip = Math.min(this.skipping, data.length);
      this.skipping -= skip;
      data = data.subarray(skip);
    }
    if (data.length === 0) return frames;
    this.chunks.push(data);
    this.buffered += data.length;
    for (;;) {
      const head = this.peek(16);
      const type = readVarint(head, 0);
      if (!type) break;
      const length = readVarint(head, type.length);
      if (!length) break;
      const headerLength = type.length + length.length;
      const rejected = this.reject(type.value);
      if (rejected) throw rejected;
      const limit = this.limits.get(type.value);
      if (limit === undefined) {
        // Unknown or reserved: skip its payload, some of which may not have arrived yet.
        this.consume(headerLength);
        const skip = Math.min(length.value, this.buffered);
        this.consume(skip);
        this.skipping = length.value - skip;
        if (this.skipping > 0) break;
        continue;
      }
      if (length.value > limit) {
        throw this.tooLarge(`type 0x${type.value.toString(16)} of ${length.value} bytes exceeds the limit of ${limit}`);
      }
      if (this.buffered < headerLength + length.value) break;
      this.consume(headerLength);
      frames.push({ type: type.value, payload: this.take(length.value) });
    }
    return frames;
  }

  /** Up to `n` leading bytes, without consuming them. */
  private peek(n: number): Uint8Array {
    const first = this.chunks[0];
    if (!first) return new Uint8Array(0);
    if (first.length >= n || this.chunks.length === 1) return first.subarray(0, n);
    const parts: Uint8Array[] = [];
    let have = 0;
    for (const chunk of this.chunks) {
      if (have >= n) break;
      parts.push(chunk);
      have += chunk.length;
    }
    return concatBytes(parts).subarray(0, n);
  }

  private consume(n: number): void {
    this.take(n);
  }

  /** Removes and returns the first `n` buffered bytes (`n` ≤ buffered). */
  private take(n: number): Uint8Array {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const all = concatBytes(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    return all.subarray(0, n);
  }
}
