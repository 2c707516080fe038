/**
 * What the receivers on the other relay nodes of a room watch, so that the
 * node a publisher is connected to tells it the layers the whole room wants
 * (`LayerDemand`) and puts on the bus only the layers some other node wants.
 *
 * Each node publishes its part on `room.<room>.demand` (`subjects.demand`): on
 * every change, and again every `refreshMs` so that a node that dies without a
 * goodbye stops counting after `3 × refreshMs`. A node that opens the room asks
 * (`ask`), and the others answer with their part at once. A node leaving the
 * room publishes an empty part. JSON: rare, small (one entry per watched track).
 */
import { BusMessageError } from './bus/bus-message.js';

/** One node's demand in a room, as it goes on the bus. */
export interface DemandMessage {
  /** Format version, 1. */
  v: 1;
  /** The node whose receivers these are. */
  node: string;
  /**
   * Up to two receivers there that sent no Subscription (they take layer 0 of
   * every publisher): two say "everyone's layer 0", one says "everyone's but its own".
   */
  defaults: string[];
  /** Watched tracks: publisher, `TrackKind`, bit mask of layers. */
  tracks: Array<[string, number, number]>;
  /** Set by a node that just opened the room: the others answer with theirs. */
  ask?: boolean;
}

interface NodeDemand {
  defaults: string[];
  masks: Map<string, number>;
  expiresAt: number;
}

const MAX_TRACKS = 100_000;
const key = (publisher: string, kind: number): string => `${publisher} ${kind}`;

/** Reads a demand message; throws {@link BusMessageError} on anything else. */
export function decodeDemand(payload: Uint8Array): DemandMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new BusMessageError('demand message is not JSON');
  }
  const m = msg as Partial<DemandMessage>;
  if (
    m?.v !== 1 ||
    typeof m.node !== 'string' ||
    !Array.isArray(m.defaults) ||
    !m.defaults.every((d) => typeof d === 'string') ||
    !Array.isArray(m.tracks) ||
    m.tracks.length > MAX_TRACKS ||
    !m.tracks.every(
      (t) => Array.isArray(t) && typeof t[0] === 'string' && Number.isInteger(t[1]) && Number.isInteger(t[2]),
    )
  ) {
    throw new BusMessageError('not a demand message');
  }
  return m as DemandMessage;
}

export function encodeDemand(msg: DemandMessage): Uint8Array {
  return Buffer.from(JSON.stringify(msg));
}

export class RemoteDemand {
  private readonly nodes = new Map<string, NodeDemand>();

  constructor(
    /** How long a node's part counts after it was last heard. */
    private readonly ttlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Takes `msg` as the whole of its node's demand. Returns `'grew'` when it
   * watches something it did not (a publisher here should hear at once),
   * `'changed'` for any other change, `'same'` otherwise.
   */
  apply(msg: DemandMessage): 'grew' | 'changed' | 'same' {
    const masks = new Map<string, number>();
    for (const [publisher, kind, mask] of msg.tracks) if (mask) masks.set(key(publisher, kind), mask);
    const before = this.nodes.get(msg.node);
    const empty = masks.size === 0 && msg.defaults.length === 0;
    if (empty) {
      this.nodes.delete(msg.node);
      return before !== undefined ? 'changed' : 'same';
    }
    const defaults = msg.defaults.slice(0, 2);
    this.nodes.set(msg.node, { defaults, masks, expiresAt: this.now() + this.ttlMs });
    if (!before) return 'grew';
    if (defaults.some((d) => !before.defaults.includes(d))) return 'grew';
    for (const [k, mask] of masks) if (mask & ~(before.masks.get(k) ?? 0)) return 'grew';
    return sameDemand(before, defaults, masks) ? 'same' : 'changed';
  }

  /** Drops the part of `node` (gone). Returns whether it had one. */
  dropNode(node: string): boolean {
    return this.nodes.delete(node);
  }

  /** Drops parts not refreshed in time. Returns whether any was dropped. */
  expire(): boolean {
    const now = this.now();
    let changed = false;
    for (const [node, demand] of this.nodes) {
      if (demand.expiresAt > now) continue;
      this.nodes.delete(node);
      changed = true;
    }
    return changed;
  }

  /** Layers of `publisher`'s `kind` the other nodes' receivers watch (bit per layer). */
  demandOf(publisher: string, kind: number): number {
    let mask = 0;
    for (const demand of this.nodes.values()) {
      mask |= demand.masks.get(key(publisher, kind)) ?? 0;
      const d = demand.defaults;
      if (d.length > 1 || (d.length === 1 && d[0] !== publisher)) mask |= 1;
    }
    return mask;
  }
}

function sameDemand(a: NodeDemand, defaults: string[], masks: Map<string, number>): boolean {
  if (a.defaults.length !== defaults.length || a.defaults.some((d, i) => d !== defaults[i])) return false;
  if (a.masks.size !== masks.size) return false;
  for (const [k, v] of masks) if (a.masks.get(k) !== v) return false;
  return true;
}
