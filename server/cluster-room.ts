/**
 * What the cluster (`cluster-node.ts`) needs of a room on this node: its part
 * of the roster sync and what happens when a node goes. `Room` is the one the
 * relay uses.
 */
import type { ParticipantInit } from '../src/protocol/index.js';
import type { LeaveReason } from './room-member.js';

export interface ClusterRoom {
  readonly name: string;
  /** This node's participants there (held ones included): its answer in a roster sync. */
  snapshot(): ParticipantInit[];
  /** `node`'s list of its participants there, taken as the truth about them. */
  applySnapshot(node: string, participants: ParticipantInit[]): void;
  /**
   * The roster sync is over (complete, or timed out): admit whoever waits. Idempotent.
   * `lockKnown` false (a timeout): some node has not said whether the room is locked,
   * so joiners without `admin` keep waiting until {@link markLockKnown}.
   */
  markReady(lockKnown?: boolean): void;
  /** Every node has now said whether the room is locked (or is gone, or the wait ran out). */
  markLockKnown?(): void;
  /** Whether an admin locked the room (a roster sync answer carries it). */
  readonly locked?: boolean;
  /** Another node (`remote`) says the room is locked. */
  setLocked?(locked: boolean, by: string, remote?: boolean): void;
  /** `node` is gone: its participants leave (after the grace period). Returns how many there were. */
  dropNode(node: string, reason?: LeaveReason): number;
}

/** The rooms of this node, as the cluster looks them up. */
export interface RoomDirectory {
  get(name: string): ClusterRoom | undefined;
  values(): Iterable<ClusterRoom>;
}
