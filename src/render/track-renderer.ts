/**
 * Shows decoded `VideoFrame`s in a `<video>` through a `MediaStreamTrackGenerator`:
 * the browser's compositor scales and paints them, off the page's main thread.
 */
import { emptyRendererStats, recordShown, type FrameRenderer, type FrameRendererStats } from './frame-renderer.js';

/** The Chromium API this renderer needs (not in TypeScript's DOM types). */
interface TrackGenerator extends MediaStreamTrack {
  readonly writable: WritableStream<VideoFrame>;
}
type TrackGeneratorConstructor = new (init: { kind: 'video' }) => TrackGenerator;

function trackGeneratorConstructor(): TrackGeneratorConstructor | undefined {
  const value = (globalThis as { MediaStreamTrackGenerator?: unknown }).MediaStreamTrackGenerator;
  return typeof value === 'function' ? (value as TrackGeneratorConstructor) : undefined;
}

/** True where {@link TrackFrameRenderer} works (Chromium); elsewhere draw on a canvas. */
export function canRenderToTrack(): boolean {
  return trackGeneratorConstructor() !== undefined;
}

/**
 * Writes each frame to a video track shown by a `<video>`. Drawing a 720p frame
 * on a canvas costs the main thread 35–50 ms on a small machine (bench
 * `two-page-call`); here the main thread only hands the frame over. A frame
 * that arrives while the previous one is still being written is dropped, so
 * the picture never lags behind a busy compositor.
 *
 * @example
 * const renderer = new TrackFrameRenderer(videoElement);
 * decoder = new VideoDecodePipeline({ onFrame: (f) => renderer.draw(f) });
 */
export class TrackFrameRenderer implements FrameRenderer {
  onresize: ((width: number, height: number) => void) | null = null;

  private readonly video: HTMLVideoElement;
  private readonly generator: TrackGenerator;
  private readonly writer: WritableStreamDefaultWriter<VideoFrame>;
  private readonly counters = emptyRendererStats();
  private writing = false;
  private closed = false;

  constructor(video: HTMLVideoElement) {
    const Generator = trackGeneratorConstructor();
    if (!Generator) throw new Error('TrackFrameRenderer: this browser has no MediaStreamTrackGenerator');
    this.video = video;
    this.generator = new Generator({ kind: 'video' });
    this.writer = this.generator.writable.getWriter();
    // Muted and inline: a video the page did not start by a gesture may still play.
    video.muted = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([this.generator]);
    this.play();
  }

  get stats(): FrameRendererStats {
    return { ...this.counters };
  }

  stalledFor(now: number = performance.now()): number {
    return this.counters.lastFrameAt === undefined ? 0 : now - this.counters.lastFrameAt;
  }

  draw(frame: VideoFrame): void {
    if (this.closed || this.writing) {
      if (!this.closed) this.counters.framesDropped++;
      frame.close();
      return;
    }
    const width = frame.displayWidth;
    const height = frame.displayHeight;
    this.writing = true;
    // The generator closes the frame once written.
    this.writer.write(frame).then(
      () => {
        this.writing = false;
      },
      () => {
        this.writing = false;
        frame.close();
      },
    );
    if (recordShown(this.counters, width, height, performance.now())) this.onresize?.(width, height);
    // A media element taken out of the document pauses; put back, it shows frames again.
    if (this.video.paused) this.play();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.writer.close().catch(() => undefined);
    this.generator.stop();
    if (this.video.srcObject) this.video.srcObject = null;
  }

  private play(): void {
    // Rejected when the page may not play yet or a newer source interrupts it: the next frame tries again.
    void this.video.play().catch(() => undefined);
  }
}
