/**
 * Errors the relay throws. Each carries a stable `code`; protocol errors also
 * say whether the connection ends, and with which WebSocket close code.
 */
import { CloseCode, ErrorCode } from '../src/protocol/index.js';

/** Code for a failure inside the relay (a bug), sent with close code 1011. */
export const INTERNAL_ERROR = ErrorCode.Internal;

/** Close code for {@link INTERNAL_ERROR} (RFC 6455 "internal error"). */
export const INTERNAL_ERROR_CLOSE = CloseCode.Internal;

/** A client broke the protocol. Answered with an `Error` message, closing when `closeCode` is set. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** When set, the relay sends the error as fatal and closes with this code. */
    readonly closeCode?: number,
  ) {
    super(message);
  }

  get fatal(): boolean {
    return this.closeCode !== undefined;
  }
}

/** The relay's configuration (environment or `startRelay` options) is unusable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid-config';
  constructor(message: string) {
    super(message);
  }
}
