/**
 * The track our own tile shows. Normally the camera track itself. While this
 * machine is overloaded (our encoder stepped down for CPU), a clone of it
 * capped at 15 fps and 360p: the self-view is for framing oneself, and every
 * frame it shows costs compositing (in software on a machine without a GPU)
 * that the call's own encoding and decoding need. Measured in the two-page
 * call on 2 cores (`npx tsx bench/busy-call.ts --fake-camera`, five runs
 * against the build before): Chromium's GPU process went from 106–119 % to
 * 99–105 % of a core, and each side decoded 17.2 fps on average instead of 12.6.
 *
 * It stays light for a while after the overload ends, so a machine on the
 * edge does not swap its self-view back and forth.
 */
import { CaptureSizer } from './capture-sizer.js';

/** The light self-view's limits. */
const LIGHT_SELF_VIEW = { height: 360, frameRate: 15 } as const;

/** How long the self-view stays light after the overload ended, ms. */
const HOLD_MS = 30_000;

/** Chooses, and owns, the track the self-view shows (see the module comment). */
export class SelfViewTrack {
  private light: { source: MediaStreamTrack; clone: MediaStreamTrack } | null = null;
  private lightened = false;
  private calm: ReturnType<typeof setTimeout> | undefined;

  /** @param onChange the track to show changed: render again. */
  constructor(
    private readonly onChange: () => void,
    private readonly holdMs = HOLD_MS,
  ) {}

  /** Whether the self-view is light now (or will be, once a camera is shown). */
  get isLight(): boolean {
    return this.lightened;
  }

  /** The machine is overloaded (our encoder limited by CPU), or no longer. */
  setOverloaded(overloaded: boolean): void {
    if (overloaded) {
      clearTimeout(this.calm);
      this.calm = undefined;
      if (this.lightened) return;
      this.lightened = true;
      this.onChange();
    } else if (this.lightened && this.calm === undefined) {
      this.calm = setTimeout(() => {
        this.calm = undefined;
        this.lightened = false;
        this.release();
        this.onChange();
      }, this.holdMs);
    }
  }

  /**
   * The track to show of `camera`: `camera` itself, or while light its light
   * clone (made on first use). A browser that cannot scale one track of a
   * camera apart from the others (no `crop-and-scale`, e.g. Firefox) shows the
   * camera itself.
   */
  show(camera: MediaStreamTrack | null): MediaStreamTrack | null {
    if (!camera || !this.lightened || camera.readyState !== 'live' || !CaptureSizer.canResize(camera)) {
      return camera;
    }
    if (this.light?.source !== camera) {
      this.release();
      this.light = { source: camera, clone: lightClone(camera) };
    }
    return this.light.clone;
  }

  /** `camera` stops (turned off, replaced): so does its clone, which would otherwise keep the camera open. */
  forget(camera: MediaStreamTrack | null): void {
    if (camera && this.light?.source === camera) this.release();
  }

  /** Stops the clone and forgets the overload. */
  stop(): void {
    clearTimeout(this.calm);
    this.calm = undefined;
    this.lightened = false;
    this.release();
  }

  private release(): void {
    this.light?.clone.stop();
    this.light = null;
  }
}

function lightClone(camera: MediaStreamTrack): MediaStreamTrack {
  const clone = camera.clone();
  const { width, height } = camera.getSettings();
  const h = Math.min(LIGHT_SELF_VIEW.height, height ?? LIGHT_SELF_VIEW.height);
  const constraints: MediaTrackConstraints & { resizeMode?: string } = {
    height: { ideal: h },
    frameRate: { max: LIGHT_SELF_VIEW.frameRate },
    resizeMode: 'crop-and-scale',
  };
  // The camera's own shape: asking only for a height could crop it to another one.
  if (width && height) constraints.width = { ideal: Math.round((width * h) / height) };
  // Refused: the clone shows what the camera shows, as before.
  clone.applyConstraints(constraints).catch(() => undefined);
  return clone;
}
