/**
 * Draws decoded `VideoFrame`s into a canvas as they come.
 */

/** Counters and times of a {@link VideoRenderer}. */
export interface VideoRendererStats {
  framesDrawn: number;
  /** Size of the last frame drawn (its display size), 0 before the first. */
  width: number;
  height: number;
  /** `performance.now()` of the first and the last frame drawn; `undefined` before the first. */
  firstFrameAt: number | undefined;
  lastFrameAt: number | undefined;
}

/** Anything with a 2D context: an `HTMLCanvasElement` or an `OffscreenCanvas` (in a worker, say). */
export type RenderTarget = HTMLCanvasElement | OffscreenCanvas;

/**
 * Draws each frame immediately and closes it, so a renderer never holds a
 * frame (the canvas keeps the picture). The canvas takes the frame's display
 * size; CSS (`object-fit` on the element) scales it into the tile.
 *
 * @example
 * const renderer = new VideoRenderer(canvas);
 * decoder = new VideoDecodePipeline({ onFrame: (f) => renderer.draw(f) });
 * if (renderer.stalledFor() > 2000) showFrozenBadge();
 */
export class VideoRenderer {
  /** Called after a frame of a new size was drawn (the tile may change its aspect ratio). */
  onresize: ((width: number, height: number) => void) | null = null;

  private readonly canvas: RenderTarget;
  private readonly context: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
  private readonly counters: VideoRendererStats = {
    framesDrawn: 0,
    width: 0,
    height: 0,
    firstFrameAt: undefined,
    lastFrameAt: undefined,
  };
  private closed = false;

  constructor(canvas: RenderTarget) {
    this.canvas = canvas;
    // No alpha: video is opaque and an opaque canvas composites faster.
    const context = canvas.getContext('2d', { alpha: false }) as
      CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (!context) throw new Error('VideoRenderer: the canvas has no 2D context (is it already used for WebGL?)');
    this.context = context;
  }

  /** A snapshot of the counters. */
  get stats(): VideoRendererStats {
    return { ...this.counters };
  }

  /** Milliseconds since the last frame was drawn (0 before the first): the UI shows a stall from it. */
  stalledFor(now: number = performance.now()): number {
    return this.counters.lastFrameAt === undefined ? 0 : now - this.counters.lastFrameAt;
  }

  /** Draws `frame` and closes it. Takes ownership: the caller must not use the frame afterwards. */
  draw(frame: VideoFrame): void {
    try {
      if (this.closed) return;
      const width = frame.displayWidth;
      const height = frame.displayHeight;
      const resized = width !== this.canvas.width || height !== this.canvas.height;
      // Setting a canvas size clears it, so only do it when the size really changes.
      if (resized) {
        this.canvas.width = width;
        this.canvas.height = height;
      }
      this.context.drawImage(frame, 0, 0, width, height);
      const now = performance.now();
      this.counters.framesDrawn++;
      this.counters.firstFrameAt ??= now;
      this.counters.lastFrameAt = now;
      if (resized || width !== this.counters.width || height !== this.counters.height) {
        this.counters.width = width;
        this.counters.height = height;
        this.onresize?.(width, height);
      }
    } finally {
      frame.close();
    }
  }

  /** Paints the canvas black (the sender turned the camera off). */
  clear(): void {
    if (this.closed) return;
    this.context.fillStyle = '#000';
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Stops drawing; later frames are closed unseen. */
  close(): void {
    this.closed = true;
  }
}
