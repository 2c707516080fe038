/** How many bits a realtime video stream gets, and at what size it is sent. */

/** 1.3 Mbps for 1280×720 at 30 fps: the reference point of {@link videoBitrate}. */
const REFERENCE_BITRATE = 1_300_000;
const REFERENCE_PIXEL_RATE = 1280 * 720 * 30;

/**
 * Target bitrate for a resolution and frame rate, in bits per second.
 *
 * Scales with pixels × fps to the power 0.65 rather than linearly: small
 * pictures need more bits per pixel (each macroblock carries a larger share of
 * the detail). Gives ~1.3 Mbps at 720p30, ~530 kbps at 360p30, ~2.2 Mbps at 1080p30.
 */
export function videoBitrate(width: number, height: number, framerate: number): number {
  const ratio = (width * height * Math.max(1, framerate)) / REFERENCE_PIXEL_RATE;
  const bitrate = REFERENCE_BITRATE * Math.pow(ratio, 0.65);
  return Math.round(Math.min(4_000_000, Math.max(80_000, bitrate)) / 1000) * 1000;
}

/**
 * The size to encode a `width`×`height` source at: the same aspect ratio, no
 * larger than `maxWidth`×`maxHeight`, both sides even (4:2:0 chroma and H.264 need it).
 */
export function encodeSize(
  width: number,
  height: number,
  maxWidth: number,
  maxHeight: number,
): { width: number; height: number } {
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  const even = (n: number) => Math.max(2, Math.floor((n * scale) / 2) * 2);
  return { width: even(width), height: even(height) };
}
