import type { ReactiveController } from 'lit';

/**
 * How long a removed element waits to be put back before it counts as gone.
 * Frameworks that move a node by removing it and inserting it again may do the
 * two in separate tasks or animation frames (a microtask is not enough); 100 ms
 * covers a few frames and is still too short for a person to notice the camera
 * light staying on.
 */
export const REMOVAL_GRACE_MS = 100;

/**
 * Tells a removed element apart from a moved one: calls `onRemoved` once the
 * host has stayed out of the document for {@link REMOVAL_GRACE_MS}. A move with
 * `append` or `insertBefore` runs `disconnectedCallback` when the node is already
 * in its new place, so it never starts the wait at all.
 */
export class RemovalWatcher implements ReactiveController {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: { readonly isConnected: boolean },
    private readonly onRemoved: () => void,
    private readonly graceMs = REMOVAL_GRACE_MS,
  ) {}

  hostConnected(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  hostDisconnected(): void {
    if (this.host.isConnected) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.host.isConnected) this.onRemoved();
    }, this.graceMs);
  }
}
