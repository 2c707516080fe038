/**
 * Lip sync: holds each decoded video frame until the audio captured at the same
 * moment is being played, so a face moves with its voice. Video is never held
 * longer than the audio path forces, and never at all when there is no audio
 * to follow (muted, or not arrived yet).
 */

/** What the pacer needs of a frame: it closes the ones it drops. */
export interface PacedFrame {
  close(): void;
}

/** Options of {@link VideoPacer}. */
export interface VideoPacerOptions<F extends PacedFrame> {
  /** Shows a frame (takes ownership). */
  show(frame: F): void;
  /** The clock capture times are on, ms (the page's wall clock). */
  now(): number;
  /** Runs `callback` in `ms` (a timer); returns what {@link cancel} takes. */
  schedule(callback: () => void, ms: number): unknown;
  cancel(handle: unknown): void;
  /** Longest a frame is held, ms; default 250 (a larger estimate is taken as wrong). */
  maxHoldMs?: number;
  /** Frames due within this are shown now rather than scheduled, ms; default 4. */
  toleranceMs?: number;
  /** Frames waiting at most; the oldest is dropped beyond it. Default 10 (a longest hold of 250 ms at 30 fps is 8 frames: none is dropped for waiting). */
  maxQueue?: number;
}

/** Counters of a {@link VideoPacer}. */
export interface VideoPacerStats {
  shown: number;
  /** Frames shown without waiting (no audio to follow, or already late for it). */
  shownAtOnce: number;
  /** Frames dropped because a later one was due first, or the queue was full. */
  dropped: number;
  /** Mean hold of the frames that waited, ms. */
  meanHoldMs: number;
}

interface Waiting<F> {
  frame: F;
  due: number;
  heldFrom: number;
}

/**
 * Feed it each decoded frame with its capture time (on our clock) and the
 * current audio delay of the same participant (capture at their microphone →
 * played here), or null when they have no audio playing.
 *
 * @example
 * const pacer = new VideoPacer({ show: (f) => renderer.draw(f), now: wallClockMs,
 *   schedule: (cb, ms) => setTimeout(cb, ms), cancel: (h) => clearTimeout(h as number) });
 * decoder.onFrame = (frame) => pacer.push(frame, captureTimeOf(frame), audioDelayMs());
 */
export class VideoPacer<F extends PacedFrame> {
  private readonly options: VideoPacerOptions<F>;
  private readonly queue: Waiting<F>[] = [];
  private timer: unknown = null;
  private closed = false;
  private readonly counters = { shown: 0, shownAtOnce: 0, dropped: 0, held: 0, holdTotalMs: 0 };

  constructor(options: VideoPacerOptions<F>) {
    this.options = options;
  }

  get stats(): VideoPacerStats {
    const { shown, shownAtOnce, dropped, held, holdTotalMs } = this.counters;
    return { shown, shownAtOnce, dropped, meanHoldMs: held ? holdTotalMs / held : 0 };
  }

  /** Frames waiting now. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Takes a decoded frame: shown now when there is no audio to follow
   * (`audioDelayMs` null), no capture time, or it is already due; held until
   * `captureTime + audioDelayMs` otherwise.
   */
  push(frame: F, captureTime: number | undefined, audioDelayMs: number | null): void {
    if (this.closed) {
      frame.close();
      return;
    }
    const now = this.options.now();
    const maxHold = this.options.maxHoldMs ?? 250;
    if (captureTime === undefined || audioDelayMs === null) {
      // Nothing to wait for: whatever waits is older, so it goes first… or rather, goes.
      this.dropWaiting();
      this.showNow(frame);
      return;
    }
    const due = Math.min(captureTime + audioDelayMs, now + maxHold);
    if (due - now <= (this.options.toleranceMs ?? 4)) {
      this.dropWaiting();
      this.showNow(frame);
      return;
    }
    this.queue.push({ frame, due, heldFrom: now });
    if (this.queue.length > (this.options.maxQueue ?? 10)) this.drop(this.queue.shift()!);
    this.release();
  }

  /** Shows nothing more; waiting frames are closed. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) this.options.cancel(this.timer);
    this.timer = null;
    for (const waiting of this.queue.splice(0)) waiting.frame.close();
  }

  /** Shows the newest due frame (dropping older due ones), and sets the timer for the next. */
  private release(): void {
    if (this.timer !== null) this.options.cancel(this.timer);
    this.timer = null;
    const now = this.options.now();
    const tolerance = this.options.toleranceMs ?? 4;
    let dueCount = 0;
    while (dueCount < this.queue.length && this.queue[dueCount]!.due - now <= tolerance) dueCount++;
    if (dueCount > 0) {
      const due = this.queue.splice(0, dueCount);
      for (const late of due.slice(0, -1)) this.drop(late);
      const next = due.at(-1)!;
      this.counters.held++;
      this.counters.holdTotalMs += now - next.heldFrom;
      this.counters.shown++;
      this.options.show(next.frame);
    }
    const head = this.queue[0];
    if (head && !this.closed) this.timer = this.options.schedule(() => this.release(), Math.max(0, head.due - now));
  }

  private showNow(frame: F): void {
    this.counters.shown++;
    this.counters.shownAtOnce++;
    this.options.show(frame);
  }

  private dropWaiting(): void {
    if (this.timer !== null) this.options.cancel(this.timer);
    this.timer = null;
    for (const waiting of this.queue.splice(0)) this.drop(waiting);
  }

  private drop(waiting: Waiting<F>): void {
    this.counters.dropped++;
    waiting.frame.close();
  }
}
