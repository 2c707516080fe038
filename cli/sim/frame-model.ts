/**
 * What a simulated camera sends per simulcast layer: frame rate and encoded
 * frame sizes. 720p and 360p are VP8 as the element sends it (constant bitrate,
 * measured from Chromium encoding a camera-like canvas; the same figures as
 * bench/relay-fanout.ts); 180p is 360p scaled by the pixel count with a floor,
 * an estimate. Audio is Opus at 32 kbps in 20 ms packets.
 */

/** One simulcast layer as a simulated publisher announces and sends it. */
export interface SimLayer {
  width: number;
  height: number;
  fps: number;
  /** Encoded bytes of a delta frame and of a keyframe. */
  deltaBytes: number;
  keyframeBytes: number;
  /** Announced `max_bitrate`, bits per second. */
  bitrate: number;
}

/** Three layers, largest first (index = `MediaFrame.layer`), as the simulcast plan has them. */
export const DEFAULT_LAYERS: readonly SimLayer[] = [
  { width: 1280, height: 720, fps: 30, deltaBytes: 5400, keyframeBytes: 9000, bitrate: 1_300_000 },
  { width: 640, height: 360, fps: 30, deltaBytes: 2200, keyframeBytes: 7000, bitrate: 530_000 },
  { width: 320, height: 180, fps: 15, deltaBytes: 800, keyframeBytes: 2500, bitrate: 150_000 },
];

export const AUDIO_PACKET_MS = 20;
export const AUDIO_PACKET_BYTES = 80;
/** A keyframe per layer this often, besides those asked for. */
export const KEYFRAME_INTERVAL_MS = 5000;
