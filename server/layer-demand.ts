/**
 * Tells each publisher connected here which of its layers someone watches
 * (`LayerDemand`, point-to-point): after it announces its layers, and whenever
 * the answer changes. Changes come in bursts (a page of tiles resubscribes at
 * once, a switch completes per receiver), so they are gathered for
 * `debounceMs` and each publisher hears the result once.
 *
 * Only tracks the publisher announced layers for are told about: a client that
 * announced none sends one layer and has nothing to start or stop.
 */
import { TrackKind } from '../src/protocol/index.js';

/** The track kinds that have layers. */
export const LAYERED_KINDS = [TrackKind.VIDEO, TrackKind.SCREEN] as const;

export interface LayerDemandHooks {
  /** Publishers connected here, with how many layers each announced per layered kind. */
  publishers(): Iterable<{ id: string; layerCount(kind: number): number }>;
  /** Layers of `publisher`'s `kind` someone watches, on any node (bit per layer). */
  demandOf(publisher: string, kind: number): number;
  /** Sends `LayerDemand{kind, layers}` to `publisher`. */
  send(publisher: string, kind: number, layers: number[]): void;
  /** Called at each flush, before the publishers are told (the room publishes its part for other nodes). */
  flushed?(): void;
}

export class LayerDemand {
  /** What each publisher was told last, per kind (bit mask); absent: not told yet. */
  private readonly told = new Map<string, Map<number, number>>();
  private timer: NodeJS.Timeout | undefined;
  private urgentQueued = false;
  private closed = false;

  constructor(
    private readonly hooks: LayerDemandHooks,
    private readonly debounceMs: number,
  ) {}

  /** Something changed: tell whoever's demand changed, once things settle a little. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  /**
   * A layer became watched: its publisher hears at once (after this turn's other
   * changes), not after the debounce. A publisher alone in a room encodes nothing,
   * so a joiner's first frame waits for this; a layer no longer watched keeps the
   * debounce (stopping it late costs only bandwidth).
   */
  urgent(): void {
    if (this.urgentQueued || this.closed) return;
    this.urgentQueued = true;
    queueMicrotask(() => {
      this.urgentQueued = false;
      if (!this.closed) this.flush();
    });
  }

  /** `publisher` announced (other) layers: it hears its demand again, changed or not. */
  announced(publisher: string): void {
    this.told.delete(publisher);
    this.schedule();
  }

  forget(publisher: string): void {
    this.told.delete(publisher);
  }

  /** Sends each publisher its demand where it differs from what it was told. */
  flush(): void {
    this.hooks.flushed?.();
    for (const publisher of this.hooks.publishers()) {
      for (const kind of LAYERED_KINDS) {
        const count = publisher.layerCount(kind);
        if (count === 0) continue;
        const all = (1 << count) - 1;
        const mask = this.hooks.demandOf(publisher.id, kind) & all;
        let told = this.told.get(publisher.id);
        if (told?.get(kind) === mask) continue;
        if (!told) this.told.set(publisher.id, (told = new Map()));
        told.set(kind, mask);
        const layers: number[] = [];
        for (let l = 0; l < count; l++) if (mask & (1 << l)) layers.push(l);
        this.hooks.send(publisher.id, kind, layers);
      }
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
