/**
 * This relay node as its rooms see it: its identity, and the roster sync a room
 * asks for when it opens here. `ClusterNode` is the one the relay uses.
 */
import type { ClusterRoom } from './cluster-room.js';

/** This relay node's identity, as a room needs it. */
export interface LocalNode {
  readonly id: string;
  /** {@link id} as ASCII bytes, as bus message headers carry it. */
  readonly idBytes: Uint8Array;
  /** Called when a message from another node shows that node is alive. */
  seen(node: string): void;
}

/** What `Rooms` needs of the cluster: the node's identity, and a roster sync when a room opens here. */
export interface RoomsNode extends LocalNode {
  /** A room just opened on this node: learn its roster, then `room.markReady()` (maybe at once). */
  openRoom(room: ClusterRoom): void;
}
