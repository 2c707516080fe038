import type { ReactiveController } from 'lit';

const GESTURES = ['pointerdown', 'keydown'] as const;

/**
 * While `waiting()` says so and the host is in the document, treats any click or
 * key press on the page (not only the element's own button) as the gesture the
 * browser wants before it plays audio, and calls `onGesture`. Re-checked after
 * every update and whenever the host is connected or disconnected.
 */
export class GestureListener implements ReactiveController {
  private listening = false;

  constructor(
    private readonly host: { readonly isConnected: boolean },
    private readonly waiting: () => boolean,
    private readonly onGesture: () => void,
  ) {}

  hostConnected(): void {
    this.sync();
  }

  hostDisconnected(): void {
    this.sync();
  }

  hostUpdated(): void {
    this.sync();
  }

  /** Adds or removes the window listeners to match {@link waiting}. */
  sync(): void {
    const wanted = this.host.isConnected && this.waiting();
    if (wanted === this.listening) return;
    this.listening = wanted;
    for (const type of GESTURES) {
      if (wanted) window.addEventListener(type, this.handle, { capture: true });
      else window.removeEventListener(type, this.handle, { capture: true });
    }
  }

  private readonly handle = (): void => this.onGesture();
}
