/**
 * The media a room on this node takes from the bus: every publisher's audio
 * (each node chooses the loudest speakers itself) and screen share audio (sent
 * to everyone, like the share's announcement), and of video and screen
 * share only the publisher-layers a receiver here watches. So traffic between
 * nodes follows what is watched: NATS forwards a subject only to the servers
 * whose clients subscribe to it.
 *
 * Receivers without a Subscription take layer 0 of everyone: while there are
 * some, one wildcard per layered kind (`media.*.video-0`) stands in for every
 * publisher's layer 0, and a subscription to one publisher's layer 0 stays
 * silent meanwhile, so no frame arrives twice.
 */
import { TrackKind } from '../src/protocol/index.js';
import type { Bus, BusSubscription } from './bus/bus.js';
import { subjects, trackToken } from './bus/subjects.js';

export class MediaInterest {
  private readonly always: BusSubscription[];
  /** One subscription per watched publisher-layer, by subject. */
  private readonly layers = new Map<string, BusSubscription>();
  /** The layer-0 wildcards, while receivers here take the defaults. */
  private defaults: BusSubscription[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly room: string,
    /** A media payload from the bus (the room skips its own node's). */
    private readonly onMedia: (payload: Uint8Array) => void,
  ) {
    this.always = [
      bus.subscribe(subjects.anyMedia(room, trackToken(TrackKind.AUDIO, 0)), (_s, payload) => onMedia(payload)),
      bus.subscribe(subjects.anyMedia(room, trackToken(TrackKind.SCREEN_AUDIO, 0)), (_s, payload) => onMedia(payload)),
      bus.subscribe(subjects.anyMedia(room, trackToken(TrackKind.TRACK_KIND_UNSPECIFIED, 0)), (_s, payload) =>
        onMedia(payload),
      ),
    ];
  }

  /** Subjects subscribed to one publisher-layer at a time, for tests and metrics. */
  get layerSubscriptions(): number {
    return this.layers.size;
  }

  /** Whether some receiver here watches `layer` of `publisher`'s `kind` changed. */
  layerWatched(publisher: string, kind: number, layer: number, watched: boolean): void {
    const subject = subjects.media(this.room, publisher, trackToken(kind, layer));
    if (!watched) {
      this.layers.get(subject)?.unsubscribe();
      this.layers.delete(subject);
      return;
    }
    if (this.layers.has(subject)) return;
    const silentWithDefaults = layer === 0;
    this.layers.set(
      subject,
      this.bus.subscribe(subject, (_s, payload) => {
        if (silentWithDefaults && this.defaults.length > 0) return;
        this.onMedia(payload);
      }),
    );
  }

  /** Whether receivers here take the defaults (layer 0 of everyone) changed. */
  defaultsWatched(watched: boolean): void {
    if (watched === this.defaults.length > 0) return;
    if (!watched) {
      for (const sub of this.defaults) sub.unsubscribe();
      this.defaults = [];
      return;
    }
    this.defaults = [TrackKind.VIDEO, TrackKind.SCREEN].map((kind) =>
      this.bus.subscribe(subjects.anyMedia(this.room, trackToken(kind, 0)), (_s, payload) => this.onMedia(payload)),
    );
  }

  close(): void {
    for (const sub of [...this.always, ...this.defaults, ...this.layers.values()]) sub.unsubscribe();
    this.defaults = [];
    this.layers.clear();
  }
}
