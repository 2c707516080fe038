import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { VideoView } from '../call/subscriptions.js';

/** What the controller needs from its element. */
export interface VideoSubscriptionSource {
  /** Where the tiles are, once rendered. */
  root(): ParentNode | null;
  /** Tells the room what is shown (it subscribes and debounces). */
  setSubscription(views: VideoView[]): void;
}

/** A remote tile that shows video: not the "can't decrypt" one. */
const REMOTE_TILES = '[part~="tile-remote"]:not(.undecryptable)';

/**
 * Measures each remote tile in device pixels (a `ResizeObserver` with
 * `device-pixel-content-box` where the browser has it, CSS pixels ×
 * `devicePixelRatio` elsewhere) and tells the room after every change of size
 * or of the tiles shown, so each participant is received in the layer that
 * fits their tile. A participant without a tile on screen gets nothing.
 */
export class VideoSubscriptionController implements ReactiveController {
  private observer: ResizeObserver | null = null;
  /** Observed tiles and their last size in device pixels. */
  private readonly sizes = new Map<Element, { width: number; height: number }>();

  constructor(
    host: ReactiveControllerHost,
    private readonly source: VideoSubscriptionSource,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.observer = new ResizeObserver((entries) => {
      for (const entry of entries) this.sizes.set(entry.target, deviceSize(entry));
      this.report();
    });
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
    this.observer = null;
    this.sizes.clear();
  }

  hostUpdated(): void {
    const root = this.source.root();
    if (!root || !this.observer) return;
    const tiles = new Set(root.querySelectorAll(REMOTE_TILES));
    for (const tile of [...this.sizes.keys()]) {
      if (tiles.has(tile)) continue;
      this.observer.unobserve(tile);
      this.sizes.delete(tile);
    }
    for (const tile of tiles) {
      if (this.sizes.has(tile)) continue;
      // Measured now, so a new tile is subscribed at once; the observer refines it to exact device pixels.
      const rect = tile.getBoundingClientRect();
      const ratio = globalThis.devicePixelRatio || 1;
      this.sizes.set(tile, { width: Math.round(rect.width * ratio), height: Math.round(rect.height * ratio) });
      this.observer.observe(tile, { box: supportsDevicePixelBox() ? 'device-pixel-content-box' : 'content-box' });
    }
    this.report();
  }

  private report(): void {
    const views: VideoView[] = [];
    for (const [tile, size] of this.sizes) {
      const participant = (tile as HTMLElement).dataset['id'];
      // A screen share's tile (`data-kind="screen"`) subscribes to their screen, not their camera.
      const kind = (tile as HTMLElement).dataset['kind'] === 'screen' ? ('screen' as const) : undefined;
      if (participant && size.width > 0 && size.height > 0)
        views.push({ participant, ...size, ...(kind ? { kind } : {}) });
    }
    this.source.setSubscription(views);
  }
}

/** The observed size in device pixels. */
function deviceSize(entry: ResizeObserverEntry): { width: number; height: number } {
  const box = entry.devicePixelContentBoxSize?.[0];
  if (box) return { width: box.inlineSize, height: box.blockSize };
  const ratio = globalThis.devicePixelRatio || 1;
  return { width: Math.round(entry.contentRect.width * ratio), height: Math.round(entry.contentRect.height * ratio) };
}

let devicePixelBox: boolean | undefined;

/** Whether `ResizeObserver` reports `device-pixel-content-box` (Chromium does; Safari not yet). */
function supportsDevicePixelBox(): boolean {
  devicePixelBox ??=
    typeof ResizeObserverEntry !== 'undefined' && 'devicePixelContentBoxSize' in ResizeObserverEntry.prototype;
  return devicePixelBox;
}
