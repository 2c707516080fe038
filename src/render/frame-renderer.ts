/**
 * What the tiles need of something that shows decoded `VideoFrame`s: a canvas
 * drawn on the main thread ({@link CanvasFrameRenderer}) or a `<video>` fed
 * through a track generator ({@link TrackFrameRenderer}).
 */

/** Counters and times of a frame renderer. */
export interface FrameRendererStats {
  /** Frames handed to the screen (drawn, or written to the track). */
  framesDrawn: number;
  /** Frames closed unseen because the previous one was still on its way to the screen. */
  framesDropped: number;
  /** Size of the last frame shown (its display size), 0 before the first. */
  width: number;
  height: number;
  /** `performance.now()` of the first and the last frame shown; `undefined` before the first. */
  firstFrameAt: number | undefined;
  lastFrameAt: number | undefined;
}

/** Shows decoded frames; each takes ownership of the frames it is given. */
export interface FrameRenderer {
  /** Called after a frame of a new size was shown (the tile may change its aspect ratio). */
  onresize: ((width: number, height: number) => void) | null;
  /** A snapshot of the counters. */
  readonly stats: FrameRendererStats;
  /** Shows `frame` (or drops it when the screen is behind) and closes it. */
  draw(frame: VideoFrame): void;
  /** Milliseconds since the last frame was shown (0 before the first). */
  stalledFor(now?: number): number;
  /** Stops showing; later frames are closed unseen. */
  close(): void;
}

/** Counters every renderer starts with. */
export function emptyRendererStats(): FrameRendererStats {
  return { framesDrawn: 0, framesDropped: 0, width: 0, height: 0, firstFrameAt: undefined, lastFrameAt: undefined };
}

/** Records one shown frame; true when its size differs from the last one's. */
export function recordShown(stats: FrameRendererStats, width: number, height: number, now: number): boolean {
  stats.framesDrawn++;
  stats.firstFrameAt ??= now;
  stats.lastFrameAt = now;
  if (width === stats.width && height === stats.height) return false;
  stats.width = width;
  stats.height = height;
  return true;
}
