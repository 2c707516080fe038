/**
 * When captured media was captured, on the wall clock.
 *
 * A track's chunks carry timestamps on the source's own clock, and we read them
 * some time after: at once when the reader keeps up, later when its thread was
 * busy and they queued. Stamping a chunk with the time we read it hides that
 * wait; this maps the source's clock to the wall clock by the least wait seen
 * recently (the reads that did not queue), so a backlog shows as capture delay.
 */

/** How long the least wait is remembered: long enough to include a read that did not queue. */
const WINDOW_MS = 5000;
/**
 * A wait this far from the least one is a new clock (another device, a restarted
 * track), not a backlog: a track's queue holds far less than this.
 */
const JUMP_MS = 1000;

/** Maps one source's timestamps to wall-clock capture times (see the module comment). */
export class CaptureClock {
  /** Increasing waits, each the least since it was read: the front is the window's least. */
  private readonly minima: { at: number; waitMs: number }[] = [];
  private lastEndUs = -Infinity;

  /**
   * Notes a chunk read at `readAt` (wall clock, ms) whose last sample is at
   * `endUs` on the source's clock (µs); for a video frame, its timestamp.
   */
  read(endUs: number, readAt: number): void {
    const waitMs = readAt - endUs / 1000;
    const least = this.minima[0];
    // Time going back is another timeline; so is a wait far from the least (a jump either way).
    if (endUs < this.lastEndUs || (least && Math.abs(waitMs - least.waitMs) > JUMP_MS)) this.minima.length = 0;
    this.lastEndUs = endUs;
    while (this.minima.length && this.minima[this.minima.length - 1]!.waitMs >= waitMs) this.minima.pop();
    this.minima.push({ at: readAt, waitMs });
    while (this.minima[0]!.at < readAt - WINDOW_MS) this.minima.shift();
  }

  /** The wall-clock time of `timestampUs` on the source's clock; undefined before the first {@link read}. */
  wallClockOf(timestampUs: number): number | undefined {
    const least = this.minima[0];
    return least && timestampUs / 1000 + least.waitMs;
  }

  /** Forgets the mapping (the source's clock starts over). */
  reset(): void {
    this.minima.length = 0;
    this.lastEndUs = -Infinity;
  }
}
