/**
 * Which simulcast layers a camera is sent in: about 1280×720, 640×360 and
 * 320×180, never larger than the camera (a 360p camera gives 360p and 180p).
 * Pure logic: no codecs.
 *
 * Simulcast is three separate `VideoEncoder`s fed the same camera frame, each
 * configured at its layer's size (Chromium scales the frame to it). Measured by
 * bench/simulcast-encode.ts in headless Chromium 156 on this 2-core machine:
 * no codec's software encoder accepts a spatial scalability mode (`L3T3`,
 * `L2T3`, `S3T3`: `isConfigSupported` says no for VP8, VP9, AV1 and H.264), and
 * three encoders cost ×1.4–1.6 the CPU of one 720p encoder (VP8 ×1.58, VP9 ×1.50,
 * AV1 ×1.61, H.264 ×1.41), about the pixels they add (×1.31).
 */
import { encodeSize } from './video-bitrate.js';

/** One layer's size. */
export interface LayerSize {
  width: number;
  height: number;
}

/** Heights of a camera's layers below the top one, largest first. */
export const CAMERA_LOWER_HEIGHTS: readonly number[] = [360, 180];
/** A lower layer is kept only when at most this share of the one above (else it adds little). */
const MAX_STEP_RATIO = 0.75;

/**
 * The layers for a `sourceWidth`×`sourceHeight` camera, largest first (index =
 * `MediaFrame.layer`): the source capped at `maxWidth`×`maxHeight`, then 360p
 * and 180p (or `lowerHeights`) where they are clearly smaller than the layer
 * above. Same aspect ratio as the source, even sides.
 */
export function simulcastLayerSizes(
  sourceWidth: number,
  sourceHeight: number,
  maxWidth: number,
  maxHeight: number,
  lowerHeights: readonly number[] = CAMERA_LOWER_HEIGHTS,
): LayerSize[] {
  const top = encodeSize(sourceWidth, sourceHeight, maxWidth, maxHeight);
  const layers = [top];
  for (const height of lowerHeights) {
    const above = layers[layers.length - 1]!;
    if (height > MAX_STEP_RATIO * above.height) continue;
    layers.push(encodeSize(sourceWidth, sourceHeight, Number.POSITIVE_INFINITY, height));
  }
  return layers;
}
