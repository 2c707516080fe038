/**
 * Opening a screen, window or tab to share (`getDisplayMedia`), with the
 * constraints screen sharing wants: full resolution up to 1080p at a low frame
 * rate, and a content hint that tells the encoder to keep text sharp.
 */
import { CodedError } from '../shared/coded-error.js';

/** Why a screen could not be shared. */
export type ScreenCaptureErrorCode = 'screen-denied' | 'screen-unsupported' | 'screen-failed';

const MESSAGES: Record<ScreenCaptureErrorCode, string> = {
  'screen-denied': 'Screen sharing was cancelled or not allowed.',
  'screen-unsupported': 'This browser cannot share a screen here (it needs a desktop browser and https).',
  'screen-failed': 'The screen could not be shared.',
};

/** A screen capture failure with a stable `code`; `cause` keeps the browser's error. */
export class ScreenCaptureError extends CodedError<ScreenCaptureErrorCode> {
  override readonly name = 'ScreenCaptureError';
  constructor(code: ScreenCaptureErrorCode, message: string = MESSAGES[code], options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Largest screen share sent: text stays readable at 1080p, and more costs the sharer's CPU for little. */
export const SCREEN_MAX_WIDTH = 1920;
export const SCREEN_MAX_HEIGHT = 1080;
/** Frames per second a screen share is captured at: enough for a cursor and scrolling, while text stays sharp. */
export const SCREEN_FRAME_RATE = 15;

/** `getDisplayMedia` options: video only (see `LocalScreen` for why tab audio is not taken). */
export function screenConstraints(): DisplayMediaStreamOptions {
  return {
    video: {
      width: { max: SCREEN_MAX_WIDTH },
      height: { max: SCREEN_MAX_HEIGHT },
      frameRate: { ideal: SCREEN_FRAME_RATE, max: SCREEN_FRAME_RATE },
    },
    audio: false,
  };
}

/**
 * Asks the person to pick a screen, window or tab, and returns its video track
 * with `contentHint = 'detail'` (sharpness over motion). The caller owns the
 * track and stops it.
 * @throws {ScreenCaptureError} `screen-denied`, `screen-unsupported` or `screen-failed`
 */
export async function openScreen(): Promise<MediaStreamTrack> {
  const devices = typeof navigator === 'undefined' ? undefined : navigator.mediaDevices;
  if (!devices || typeof devices.getDisplayMedia !== 'function') throw new ScreenCaptureError('screen-unsupported');
  let stream: MediaStream;
  try {
    stream = await devices.getDisplayMedia(screenConstraints());
  } catch (error) {
    const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
    // The picker dismissed, or a policy forbids it: both are a person's (or site's) choice, not a failure.
    if (name === 'NotAllowedError' || name === 'AbortError')
      throw new ScreenCaptureError('screen-denied', undefined, { cause: error });
    if (name === 'NotSupportedError') throw new ScreenCaptureError('screen-unsupported', undefined, { cause: error });
    throw new ScreenCaptureError('screen-failed', undefined, { cause: error });
  }
  const [track, ...others] = stream.getVideoTracks();
  for (const extra of [...others, ...stream.getAudioTracks()]) extra.stop();
  if (!track) throw new ScreenCaptureError('screen-failed', 'The browser returned no screen track.');
  if ('contentHint' in track) track.contentHint = 'detail';
  return track;
}
