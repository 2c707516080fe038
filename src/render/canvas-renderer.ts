/**
 * Draws decoded `VideoFrame`s into a canvas as they come: the renderer where no
 * track generator exists (Firefox), and for canvases in workers.
 */
import { emptyRendererStats, recordShown, type FrameRenderer, type FrameRendererStats } from './frame-renderer.js';

/** Anything with a 2D context: an `HTMLCanvasElement` or an `OffscreenCanvas` (in a worker, say). */
export type RenderTarget = HTMLCanvasElement | OffscreenCanvas;

/**
 * Draws each frame immediately and closes it, so a renderer never holds a
 * frame (the canvas keeps the picture). The canvas takes the frame's display
 * size; CSS (`object-fit` on the element) scales it into the tile. The draw
 * runs on the calling thread: at 720p it costs the main thread tens of
 * milliseconds, which is why the tiles prefer {@link TrackFrameRenderer}.
 *
 * @example
 * const renderer = new CanvasFrameRenderer(canvas);
 * decoder = new VideoDecodePipeline({ onFrame: (f) => renderer.draw(f) });
 * if (renderer.stalledFor() > 2000) showFrozenBadge();
 */
export class CanvasFrameRenderer implements FrameRenderer {
  onresize: ((width: number, height: number) => void) | null = null;

  private readonly canvas: RenderTarget;
  private readonly context: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
  private readonly counters = emptyRendererStats();
  private closed = false;

  constructor(canvas: RenderTarget) {
    this.canvas = canvas;
    // No alpha: video is opaque and an opaque canvas composites faster.
    const context = canvas.getContext('2d', { alpha: false }) as
      CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (!context) throw new Error('CanvasFrameRenderer: the canvas has no 2D context (is it already used for WebGL?)');
    this.context = context;
  }

  get stats(): FrameRendererStats {
    return { ...this.counters };
  }

  stalledFor(now: number = performance.now()): number {
    return this.counters.lastFrameAt === undefined ? 0 : now - this.counters.lastFrameAt;
  }

  draw(frame: VideoFrame): void {
    try {
      if (this.closed) return;
      const width = frame.displayWidth;
      const height = frame.displayHeight;
      // Setting a canvas size clears it, so only do it when the size really changes.
      if (width !== this.canvas.width || height !== this.canvas.height) {
        this.canvas.width = width;
        this.canvas.height = height;
      }
      this.context.drawImage(frame, 0, 0, width, height);
      if (recordShown(this.counters, width, height, performance.now())) this.onresize?.(width, height);
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

  close(): void {
    this.closed = true;
  }
}
