/**
 * Decides when this page should receive smaller video because it cannot keep
 * up with decoding what it receives: its decoders are busy most of the time,
 * or busy and losing frames (dropped before decoding, or decoded too late to be
 * shown). The receiving half of the send adaptation: down at once, back up after
 * a calm spell that grows each time a step up had to be undone. Frames lost
 * while the decoders are mostly idle (a page whose own scripts stall it, so
 * frames arrive in bursts) are no reason: smaller video would not help.
 * Pure logic: no timers, no codecs; the room steps by asking for other
 * simulcast layers.
 */

/** Counters of every remote camera this page decodes, summed, since the start. */
export interface ReceiveLoadCounters {
  /** Video frames handed to the decoders. */
  framesIn: number;
  /** Frames lost to load: dropped because a decoder was behind, or decoded too late to be shown. */
  framesLate: number;
  /** Time the decoders spent decoding, ms (summed over decoders: two busy halves make one). */
  decodeBusyMs: number;
}

/** A step the room should take: receive a smaller layer, or a larger one again. */
export type ReceiveStep = 'down' | 'up';

/** Tuning of {@link ReceiveAdaptation}; the defaults suit a realtime call. */
export interface ReceiveAdaptationOptions {
  /** Decoding this share of a window (decode time over window length) is overuse. Default 0.85 (WebRTC's encode figure). */
  overuseUsage?: number;
  /** Losing frames to load while decoding at least this share is overuse too. Default 0.4. */
  busyUsage?: number;
  /** Share of the frames of one window lost to load that counts, with {@link busyUsage}. Default 0.1. */
  overuseShare?: number;
  /**
   * Calm: decoding less than this share and losing at most {@link calmShare}. Default 0.2: a
   * step up about quadruples the pixels (simulcast layers halve each side), so under 0.2 it
   * still fits below {@link overuseUsage}.
   */
  calmUsage?: number;
  /** At most this share lost counts as calm. Default 0.02. */
  calmShare?: number;
  /** A window with fewer frames than this decides nothing (a paused or starting stream). Default 5. */
  minFrames?: number;
  /** Decisions are taken this often. Default 1000 ms. */
  checkIntervalMs?: number;
  /** Nothing is decided for this long after a step (the new layer starts at its keyframe). Default 2000 ms. */
  settleMs?: number;
  /** Calm must last this long before a step up; doubles after a step up that had to be undone. Default 8000 ms. */
  stepUpAfterMs?: number;
  /** Longest wait before stepping up again. Default 60000 ms. */
  maxStepUpAfterMs?: number;
}

/** A step up undone within this long doubles the wait before the next one. */
const FAILED_STEP_UP_MS = 10_000;

export class ReceiveAdaptation {
  private readonly overuseUsage: number;
  private readonly busyUsage: number;
  private readonly overuseShare: number;
  private readonly calmUsage: number;
  private readonly calmShare: number;
  private readonly minFrames: number;
  private readonly checkIntervalMs: number;
  private readonly settleMs: number;
  private readonly maxStepUpAfterMs: number;
  private readonly initialStepUpAfterMs: number;
  private stepUpAfterMs: number;
  private windowStart: { at: number; counters: ReceiveLoadCounters } | undefined;
  private settleUntil = -Infinity;
  private calmSince: number | undefined;
  private lastStepUpAt = -Infinity;

  constructor(options: ReceiveAdaptationOptions = {}) {
    this.overuseUsage = options.overuseUsage ?? 0.85;
    this.busyUsage = options.busyUsage ?? 0.4;
    this.overuseShare = options.overuseShare ?? 0.1;
    this.calmUsage = options.calmUsage ?? 0.2;
    this.calmShare = options.calmShare ?? 0.02;
    this.minFrames = options.minFrames ?? 5;
    this.checkIntervalMs = options.checkIntervalMs ?? 1000;
    this.settleMs = options.settleMs ?? 2000;
    this.stepUpAfterMs = options.stepUpAfterMs ?? 8000;
    this.initialStepUpAfterMs = this.stepUpAfterMs;
    this.maxStepUpAfterMs = Math.max(this.stepUpAfterMs, options.maxStepUpAfterMs ?? 60_000);
  }

  /**
   * Feeds the counters now (`now` in ms, any monotonic clock); `limited` says
   * whether a step down is in force (only then is a step up proposed). Returns
   * the step to take, if any; the caller reports with {@link stepped} whether it could.
   */
  update(now: number, counters: ReceiveLoadCounters, limited: boolean): ReceiveStep | null {
    if (!this.windowStart) {
      this.windowStart = { at: now, counters: { ...counters } };
      return null;
    }
    if (now - this.windowStart.at < this.checkIntervalMs) return null;
    const framesIn = counters.framesIn - this.windowStart.counters.framesIn;
    const framesLate = counters.framesLate - this.windowStart.counters.framesLate;
    const busyMs = counters.decodeBusyMs - this.windowStart.counters.decodeBusyMs;
    const from = this.windowStart.at;
    this.windowStart = { at: now, counters: { ...counters } };
    // A window that began before the last step had settled says more about the switch than the load.
    if (from < this.settleUntil) return null;
    // Counters that went back (a stream replaced) or a window too thin to judge: no decision.
    if (framesIn < this.minFrames || framesLate < 0 || busyMs < 0) {
      this.calmSince = undefined;
      return null;
    }
    const usage = busyMs / (now - from);
    const share = framesLate / framesIn;
    if (usage >= this.overuseUsage || (usage >= this.busyUsage && share >= this.overuseShare)) {
      this.calmSince = undefined;
      if (now - this.lastStepUpAt < FAILED_STEP_UP_MS)
        this.stepUpAfterMs = Math.min(this.maxStepUpAfterMs, this.stepUpAfterMs * 2);
      return 'down';
    }
    if (usage >= this.calmUsage || share > this.calmShare || !limited) {
      this.calmSince = undefined;
      return null;
    }
    this.calmSince ??= now;
    return now - this.calmSince >= this.stepUpAfterMs ? 'up' : null;
  }

  /** The room took `step` (false: there was nowhere to go, e.g. already at the smallest layer). */
  stepped(now: number, step: ReceiveStep, taken: boolean): void {
    this.calmSince = undefined;
    if (!taken) return;
    this.settleUntil = now + this.settleMs;
    if (step === 'up') this.lastStepUpAt = now;
  }

  /** Back to receiving what the tiles ask (a new call, a reconnect): forgets every step. */
  reset(): void {
    this.windowStart = undefined;
    this.settleUntil = -Infinity;
    this.calmSince = undefined;
    this.lastStepUpAt = -Infinity;
    this.stepUpAfterMs = this.initialStepUpAfterMs;
  }
}
