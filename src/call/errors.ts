import { CodedError } from '../shared/coded-error.js';
import type { ErrorCode } from '../protocol/error-codes.js';
import type { E2eeErrorCode } from '../e2ee/errors.js';
import { TransportError, type TransportErrorCode } from '../transport/errors.js';

/**
 * Codes of the errors a page can meet, carried by {@link VideoCallError} and the
 * `vc-error` event. Stable: a host page may switch on them.
 * The relay's protocol codes (`room-full`, `invalid-room`, …) pass through as they are.
 */
export type VideoCallErrorCode =
  | ErrorCode
  | E2eeErrorCode
  | 'camera-denied'
  | 'camera-missing'
  | 'mic-denied'
  | 'mic-missing'
  | 'capture-failed'
  | TransportErrorCode
  | 'connection-lost'
  | 'codec-unsupported'
  | 'webcodecs-unsupported'
  | 'join-timeout'
  | 'invalid-state';

/** An error with a stable `code`; `message` says what a person can do about it. */
export class VideoCallError extends CodedError<VideoCallErrorCode> {
  override readonly name = 'VideoCallError';
  /** True when the call cannot go on (the room was left); false for a degraded call (e.g. no camera). */
  readonly fatal: boolean;

  constructor(code: VideoCallErrorCode, message: string, options: { fatal?: boolean; cause?: unknown } = {}) {
    super(code, message, { cause: options.cause });
    this.fatal = options.fatal ?? false;
  }
}

/**
 * `error` as a {@link VideoCallError}: itself when it is one; a transport's
 * failure with its code, fatal; else a fatal `relay-unreachable` (what an
 * unexpected failure to connect or join amounts to).
 */
export function asVideoCallError(error: unknown): VideoCallError {
  if (error instanceof VideoCallError) return error;
  if (error instanceof TransportError) {
    return new VideoCallError(error.code, error.message, { fatal: true, cause: error });
  }
  return new VideoCallError('relay-unreachable', String(error), { fatal: true, cause: error });
}

/** What to tell a person for the relay's protocol error codes. */
export function describeRelayError(code: string, relayMessage: string): string {
  switch (code) {
    case 'room-full':
      return 'This room is full. Try again later or join another room.';
    case 'invalid-room':
      return 'The room name may only use letters, digits, "-" and "_" (at most 64).';
    case 'invalid-name':
      return 'That display name is too long.';
    case 'unauthorized':
      return 'You are not allowed to join this room (missing or invalid token).';
    case 'protocol-version':
      return 'This page uses an older or newer version than the relay. Reload the page.';
    case 'server-shutdown':
      return 'The relay is restarting.';
    case 'heartbeat-timeout':
      return 'The relay stopped hearing from this page.';
    case 'slow-consumer':
      return 'The connection is too slow for this call.';
    case 'session-replaced':
      return 'This call went on in another connection (a reconnect, or the same link opened elsewhere).';
    default:
      return relayMessage || `The relay reported: ${code}.`;
  }
}
