/**
 * Errors of the WebTransport stack. Protocol violations carry the HTTP/3 or QPACK
 * error code that goes on the wire and whether they end the stream or the whole
 * connection (RFC 9114 §8); API misuse carries a stable string `code`.
 */

/** HTTP/3 (RFC 9114 §8.1), QPACK (RFC 9204 §6) and HTTP Datagram (RFC 9297 §5.2) error codes. */
export const H3ErrorCode = {
  NoError: 0x100,
  GeneralProtocolError: 0x101,
  InternalError: 0x102,
  StreamCreationError: 0x103,
  ClosedCriticalStream: 0x104,
  FrameUnexpected: 0x105,
  FrameError: 0x106,
  ExcessiveLoad: 0x107,
  IdError: 0x108,
  SettingsError: 0x109,
  MissingSettings: 0x10a,
  RequestRejected: 0x10b,
  RequestCancelled: 0x10c,
  RequestIncomplete: 0x10d,
  MessageError: 0x10e,
  ConnectError: 0x10f,
  VersionFallback: 0x110,
  QpackDecompressionFailed: 0x200,
  QpackEncoderStreamError: 0x201,
  QpackDecoderStreamError: 0x202,
  DatagramError: 0x33,
} as const;
export type H3ErrorCode = (typeof H3ErrorCode)[keyof typeof H3ErrorCode];

const CODE_NAMES = new Map<number, string>(Object.entries(H3ErrorCode).map(([name, code]) => [code, name]));

/** The name of a wire error code (`FrameError`), or its hex value when unknown. */
export function h3ErrorName(code: number): string {
  return CODE_NAMES.get(code) ?? `0x${code.toString(16)}`;
}

/**
 * The peer broke HTTP/3, QPACK, the capsule protocol or WebTransport. `scope`
 * says what the receiver ends: the stream (reset/stop it with `code`) or the
 * whole connection (CONNECTION_CLOSE with `code`).
 */
export class H3Error extends Error {
  override readonly name = 'H3Error';
  constructor(
    readonly code: H3ErrorCode,
    message: string,
    readonly scope: 'connection' | 'stream' = 'connection',
  ) {
    super(message);
  }
}

/** Shorthand for a connection error. */
export function connectionError(code: H3ErrorCode, message: string): H3Error {
  return new H3Error(code, message, 'connection');
}

/** Shorthand for a stream error. */
export function streamError(code: H3ErrorCode, message: string): H3Error {
  return new H3Error(code, message, 'stream');
}

/** Stable codes of {@link WebTransportError}. */
export type WebTransportErrorCode =
  /** The optional `@matrixai/quic` native binding is not installed or does not load here. */
  | 'quic-unavailable'
  /** The UDP socket could not bind. */
  | 'bind-failed'
  /** The certificate or key is unusable. */
  | 'bad-certificate'
  /** The session (or its connection) is closed: nothing more can be sent. */
  | 'session-closed'
  /** The peer's stream limit is reached: no stream can be opened now. */
  | 'stream-limit'
  /** Too much is queued on the connection already; drop or retry later. */
  | 'congested'
  /** An argument is out of range (a datagram too large, a bad close code). */
  | 'invalid-argument'
  /** A client session could not be opened: no answer, handshake failed, or the CONNECT was refused. */
  | 'connect-failed'
  /** A client connection's server certificate matches none of the hashes it was pinned to. */
  | 'certificate-mismatch';

/** The WebTransport API was used in a way that cannot work now. */
export class WebTransportError extends Error {
  override readonly name = 'WebTransportError';
  constructor(
    readonly code: WebTransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
