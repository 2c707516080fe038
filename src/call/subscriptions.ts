/**
 * What this client asks the relay to forward (`Subscription`): for each
 * participant shown, the layer of their camera that fits how large it is shown
 * ({@link chooseLayer}); nothing for those not shown. Sent debounced, again
 * when participants come, go or announce other layers, and at once after a
 * reconnect (a new connection starts from the relay's default).
 */
import { chooseLayer, type AnnouncedLayer, type ViewSize } from './layer-choice.js';

/** How large one participant's video (or screen share) is shown, in device pixels. */
export interface VideoView extends ViewSize {
  /** Their session id. */
  participant: string;
  /** Their camera (`video`, the default) or their screen share (`screen`). */
  kind?: 'video' | 'screen';
}

/** One publisher's layer to receive. */
export interface LayerWanted {
  publisher: string;
  layer: number;
  /** Absent for their camera; `screen` for their screen share. */
  kind?: 'screen';
}

/** A participant as subscriptions see it. */
export interface SubscribablePublisher {
  readonly id: string;
  readonly videoLayers: readonly AnnouncedLayer[];
  /** True while they share a screen, in `screenLayers`. */
  readonly screen?: boolean;
  readonly screenLayers?: readonly AnnouncedLayer[];
}

/** What {@link Subscriptions} needs from the room. */
export interface SubscriptionHooks {
  /** The participants, with the layers each announced. */
  participants(): Iterable<SubscribablePublisher>;
  /** Send this subscription to the relay (it replaces the previous one). */
  send(tracks: LayerWanted[]): void;
  /** The layer now wanted from each participant's camera, and from the screen of each one sharing (null: none). */
  wanted(participantId: string, layer: number | null, kind: 'video' | 'screen'): void;
}

/** Default wait before a change is sent: a resize or relayout settles first. */
export const SUBSCRIPTION_DEBOUNCE_MS = 250;

export class Subscriptions {
  /** Null: every participant at {@link defaultView} (no view told us otherwise). */
  private views: Map<string, ViewSize> | null = null;
  private viewsKey = '';
  private lastSentKey: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly hooks: SubscriptionHooks,
    /** How large a participant is taken to be shown until {@link setViews} says. */
    private readonly defaultView: ViewSize,
    private readonly debounceMs = SUBSCRIPTION_DEBOUNCE_MS,
  ) {}

  /**
   * What is shown now: each participant's view; those not listed are not
   * shown and get nothing. Null: everyone at the default size.
   */
  setViews(views: readonly VideoView[] | null): void {
    const key = views === null ? '' : JSON.stringify([...views].sort((a, b) => (viewKey(a) < viewKey(b) ? -1 : 1)));
    if (key === this.viewsKey && (views === null) === (this.views === null)) return;
    const before = this.views;
    this.viewsKey = key;
    this.views = views === null ? null : new Map(views.map((v) => [viewKey(v), { width: v.width, height: v.height }]));
    // A tile newly shown is waited for by a person (joining, a page turned): no debounce for it.
    const shown = this.views !== null && before !== null && [...this.views.keys()].some((id) => !before.has(id));
    if (shown || (before === null && this.views !== null)) this.flushSoon();
    else this.changed();
  }

  /** Participants or their layers changed: send again (debounced) if that changes the subscription. */
  changed(): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush(false);
    }, this.debounceMs);
  }

  /** Sends in a moment (this task's other changes batched), not after the debounce. */
  private flushSoon(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush(false);
    }, 0);
  }

  /** Sends now, even if unchanged: a new connection (reconnect, transport change) or the first after joining. */
  resend(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flush(true);
  }

  /** The layers wanted now, publisher by publisher. */
  plan(): LayerWanted[] {
    const tracks: LayerWanted[] = [];
    for (const p of this.hooks.participants()) {
      const view = this.views === null ? this.defaultView : this.views.get(p.id);
      const layer = view ? chooseLayer(p.videoLayers, view) : null;
      if (layer !== null) tracks.push({ publisher: p.id, layer });
      if (!p.screen) continue;
      const screenView = this.views === null ? this.defaultView : this.views.get(`screen:${p.id}`);
      const screenLayer = screenView ? chooseLayer(p.screenLayers ?? [], screenView) : null;
      if (screenLayer !== null) tracks.push({ publisher: p.id, layer: screenLayer, kind: 'screen' });
    }
    return tracks;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(force: boolean): void {
    if (this.closed) return;
    const tracks = this.plan();
    const key = JSON.stringify(tracks);
    const byPublisher = new Map(tracks.map((t) => [t.kind ? `screen:${t.publisher}` : t.publisher, t.layer]));
    for (const p of this.hooks.participants()) {
      this.hooks.wanted(p.id, byPublisher.get(p.id) ?? null, 'video');
      if (p.screen) this.hooks.wanted(p.id, byPublisher.get(`screen:${p.id}`) ?? null, 'screen');
    }
    if (!force && key === this.lastSentKey) return;
    this.lastSentKey = key;
    this.hooks.send(tracks);
  }
}

/** A view's key: the participant's id for a camera, `screen:` and the id for a screen share. */
function viewKey(view: VideoView): string {
  return view.kind === 'screen' ? `screen:${view.participant}` : view.participant;
}
