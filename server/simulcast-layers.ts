/**
 * The simulcast layers a publisher announces in its `MediaState`, as the relay
 * keeps and passes them on: at most {@link MAX_LAYERS} per track, each field a
 * bounded whole number, nothing else (a MediaState is re-encoded, never forwarded raw).
 */
import type { MediaStateInit } from '../src/protocol/index.js';

/** Simulcast layers a publisher may have per track (`MediaFrame.layer` 0..3). */
export const MAX_LAYERS = 4;

/** One announced layer. */
export interface SimulcastLayer {
  width: number;
  height: number;
  maxFramerate: number;
  maxBitrate: number;
}

type LayerInit = NonNullable<MediaStateInit['videoLayers']>[number];

const MAX_SIDE = 16384;
const MAX_FRAMERATE = 240;
const MAX_BITRATE = 100_000_000;

const bounded = (value: number | null | undefined, max: number): number =>
  Number.isInteger(value) && (value as number) > 0 ? Math.min(value as number, max) : 0;

/** The first {@link MAX_LAYERS} of `layers`, each with its fields bounded. */
export function cleanLayers(layers: readonly LayerInit[] | null | undefined): SimulcastLayer[] {
  // From the wire or from another node's JSON: anything that is not an object counts as an empty layer.
  return (layers ?? []).slice(0, MAX_LAYERS).map((item) => {
    const l: LayerInit = item !== null && typeof item === 'object' ? item : {};
    return {
      width: bounded(l.width, MAX_SIDE),
      height: bounded(l.height, MAX_SIDE),
      maxFramerate: bounded(l.maxFramerate, MAX_FRAMERATE),
      maxBitrate: bounded(l.maxBitrate, MAX_BITRATE),
    };
  });
}

/** Whether two announcements list the same layers. */
export function sameLayers(
  a: readonly LayerInit[] | null | undefined,
  b: readonly LayerInit[] | null | undefined,
): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  return x.every(
    (l, i) =>
      (l.width ?? 0) === (y[i]!.width ?? 0) &&
      (l.height ?? 0) === (y[i]!.height ?? 0) &&
      (l.maxFramerate ?? 0) === (y[i]!.maxFramerate ?? 0) &&
      (l.maxBitrate ?? 0) === (y[i]!.maxBitrate ?? 0),
  );
}
