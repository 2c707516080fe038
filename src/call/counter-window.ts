/**
 * Rates over a sliding window from snapshots of cumulative counters: keep the
 * snapshots of the last few seconds, and divide what each counter gained
 * between the oldest one inside the window and the newest by the time between
 * them. Counters are sampled rather than timed per event, so the hot path only
 * increments integers.
 */

/** A snapshot of counters at one moment (ms on the caller's clock). */
interface Snapshot<K extends string> {
  at: number;
  values: Record<K, number>;
}

/** What the counters gained over a span, and how long the span was. */
export interface WindowDelta<K extends string> {
  spanMs: number;
  deltas: Record<K, number>;
}

/** Spans shorter than this give no rate: too few events to mean anything. */
export const MIN_SPAN_MS = 400;

/**
 * Snapshots of cumulative counters over the last `windowMs`.
 *
 * @example
 * const w = new CounterWindow<'bytes' | 'frames'>(3000);
 * w.add(now, { bytes, frames });
 * const fps = w.rate('frames', now); // per second, or null before 400 ms of history
 */
export class CounterWindow<K extends string> {
  private readonly snapshots: Snapshot<K>[] = [];

  constructor(readonly windowMs: number) {
    if (!(windowMs > 0)) throw new RangeError('CounterWindow needs a positive window');
  }

  /** Adds a snapshot; one older than the newest is ignored (the clock never steps back). */
  add(at: number, values: Record<K, number>): void {
    const newest = this.snapshots[this.snapshots.length - 1];
    if (newest && at < newest.at) return;
    if (newest && at === newest.at) this.snapshots.pop();
    this.snapshots.push({ at, values: { ...values } });
    // Keep one snapshot at or before the window's start, so a span can cover all of it.
    const start = at - this.windowMs;
    while (this.snapshots.length > 2 && this.snapshots[1]!.at <= start) this.snapshots.shift();
  }

  /** Snapshots kept (bounded by the window and the sampling rate). */
  get size(): number {
    return this.snapshots.length;
  }

  /**
   * What each counter gained from the last snapshot at or before the window's
   * start (the oldest, with less history) to the newest (from zero for one that
   * appeared or restarted since: counters start at zero); null with less than
   * {@link MIN_SPAN_MS} between them.
   */
  delta(): WindowDelta<K> | null {
    const newest = this.snapshots[this.snapshots.length - 1];
    const oldest = this.snapshots[0];
    if (!newest || !oldest || newest.at - oldest.at < MIN_SPAN_MS) return null;
    const deltas = {} as Record<K, number>;
    // A counter missing from the oldest snapshot appeared since (a video layer once the camera
    // starts): counters start at zero, so all it counted is in the window. Taking its first value
    // as the base instead showed a sender encoding 20 fps as 0 fps for the window's first seconds.
    // One that went down restarted (a layer's encoder made anew when the adaptation steps back up):
    // it counted its value since, not nothing.
    for (const key of Object.keys(newest.values) as K[]) {
      const now = newest.values[key];
      const then = oldest.values[key] ?? 0;
      deltas[key] = now >= then ? now - then : now;
    }
    return { spanMs: newest.at - oldest.at, deltas };
  }

  /** `key`'s gain per second over the window (never negative); null with too little history. */
  rate(key: K): number | null {
    const d = this.delta();
    return d ? Math.max(0, d.deltas[key]) / (d.spanMs / 1000) : null;
  }

  /** Forgets every snapshot. */
  clear(): void {
    this.snapshots.length = 0;
  }
}
