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
 */
import {
  CloseCode,
  decodeEnvelope,
  encodeEnvelope,
  ErrorCode,
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
import { createLogger } from './log.js';
import type { Metrics } from './metrics.js';
import type { LeaveReason, Session } from './session.js';

const log = createLogger('room');

/** One roster entry: a participant and the relay node it is connected to. */
export interface RosterEntry {
  participant: ParticipantInit;
  node: string;
}

/** This relay node's identity, as rooms need it. */
export interface LocalNode {
  readonly id: string;
  /** {@link id} as ASCII bytes, as bus message headers carry it. */
  readonly idBytes: Uint8Array;
  /** Called when a message from another node shows that node is alive. */
  seen(node: string): void;
}

export class Room {
  /** Participants connected to this node and welcomed, by session id. */
  readonly members = new Map<string, Session>();
  /** Everyone in the room on every node, by session id: this node's copy. */
  private readonly roster = new Map<string, RosterEntry>();
  /** Joiners waiting for the roster from the other nodes, in arrival order. */
  private readonly waiting = new Map<Session, () => void>();
  private readonly presenceSubject: string;
  private readonly subscriptions: BusSubscription[];
  /** Each member's `to.<session>` subscription. */
  private readonly targeted = new Map<string, BusSubscription>();
  private ready = false;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly bus: Bus,
    private readonly node: LocalNode,
    private readonly metrics: Metrics,
  ) {
    this.presenceSubject = subjects.presence(name);
    this.subscriptions = [
      bus.subscribe(subjects.roomMedia(name), (_subject, payload) => this.onMedia(payload)),
      bus.subscribe(this.presenceSubject, (_subject, payload) => this.onPresence(payload)),
    ];
  }

  get size(): number {
    return this.roster.size;
  }

  /** No member and nobody waiting to join: the room can be dropped. */
  get isEmpty(): boolean {
    return this.members.size === 0 && this.waiting.size === 0;
  }

  hasParticipant(id: string): boolean {
    return this.roster.has(id);
  }

  /** The subject `id`'s media frames are published on. */
  mediaSubjectOf(id: string): string {
    return subjects.media(this.name, id);
  }

  /**
   * Runs `admit` once this node knows the room's roster: at once on a single node
   * or when the roster is known, else when the roster sync ends (`markReady`).
   * A session that leaves before is dropped from the queue by {@link remove}.
   */
  whenReady(session: Session, admit: () => void): void {
    if (this.ready) admit();
    else this.waiting.set(session, admit);
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
   * Adds a local participant and returns everyone else in the room (for `Welcome`).
   * The roster copy is updated at once, so capacity checks and rosters are right
   * however late the bus delivers. Across nodes the capacity check is as good as
   * this node's roster copy: two nodes admitting at the same moment can both pass.
   */
  admit(session: Session, me: ParticipantInit, maxRoomSize: number): ParticipantInit[] {
    if (this.roster.size >= maxRoomSize) {
      throw new ProtocolError(
        ErrorCode.RoomFull,
        `room "${this.name}" is full (${maxRoomSize} participants)`,
        CloseCode.RoomFull,
      );
    }
    const others = [...this.roster.values()].map((e) => e.participant);
    this.members.set(session.id, session);
    this.roster.set(session.id, { participant: me, node: this.node.id });
    this.targeted.set(
      session.id,
      this.bus.subscribe(subjects.to(this.name, session.id), (subject, payload) => this.onTargeted(subject, payload)),
    );
    return others;
  }

  /** Tells the room (this node's members, then the other nodes) that `session` joined. */
  announceJoin(session: Session, me: ParticipantInit): void {
    const bytes = encodeEnvelope({ from: session.id, peerJoined: { participant: me } });
    this.publishPresence(session, BodyField.peerJoined, bytes);
  }

  /** Removes a local participant and tells the room why it left (if it was ever announced). */
  remove(session: Session, reason: LeaveReason): void {
    if (this.waiting.delete(session)) return;
    if (!this.members.delete(session.id)) return;
    this.targeted.get(session.id)?.unsubscribe();
    this.targeted.delete(session.id);
    this.roster.delete(session.id);
    for (const member of this.members.values()) member.forgetPeer(session.id);
    const bytes = encodeEnvelope({ from: session.id, peerLeft: { id: session.id, reason } });
    this.publishPresence(session, BodyField.peerLeft, bytes);
  }

  /**
   * Sends a client's media frame (`raw`, as received) stamped with its sender to
   * the other members here, then to the other nodes. A frame the bus cannot carry
   * is refused as a whole (`too-large`), so every node sees the same frames.
   */
  publishMedia(session: Session, subject: string, raw: Uint8Array, kind: number, keyframe: boolean): void {
    const length = busMessageLength(session.origin, raw.length + session.stamp.length);
    const max = this.bus.maxPayload;
    if (length > max) {
      this.metrics.dropped.inc('bus-max-payload');
      throw new ProtocolError(
        ErrorCode.TooLarge,
        `a ${raw.length}-byte frame is more than the relays' bus carries (${maxEnvelopeBytes(max, session)} bytes): send smaller frames`,
      );
    }
    const meta = { body: BodyField.media, keyframe, kind };
    const payload = encodeBusMessage(meta, session.origin, raw, session.stamp);
    this.deliverMedia({
      ...meta,
      sender: session.id,
      node: this.node.id,
      envelope: envelopeOf(payload, session.origin),
    });
    this.bus.publish(subject, payload);
  }

  /** Sends a client's `MediaState` (`raw`, as received), stamped, as presence; keeps it in the roster. */
  publishState(session: Session, raw: Uint8Array, state: MediaStateInit): void {
    const entry = this.roster.get(session.id);
    if (entry) entry.participant.state = state;
    this.publishPresence(session, BodyField.mediaState, raw, session.stamp);
  }

  /** Sends control to one participant, wherever it is connected. */
  sendTo(sender: Session, target: string, body: number, ...parts: Uint8Array[]): void {
    const local = this.members.get(target);
    if (local) {
      local.deliverControl(parts.length === 1 ? parts[0] : Buffer.concat(parts), body);
      return;
    }
    const payload = encodeBusMessage({ body, keyframe: false, kind: 0 }, sender.origin, ...parts);
    this.bus.publish(subjects.to(this.name, target), payload);
  }

  /** This node's members as roster entries: what it tells the other nodes in a roster sync. */
  snapshot(): ParticipantInit[] {
    const out: ParticipantInit[] = [];
    for (const id of this.members.keys()) {
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
      } else if (!sameState(before.participant.state, participant.state)) {
        this.deliverControl(id, BodyField.mediaState, encodeEnvelope({ from: id, mediaState: participant.state }));
      }
    }
  }

  /** `node` is gone: its participants left (`disconnected`). Returns how many there were. */
  dropNode(node: string): number {
    let n = 0;
    for (const [id, entry] of this.roster) {
      if (entry.node !== node) continue;
      this.peerGone(id, 'disconnected');
      n++;
    }
    return n;
  }

  /** Stops listening to the bus: the last local participant left. */
  close(): void {
    this.closed = true;
    for (const sub of this.subscriptions) sub.unsubscribe();
    for (const sub of this.targeted.values()) sub.unsubscribe();
    this.targeted.clear();
  }

  private publishPresence(session: Session, body: number, ...parts: Uint8Array[]): void {
    const payload = encodeBusMessage({ body, keyframe: false, kind: 0 }, session.origin, ...parts);
    this.deliverControl(session.id, body, envelopeOf(payload, session.origin));
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
    this.deliverMedia(decodeBusMessage(payload));
  }

  /** A receiver that throws must not stop delivery to the others. */
  private deliverMedia(msg: BusMessage): void {
    for (const member of this.members.values()) {
      if (member.id === msg.sender) continue;
      try {
        member.deliverMedia(msg);
      } catch (err) {
        log.error('media delivery failed', { room: this.name, session: member.id, err });
      }
    }
  }

  /**
   * Presence from another node. Presence is rare, so decoding it here (to keep the
   * roster copy) costs nothing that matters. Each change reaches the members here
   * once: a join already known (from a snapshot) or a leave of an entry another
   * node now owns (the participant moved) is not passed on.
   */
  private onPresence(payload: Uint8Array): void {
    const msg = decodeBusMessage(payload);
    if (msg.node === this.node.id) return;
    this.node.seen(msg.node);
    const envelope = decodeEnvelope(msg.envelope);
    switch (envelope.body) {
      case 'peerJoined': {
        const participant = envelope.peerJoined?.participant;
        const id = participant?.id;
        if (!participant || !id || this.members.has(id)) return;
        const known = this.roster.has(id);
        this.roster.set(id, { participant, node: msg.node });
        if (known) return;
        break;
      }
      case 'peerLeft': {
        const id = envelope.peerLeft?.id;
        const entry = id ? this.roster.get(id) : undefined;
        if (!id || entry?.node !== msg.node) return;
        this.roster.delete(id);
        for (const member of this.members.values()) member.forgetPeer(id);
        break;
      }
      case 'mediaState': {
        const entry = this.roster.get(msg.sender);
        if (!entry || entry.node !== msg.node || !envelope.mediaState) return;
        entry.participant.state = envelope.mediaState;
        break;
      }
      default:
        log.warn('unexpected presence message', { room: this.name, body: envelope.body });
        return;
    }
    this.deliverControl(msg.sender, msg.body, msg.envelope);
  }

  private onTargeted(subject: string, payload: Uint8Array): void {
    const target = this.members.get(lastToken(subject));
    if (!target) return;
    const msg = decodeBusMessage(payload);
    if (msg.node === this.node.id) return;
    try {
      target.deliverControl(msg.envelope, msg.body);
    } catch (err) {
      log.error('control delivery failed', { room: this.name, session: target.id, err });
    }
  }

  private deliverControl(sender: string, body: number, bytes: Uint8Array): void {
    for (const member of this.members.values()) {
      if (member.id === sender) continue;
      try {
        member.deliverControl(bytes, body);
      } catch (err) {
        log.error('control delivery failed', { room: this.name, session: member.id, err });
      }
    }
  }
}

/** The largest envelope `session` can send through a bus carrying `maxPayload` bytes. */
export function maxEnvelopeBytes(maxPayload: number, session: Session): number {
  return maxPayload - busMessageLength(session.origin, session.stamp.length);
}

function sameState(a: MediaStateInit | null | undefined, b: MediaStateInit | null | undefined): boolean {
  return !!a?.mic === !!b?.mic && !!a?.camera === !!b?.camera && !!a?.screen === !!b?.screen;
}
