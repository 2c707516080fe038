import { CodedError } from '../shared/coded-error.js';

/**
 * Codes of the end-to-end encryption errors. Stable: a host page or the Room may
 * switch on them.
 *
 * - `e2ee-malformed`: bytes that are not a valid SFrame header, key-exchange
 *   message or metadata field (truncated, oversized, wrong length).
 * - `e2ee-decrypt-failed`: authentication failed: the frame, its routing header
 *   or its SFrame header was changed on the way, or the key is wrong.
 * - `e2ee-replay`: this frame was already accepted, or it is older than the
 *   replay window.
 * - `e2ee-unknown-key`: no key for this sender and key id (yet, or any more).
 * - `e2ee-key-mismatch`: a peer's key exchange failed verification: wrong
 *   passphrase, or someone (the relay) replaced its keys.
 * - `e2ee-invalid-state`: a call that the E2EE context's state does not allow.
 */
export type E2eeErrorCode =
  | 'e2ee-malformed'
  | 'e2ee-decrypt-failed'
  | 'e2ee-replay'
  | 'e2ee-unknown-key'
  | 'e2ee-key-mismatch'
  | 'e2ee-invalid-state';

/**
 * An end-to-end encryption failure with a stable {@link E2eeErrorCode}. Frame
 * errors (`e2ee-decrypt-failed`, `e2ee-replay`, `e2ee-unknown-key`) mean "drop
 * this frame"; they are expected on a live call and never fatal.
 */
export class E2eeError extends CodedError<E2eeErrorCode> {
  override readonly name = 'E2eeError';
}
