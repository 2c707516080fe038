import type { ReactiveController } from 'lit';

/**
 * How long a removed element waits to be put back before it counts as gone.
 * Frameworks that move a node by removing it and inserting it again may do the
 * two in separate tasks or animation frames (a microtask is not enough); 100 ms
 * covers a few frames and is still too short for a person to notice the camera
 * light staying on.
 */
export const REMOVAL_GRACE_MS = 100;

/** Longest wait for that next animation frame: a page hidden meanwhile runs none. */
export const FRAME_WAIT_MS = 1000;

/**
 * Runs `callback` on the page's next animation frame and returns what cancels
 * it; null where no frame will come (no `requestAnimationFrame`, a hidden page).
 */
export type FrameScheduler = (callback: () => void) => (() => void) | null;

const nextAnimationFrame: FrameScheduler = (callback) => {
  if (typeof requestAnimationFrame !== 'function') return null;
  if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return null;
  const id = requestAnimationFrame(callback);
  return () => cancelAnimationFrame(id);
};

/**
 * Tells a removed element apart from a moved one: calls `onRemoved` once the
 * host has stayed out of the document for {@link REMOVAL_GRACE_MS} and through
 * the animation frame after it. A move with `append` or `insertBefore` runs
 * `disconnectedCallback` when the node is already in its new place, so it never
 * starts the wait at all.
 *
 * Why the frame: on a busy page the animation frame after a removal can come
 * later than the grace (CI saw one past 100 ms on a loaded machine), and a
 * framework putting the element back in that frame would otherwise end its call.
 */
export class RemovalWatcher implements ReactiveController {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private frameTimer: ReturnType<typeof setTimeout> | undefined;
  private cancelFrame: (() => void) | undefined;

  constructor(
    private readonly host: { readonly isConnected: boolean },
    private readonly onRemoved: () => void,
    private readonly graceMs = REMOVAL_GRACE_MS,
    private readonly nextFrame: FrameScheduler = nextAnimationFrame,
  ) {}

  hostConnected(): void {
    this.stopWaiting();
  }

  hostDisconnected(): void {
    if (this.host.isConnected) return;
    this.stopWaiting();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.host.isConnected) return;
      const cancel = this.nextFrame(() => this.settle());
      if (!cancel) {
        this.onRemoved();
        return;
      }
      this.cancelFrame = cancel;
      this.frameTimer = setTimeout(() => this.settle(), FRAME_WAIT_MS);
    }, this.graceMs);
  }

  /** The frame came (or never will): removed unless put back meanwhile. */
  private settle(): void {
    this.stopWaiting();
    if (!this.host.isConnected) this.onRemoved();
  }

  private stopWaiting(): void {
    clearTimeout(this.timer);
    clearTimeout(this.frameTimer);
    this.cancelFrame?.();
    this.timer = undefined;
    this.frameTimer = undefined;
    this.cancelFrame = undefined;
  }
}
