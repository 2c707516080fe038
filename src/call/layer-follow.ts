/**
 * Which simulcast layer a receiver's decoder takes a frame from. Pure logic,
 * shared by the camera's and the screen share's decoders.
 */

/** What to do with a frame of another layer than the one decoded. */
export type LayerStep =
  /** Decode it: the decoder moves to its layer (a keyframe, towards the one wanted). */
  | 'switch'
  /** Drop it. */
  | 'drop'
  /** Drop it, and ask for a keyframe of its layer: the relay already sends the wanted layer. */
  | 'drop-ask';

/**
 * The decoder keeps to one layer (`current`) and moves to another only at a
 * keyframe, and only towards the one `wanted` (a relay that forwards every
 * layer, or frames of the old layer still on their way after a switch, never
 * make it flip back and forth). A delta of the wanted layer before its
 * keyframe means the relay switched us already: that keyframe is asked for.
 * Call it only for a frame whose `layer` differs from `current`.
 */
export function layerStep(
  current: number | undefined,
  wanted: number | null,
  layer: number,
  keyframe: boolean,
): LayerStep {
  // Not subscribed (frames from before the relay applied it): keep to the layer we have.
  const target = wanted ?? current ?? layer;
  const closer =
    current === undefined ||
    layer === target ||
    (current !== target && Math.abs(layer - target) < Math.abs(current - target));
  if (keyframe && closer) return 'switch';
  return !keyframe && layer === target ? 'drop-ask' : 'drop';
}
