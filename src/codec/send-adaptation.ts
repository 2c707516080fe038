/**
 * Decides the size and frame rate video is sent at from how the encoder and the
 * network keep up: down when they fall behind, back up when they recover. The
 * same idea as WebRTC's CPU-overuse detection, with faster reactions since the
 * goal is a bounded delay on small machines. Pure logic: no timers, no codecs.
 */

/** Why sending is below the best the camera allows. */
export type SendLimit = 'cpu' | 'network';

/** One rung of the ladder: the largest height sent (width follows the source's aspect) and the frame rate. */
export interface SendStep {
  height: number;
  framerate: number;
}

/** What the video is sent at now, and why it is less than the best. */
export interface SendQuality extends SendStep {
  /** Null at the top of the ladder. */
  limitedBy: SendLimit | null;
}

/** Tuning of {@link SendAdaptation}; the defaults suit a realtime call. */
export interface SendAdaptationOptions {
  /** Encode time over frame interval above which the encoder is overused. Default 0.85 (WebRTC's). */
  overuseRatio?: number;
  /** Below this the encoder has room to step up. Default 0.45. */
  underuseRatio?: number;
  /** Frames the encoder skipped for being busy, in one check window, that mean overuse. Default 3. */
  busyDropsToStepDown?: number;
  /** Video frames the transport dropped in one check window that mean congestion. Default 2. */
  networkDropsToStepDown?: number;
  /** Decisions are taken this often. Default 1000 ms. */
  checkIntervalMs?: number;
  /** Nothing is decided for this long after a change (the encoder restarts with a keyframe). Default 1500 ms. */
  settleMs?: number;
  /** Underuse must last this long before the first step up; doubles after a step up that had to be undone. Default 4000 ms. */
  stepUpAfterMs?: number;
  /** Longest wait before stepping up again. Default 60000 ms. */
  maxStepUpAfterMs?: number;
}

/** Heights tried from the top; each is used only when the source is at least that tall. */
const HEIGHTS = [1080, 720, 540, 360, 270, 180];
/** Frame rates tried at the smallest height, once resolution can go no lower. */
const FRAMERATES = [20, 15, 10];
/** A step up that is undone within this long doubles the wait before the next one. */
const FAILED_STEP_UP_MS = 10_000;
/** Weight of the newest sample in the smoothed encode usage. */
const SMOOTHING = 0.15;

/**
 * The rungs for a source of `sourceHeight` at `framerate` frames per second:
 * the source's own size first (capped at `maxHeight`), then smaller sizes, then
 * lower frame rates at the smallest.
 */
export function sendLadder(sourceHeight: number, maxHeight: number, framerate: number): SendStep[] {
  const top = Math.min(sourceHeight, maxHeight);
  const heights = [top, ...HEIGHTS.filter((h) => h < top && h >= Math.min(180, top))];
  const steps: SendStep[] = heights.map((height) => ({ height, framerate }));
  const smallest = heights[heights.length - 1]!;
  for (const rate of FRAMERATES) if (rate < framerate) steps.push({ height: smallest, framerate: rate });
  return steps;
}

/**
 * The rungs for a simulcast send whose layers are `layerHeights` tall (largest
 * first) at `framerate`: all layers, then without the top one, and so on down to
 * the smallest alone, then lower frame rates. A step's `height` is the largest
 * layer still sent: overuse stops the top layer first (the largest share of the
 * cost), while everyone watching a smaller one sees no change.
 */
export function simulcastLadder(layerHeights: readonly number[], framerate: number): SendStep[] {
  if (layerHeights.length === 0) throw new RangeError('simulcastLadder needs at least one layer');
  const steps: SendStep[] = layerHeights.map((height) => ({ height, framerate }));
  const smallest = layerHeights[layerHeights.length - 1]!;
  for (const rate of FRAMERATES) if (rate < framerate) steps.push({ height: smallest, framerate: rate });
  return steps;
}

/** Frame rates content that favours detail steps through, at full size, before any size is given up. */
const DETAIL_FRAMERATES = [10, 5];

/**
 * The rungs for content where sharpness matters more than motion (a shared
 * screen of text, `contentHint` `detail`), with layers `layerHeights` tall
 * (largest first; one height without simulcast): every layer at `framerate`,
 * then 10 and 5 fps at full size, and only then, at 5 fps, the layers from the
 * top down. Text stays readable at 5 fps; it does not at a smaller size.
 */
export function detailLadder(layerHeights: readonly number[], framerate: number): SendStep[] {
  if (layerHeights.length === 0) throw new RangeError('detailLadder needs at least one layer');
  const top = layerHeights[0]!;
  const steps: SendStep[] = [{ height: top, framerate }];
  for (const rate of DETAIL_FRAMERATES) if (rate < framerate) steps.push({ height: top, framerate: rate });
  const slowest = steps[steps.length - 1]!.framerate;
  for (const height of layerHeights.slice(1)) steps.push({ height, framerate: slowest });
  return steps;
}

/**
 * Feed it every encoded frame ({@link frameEncoded}), every frame the encoder
 * skipped for being busy ({@link encoderBusy}) and every video frame the
 * transport could not send ({@link networkDrop}); call {@link check} with the
 * time now and then (each frame is fine) and apply the step it returns.
 *
 * @example
 * const adapt = new SendAdaptation(sendLadder(720, 720, 30));
 * // per output: adapt.frameEncoded(encodeMs, now);
 * const change = adapt.check(now);
 * if (change) reconfigure(change.height, change.framerate);
 */
export class SendAdaptation {
  private readonly ladder: SendStep[];
  private readonly options: Required<SendAdaptationOptions>;
  private index = 0;
  private limitedBy: SendLimit | null = null;
  /** Smoothed encode time over frame interval; NaN until the first sample after a change. */
  private usage = Number.NaN;
  private busyDrops = 0;
  private networkDrops = 0;
  private windowStart: number | undefined;
  private changedAt = Number.NEGATIVE_INFINITY;
  private underuseSince: number | undefined;
  private stepUpAfterMs: number;
  private lastStepUpAt = Number.NEGATIVE_INFINITY;

  constructor(ladder: SendStep[], options: SendAdaptationOptions = {}) {
    if (ladder.length === 0) throw new RangeError('SendAdaptation needs at least one step');
    this.ladder = ladder;
    this.options = {
      overuseRatio: options.overuseRatio ?? 0.85,
      underuseRatio: options.underuseRatio ?? 0.45,
      busyDropsToStepDown: options.busyDropsToStepDown ?? 3,
      networkDropsToStepDown: options.networkDropsToStepDown ?? 2,
      checkIntervalMs: options.checkIntervalMs ?? 1000,
      settleMs: options.settleMs ?? 1500,
      stepUpAfterMs: options.stepUpAfterMs ?? 4000,
      maxStepUpAfterMs: options.maxStepUpAfterMs ?? 60_000,
    };
    this.stepUpAfterMs = this.options.stepUpAfterMs;
  }

  /** The step being sent now, and why it is not the top one. */
  get current(): SendQuality {
    return { ...this.ladder[this.index]!, limitedBy: this.limitedBy };
  }

  /** The smoothed share of each frame interval the encoder needs (1 = all of it); NaN before a sample. */
  get encodeUsage(): number {
    return this.usage;
  }

  /**
   * One frame came out of the encoder after `encodeMs` (from `encode()` to
   * output). Keyframes are not counted: they are slow by nature, not a sign of load.
   */
  frameEncoded(encodeMs: number, keyframe: boolean, now: number): void {
    if (keyframe || now - this.changedAt < this.options.settleMs) return;
    const interval = 1000 / this.ladder[this.index]!.framerate;
    const sample = encodeMs / interval;
    this.usage = Number.isNaN(this.usage) ? sample : this.usage + SMOOTHING * (sample - this.usage);
  }

  /** The encoder had too many frames queued and one was skipped. */
  encoderBusy(): void {
    this.busyDrops++;
  }

  /** The transport was congested and a video frame was not sent. */
  networkDrop(): void {
    this.networkDrops++;
  }

  /** Takes a decision if one is due: the new step, or null when nothing changes. */
  check(now: number): SendQuality | null {
    this.windowStart ??= now;
    if (now - this.windowStart < this.options.checkIntervalMs) return null;
    const busy = this.busyDrops;
    const congested = this.networkDrops >= this.options.networkDropsToStepDown;
    this.busyDrops = this.networkDrops = 0;
    this.windowStart = now;
    if (now - this.changedAt < this.options.settleMs) return null;

    const { overuseRatio, underuseRatio, busyDropsToStepDown } = this.options;
    const overused = busy >= busyDropsToStepDown || this.usage > overuseRatio;
    if (congested || overused) {
      this.underuseSince = undefined;
      if (this.index === this.ladder.length - 1) return null;
      // Far behind (twice the interval or more): two rungs at once, to get the delay down fast; but
      // never straight into a lower frame rate: the smaller size alone may be enough.
      const twoDown = this.ladder[this.index + 2];
      const by =
        !congested && this.usage > 2 * overuseRatio && twoDown?.framerate === this.ladder[this.index]!.framerate
          ? 2
          : 1;
      if (now - this.lastStepUpAt < FAILED_STEP_UP_MS)
        this.stepUpAfterMs = Math.min(this.stepUpAfterMs * 2, this.options.maxStepUpAfterMs);
      return this.moveTo(Math.min(this.ladder.length - 1, this.index + by), congested ? 'network' : 'cpu', now);
    }
    if (this.index === 0 || !(this.usage < underuseRatio)) {
      this.underuseSince = undefined;
      return null;
    }
    this.underuseSince ??= now;
    if (now - this.underuseSince < this.stepUpAfterMs) return null;
    this.lastStepUpAt = now;
    return this.moveTo(this.index - 1, this.index - 1 === 0 ? null : this.limitedBy, now);
  }

  /**
   * After a step down that relieved nothing (with simulcast: it stopped only
   * layers nobody watched, which were not encoded anyway), takes the next rung
   * down at once, for the same reason, when it lowers only the size. Null at
   * the bottom, when the next rung lowers the frame rate, or at the top.
   */
  stepDownFurther(now: number): SendQuality | null {
    const next = this.ladder[this.index + 1];
    if (!next || this.limitedBy === null || next.framerate !== this.ladder[this.index]!.framerate) return null;
    return this.moveTo(this.index + 1, this.limitedBy, now);
  }

  private moveTo(index: number, limitedBy: SendLimit | null, now: number): SendQuality {
    this.index = index;
    this.limitedBy = index === 0 ? null : limitedBy;
    this.changedAt = now;
    this.usage = Number.NaN;
    this.underuseSince = undefined;
    return this.current;
  }
}
