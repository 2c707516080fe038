import { VideoCallError } from '../call/errors.js';

/**
 * What this browser lacks for a call, checked before anything starts, so a
 * page in an old or locked-down browser shows why instead of a blank element.
 * The same check as the room's join (WebCodecs' video encoder and decoder).
 */
export function unsupportedBrowser(): VideoCallError | null {
  if (typeof VideoEncoder !== 'undefined' && typeof VideoDecoder !== 'undefined') return null;
  return new VideoCallError(
    'webcodecs-unsupported',
    'This browser cannot make video calls: it lacks WebCodecs. Use a recent Chrome, Edge, Firefox or Safari.',
    { fatal: true },
  );
}
