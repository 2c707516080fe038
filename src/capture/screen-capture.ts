/**
 * Opening a screen, window or tab to share (`getDisplayMedia`), with the
 * constraints screen sharing wants: full resolution up to 1080p at a low frame
 * rate, and a content hint that tells the encoder to keep text sharp; and the
 * shared tab's sound when the browser offers it.
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

/**
 * Display-capture options newer than the DOM typings: Chromium's `systemAudio`
 * and `selfBrowserSurface`, and the audio constraints `suppressLocalAudioPlayback`
 * and `restrictOwnAudio`. Browsers ignore what they do not know.
 */
interface ScreenShareOptions extends DisplayMediaStreamOptions {
  systemAudio?: 'include' | 'exclude';
  selfBrowserSurface?: 'include' | 'exclude';
  audio: boolean | (MediaTrackConstraints & { suppressLocalAudioPlayback?: boolean; restrictOwnAudio?: boolean });
}

/**
 * `getDisplayMedia` options: the screen, and its audio when the browser can give it.
 *
 * Audio is never allowed to carry the call back to itself: the whole system's
 * audio (offered with a screen on Windows and ChromeOS) holds everyone's voices
 * as played here, so it is excluded; this very tab is not offered; and a shared
 * tab's sound is not also played out of this machine's speakers, where the
 * microphone would pick it up and send it a second time, late. What is captured
 * is a tab's own sound (music, a video), so voice processing (echo cancelling,
 * noise suppression, gain control) would only damage it.
 */
export function screenConstraints(withAudio = true): DisplayMediaStreamOptions {
  const options: ScreenShareOptions = {
    video: {
      width: { max: SCREEN_MAX_WIDTH },
      height: { max: SCREEN_MAX_HEIGHT },
      frameRate: { ideal: SCREEN_FRAME_RATE, max: SCREEN_FRAME_RATE },
    },
    // Without: the browser's picker does not offer "Also share tab audio" at all.
    audio: withAudio && {
      echoCancellation: false,
      noiseSuppression: false,
      autoGainControl: false,
      suppressLocalAudioPlayback: true,
      // Chromium: leave out what this document itself plays (the call), should it be in the capture.
      restrictOwnAudio: true,
    },
    systemAudio: 'exclude',
    selfBrowserSurface: 'exclude',
  };
  return options;
}

/** A shared screen: its video, and its audio when the browser gave some. */
export interface SharedScreen {
  video: MediaStreamTrack;
  audio: MediaStreamTrack | null;
}

/**
 * Asks the person to pick a screen, window or tab, and returns its video track
 * with `contentHint = 'detail'` (sharpness over motion), and its audio track
 * when the browser gave one (a tab, with "share tab audio" ticked). The caller
 * owns the tracks and stops them. `withAudio` false asks for the picture only.
 * @throws {ScreenCaptureError} `screen-denied`, `screen-unsupported` or `screen-failed`
 */
export async function openScreen(withAudio = true): Promise<SharedScreen> {
  const devices = typeof navigator === 'undefined' ? undefined : navigator.mediaDevices;
  if (!devices || typeof devices.getDisplayMedia !== 'function') throw new ScreenCaptureError('screen-unsupported');
  let stream: MediaStream;
  try {
    stream = await devices.getDisplayMedia(screenConstraints(withAudio));
  } catch (error) {
    const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
    // The picker dismissed, or a policy forbids it: both are a person's (or site's) choice, not a failure.
    if (name === 'NotAllowedError' || name === 'AbortError')
      throw new ScreenCaptureError('screen-denied', undefined, { cause: error });
    if (name === 'NotSupportedError') throw new ScreenCaptureError('screen-unsupported', undefined, { cause: error });
    throw new ScreenCaptureError('screen-failed', undefined, { cause: error });
  }
  const [track, ...others] = stream.getVideoTracks();
  const [audio = null, ...otherAudio] = stream.getAudioTracks();
  for (const extra of [...others, ...otherAudio]) extra.stop();
  if (!track) {
    audio?.stop();
    throw new ScreenCaptureError('screen-failed', 'The browser returned no screen track.');
  }
  if ('contentHint' in track) track.contentHint = 'detail';
  // Music and film, not speech: the browser's own processing, where it applies any, keeps it whole.
  if (audio && 'contentHint' in audio) audio.contentHint = 'music';
  return { video: track, audio };
}
