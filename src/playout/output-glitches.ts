/**
 * Decides when low-latency audio output costs more than it saves. The smallest
 * output buffer (128 frames, `latencyHint: 0`) cuts 30 ms or more of output
 * delay in Chromium against `'interactive'` (10 ms base + 30 ms device in
 * headless Chromium here; bench/glass-to-glass.ts `--audio-latency-hint`), but
 * the audio thread must then deliver every 2.7 ms: on a busy machine it misses
 * (a glitch, heard as a click). Measured with two Chromium pages in a call on
 * this 2-core machine under heavy load: 318 glitches a minute at the smallest
 * buffer against 32 at `'interactive'`.
 *
 * Fed the browser's cumulative glitch count (Chromium's
 * `AudioContext.playbackStats.underrunEvents`), it says when to step up to the
 * larger buffer: more than {@link GlitchMonitorOptions.maxGlitches} in
 * {@link GlitchMonitorOptions.windowMs}. A glitch now and then is inaudible
 * among the network's own; a steady stream of them is not.
 */

/** Options of {@link OutputGlitchMonitor}. */
export interface GlitchMonitorOptions {
  /** Glitches tolerated per window; default 3. */
  maxGlitches?: number;
  /** Default 10 s. */
  windowMs?: number;
  /** Glitches while the output starts are not counted; default 1 s. */
  settleMs?: number;
}

/** Counts an output's glitches over a sliding window. */
export class OutputGlitchMonitor {
  private readonly maxGlitches: number;
  private readonly windowMs: number;
  private readonly settleMs: number;
  private startedAt: number | undefined;
  private lastCount: number | undefined;
  /** Time of each glitch counted (one entry per glitch), oldest first. */
  private glitches: number[] = [];

  constructor(options: GlitchMonitorOptions = {}) {
    this.maxGlitches = options.maxGlitches ?? 3;
    this.windowMs = options.windowMs ?? 10_000;
    this.settleMs = options.settleMs ?? 1000;
  }

  /**
   * Takes the cumulative glitch count read at `now` (ms); true when the output
   * glitched too often and should use a larger buffer.
   */
  sample(count: number, now: number): boolean {
    this.startedAt ??= now;
    const previous = this.lastCount;
    this.lastCount = count;
    if (now - this.startedAt < this.settleMs || previous === undefined) return false;
    // Bounded: a burst of thousands says no more than one just past the limit.
    const fresh = Math.min(Math.max(0, count - previous), this.maxGlitches + 1);
    for (let i = 0; i < fresh; i++) this.glitches.push(now);
    while (this.glitches.length > 0 && now - this.glitches[0]! > this.windowMs) this.glitches.shift();
    return this.glitches.length > this.maxGlitches;
  }

  /** Glitches counted in the current window. */
  get recent(): number {
    return this.glitches.length;
  }
}
