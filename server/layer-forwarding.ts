/**
 * Which receivers of one room on this node get which simulcast layer of each
 * publisher's video and screen share, and the switch from one layer to another.
 *
 * A receiver that sent no `Subscription` yet takes layer 0 of every publisher
 * (`defaults`), as before selective forwarding. A receiver with one has a
 * {@link Watch} per publisher-track it named: the layer it gets now (`current`)
 * and the one it is to get (`target`). Frames of `current` go through; frames of
 * `target` are dropped until a keyframe of `target`, which is forwarded and makes
 * it `current`. So a switch happens at a keyframe: the receiver keeps the old
 * layer until then and never sees a delta of the new one first. A track named
 * for the first time has no `current`: nothing until `target`'s first keyframe.
 *
 * The index is per publisher-track and layer, each watch filed under its current
 * and its target layer, so a frame costs a lookup and a loop over the receivers
 * of exactly that layer: a room of 1000 does not loop over 1000 per frame.
 */
import { TrackKind } from '../src/protocol/index.js';
import type { BusMessage } from './bus/bus-message.js';
import type { RoomMember } from './room-member.js';
import type { WantedTrack } from './subscription.js';

/** No layer: the receiver gets nothing of this track yet. */
const NONE = -1;

/** One receiver's watch of one publisher's track. */
interface Watch {
  readonly member: RoomMember;
  readonly publisher: string;
  readonly kind: number;
  /** The layer the receiver asked for, before it is fitted to the publisher's layers. */
  asked: number;
  /** The layer forwarded now, or {@link NONE}. */
  current: number;
  /** The layer to forward from its next keyframe on (equal to `current` when no switch is under way). */
  target: number;
}

/** Every watch of one publisher-track, per layer: a watch is filed under its current and its target layer. */
type Layers = Array<Set<Watch> | undefined>;

export interface LayerForwardingHooks {
  /** Delivers `msg` to `member` (the room guards against a receiver that throws). */
  deliver(member: RoomMember, msg: BusMessage): void;
  /** `member` waits for a keyframe of `layer` of `publisher`'s `kind` track: ask for one (the room rate-limits). */
  keyframeWanted(member: RoomMember, publisher: string, kind: number, layer: number): void;
  /** How many layers `publisher` announced for `kind` (0: it did not say, one layer). */
  layerCount(publisher: string, kind: number): number;
  /** Whether some receiver here watches `layer` of `publisher`'s `kind` changed. */
  layerWatched?(publisher: string, kind: number, layer: number, watched: boolean): void;
  /** Whether there is a receiver here that takes the defaults (layer 0 of everyone) changed. */
  defaultsWatched?(watched: boolean): void;
  /** Something that changes what publishers are asked to send changed (debounce it). */
  changed(): void;
  /** Counts a frame not forwarded to one receiver: it waits for the keyframe of the layer it switches to. */
  droppedAwaitingLayer(): void;
  /** Counts a frame nothing depends on held back from a congested receiver (its frame rate halves, not its size). */
  thinned?(): void;
}

const trackKey = (publisher: string, kind: number): string => `${publisher} ${kind}`;

export class LayerForwarding {
  /** Receivers with no Subscription yet: layer 0 of every publisher's video and screen share. */
  private readonly defaults = new Set<RoomMember>();
  /** Per publisher-track (`trackKey`), its watches per layer. */
  private readonly tracks = new Map<string, Layers>();
  /** Per receiver, its watches by `trackKey`. */
  private readonly watches = new Map<RoomMember, Map<string, Watch>>();
  /** Receivers held at smaller layers for congestion: the least layer index they get. */
  private readonly floors = new Map<RoomMember, number>();

  constructor(private readonly hooks: LayerForwardingHooks) {}

  /** A new receiver: it takes the defaults until its first Subscription. */
  add(member: RoomMember): void {
    if (this.watches.has(member) || this.defaults.has(member)) return;
    this.defaults.add(member);
    if (this.defaults.size === 1) this.hooks.defaultsWatched?.(true);
    this.hooks.changed();
  }

  /** A receiver left: forget its watches. */
  remove(member: RoomMember): void {
    this.floors.delete(member);
    if (this.defaults.delete(member)) {
      if (this.defaults.size === 0) this.hooks.defaultsWatched?.(false);
      this.hooks.changed();
    }
    const mine = this.watches.get(member);
    if (!mine) return;
    this.watches.delete(member);
    for (const watch of mine.values()) this.unfile(watch);
    this.hooks.changed();
  }

  /** A publisher left: nobody watches it any more. */
  forgetPublisher(publisher: string): void {
    for (const [key, layers] of this.tracks) {
      if (!key.startsWith(`${publisher} `)) continue;
      for (const set of layers) {
        if (!set) continue;
        for (const watch of [...set]) {
          this.watches.get(watch.member)?.delete(key);
          this.unfile(watch);
        }
      }
    }
  }

  /**
   * `member`'s Subscription, replacing the previous one (or the defaults). Tracks
   * no longer named stop at once; new ones and new layers start at their next
   * keyframe, which is asked for now.
   */
  subscribe(member: RoomMember, wanted: readonly WantedTrack[]): void {
    const wasDefault = this.defaults.delete(member);
    if (wasDefault && this.defaults.size === 0) this.hooks.defaultsWatched?.(false);
    let mine = this.watches.get(member);
    if (!mine) this.watches.set(member, (mine = new Map()));
    const keep = new Set<string>();
    for (const { publisher, kind, layer } of wanted) {
      if (publisher === member.sessionId) continue;
      const key = trackKey(publisher, kind);
      keep.add(key);
      const target = this.fit(publisher, kind, layer, member);
      const watch = mine.get(key);
      if (!watch) {
        // A receiver that took the defaults gets layer 0 already: it keeps it until the switch.
        const current = wasDefault ? 0 : NONE;
        const fresh: Watch = { member, publisher, kind, asked: layer, current, target };
        mine.set(key, fresh);
        this.file(fresh, current);
        this.file(fresh, target);
        if (target !== current) this.hooks.keyframeWanted(member, publisher, kind, target);
      } else {
        watch.asked = layer;
        this.retarget(watch, target);
      }
    }
    for (const [key, watch] of mine) {
      if (keep.has(key)) continue;
      mine.delete(key);
      this.unfile(watch);
    }
    this.hooks.changed();
  }

  /** `publisher` announced other layers: each watch of it gets the layer nearest what it asked for. */
  layersChanged(publisher: string): void {
    for (const [key, layers] of this.tracks) {
      if (!key.startsWith(`${publisher} `)) continue;
      const watches = new Set<Watch>();
      for (const set of layers) if (set) for (const watch of set) watches.add(watch);
      for (const watch of watches) this.retarget(watch, this.fit(publisher, watch.kind, watch.asked, watch.member));
    }
    this.hooks.changed();
  }

  /**
   * Holds `member` at layer `floor` or smaller (congestion control; 0 lifts it):
   * each of its tracks moves at that layer's next keyframe.
   */
  setFloor(member: RoomMember, floor: number): void {
    if ((this.floors.get(member) ?? 0) === floor) return;
    if (floor > 0) this.floors.set(member, floor);
    else this.floors.delete(member);
    const mine = this.watches.get(member);
    if (!mine) return;
    for (const watch of mine.values()) this.retarget(watch, this.fit(watch.publisher, watch.kind, watch.asked, member));
    this.hooks.changed();
  }

  /**
   * Forwards a video or screen frame to the receivers of its layer. Hot path:
   * the defaults (layer 0 only), then the watches filed under this layer.
   */
  deliver(msg: BusMessage): void {
    const { sender, layer } = msg;
    if (layer === 0) {
      for (const member of this.defaults) {
        if (member.sessionId === sender) continue;
        // Defaults have no smaller layer to go to: a congested receiver only gets fewer frames.
        if (msg.droppable && this.floors.has(member)) this.hooks.thinned?.();
        else this.hooks.deliver(member, msg);
      }
    }
    if (this.tracks.size === 0) return;
    const set = this.tracks.get(trackKey(sender, msg.kind))?.[layer];
    if (!set) return;
    for (const watch of set) {
      if (watch.current === layer) {
        if (msg.droppable && this.thins(watch)) this.hooks.thinned?.();
        else this.hooks.deliver(watch.member, msg);
      } else if (!msg.keyframe) {
        // `layer` is this watch's target and it has no keyframe of it yet.
        this.hooks.droppedAwaitingLayer();
        this.hooks.keyframeWanted(watch.member, sender, msg.kind, layer);
      } else {
        // The switch: from this keyframe on, the target layer is the one forwarded.
        const old = watch.current;
        watch.current = layer;
        if (old !== NONE) this.unfileLayer(watch, old);
        this.hooks.deliver(watch.member, msg);
        this.hooks.changed();
      }
    }
  }

  /** Layers of `publisher`'s `kind` someone here watches (bit per layer), defaults included. */
  demandOf(publisher: string, kind: number): number {
    let mask = this.takesDefaults(publisher) ? 1 : 0;
    const layers = this.tracks.get(trackKey(publisher, kind));
    if (layers) for (let l = 0; l < layers.length; l++) if (layers[l]?.size) mask |= 1 << l;
    return mask;
  }

  /** Whether a receiver here other than `publisher` takes the defaults (so wants its layer 0). */
  takesDefaults(publisher: string): boolean {
    const n = this.defaults.size;
    if (n === 0) return false;
    if (n > 1) return true;
    for (const member of this.defaults) return member.sessionId !== publisher;
    return false;
  }

  /** Up to two receivers taking the defaults: enough to tell whether anyone but a given publisher does. */
  someDefaults(): string[] {
    const out: string[] = [];
    for (const member of this.defaults) {
      out.push(member.sessionId);
      if (out.length === 2) break;
    }
    return out;
  }

  /** Every publisher-track watched here, with its layers as a bit mask (defaults not included). */
  *watched(): IterableIterator<[publisher: string, kind: number, mask: number]> {
    for (const [key, layers] of this.tracks) {
      let mask = 0;
      for (let l = 0; l < layers.length; l++) if (layers[l]?.size) mask |= 1 << l;
      const space = key.lastIndexOf(' ');
      if (mask) yield [key.slice(0, space), Number(key.slice(space + 1)), mask];
    }
  }

  /**
   * `asked`, no larger than `member`'s congestion floor allows, fitted to the
   * layers `publisher` announced: the smallest it has when it has fewer.
   * A screen share lags the floor by one step: the cameras give way first, so
   * the text people read stays sharp for as long as something else can yield.
   */
  private fit(publisher: string, kind: number, asked: number, member: RoomMember): number {
    const count = this.hooks.layerCount(publisher, kind);
    const floor = this.floors.get(member) ?? 0;
    const held = kind === TrackKind.SCREEN ? Math.max(0, floor - 1) : floor;
    return Math.min(Math.max(asked, held), Math.max(count, 1) - 1);
  }

  /**
   * Whether `watch`'s receiver is congested past what a smaller layer relieves:
   * then the frames nothing depends on (temporal layer 1) are held back and it
   * gets half the frame rate at the same size. A screen share does so at the
   * first step (sharpness before motion: text must stay readable), a camera
   * one step past its smallest layer.
   */
  private thins(watch: Watch): boolean {
    const floor = this.floors.get(watch.member) ?? 0;
    if (floor === 0) return false;
    if (watch.kind === TrackKind.SCREEN) return true;
    return floor > Math.max(this.hooks.layerCount(watch.publisher, watch.kind), 1) - 1;
  }

  private retarget(watch: Watch, target: number): void {
    if (watch.target === target) return;
    if (watch.target !== watch.current) this.unfileLayer(watch, watch.target);
    watch.target = target;
    if (target === watch.current) return;
    this.file(watch, target);
    this.hooks.keyframeWanted(watch.member, watch.publisher, watch.kind, target);
  }

  private file(watch: Watch, layer: number): void {
    if (layer === NONE) return;
    const key = trackKey(watch.publisher, watch.kind);
    let layers = this.tracks.get(key);
    if (!layers) this.tracks.set(key, (layers = []));
    let set = layers[layer];
    if (!set) layers[layer] = set = new Set();
    if (set.has(watch)) return;
    set.add(watch);
    if (set.size === 1) this.hooks.layerWatched?.(watch.publisher, watch.kind, layer, true);
  }

  private unfile(watch: Watch): void {
    if (watch.current !== NONE) this.unfileLayer(watch, watch.current);
    if (watch.target !== watch.current) this.unfileLayer(watch, watch.target);
  }

  private unfileLayer(watch: Watch, layer: number): void {
    const key = trackKey(watch.publisher, watch.kind);
    const layers = this.tracks.get(key);
    const set = layers?.[layer];
    if (!layers || !set?.delete(watch)) return;
    if (set.size > 0) return;
    layers[layer] = undefined;
    this.hooks.layerWatched?.(watch.publisher, watch.kind, layer, false);
    if (layers.every((s) => !s)) this.tracks.delete(key);
  }
}
