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
  TrackKind,
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
import { lastToken, subjects, trackToken } from './bus/subjects.js';
import { ProtocolError } from './errors.js';
import { LayerDemand } from './layer-demand.js';
import { JoinBatch } from './join-batch.js';
import { LayerForwarding } from './layer-forwarding.js';
import { LoudestSpeakers } from './loudest-speakers.js';
import { MediaInterest } from './media-interest.js';
import { decodeDemand, encodeDemand, RemoteDemand, type DemandMessage } from './remote-demand.js';
import { KeyedRateLimiter } from './rate-limit.js';
import { MAX_LAYERS, sameLayers } from './simulcast-layers.js';
import type { WantedTrack } from './subscription.js';
import { Lobby } from './lobby.js';
import { createLogger } from './log.js';
import { decodeRoomControl, encodeRoomControl, type RoomControl } from './room-control.js';
import { checkedPresence, checkedTargeted, isSessionId } from './presence-validation.js';
import type { ClusterRoom } from './cluster-room.js';
import type { LocalNode } from './local-node.js';
import type { Metrics } from './metrics.js';
import { isFinalLeave, type LeaveReason, type ReplacedHow, type RoomMember } from './room-member.js';
import { isKnownKind } from './track-kinds.js';

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
  /** How long changes of what is watched gather before publishers hear their `LayerDemand`. Default 50. */
  demandDebounceMs?: number;
  /**
   * How often this node repeats what its receivers watch to the other nodes; a
   * node silent for three times this no longer counts. Default 2000.
   */
  demandRefreshMs?: number;
  /** Most microphones forwarded at once, the loudest (see `LoudestSpeakers`); 0 forwards all. Default 3. */
  maxAudible?: number;
  /** How long a speaker must be quiet before it may lose its place among the audible ones. Default 1500. */
  speakerHoldMs?: number;
  /** Longest a join into a big room waits to be announced with the ones after it (`JoinBatch`); 0: never. Default 100. */
  presenceBatchMs?: number;
  /** Room size from which joins are announced in batches. Default 50. */
  presenceBatchFrom?: number;
}

/** How often the room looks whether its active speakers changed (and tells its members if so). */
const ACTIVE_SPEAKERS_CHECK_MS = 250;

/** How a media frame is routed: its clear header, as the publishing relay read it. */
export interface MediaRoute {
  kind: number;
  layer: number;
  keyframe: boolean;
  /** Temporal layer above 0 (`MediaFrame.temporal_layer`): nothing depends on it. */
  droppable?: boolean;
  /** Audio level, 0 loudest..127 silence. */
  level: number;
}

/**
 * Keyframe requests the room makes for receivers switching layer, per publisher,
 * kind and layer: one at once, then a few per second while receivers still wait.
 */
const SWITCH_KEYFRAME_BURST = 1;
const SWITCH_KEYFRAMES_PER_SECOND = 3;

/** A participant of this node held for a resume. */
interface Held {
  member: RoomMember;
  reason: LeaveReason;
  timer: NodeJS.Timeout;
}

/** What a room counts. */
export type RoomMetrics = Pick<Metrics, 'held' | 'dropped'> & Partial<Pick<Metrics, 'refused'>>;

/** The kinds forwarded by layer; every other kind (audio) goes to everyone. */
const isLayered = (kind: number): boolean => kind === TrackKind.VIDEO || kind === TrackKind.SCREEN;

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
  private lockConfirmed = true;
  private closed = false;
  /** Who gets which layer of each publisher's video and screen share. */
  private readonly forwarding: LayerForwarding;
  /** Tells publishers here which of their layers are watched. */
  private readonly demand: LayerDemand;
  /** What this node takes from the bus: all audio, the watched video and screen layers. */
  private readonly interest: MediaInterest;
  /** What the other nodes' receivers watch. */
  private readonly remote: RemoteDemand;
  /** This node's part as last published (JSON), so only changes go out between refreshes. */
  private publishedDemand = '';
  private readonly demandRefresh: NodeJS.Timeout;
  private demandUrgent = false;
  /** Whose microphone is forwarded: the loudest few. */
  private readonly speakers: LoudestSpeakers;
  private readonly speakersCheck: NodeJS.Timeout;
  /** Keyframe requests for receivers switching layer, per publisher, kind and layer. */
  private readonly switchKeyframes = new KeyedRateLimiter(SWITCH_KEYFRAME_BURST, SWITCH_KEYFRAMES_PER_SECOND);
  /** Who waits for an admin to let them in, on every node. */
  readonly lobby: Lobby;
  /** An admin locked the room: joiners without `admin` wait in the lobby. */
  locked = false;
  private readonly controlSubject: string;
  /** Joins not yet announced to the members here: a big room announces them together. */
  private readonly joins: JoinBatch;

  constructor(
    readonly name: string,
    private readonly bus: Bus,
    private readonly node: LocalNode,
    private readonly metrics: RoomMetrics,
    private readonly settings: RoomSettings = { graceMs: 0, onIdle: () => {} },
  ) {
    this.presenceSubject = subjects.presence(name);
    this.interest = new MediaInterest(bus, name, (payload) => this.onMedia(payload));
    const refreshMs = settings.demandRefreshMs ?? 2000;
    this.remote = new RemoteDemand(3 * refreshMs);
    this.forwarding = new LayerForwarding({
      layerWatched: (publisher, kind, layer, watched) => {
        this.interest.layerWatched(publisher, kind, layer, watched);
        if (watched) this.demandGrew();
      },
      defaultsWatched: (watched) => {
        this.interest.defaultsWatched(watched);
        if (watched) this.demandGrew();
      },
      deliver: (member, msg) => this.deliverTo(member, msg),
      keyframeWanted: (member, publisher, kind, layer) => this.askKeyframe(member, publisher, kind, layer),
      layerCount: (publisher, kind) => this.layerCount(publisher, kind),
      changed: () => this.demand.schedule(),
      droppedAwaitingLayer: () => this.metrics.dropped.inc('layer-awaiting-keyframe'),
      thinned: () => this.metrics.dropped.inc('congestion-temporal-layer'),
    });
    this.demand = new LayerDemand(
      {
        publishers: () => this.localPublishers(),
        demandOf: (publisher, kind) =>
          this.forwarding.demandOf(publisher, kind) | this.remote.demandOf(publisher, kind),
        flushed: () => this.publishDemand(false),
        send: (publisher, kind, layers) =>
          this.members
            .get(publisher)
            ?.deliverControl(encodeEnvelope({ layerDemand: { kind, layers } }), BodyField.layerDemand),
      },
      settings.demandDebounceMs ?? 50,
    );
    this.controlSubject = subjects.roomControl(name);
    this.lobby = new Lobby(
      node.id,
      () => this.members.values(),
      (message) => this.publishControl(message),
    );
    this.subscriptions = [
      bus.subscribe(this.presenceSubject, (_subject, payload) => this.onPresence(payload)),
      bus.subscribe(subjects.demand(name), (_subject, payload) => this.onDemand(payload)),
      bus.subscribe(this.controlSubject, (_subject, payload) => this.onControl(payload)),
    ];
    // New to the room: the other nodes tell what their receivers watch at once.
    this.publishDemand(true, true);
    this.demandRefresh = setInterval(() => {
      if (this.remote.expire()) this.demand.schedule();
      this.publishDemand(true);
    }, refreshMs);
    this.demandRefresh.unref();
    this.speakers = new LoudestSpeakers({ maxAudible: settings.maxAudible ?? 3, holdMs: settings.speakerHoldMs });
    this.speakersCheck = setInterval(() => this.reportActiveSpeakers(), ACTIVE_SPEAKERS_CHECK_MS);
    this.speakersCheck.unref();
    this.joins = new JoinBatch(
      { windowMs: settings.presenceBatchMs ?? 100, from: settings.presenceBatchFrom ?? 50 },
      () => this.flushJoins(),
    );
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

  /** The subject on which `id`'s frames of `kind` and `layer` are published. */
  mediaSubjectOf(id: string, kind: number, layer: number): string {
    return subjects.media(this.name, id, trackToken(kind, layer));
  }

  /** Holds `member`'s video and screen share at layer `floor` or smaller (congestion control; 0 lifts it). */
  setLayerFloor(member: RoomMember, floor: number): void {
    if (this.members.get(member.sessionId) === member) this.forwarding.setFloor(member, floor);
  }

  /** Bus subscriptions to single publisher-layers this node holds now (what its receivers watch). */
  get watchedLayerSubscriptions(): number {
    return this.interest.layerSubscriptions;
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

  /**
   * The roster sync is over (complete, or timed out): admit whoever waits. Idempotent.
   * With `lockKnown` false, joiners without `admin` wait on for {@link markLockKnown}.
   */
  markReady(lockKnown = true): void {
    if (this.ready || this.closed) return;
    this.ready = true;
    this.lockConfirmed = lockKnown;
    this.admitWaiting();
  }

  /** Whether every node of the room has said if it is locked; until then joiners without `admin` wait. */
  get lockKnown(): boolean {
    return this.lockConfirmed;
  }

  /** Runs `admit` once the room's lock state is known (at once, mostly). Dropped by {@link remove}. */
  whenLockKnown(member: RoomMember, admit: () => void): void {
    if (this.lockConfirmed || this.closed) admit();
    else this.waiting.set(member, admit);
  }

  /** The nodes that were silent in the roster sync have answered, or are gone. Idempotent. */
  markLockKnown(): void {
    if (this.lockConfirmed || this.closed) return;
    this.lockConfirmed = true;
    this.admitWaiting();
  }

  private admitWaiting(): void {
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
    this.joins.admitted(member, old !== member ? old : undefined);
    this.roster.set(id, { participant: me, node: this.node.id });
    this.targeted.get(id)?.unsubscribe();
    this.targeted.set(
      id,
      this.bus.subscribe(subjects.to(this.name, id), (subject, payload) => this.onTargeted(subject, payload)),
    );
    if (old && old !== member) this.forwarding.remove(old);
    this.forwarding.add(member);
    // A publisher that resumed may have lost what it was told: it hears its demand again.
    this.demand.announced(id);
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
    this.joins.admitted(member, old !== member ? old : undefined);
    if (old && old !== member) this.forwarding.remove(old);
    this.forwarding.add(member);
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
    const payload = encodeBusMessage({ body: BodyField.peerJoined, keyframe: false, kind: 0 }, member.origin, bytes);
    if (!known) this.deliverJoin(member.sessionId, me, envelopeOf(payload, member.origin));
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
    this.forwarding.remove(member);
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
    this.publisherGone(member.sessionId);
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
  publishMedia(member: RoomMember, raw: Uint8Array, route: MediaRoute): void {
    const length = busMessageLength(member.origin, raw.length + member.stamp.length);
    const max = this.bus.maxPayload;
    if (length > max) {
      this.metrics.dropped.inc('bus-max-payload');
      throw new ProtocolError(
        ErrorCode.TooLarge,
        `a ${raw.length}-byte frame is more than the relays' bus carries (${maxEnvelopeBytes(max, member)} bytes): send smaller frames`,
      );
    }
    const meta = { body: BodyField.media, ...route };
    const payload = encodeBusMessage(meta, member.origin, raw, member.stamp);
    this.deliverMedia({
      ...meta,
      sender: member.sessionId,
      node: this.node.id,
      envelope: envelopeOf(payload, member.origin),
    });
    // Layer 0 and audio always go out (receivers elsewhere may take them unasked);
    // a larger layer only when another node's receivers watch it.
    const { kind, layer } = route;
    if (layer > 0 && isLayered(kind) && !((this.remote.demandOf(member.sessionId, kind) >> layer) & 1)) return;
    this.bus.publish(this.mediaSubjectOf(member.sessionId, kind, layer), payload);
  }

  /** Sends a client's `MediaState` (`raw`, as received), stamped, as presence; keeps it in the roster. */
  publishState(member: RoomMember, raw: Uint8Array, state: MediaStateInit): void {
    const entry = this.roster.get(member.sessionId);
    if (entry) this.setState(member.sessionId, entry, state);
    this.publishPresence(member, BodyField.mediaState, raw, member.stamp);
  }

  /**
   * `member`'s Subscription (checked by `parseSubscription`), replacing the previous
   * one. Publishers the room does not know are left out (they left meanwhile; the
   * client subscribes again when its roster changes).
   */
  subscribe(member: RoomMember, wanted: readonly WantedTrack[]): void {
    if (this.members.get(member.sessionId) !== member) return;
    this.forwarding.subscribe(
      member,
      wanted.filter((track) => this.roster.has(track.publisher)),
    );
  }

  /**
   * A chat message (`bytes`, checked and stamped) from `sender`: to everyone in
   * the room (`to` empty) with presence, so it follows the joins before it; else
   * to each recipient only, wherever it is connected. Throws `unknown-peer`, and
   * sends nothing, when a recipient is not (or no longer) in the room.
   */
  sendChat(sender: RoomMember, to: readonly string[], bytes: Uint8Array): void {
    if (to.length === 0) return this.publishPresence(sender, BodyField.chat, bytes);
    const missing = to.find((id) => id === sender.sessionId || !this.roster.has(id));
    if (missing !== undefined) {
      throw new ProtocolError(ErrorCode.UnknownPeer, `no other participant "${missing}" in this room`);
    }
    for (const id of to) this.sendTo(sender, id, BodyField.chat, bytes);
  }

  /** Sends control to one participant, wherever it is connected. */
  sendTo(sender: RoomMember, target: string, body: number, ...parts: Uint8Array[]): void {
    const local = this.members.get(target);
    if (local) {
      this.flushJoinsFor(sender.sessionId, body);
      local.deliverControl(parts.length === 1 ? parts[0] : Buffer.concat(parts), body, sender.sessionId);
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
      // Held because its node was taken for gone: the node is back and still has it.
      if (before?.node === node) this.endHold(id, 'resumed');
      if (!before) {
        this.deliverJoin(id, participant, encodeEnvelope({ from: id, peerJoined: { participant } }));
      } else if (!sameMediaState(before.participant.state, participant.state)) {
        this.deliverControl(id, BodyField.mediaState, encodeEnvelope({ from: id, mediaState: participant.state }));
      }
      if (before && !sameAnnouncedLayers(before.participant.state, participant.state)) {
        this.forwarding.layersChanged(id);
      }
    }
  }

  /**
   * `node` is gone: its participants are held for the grace period, then reported
   * gone with `reason` unless they resumed (on any node) meanwhile. Returns how many there were.
   */
  dropNode(node: string, reason: LeaveReason = 'disconnected'): number {
    if (this.remote.dropNode(node)) this.demand.schedule();
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
    this.demand.close();
    clearInterval(this.demandRefresh);
    clearInterval(this.speakersCheck);
    // Leaving the room: this node's receivers watch nothing any more.
    if (this.publishedDemand !== '') this.publishPart({ v: 1, node: this.node.id, defaults: [], tracks: [] });
    this.interest.close();
    this.joins.clear();
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
    this.publisherGone(id);
    for (const member of this.members.values()) member.forgetPeer(id);
    this.deliverControl(id, BodyField.peerLeft, encodeEnvelope({ from: id, peerLeft: { id, reason } }));
  }

  // Hot path: one header read, then a send per local receiver. A bus that echoes
  // (the local one) brings back every frame this node published: skip it unread.
  private onMedia(payload: Uint8Array): void {
    if (isFromNode(payload, this.node.idBytes)) return;
    const msg = this.readBus(payload);
    // Only the header is checked (frames are never decoded here): a media frame of a known kind from a session id.
    if (!msg || msg.body !== BodyField.media || !isKnownKind(msg.kind) || !isSessionId(msg.sender)) {
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

  /**
   * Video and screen share by layer (`LayerForwarding`); audio of the loudest few
   * to everyone else. A screen share's audio goes to everyone else too, outside the
   * loudest-speaker choice: it is not someone talking, and must neither take a
   * speaker's place nor make its sharer the active speaker.
   */
  private deliverMedia(msg: BusMessage): void {
    // Nobody here sees a frame of someone before its join.
    if (this.joins.size > 0 && this.joins.holds(msg.sender)) this.flushJoins();
    if (isLayered(msg.kind)) return this.forwarding.deliver(msg);
    if (msg.kind === TrackKind.AUDIO && !this.speakers.offer(msg.sender, msg.level)) {
      this.metrics.dropped.inc('audio-not-audible');
      return;
    }
    for (const member of this.members.values()) {
      if (member.sessionId !== msg.sender) this.deliverTo(member, msg);
    }
  }

  /** Control to one member; a receiver that throws must not stop delivery to the others. */
  private controlTo(member: RoomMember, bytes: Uint8Array, body: number, sender?: string): void {
    try {
      member.deliverControl(bytes, body, sender);
    } catch (err) {
      log.error('control delivery failed', { room: this.name, session: member.sessionId, err });
    }
  }

  /** A receiver that throws must not stop delivery to the others. */
  private deliverTo(member: RoomMember, msg: BusMessage): void {
    try {
      member.deliverMedia(msg);
    } catch (err) {
      log.error('media delivery failed', { room: this.name, session: member.sessionId, err });
    }
  }

  /** Keeps a participant's new media state; new layers re-fit its watchers and tell it its demand again. */
  private setState(id: string, entry: RosterEntry, state: MediaStateInit): void {
    const layersChanged = !sameAnnouncedLayers(entry.participant.state, state);
    entry.participant.state = state;
    if (!layersChanged) return;
    this.forwarding.layersChanged(id);
    if (this.members.has(id)) this.demand.announced(id);
  }

  /** How many layers `publisher` announced for `kind` (0: none announced, a single layer). */
  private layerCount(publisher: string, kind: number): number {
    const state = this.roster.get(publisher)?.participant.state;
    const layers = kind === TrackKind.SCREEN ? state?.screenLayers : state?.videoLayers;
    return layers?.length ?? 0;
  }

  private *localPublishers(): IterableIterator<{ id: string; layerCount(kind: number): number }> {
    for (const id of this.members.keys()) {
      yield { id, layerCount: (kind: number) => this.layerCount(id, kind) };
    }
  }

  /**
   * Asks `publisher` for a keyframe of `layer` on behalf of `receiver`, which
   * switches to it. Receivers switching together share the requests.
   */
  private askKeyframe(receiver: RoomMember, publisher: string, kind: number, layer: number): void {
    if (!this.roster.has(publisher) || !this.switchKeyframes.take(`${publisher} ${kind} ${layer}`)) return;
    const bytes = encodeEnvelope({ from: receiver.sessionId, keyframeRequest: { target: publisher, kind, layer } });
    this.sendTo(receiver, publisher, BodyField.keyframeRequest, bytes);
  }

  /** Something is watched that was not: the publishers (here and on other nodes) hear it without the debounce. */
  private demandGrew(): void {
    this.demand.urgent();
    this.publishDemandSoon();
  }

  /** Publishes this node's demand now if it may have grown: a publisher elsewhere must send what is watched here. */
  private publishDemandSoon(): void {
    if (this.demandUrgent) return;
    this.demandUrgent = true;
    queueMicrotask(() => {
      this.demandUrgent = false;
      this.publishDemand(false);
    });
  }

  /** Publishes this node's part of the demand when it changed (or `refresh`), asking the others for theirs with `ask`. */
  private publishDemand(refresh: boolean, ask = false): void {
    if (this.closed) return;
    const tracks: DemandMessage['tracks'] = [...this.forwarding.watched()];
    const part: DemandMessage = { v: 1, node: this.node.id, defaults: this.forwarding.someDefaults(), tracks };
    const json = JSON.stringify([part.defaults, tracks]);
    const empty = tracks.length === 0 && part.defaults.length === 0;
    if (!ask && (refresh ? empty : json === this.publishedDemand)) return;
    this.publishedDemand = empty ? '' : json;
    this.publishPart(ask ? { ...part, ask: true } : part);
  }

  private publishPart(part: DemandMessage): void {
    try {
      this.bus.publish(subjects.demand(this.name), encodeDemand(part));
    } catch (err) {
      log.warn('publishing demand failed', { room: this.name, err });
    }
  }

  /** Another node's demand: publishers here may need to send other layers. */
  private onDemand(payload: Uint8Array): void {
    let part: DemandMessage;
    try {
      part = decodeDemand(payload);
    } catch (err) {
      log.warn('unreadable demand message', { room: this.name, err });
      return;
    }
    if (part.node === this.node.id) return;
    const change = this.remote.apply(part);
    if (change === 'grew') this.demand.urgent();
    else if (change === 'changed') this.demand.schedule();
    if (part.ask) this.publishDemand(true);
  }

  /** `ActiveSpeakers` with who speaks now, for a joiner (hidden participants never named); null when nobody does. */
  activeSpeakersMessage(): Uint8Array | null {
    const ids = this.speakers.current.filter((id) => this.roster.has(id));
    return ids.length > 0 ? encodeEnvelope({ activeSpeakers: { ids } }) : null;
  }

  /** Tells the members here who the active speakers are, when that changed. */
  private reportActiveSpeakers(): void {
    const speaking = this.speakers.activeSpeakersChange();
    if (!speaking) return;
    // A hidden participant (a recorder) is named to nobody, speaking or not.
    const ids = speaking.filter((id) => this.roster.has(id));
    // Speakers are named after their joins.
    if (this.joins.size > 0) this.flushJoins();
    const bytes = encodeEnvelope({ activeSpeakers: { ids } });
    for (const member of this.members.values()) this.controlTo(member, bytes, BodyField.activeSpeakers);
  }

  /** A participant left the room: nobody watches it, and it is told nothing more. */
  private publisherGone(id: string): void {
    this.speakers.forget(id);
    this.forwarding.forgetPublisher(id);
    this.demand.forget(id);
    for (const kind of [TrackKind.VIDEO, TrackKind.SCREEN]) {
      for (let layer = 0; layer < MAX_LAYERS; layer++) this.switchKeyframes.forget(`${id} ${kind} ${layer}`);
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
        return this.deliverJoin(id, participant, checked.bytes);
      }
      case 'peerLeft': {
        const id = msg.sender;
        const entry = this.roster.get(id);
        if (entry?.node !== msg.node) return;
        this.roster.delete(id);
        this.publisherGone(id);
        for (const member of this.members.values()) member.forgetPeer(id);
        break;
      }
      case 'mediaState': {
        const entry = this.roster.get(msg.sender);
        if (!entry || entry.node !== msg.node || !envelope.mediaState) return;
        this.setState(msg.sender, entry, envelope.mediaState);
        break;
      }
      case 'chat':
        // Only from a participant of that node (a node may not speak for others).
        if (this.roster.get(msg.sender)?.node !== msg.node) return;
        break;
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
    this.flushJoinsFor(msg.sender, msg.body);
    this.controlTo(target, bytes, msg.body, msg.sender);
  }

  /** Announces `id`'s join to the members here: at once, or with the joins after it in a big room. */
  private deliverJoin(id: string, participant: ParticipantInit, bytes: Uint8Array): void {
    if (this.joins.shouldHold(this.roster.size)) this.joins.hold({ id, participant, bytes });
    else this.deliverControl(id, BodyField.peerJoined, bytes);
  }

  /** Announces the joins held so far. */
  private flushJoins(): void {
    this.joins.deliver(this.members.values(), (member, bytes, body, sender) =>
      this.controlTo(member, bytes, body, sender),
    );
  }

  /**
   * Before a message from `sender` to someone: its join first, if held. A key
   * exchange needs no roster entry (the client takes it from anyone), so it does
   * not end the batch: a joiner with E2EE keys everyone at once.
   */
  private flushJoinsFor(sender: string, body: number): void {
    if (this.joins.size > 0 && body !== BodyField.keyExchange && this.joins.holds(sender)) this.flushJoins();
  }

  /** Presence and the room's own control, in order: after any joins still held. */
  private deliverControl(sender: string, body: number, bytes: Uint8Array): void {
    if (this.joins.size > 0) this.flushJoins();
    for (const member of this.members.values()) {
      if (member.sessionId !== sender) this.controlTo(member, bytes, body, sender);
    }
  }
}

/** Whether two media states announce the same simulcast layers. */
function sameAnnouncedLayers(a: MediaStateInit | null | undefined, b: MediaStateInit | null | undefined): boolean {
  return sameLayers(a?.videoLayers, b?.videoLayers) && sameLayers(a?.screenLayers, b?.screenLayers);
}

/** The largest envelope `member` can send through a bus carrying `maxPayload` bytes. */
export function maxEnvelopeBytes(maxPayload: number, member: Pick<RoomMember, 'origin' | 'stamp'>): number {
  return maxPayload - busMessageLength(member.origin, member.stamp.length);
}
