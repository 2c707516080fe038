/**
 * Which simulcast layer of a publisher to receive for how large its video is
 * shown. Pure logic: the element measures, the room subscribes.
 */
import type { MediaStateInit } from '../protocol/envelope.js';

/** Layers a publisher may announce per track that we take (the relay allows 4: `MediaFrame.layer` 0..3). */
export const MAX_ANNOUNCED_LAYERS = 4;

/** A layer's size as its publisher announced it. */
export interface AnnouncedLayer {
  width: number;
  height: number;
}

/** How large a participant's video is shown, in device pixels (0×0: not shown). */
export interface ViewSize {
  width: number;
  height: number;
}

/**
 * The layer to receive for a view: the smallest announced layer at least as
 * tall as the picture it would fill in the view (a 180p tile never gets 720p),
 * else the largest. The picture is the layer's aspect fitted into the view
 * (`object-fit: contain`), so a 4:3 camera in a 16:9 tile needs the tile's
 * height, and a 16:9 camera in a tall narrow tile only the width's worth.
 * Returns null for a view that shows nothing, 0 when no layers are announced
 * (a publisher without simulcast sends only layer 0).
 *
 * @param layers largest first, index = `MediaFrame.layer`
 */
export function chooseLayer(layers: readonly AnnouncedLayer[], view: ViewSize): number | null {
  if (!(view.width > 0 && view.height > 0)) return null;
  let chosen = 0;
  for (let i = 0; i < layers.length; i++) {
    const { width, height } = layers[i]!;
    if (!(width > 0 && height > 0)) continue;
    const shownHeight = Math.min(view.height, (view.width * height) / width);
    // Half a pixel of slack: a 180-pixel tile measured at 180.4 still takes the 180p layer.
    if (height + 0.5 >= shownHeight) chosen = i;
    else break;
  }
  return chosen;
}

/**
 * The camera layers a participant announced in its `MediaState` (largest first),
 * sizes as whole numbers; at most {@link MAX_ANNOUNCED_LAYERS}. Empty: one
 * layer of unknown size.
 */
export function announcedVideoLayers(state: MediaStateInit | null | undefined): AnnouncedLayer[] {
  const whole = (n: number | null | undefined) => (Number.isInteger(n) && (n as number) > 0 ? (n as number) : 0);
  return (state?.videoLayers ?? [])
    .slice(0, MAX_ANNOUNCED_LAYERS)
    .map((l) => ({ width: whole(l.width), height: whole(l.height) }));
}
