/**
 * A participant connected to this relay node, as its room sees it: what the
 * room delivers to and asks of a member. `Connection` is the one the relay
 * uses; the room needs nothing else of it, so a room can be built and tested
 * without a connection, a socket or the relay's context.
 */
import type { BusMessage, BusOrigin } from './bus/bus-message.js';

/**
 * Why a participant left, as others see it in `PeerLeft.reason`. Every reason but
 * `left` is a departure the participant may come back from (a resume), so the
 * room holds it for the grace period first; `replaced` is a connection a resume
 * took over, which nobody is told about.
 */
export type LeaveReason =
  | 'left'
  | 'timeout'
  | 'disconnected'
  | 'server-shutdown'
  | 'replaced'
  | 'expired'
  /** An admin removed it. */
  | 'removed'
  /** An admin ended the meeting. */
  | 'meeting-ended';

/** Reasons that are final: the participant is not held for a resume (it left, its access ended, an admin ended it). */
export function isFinalLeave(reason: LeaveReason): boolean {
  return reason === 'left' || reason === 'expired' || reason === 'removed' || reason === 'meeting-ended';
}

/** Why a member's connection was taken over: see {@link RoomMember.replaced}. */
export type ReplacedHow = 'session-replaced' | 'transport-upgrade';

export interface RoomMember {
  /** The participant's session id (the wire's `session_id`); a resume may change it before admission. */
  readonly sessionId: string;
  /** Who publishes what this member sends, for bus message headers. */
  readonly origin: BusOrigin;
  /** Appended to everything this member sends to others: sets `from` to its session id. */
  readonly stamp: Uint8Array;
  /**
   * A recorder or bot (`grants.hidden`): it receives what the room sends but is in
   * no roster and never announced, so nobody can see or address it.
   */
  readonly hidden?: boolean;
  /** The client reads `PeersJoined` (`Join.batched_presence`): a big room's joins reach it together. */
  readonly batchedPresence?: boolean;
  /** The access token grants `admin`: it hears who waits in the lobby (`Knock`). */
  readonly admin?: boolean;
  /** An admin ended the meeting (on any node): close, for good. */
  meetingEnded?(): void;
  /** A media frame of another participant (the room skips the sender). */
  deliverMedia(msg: BusMessage): void;
  /**
   * Control (presence, targeted messages) caused by `sender` (a session id; none
   * for the relay's own); never dropped for congestion, but within the receiver's
   * control byte budget.
   */
  deliverControl(bytes: Uint8Array, body: number, sender?: string): void;
  /** Participant `id` left: forget what was kept about it. */
  forgetPeer(id: string): void;
  /**
   * A resume of this participant on another connection took over: close this one,
   * quietly for the room. `how` says what the client is told: `session-replaced`
   * (an Error, then the close) or `transport-upgrade` (the same client moved to
   * its new connection on purpose: the close alone).
   */
  replaced(how?: ReplacedHow): void;
}
