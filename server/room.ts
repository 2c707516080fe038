/**
 * One room as this relay node sees it: the participants connected here
 * (`members`), the whole room's roster (this node's copy, each entry tagged with
 * the node its participant is connected to), and the room's bus subscriptions
 * while it has members.
 *
 * What a participant sends is delivered to the other participants on this node
 * directly, then published on the bus for the other nodes: local calls never
 * wait for, or depend on, the bus. Messages a node gets back from the bus carry
 * the publishing node's id, so its own are ignored whether or not the bus echoes.
 *
 * The roster copy is kept from presence events (joined, left, media state) and
 * from roster snapshots (`cluster.ts`): a node's snapshot is the truth about that
 * node's participants, and a node that is gone takes exactly its entries along.
 *
 * **Resume.** A participant whose connection died, or whose relay died or stopped,
 * is held in the roster for `graceMs` before anyone is told it left: if it comes
 * back within it (`admit` with a resume), here or on another node, the others see
 * nothing. The node it was connected to holds its own participants (and tells the
 * room when the grace ends); every other node holds the participants of a node
 * that is gone. A participant resumed on another node is announced there as
 * joined; nodes that know it only move its roster entry, and a node that still
 * has a connection of it closes that one as `session-replaced`.
 */
import {
  CloseCode,
  encodeEnvelope,
  ErrorCode,
  ModerationAction,
  sameMediaState,
  type MediaStateInit,
  type ParticipantInit,
} from '../src/protocol/index.js';
import { BodyField } from './body-types.js';
import type { Bus, BusSubscription } from './bus/bus.js';
import {
  busMessageLength,
  decodeBusMessage,
  encodeBusMessage,
  envelopeOf,
  isFromNode,
  type BusMessage,
} from './bus/bus-message.js';
import { lastToken, subjects } from './bus/subjects.js';
import { ProtocolError } from './errors.js';
import { Lobby } from './lobby.js';
import { createLogger } from './log.js';
import { decodeRoomControl, encodeRoomControl, type RoomControl } from './room-control.js';
import { checkedPresence, checkedTargeted, isSessionId } from './presence-validation.js';
import type { ClusterRoom } from './cluster-room.js';
import type { LocalNode } from './local-node.js';
import type { Metrics } from './metrics.js';
import { isFinalLeave, type LeaveReason, type ReplacedHow, type RoomMember } from './room-member.js';

const log = createLogger('room');

/** One roster entry: a participant and the relay node it is connected to. */
export interface RosterEntry {
  participant: ParticipantInit;
  node: string;
}

/** What a room needs besides the bus and its node. */
export interface RoomSettings {
  /** How long a departed participant (not `left`) is held for a resume. */
  graceMs: number;
  /** Called when the room may have become empty outside a `Rooms` call (a hold ended). */
  onIdle(room: Room): void;
}

/** A participant of this node held for a resume. */
interface Held {
  member: RoomMember;
  reason: LeaveReason;
  timer: NodeJS.Timeout;
}

/** What a room counts. */
export type RoomMetrics = Pick<Metrics, 'held' | 'dropped'> & Partial<Pick<Metrics, 'refused'>>;

export class Room implements ClusterRoom {
  /** Participants connected to this node and welcomed, by session id. */
  readonly members = new Map<string, RoomMember>();
  /** Everyone in the room on every node, by session id: this node's copy. */
  private readonly roster = new Map<string, RosterEntry>();
  /** Joiners waiting for the roster from the other nodes, in arrival order. */
  private readonly waiting = new Map<RoomMember, () => void>();
  private readonly presenceSubject: string;
  private readonly subscriptions: BusSubscription[];
  /** Each member's `to.<session id>` subscription. */
  private readonly targeted = new Map<string, BusSubscription>();
  /** This node's participants whose connection died, held for a resume, by session id. */
  private readonly held = new Map<string, Held>();
  /** Participants of nodes that are gone, held for a resume elsewhere: the timers, by session id. */
  private readonly orphans = new Map<string, NodeJS.Timeout>();
  private ready = false;
  private closed = false;
  /** Who waits for an admin to let them in, on every node. */
  readonly lobby: Lobby;
  /** An admin locked the room: joiners without `admin` wait in the lobby. */
  locked = false;
  private readonly controlSubject: string;

  constructor(
    readonly name: string,
    private readonly bus: Bus,
    private readonly node: LocalNode,
    private readonly metrics: RoomMetrics,
    private readonly settings: RoomSettings = { graceMs: 0, onIdle: () => {} },
  ) {
    this.presenceSubject = subjects.presence(name);
    this.controlSubject = subjects.roomControl(name);
    this.lobby = new Lobby(
      node.id,
      () => this.members.values(),
      (message) => this.publishControl(message),
    );
    this.subscriptions = [
      bus.subscribe(subjects.roomMedia(name), (_subject, payload) => this.onMedia(payload)),
      bus.subscribe(this.presenceSubject, (_subject, payload) => this.onPresence(payload)),
      bus.subscribe(this.controlSubject, (_subject, payload) => this.onControl(payload)),
    ];
    // The other nodes of the room tell us their waiters and whether it is locked.
    this.publishControl({ t: 'hello', node: node.id });
  }

  get size(): number {
    return this.roster.size;
  }

  /** No member, nobody waiting to join and nobody held for a resume: the room can be dropped. */
  get isEmpty(): boolean {
    return this.members.size === 0 && this.waiting.size === 0 && this.held.size === 0 && this.lobby.localCount === 0;
  }

  hasParticipant(id: string): boolean {
    return this.roster.has(id);
  }

  /** Participant `id`'s media state as the room knows it (with an admin's locks), if it is in the roster. */
  stateOf(id: string): MediaStateInit | undefined {
    return this.roster.get(id)?.participant.state ?? undefined;
  }

  /** The subject `id`'s media frames are published on. */
  mediaSubjectOf(id: string): string {
    return subjects.media(this.name, id);
  }

  /**
   * Runs `admit` once this node knows the room's roster: at once on a single node
   * or when the roster is known, else when the roster sync ends (`markReady`).
   * A member that leaves before is dropped from the queue by {@link remove}.
   */
  whenReady(member: RoomMember, admit: () => void): void {
    if (this.ready) admit();
    else this.waiting.set(member, admit);
  }

  /** The roster sync is over (complete, or timed out): admit whoever waits. Idempotent. */
  markReady(): void {
    if (this.ready || this.closed) return;
    this.ready = true;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const admit of waiting) admit();
  }

  /**
   * Adds a local participant and returns everyone else in the room (for `Welcome`),
   * and whether the room already knew it (a resume of a participant still in the
   * roster, held or not). The roster copy is updated at once, so capacity checks
   * and rosters are right however late the bus delivers. Across nodes the capacity
   * check is as good as this node's roster copy: two nodes admitting at the same
   * moment can both pass.
   */
  admit(
    member: RoomMember,
    me: ParticipantInit,
    maxRoomSize: number,
    resume = false,
    /** How a connection of this participant still open here is closed (see `RoomMember.replaced`). */
    replacing: ReplacedHow = 'session-replaced',
  ): { others: ParticipantInit[]; known: boolean } {
    const id = member.sessionId;
    if (member.hidden) return this.admitHidden(member);
    const known = resume && this.roster.has(id);
    // Participants held for a resume keep their place in the roster but not in the count:
    // connections that died together must not lock the room as full for the grace period.
    if (!known && this.roster.size - this.held.size - this.orphans.size >= maxRoomSize) {
      throw new ProtocolError(
        ErrorCode.RoomFull,
        `room "${this.name}" is full (${maxRoomSize} participants)`,
        CloseCode.RoomFull,
      );
    }
    const others: ParticipantInit[] = [];
    for (const [other, entry] of this.roster) if (other !== id) others.push(entry.participant);
    if (resume) this.endHold(id, 'resumed');
    // A connection of this participant still open here (the client saw it die first): replaced below.
    const old = this.members.get(id);
    this.members.set(id, member);
    this.roster.set(id, { participant: me, node: this.node.id });
    this.targeted.get(id)?.unsubscribe();
    this.targeted.set(
      id,
      this.bus.subscribe(subjects.to(this.name, id), (subject, payload) => this.onTargeted(subject, payload)),
    );
    // After the new member holds the id, so removing the old one takes nothing with it.
    if (old && old !== member) old.replaced(replacing);
    return { others, known };
  }

  /** A hidden member: delivered to like the others, but in no roster and addressable by nobody. */
  private admitHidden(member: RoomMember): { others: ParticipantInit[]; known: boolean } {
    const others: ParticipantInit[] = [];
    for (const entry of this.roster.values()) others.push(entry.participant);
    const old = this.members.get(member.sessionId);
    this.members.set(member.sessionId, member);
    if (old && old !== member) old.replaced();
    return { others, known: false };
  }

  /**
   * Tells the room that `member` joined: this node's members, then the other
   * nodes. A participant the room knew (a resume) is news to no member here; the
   * other nodes still hear it, to move its roster entry to this node.
   */
  announceJoin(member: RoomMember, me: ParticipantInit, known = false): void {
    const bytes = encodeEnvelope({ from: member.sessionId, peerJoined: { participant: me } });
    if (!known) return this.publishPresence(member, BodyField.peerJoined, bytes);
    const payload = encodeBusMessage({ body: BodyField.peerJoined, keyframe: false, kind: 0 }, member.origin, bytes);
    this.bus.publish(this.presenceSubject, payload);
  }

  /**
   * Removes a local participant. One that left is gone at once (the room is told);
   * one whose connection died is held for the grace period; a connection that a
   * resume replaced takes nothing along (the participant is still here).
   */
  remove(member: RoomMember, reason: LeaveReason): void {
    if (this.waiting.delete(member)) return;
    if (this.lobby.leave(member as RoomMember & { admitFromLobby(): void; deniedFromLobby(): void })) return;
    // Not this connection's any more: a resume took the id over.
    if (this.members.get(member.sessionId) !== member) return;
    this.members.delete(member.sessionId);
    this.targeted.get(member.sessionId)?.unsubscribe();
    this.targeted.delete(member.sessionId);
    if (reason === 'replaced' || member.hidden) return;
    if (!isFinalLeave(reason) && this.settings.graceMs > 0) {
      const timer = setTimeout(() => this.holdExpired(member.sessionId), this.settings.graceMs);
      timer.unref();
      this.held.set(member.sessionId, { member, reason, timer });
      return;
    }
    this.depart(member, reason);
  }

  /** A local participant is gone for good: forget it and tell the room why. */
  private depart(member: RoomMember, reason: LeaveReason): void {
    this.roster.delete(member.sessionId);
    for (const other of this.members.values()) other.forgetPeer(member.sessionId);
    const bytes = encodeEnvelope({ from: member.sessionId, peerLeft: { id: member.sessionId, reason } });
    this.publishPresence(member, BodyField.peerLeft, bytes);
  }

  /** The grace of a participant held here ended without a resume: it left. */
  private holdExpired(id: string): void {
    const held = this.held.get(id);
    if (!held) return;
    this.held.delete(id);
    this.metrics.held.inc('expired');
    // Resumed on another node meanwhile: that node owns the entry now.
    if (this.roster.get(id)?.node === this.node.id) this.depart(held.member, held.reason);
    this.settings.onIdle(this);
  }

  /** Stops holding `id` (here or for a node that is gone): it came back. */
  private endHold(id: string, outcome: 'resumed'): void {
    const held = this.held.get(id);
    if (held) {
      clearTimeout(held.timer);
      this.held.delete(id);
      this.metrics.held.inc(outcome);
    }
    const orphan = this.orphans.get(id);
    if (orphan) {
      clearTimeout(orphan);
      this.orphans.delete(id);
      this.metrics.held.inc(outcome);
    }
  }

  /**
   * Sends a client's media frame (`raw`, as received) stamped with its sender to
   * the other members here, then to the other nodes. A frame the bus cannot carry
   * is refused as a whole (`too-large`), so every node sees the same frames.
   */
  publishMedia(member: RoomMember, subject: string, raw: Uint8Array, kind: number, keyframe: boolean): void {
    const length = busMessageLength(member.origin, raw.length + member.stamp.length);
    const max = this.bus.maxPayload;
    if (length > max) {
      this.metrics.dropped.inc('bus-max-payload');
      throw new ProtocolError(
        ErrorCode.TooLarge,
        `a ${raw.length}-byte frame is more than the relays' bus carries (${maxEnvelopeBytes(max, member)} bytes): send smaller frames`,
      );
    }
    const meta = { body: BodyField.media, keyframe, kind };
    const payload = encodeBusMessage(meta, member.origin, raw, member.stamp);
    this.deliverMedia({
      ...meta,
      sender: member.sessionId,
      node: this.node.id,
      envelope: envelopeOf(payload, member.origin),
    });
    this.bus.publish(subject, payload);
  }

  /** Sends a client's `MediaState` (`raw`, as received), stamped, as presence; keeps it in the roster. */
  publishState(member: RoomMember, raw: Uint8Array, state: MediaStateInit): void {
    const entry = this.roster.get(member.sessionId);
    if (entry) entry.participant.state = state;
    this.publishPresence(member, BodyField.mediaState, raw, member.stamp);
  }

  /** Sends control to one participant, wherever it is connected. */
  sendTo(sender: RoomMember, target: string, body: number, ...parts: Uint8Array[]): void {
    const local = this.members.get(target);
    if (local) {
      local.deliverControl(parts.length === 1 ? parts[0] : Buffer.concat(parts), body);
      return;
    }
    const payload = encodeBusMessage({ body, keyframe: false, kind: 0 }, sender.origin, ...parts);
    this.bus.publish(subjects.to(this.name, target), payload);
  }

  /** This node's members (and those it holds) as roster entries: what it tells the other nodes in a roster sync. */
  snapshot(): ParticipantInit[] {
    const out: ParticipantInit[] = [];
    for (const id of [...this.members.keys(), ...this.held.keys()]) {
      const entry = this.roster.get(id);
      if (entry) out.push(entry.participant);
    }
    return out;
  }

  /**
   * Takes `node`'s list of its participants here as the truth about them: its
   * entries not listed are gone, listed ones are added or updated. Members here
   * hear of each change as if it had come as presence.
   */
  applySnapshot(node: string, participants: ParticipantInit[]): void {
    if (node === this.node.id) return;
    const listed = new Set(participants.map((p) => p.id));
    for (const [id, entry] of this.roster) {
      if (entry.node === node && !listed.has(id)) this.peerGone(id, 'disconnected');
    }
    for (const participant of participants) {
      const id = participant.id;
      // A node may not speak for a participant connected here.
      if (!id || this.members.has(id)) continue;
      const before = this.roster.get(id);
      this.roster.set(id, { participant, node });
      if (!before) {
        this.deliverControl(id, BodyField.peerJoined, encodeEnvelope({ from: id, peerJoined: { participant } }));
      } else if (!sameMediaState(before.participant.state, participant.state)) {
        this.deliverControl(id, BodyField.mediaState, encodeEnvelope({ from: id, mediaState: participant.state }));
      }
    }
  }

  /**
   * `node` is gone: its participants are held for the grace period, then reported
   * gone with `reason` unless they resumed (on any node) meanwhile. Returns how many there were.
   */
  dropNode(node: string, reason: LeaveReason = 'disconnected'): number {
    this.lobby.dropNode(node);
    let n = 0;
    for (const [id, entry] of this.roster) {
      if (entry.node !== node) continue;
      n++;
      if (this.settings.graceMs <= 0) {
        this.peerGone(id, reason);
        continue;
      }
      if (this.orphans.has(id)) continue;
      const timer = setTimeout(() => {
        this.orphans.delete(id);
        if (this.roster.get(id)?.node !== node) return; // resumed elsewhere
        this.metrics.held.inc('expired');
        this.peerGone(id, reason);
      }, this.settings.graceMs);
      timer.unref();
      this.orphans.set(id, timer);
    }
    return n;
  }

  /**
   * An admin (`by`) locked or unlocked the room, here or (`remote`) on another
   * node: every member here hears of it (`Moderation` from the admin).
   */
  setLocked(locked: boolean, by: string, remote = false): void {
    // Another node's answer to a `hello` repeats what is known: nothing to tell anyone.
    if (remote && locked === this.locked) return;
    this.locked = locked;
    if (!remote) this.publishControl({ t: 'lock', node: this.node.id, locked, by });
    const action = locked ? ModerationAction.LOCK_ROOM : ModerationAction.UNLOCK_ROOM;
    const bytes = encodeEnvelope({ from: by, moderation: { action } });
    this.deliverControl('', BodyField.moderation, bytes);
  }

  /** An admin ended the meeting, here or (`remote`) on another node: everyone here, waiters too, is closed. */
  end(by: string, remote = false): void {
    if (!remote) this.publishControl({ t: 'end', node: this.node.id, by });
    for (const member of [...this.members.values()]) member.meetingEnded?.();
    for (const waiter of this.lobby.localWaiters()) (waiter as Partial<RoomMember>).meetingEnded?.();
  }

  /** Stops listening to the bus and holding anyone: the last local participant left, or the relay stops. */
  close(): void {
    this.closed = true;
    for (const sub of this.subscriptions) sub.unsubscribe();
    for (const sub of this.targeted.values()) sub.unsubscribe();
    this.targeted.clear();
    for (const held of this.held.values()) clearTimeout(held.timer);
    this.held.clear();
    for (const timer of this.orphans.values()) clearTimeout(timer);
    this.orphans.clear();
  }

  private publishControl(message: RoomControl): void {
    try {
      this.bus.publish(this.controlSubject, encodeRoomControl(message));
    } catch (err) {
      log.error('room control publish failed', { room: this.name, err });
    }
  }

  /** A lobby, lock or end message from another node, checked like client input. */
  private onControl(payload: Uint8Array): void {
    const message = decodeRoomControl(payload);
    if (!message) {
      this.metrics.refused?.inc('bus-bad-room-control');
      return;
    }
    if (message.node === this.node.id) return;
    switch (message.t) {
      case 'lock':
        return this.setLocked(message.locked, message.by, true);
      case 'end':
        return this.end(message.by, true);
      case 'hello':
        if (this.locked) this.publishControl({ t: 'lock', node: this.node.id, locked: true, by: '' });
        return this.lobby.onControl(message);
      default:
        return this.lobby.onControl(message);
    }
  }

  private publishPresence(member: RoomMember, body: number, ...parts: Uint8Array[]): void {
    const payload = encodeBusMessage({ body, keyframe: false, kind: 0 }, member.origin, ...parts);
    this.deliverControl(member.sessionId, body, envelopeOf(payload, member.origin));
    this.bus.publish(this.presenceSubject, payload);
  }

  /** A roster entry is gone: forget it and tell the members here. */
  private peerGone(id: string, reason: LeaveReason): void {
    this.roster.delete(id);
    for (const member of this.members.values()) member.forgetPeer(id);
    this.deliverControl(id, BodyField.peerLeft, encodeEnvelope({ from: id, peerLeft: { id, reason } }));
  }

  // Hot path: one header read, then a send per local receiver. A bus that echoes
  // (the local one) brings back every frame this node published: skip it unread.
  private onMedia(payload: Uint8Array): void {
    if (isFromNode(payload, this.node.idBytes)) return;
    const msg = this.readBus(payload);
    // Only the header is checked (frames are never decoded here): a media frame of a known kind from a session id.
    if (!msg || msg.body !== BodyField.media || msg.kind < 1 || msg.kind > 3 || !isSessionId(msg.sender)) {
      this.metrics.refused?.inc('bus-bad-media');
      return;
    }
    this.deliverMedia(msg);
  }

  /** A bus message's header, or undefined (counted by the caller) when it is not one. */
  private readBus(payload: Uint8Array): BusMessage | undefined {
    try {
      return decodeBusMessage(payload);
    } catch {
      return undefined;
    }
  }

  /** A receiver that throws must not stop delivery to the others. */
  private deliverMedia(msg: BusMessage): void {
    for (const member of this.members.values()) {
      if (member.sessionId === msg.sender) continue;
      try {
        member.deliverMedia(msg);
      } catch (err) {
        log.error('media delivery failed', { room: this.name, session: member.sessionId, err });
      }
    }
  }

  /**
   * Presence from another node, checked and rebuilt like client input (see
   * `presence-validation.ts`; malformed ones are dropped and counted). Presence is
   * rare, so decoding it here (to keep the roster copy) costs nothing that matters.
   * Each change reaches the members here once: a join already known (from a
   * snapshot) or a leave of an entry another node now owns (the participant moved)
   * is not passed on.
   */
  private onPresence(payload: Uint8Array): void {
    const msg = this.readBus(payload);
    if (msg?.node === this.node.id) return;
    const checked = msg && isSessionId(msg.node) ? checkedPresence(msg.envelope, msg.sender) : undefined;
    if (!msg || !checked) {
      this.metrics.refused?.inc('bus-bad-presence');
      return;
    }
    this.node.seen(msg.node);
    const envelope = checked.envelope;
    switch (envelope.body) {
      case 'peerJoined': {
        const participant = envelope.peerJoined!.participant!;
        const id = msg.sender;
        const known = this.roster.has(id);
        this.roster.set(id, { participant, node: msg.node });
        // It resumed on that node: stop holding it, and close a connection of it still open here.
        this.endHold(id, 'resumed');
        this.members.get(id)?.replaced();
        if (known) return;
        break;
      }
      case 'peerLeft': {
        const id = msg.sender;
        const entry = this.roster.get(id);
        if (entry?.node !== msg.node) return;
        this.roster.delete(id);
        for (const member of this.members.values()) member.forgetPeer(id);
        break;
      }
      case 'mediaState': {
        const entry = this.roster.get(msg.sender);
        if (!entry || entry.node !== msg.node) return;
        entry.participant.state = envelope.mediaState!;
        break;
      }
      default:
        return;
    }
    this.deliverControl(msg.sender, checked.body, checked.bytes);
  }

  private onTargeted(subject: string, payload: Uint8Array): void {
    const target = this.members.get(lastToken(subject));
    if (!target) return;
    const msg = this.readBus(payload);
    if (msg?.node === this.node.id) return;
    const bytes = msg ? checkedTargeted(msg.envelope, msg.sender, msg.body) : undefined;
    if (!msg || !bytes) {
      this.metrics.refused?.inc('bus-bad-targeted');
      return;
    }
    try {
      target.deliverControl(bytes, msg.body);
    } catch (err) {
      log.error('control delivery failed', { room: this.name, session: target.sessionId, err });
    }
  }

  private deliverControl(sender: string, body: number, bytes: Uint8Array): void {
    for (const member of this.members.values()) {
      if (member.sessionId === sender) continue;
      try {
        member.deliverControl(bytes, body);
      } catch (err) {
        log.error('control delivery failed', { room: this.name, session: member.sessionId, err });
      }
    }
  }
}

/** The largest envelope `member` can send through a bus carrying `maxPayload` bytes. */
export function maxEnvelopeBytes(maxPayload: number, member: Pick<RoomMember, 'origin' | 'stamp'>): number {
  return maxPayload - busMessageLength(member.origin, member.stamp.length);
}
