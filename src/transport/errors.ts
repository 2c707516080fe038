import { CodedError } from '../shared/coded-error.js';

/**
 * Why a transport could not be had. The call layer maps these into its own
 * `VideoCallError` (same code, fatal) at the boundary, so the transport knows
 * nothing of calls.
 *
 * - `relay-unreachable`: nothing answered at the relay's address (refused, DNS,
 *   TLS, blocked, timed out), or the address is not a relay URL.
 * - `webtransport-unavailable`: WebTransport was asked for and cannot be had
 *   (no WebTransport in this browser, none on the relay, the handshake failed).
 */
export type TransportErrorCode = 'relay-unreachable' | 'webtransport-unavailable';

/** A failure to open a transport, with a stable {@link TransportErrorCode}; `message` says what to check. */
export class TransportError extends CodedError<TransportErrorCode> {
  override readonly name = 'TransportError';
}

/** The fatal error for a `server` value that is not a relay URL (what the URL helpers in relay-url.ts throw). */
export function invalidRelayAddress(server: string, cause: unknown): TransportError {
  return new TransportError('relay-unreachable', `Invalid relay address ${JSON.stringify(server)}: ${String(cause)}`, {
    cause,
  });
}

/** `error` as a {@link TransportError}: itself when it is one, else `relay-unreachable` keeping it as the cause. */
export function asTransportError(error: unknown): TransportError {
  return error instanceof TransportError
    ? error
    : new TransportError('relay-unreachable', String(error), { cause: error });
}
