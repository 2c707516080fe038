/**
 * Joins of a big room, announced together. One join announced alone is one
 * message to each member, so a room that fills up one joiner at a time sends a
 * number of messages that grows with the square of its size, and each is a
 * socket write. Once the room is big (`from` participants), a join waits up to
 * `windowMs` for the ones after it, and each member then gets one `PeersJoined`
 * listing them all; a small room announces each join at once.
 *
 * Order is kept by the room: anything a held joiner causes (its media, its
 * presence, a message to someone) and any other presence flushes the batch
 * first, so nobody hears of a participant before its join. A member admitted
 * while joins are held got them in its Welcome: it is sent only the later ones;
 * but a connection that takes over a participant's older one (a transport
 * upgrade, a resume) is sent what the older one was still owed, since a client
 * moving its call does not read the roster again.
 * Clients that did not set `Join.batched_presence` get each join as its own
 * `PeerJoined`, at the same moment.
 */
import { encodeEnvelope, type ParticipantInit } from '../src/protocol/index.js';
import { BodyField } from './body-types.js';
import type { RoomMember } from './room-member.js';

/** When joins gather. */
export interface JoinBatchOptions {
  /** Longest a join waits for the ones after it, in ms; 0 announces every join at once. */
  windowMs: number;
  /** Room size (everyone in its roster, on every node) from which joins gather. */
  from: number;
}

/** A join held for the batch: who, and its `PeerJoined` as a member would get it alone. */
export interface HeldJoin {
  id: string;
  participant: ParticipantInit;
  bytes: Uint8Array;
}

/** How a batch reaches one member: `deliverControl`'s arguments. */
export type JoinDelivery = (member: RoomMember, bytes: Uint8Array, body: number, sender: string) => void;

export class JoinBatch {
  private held: HeldJoin[] = [];
  private ids = new Set<string>();
  /** Members admitted while joins were held: the first held join each did not get in its Welcome. */
  private starts = new Map<RoomMember, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: JoinBatchOptions,
    /** Called when the window ends: the room delivers the batch (`deliver`). */
    private readonly due: () => void,
  ) {}

  /** Joins held now. */
  get size(): number {
    return this.held.length;
  }

  /** Whether `id`'s join is held (not yet announced here). */
  holds(id: string): boolean {
    return this.ids.has(id);
  }

  /** Whether a join into a room of `roomSize` (it included) waits: the room is big, or joins already wait. */
  shouldHold(roomSize: number): boolean {
    return this.held.length > 0 || (this.options.windowMs > 0 && roomSize >= this.options.from);
  }

  /** Holds a join until the window ends (or the room flushes the batch sooner). */
  hold(join: HeldJoin): void {
    if (this.held.length === 0) {
      this.timer = setTimeout(this.due, this.options.windowMs);
      this.timer.unref();
    }
    this.held.push(join);
    this.ids.add(join.id);
  }

  /**
   * `member` was admitted now: its Welcome lists the joins held so far. When it
   * takes over `replacing` (the same participant's older connection), it is owed
   * what that one was: the client keeps the roster it had.
   */
  admitted(member: RoomMember, replacing?: RoomMember): void {
    if (replacing) {
      const start = this.starts.get(replacing);
      if (start === undefined) this.starts.delete(member);
      else this.starts.set(member, start);
      return;
    }
    if (this.held.length > 0) this.starts.set(member, this.held.length);
  }

  /**
   * Announces the held joins to `members` and starts a new batch: one
   * `PeersJoined` to each member that reads it (members admitted at the same
   * point share the encoded message), one `PeerJoined` per join to the others.
   */
  deliver(members: Iterable<RoomMember>, send: JoinDelivery): void {
    const { held, starts, ids } = this;
    this.clear();
    if (held.length === 0) return;
    const encoded = new Map<number, Uint8Array>();
    for (const member of members) {
      let start = starts.get(member) ?? 0;
      // Its own join comes right after what its Welcome listed.
      if (held[start]?.id === member.sessionId) start++;
      if (start >= held.length) continue;
      if (!member.batchedPresence || start === held.length - 1) {
        for (let i = start; i < held.length; i++) {
          if (held[i].id !== member.sessionId) send(member, held[i].bytes, BodyField.peerJoined, held[i].id);
        }
        continue;
      }
      // Its join held further on (it rejoined meanwhile): never told of itself.
      if (ids.has(member.sessionId) && held.some((join, i) => i >= start && join.id === member.sessionId)) {
        const others = held.slice(start).filter((join) => join.id !== member.sessionId);
        if (others.length > 0) send(member, encodeJoins(others), BodyField.peersJoined, '');
        continue;
      }
      let bytes = encoded.get(start);
      if (!bytes) {
        bytes = encodeJoins(held.slice(start));
        encoded.set(start, bytes);
      }
      send(member, bytes, BodyField.peersJoined, '');
    }
  }

  /** Forgets what is held, without announcing it (the room closes). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.held = [];
    this.ids = new Set();
    this.starts = new Map();
  }
}

function encodeJoins(joins: readonly HeldJoin[]): Uint8Array {
  return encodeEnvelope({ peersJoined: { participants: joins.map((join) => join.participant) } });
}
