/**
 * One room as this relay node sees it: the participants connected here
 * (`members`), the whole room's roster (this node's copy, kept from presence
 * events on the bus), and the room's bus subscriptions while it has members.
 *
 * Everything a participant sends to others goes out through the bus and comes
 * back in here, even on a single node, so adding NATS only means another bus.
 */
import { CloseCode, decodeEnvelope, encodeEnvelope, ErrorCode, type ParticipantInit } from '../src/protocol/index.js';
import { BodyField } from './body-types.js';
import type { Bus, BusSubscription } from './bus/bus.js';
import { decodeBusMessage, encodeBusMessage } from './bus/bus-message.js';
import { lastToken, subjects } from './bus/subjects.js';
import { ProtocolError } from './errors.js';
import { createLogger } from './log.js';
import type { LeaveReason, Session } from './session.js';

const log = createLogger('room');

export class Room {
  /** Participants connected to this node, by session id. */
  readonly members = new Map<string, Session>();
  /** Everyone in the room on every node, by session id: this node's copy. */
  private readonly roster = new Map<string, ParticipantInit>();
  private readonly presenceSubject: string;
  private readonly subscriptions: BusSubscription[];

  constructor(
    readonly name: string,
    private readonly bus: Bus,
  ) {
    this.presenceSubject = subjects.presence(name);
    this.subscriptions = [
      bus.subscribe(subjects.roomMedia(name), (_subject, payload) => this.onMedia(payload)),
      bus.subscribe(this.presenceSubject, (_subject, payload) => this.onPresence(payload)),
      bus.subscribe(subjects.roomTo(name), (subject, payload) => this.onTargeted(subject, payload)),
    ];
  }

  get size(): number {
    return this.roster.size;
  }

  hasParticipant(id: string): boolean {
    return this.roster.has(id);
  }

  /** The subject `id`'s media frames are published on. */
  mediaSubjectOf(id: string): string {
    return subjects.media(this.name, id);
  }

  /**
   * Adds a local participant and returns everyone else in the room (for `Welcome`).
   * The roster copy is updated at once, not only when our own presence event comes
   * back, so capacity checks and rosters are right however late the bus delivers.
   */
  admit(session: Session, me: ParticipantInit, maxRoomSize: number): ParticipantInit[] {
    if (this.roster.size >= maxRoomSize) {
      throw new ProtocolError(
        ErrorCode.RoomFull,
        `room "${this.name}" is full (${maxRoomSize} participants)`,
        CloseCode.RoomFull,
      );
    }
    const others = [...this.roster.values()];
    this.members.set(session.id, session);
    this.roster.set(session.id, me);
    return others;
  }

  /** Tells the room (every node) that `session` joined. */
  announceJoin(session: Session, me: ParticipantInit): void {
    const bytes = encodeEnvelope({ from: session.id, peerJoined: { participant: me } });
    this.publishPresence(session, BodyField.peerJoined, bytes);
  }

  /** Removes a local participant and tells the room why it left. */
  remove(session: Session, reason: LeaveReason): void {
    if (!this.members.delete(session.id)) return;
    this.roster.delete(session.id);
    const bytes = encodeEnvelope({ from: session.id, peerLeft: { id: session.id, reason } });
    this.publishPresence(session, BodyField.peerLeft, bytes);
  }

  /** Publishes a client's media frame (`raw`, as received) stamped with its sender. */
  publishMedia(session: Session, subject: string, raw: Uint8Array, kind: number, keyframe: boolean): void {
    this.bus.publish(
      subject,
      encodeBusMessage({ body: BodyField.media, keyframe, kind }, session.idBytes, raw, session.stamp),
    );
  }

  /** Publishes a client's `MediaState` (`raw`, as received) as presence, stamped. */
  publishState(session: Session, raw: Uint8Array): void {
    this.publishPresence(session, BodyField.mediaState, raw, session.stamp);
  }

  /** Sends control to one participant, wherever it is connected. */
  sendTo(sender: Session, target: string, body: number, ...parts: Uint8Array[]): void {
    const payload = encodeBusMessage({ body, keyframe: false, kind: 0 }, sender.idBytes, ...parts);
    this.bus.publish(subjects.to(this.name, target), payload);
  }

  /** Stops listening to the bus: the last local participant left. */
  close(): void {
    for (const sub of this.subscriptions) sub.unsubscribe();
  }

  private publishPresence(session: Session, body: number, ...parts: Uint8Array[]): void {
    this.bus.publish(
      this.presenceSubject,
      encodeBusMessage({ body, keyframe: false, kind: 0 }, session.idBytes, ...parts),
    );
  }

  // Hot path: one header read, then a send per local receiver. A receiver that
  // throws must not stop delivery to the others.
  private onMedia(payload: Uint8Array): void {
    const msg = decodeBusMessage(payload);
    for (const member of this.members.values()) {
      if (member.id === msg.sender) continue;
      try {
        member.deliverMedia(msg);
      } catch (err) {
        log.error('media delivery failed', { room: this.name, session: member.id, err });
      }
    }
  }

  /** Presence is rare, so decoding it here (to keep the roster copy) costs nothing that matters. */
  private onPresence(payload: Uint8Array): void {
    const msg = decodeBusMessage(payload);
    const envelope = decodeEnvelope(msg.envelope);
    switch (envelope.body) {
      case 'peerJoined': {
        const participant = envelope.peerJoined?.participant;
        if (participant?.id) this.roster.set(participant.id, participant);
        break;
      }
      case 'peerLeft': {
        const id = envelope.peerLeft?.id;
        if (!id) break;
        this.roster.delete(id);
        for (const member of this.members.values()) member.forgetPeer(id);
        break;
      }
      case 'mediaState': {
        const entry = this.roster.get(msg.sender);
        if (entry && envelope.mediaState) entry.state = envelope.mediaState;
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
    if (!target) return; // connected to another node
    const msg = decodeBusMessage(payload);
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
