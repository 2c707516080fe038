import { CodedError } from '../shared/coded-error.js';
import type { ErrorCode } from '../protocol/error-codes.js';
import type { E2eeErrorCode } from '../e2ee/errors.js';
import { TransportError, type TransportErrorCode } from '../transport/errors.js';
import type { ScreenCaptureErrorCode } from '../capture/screen-capture.js';

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
  | ScreenCaptureErrorCode
  | TransportErrorCode
  | 'connection-lost'
  | 'codec-unsupported'
  | 'webcodecs-unsupported'
  | 'join-timeout'
  | 'invalid-state'
  | 'invalid-argument'
  // A part of the element loaded on demand (a panel) could not be downloaded; not fatal.
  | 'module-load-failed';

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
    case 'token-missing':
      return 'This room needs an invitation: the page did not provide an access token. Ask the site that sent you here for a new link.';
    case 'token-invalid':
      return 'Your access to this call could not be verified (the token is damaged or not valid yet). Reload the page or ask for a new link.';
    case 'token-expired':
      return 'Your access to this call has expired. Reload the page to get a new one.';
    case 'token-wrong-room':
      return 'Your invitation is for another room. Check the link you were given.';
    case 'not-allowed':
      return 'You are not allowed to do that in this call.';
    case 'join-deadline':
      return 'The page took too long to join the call. Reload the page.';
    case 'too-many-connections':
      return 'The relay is busy (too many connections). Try again in a minute.';
    case 'protocol-version':
      return 'This page uses an older or newer version than the relay. Reload the page.';
    case 'server-shutdown':
      return 'The relay is restarting.';
    case 'heartbeat-timeout':
      return 'The relay stopped hearing from this page.';
    case 'slow-consumer':
      return 'The connection is too slow for this call.';
    case 'admission-denied':
      return 'The host did not let you into this meeting.';
    case 'removed':
      return 'The host removed you from this meeting. You cannot rejoin it.';
    case 'meeting-ended':
      return 'The host ended the meeting for everyone.';
    case 'lobby-full':
      return 'Too many people are already waiting to be let in. Try again later.';
    case 'control-flood':
      return 'This page sent the relay too many messages and was disconnected. Reload the page.';
    case 'session-replaced':
      return 'This call went on in another connection (a reconnect, or the same link opened elsewhere).';
    default:
      return relayMessage || `The relay reported: ${code}.`;
  }
}
