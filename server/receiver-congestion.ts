/**
 * Per-receiver congestion control by simulcast layer: a receiver whose send
 * buffer backs up is moved to smaller layers before the relay has to drop its
 * frames (`Outbound` drops video only at `videoDropBytes`), and moved back up
 * once its buffer has stayed nearly empty for a while.
 *
 * The estimate is the link's own backlog (`bufferedAmount`: WebSocket bytes the
 * kernel has not taken, or QUIC's unsent bytes): past `downBytes` the receiver
 * cannot drain what it is sent. Each step down lowers every subscribed track by
 * one layer (a `floor` on the layer index, 0 = none); steps come at most every
 * `stepMs`, so a switch (which waits for a keyframe) has time to take effect.
 * Only video and screen share move (a screen share one step behind the
 * cameras, see `LayerForwarding`): audio and control are untouched.
 */

export interface CongestionLimits {
  /** Backlog above which the receiver steps down a layer. */
  downBytes: number;
  /** Backlog below which it counts as drained. */
  clearBytes: number;
  /** Least time between two steps down. */
  stepMs: number;
  /** How long it must stay drained before a step back up. */
  upAfterMs: number;
  /** The deepest floor (the smallest layer's index). */
  maxFloor: number;
}

export class ReceiverCongestion {
  /** The layer index the receiver's tracks are held at or below (0: no limit). */
  floor = 0;
  private lastStep = -Infinity;
  private clearSince = -Infinity;

  constructor(
    private readonly limits: CongestionLimits,
    /** The floor changed: refit the receiver's tracks. */
    private readonly onFloor: (floor: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Called with the backlog whenever a video frame is about to go to the receiver. */
  observe(buffered: number): void {
    const now = this.now();
    const l = this.limits;
    if (buffered >= l.downBytes) {
      this.clearSince = -Infinity;
      if (this.floor < l.maxFloor && now - this.lastStep >= l.stepMs) this.step(this.floor + 1, now);
      return;
    }
    if (this.floor === 0 || buffered > l.clearBytes) {
      this.clearSince = -Infinity;
      return;
    }
    if (this.clearSince === -Infinity) this.clearSince = now;
    else if (now - this.clearSince >= l.upAfterMs && now - this.lastStep >= l.upAfterMs) {
      this.clearSince = now;
      this.step(this.floor - 1, now);
    }
  }

  private step(floor: number, now: number): void {
    this.floor = floor;
    this.lastStep = now;
    this.onFloor(floor);
  }
}
