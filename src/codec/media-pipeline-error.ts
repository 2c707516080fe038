/** Failures of the encode and decode pipelines, with stable codes. */
import { CodedError } from '../shared/coded-error.js';

export type MediaPipelineErrorCode =
  /** No usable configuration for this codec in this browser. */
  | 'codec-unsupported'
  /** The encoder failed repeatedly and the pipeline gave up; the track is no longer sent. */
  | 'encoder-failed'
  /** The decoder failed repeatedly; the pipeline keeps asking for keyframes. */
  | 'decoder-failed'
  /** Reading from the capture track failed (the device went away). */
  | 'capture-ended';

/** An error from a media pipeline. `cause` keeps the browser's error. */
export class MediaPipelineError extends CodedError<MediaPipelineErrorCode> {
  override readonly name = 'MediaPipelineError';
}
