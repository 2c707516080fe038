/** Why a camera or microphone could not be opened. */
import { CodedError } from '../shared/coded-error.js';

/** Stable codes a host page can switch on. */
export type CaptureErrorCode = 'camera-denied' | 'camera-missing' | 'mic-denied' | 'mic-missing' | 'capture-failed';

/** Which device a capture was for. */
export type CaptureDevice = 'camera' | 'mic';

const MESSAGES: Record<CaptureErrorCode, string> = {
  'camera-denied': 'Camera access was denied: allow the camera for this site in the browser, then try again.',
  'camera-missing': 'No camera matches the request: connect a camera or choose another one.',
  'mic-denied': 'Microphone access was denied: allow the microphone for this site in the browser, then try again.',
  'mic-missing': 'No microphone matches the request: connect a microphone or choose another one.',
  'capture-failed':
    'The device could not be started: another application may be using it, or this page is not a secure context (https).',
};

/**
 * A capture failure with a stable `code`. `cause` keeps the browser's error
 * (its `name`, e.g. `NotAllowedError`, tells the details).
 */
export class CaptureError extends CodedError<CaptureErrorCode> {
  override readonly name = 'CaptureError';
  constructor(code: CaptureErrorCode, message: string = MESSAGES[code], options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * Maps what `getUserMedia` threw to a {@link CaptureError}.
 * Browsers disagree on names (Firefox has said `PermissionDeniedError`, old
 * Chrome `DevicesNotFoundError`), so both spellings are mapped.
 */
export function toCaptureError(error: unknown, device: CaptureDevice): CaptureError {
  if (error instanceof CaptureError) return error;
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  let code: CaptureErrorCode = 'capture-failed';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      code = device === 'camera' ? 'camera-denied' : 'mic-denied';
      break;
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
    case 'ConstraintNotSatisfiedError':
      // A constraint no device can meet means, to the user, that the device they asked for is not there.
      code = device === 'camera' ? 'camera-missing' : 'mic-missing';
      break;
  }
  let message = MESSAGES[code];
  const constraint =
    typeof error === 'object' && error !== null && 'constraint' in error ? String(error.constraint) : '';
  if (constraint) message += ` (unsatisfiable constraint: ${constraint})`;
  return new CaptureError(code, message, { cause: error });
}
