/**
 * Keeps a camera capturing no larger than what is encoded from it. A 720p
 * camera whose largest watched or affordable layer is 360p otherwise makes
 * every frame at 720p only for the encoder to scale it down: measured in a
 * two-page call on 2 cores (both sending 360p from a 720p fake camera),
 * capturing at 360p raised the frames each page decoded from 16.6 to 25.2 per
 * second. The browser scales in its capture pipeline instead (Chromium's
 * `resizeMode: 'crop-and-scale'`), before the frame reaches the page.
 */

/** A picture size in pixels. */
export interface CaptureSize {
  width: number;
  height: number;
}

/** Options of {@link CaptureSizer}. */
export interface CaptureSizerOptions {
  /** A smaller size waits this long (ms) before it is applied, so a brief dip does not resize twice; default 2000. */
  shrinkDelayMs?: number;
  /**
   * Never capture shorter than this (default 360): the self-view shows the same
   * track, and below 360p it looks blurred in a tile of ordinary size.
   */
  minHeight?: number;
}

/**
 * Resizes one camera track's capture to the size asked for, never above the
 * size it was opened at. Growing applies at once (the picture needs the
 * pixels now); shrinking waits {@link CaptureSizerOptions.shrinkDelayMs}.
 * Does nothing where the browser cannot scale a capture without reopening the
 * camera (no `crop-and-scale` in the track's capabilities, e.g. Firefox).
 */
export class CaptureSizer {
  private readonly original: MediaTrackConstraints;
  private readonly shrinkDelayMs: number;
  private readonly minHeight: number;
  /** The size applied now; null: the track's original constraints. */
  private applied: CaptureSize | null = null;
  private pending: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** Sizes applied before the current one, until when frames of that size may still come. */
  private previous: { size: CaptureSize; until: number }[] = [];

  constructor(
    private readonly track: MediaStreamTrack,
    /** The size the camera delivers with its original constraints. */
    private readonly native: CaptureSize,
    options: CaptureSizerOptions = {},
  ) {
    this.original = track.getConstraints();
    this.shrinkDelayMs = options.shrinkDelayMs ?? 2000;
    this.minHeight = options.minHeight ?? 360;
  }

  /** Whether this browser scales this track's capture (Chromium) rather than reopening the camera. */
  static canResize(track: MediaStreamTrack): boolean {
    const capabilities = typeof track.getCapabilities === 'function' ? track.getCapabilities() : {};
    const modes = (capabilities as { resizeMode?: string[] }).resizeMode;
    return Array.isArray(modes) && modes.includes('crop-and-scale');
  }

  /** The size the capture was asked for; null while it is the camera's own. */
  get size(): CaptureSize | null {
    return this.applied;
  }

  /**
   * Whether a frame of this size is our doing: the size applied now, or one
   * applied within the last 2 s (frames already on their way). Any other size
   * than the camera's own is someone else's change: a new source.
   */
  owns(width: number, height: number): boolean {
    const now = performance.now();
    this.previous = this.previous.filter((p) => p.until > now);
    const matches = (size: CaptureSize | null) => !!size && size.width === width && size.height === height;
    return matches(this.applied) || this.previous.some((p) => matches(p.size));
  }

  /** Capture at `size` (rounded up to even, capped at the native size); null: the camera's own size. */
  fit(size: CaptureSize | null): void {
    if (this.stopped) return;
    const target = this.clamp(size);
    if (sameSize(target, this.applied)) {
      this.cancelPending();
      return;
    }
    const grows = area(target ?? this.native) > area(this.applied ?? this.native);
    this.cancelPending();
    if (grows) {
      this.apply(target);
    } else {
      this.pending = setTimeout(() => {
        this.pending = undefined;
        this.apply(target);
      }, this.shrinkDelayMs);
    }
  }

  /** Forgets a pending change and gives the track back its original constraints (its owner may keep using it). */
  stop(): void {
    if (this.stopped) return;
    this.cancelPending();
    if (this.applied) this.apply(null);
    this.stopped = true;
  }

  private clamp(size: CaptureSize | null): CaptureSize | null {
    if (size && size.height < this.minHeight) {
      size = { width: Math.round((size.width * this.minHeight) / size.height), height: this.minHeight };
    }
    if (!size || size.height >= this.native.height || size.width >= this.native.width) return null;
    return { width: even(size.width), height: even(size.height) };
  }

  private apply(size: CaptureSize | null): void {
    if (this.stopped || this.track.readyState !== 'live') return;
    if (this.applied) this.previous.push({ size: this.applied, until: performance.now() + 2000 });
    this.applied = size;
    // Only the size is ours: what else the page set on the track since (a lower frame rate…) stays.
    // (An undefined member of a constraints dictionary counts as absent.)
    const { width: _width, height: _height, ...others } = this.track.getConstraints();
    const constraints: MediaTrackConstraints = size
      ? { ...others, width: { ideal: size.width }, height: { ideal: size.height } }
      : { ...others, width: this.original.width, height: this.original.height };
    // A camera that refuses keeps capturing at its size: the encoder scales, as before.
    this.track.applyConstraints(constraints).catch(() => {
      if (this.applied === size) this.applied = null;
    });
  }

  private cancelPending(): void {
    if (this.pending !== undefined) clearTimeout(this.pending);
    this.pending = undefined;
  }
}

function area(size: CaptureSize): number {
  return size.width * size.height;
}

function even(n: number): number {
  return Math.ceil(n / 2) * 2;
}

function sameSize(a: CaptureSize | null, b: CaptureSize | null): boolean {
  return a === b || (!!a && !!b && a.width === b.width && a.height === b.height);
}
