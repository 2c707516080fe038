/**
 * This relay as one node of a cluster sharing a bus: its id, its heartbeat, what
 * it knows of the other nodes, and the roster sync between them. On a single
 * relay (the in-process bus) there are no other nodes and all of this is a few
 * messages to itself; with NATS it is how rooms span nodes.
 *
 * **Liveness.** Every node publishes `relay.<node>.alive` every `heartbeatMs`
 * (2 s), and `relay.<node>.bye` when it stops on purpose. A node not heard from
 * for 3 of its own intervals, or that said bye, is gone: each other node holds
 * that node's participants for the resume grace period (they may reconnect to
 * another relay as themselves), then drops those that did not come back and tells
 * its own participants `PeerLeft{reason: 'disconnected'}` (`'server-shutdown'`
 * after a bye). A
 * node's first heartbeat after starting or reconnecting is a hello, which the
 * others answer at once with theirs, so nodes learn of each other in a round trip.
 *
 * **Roster sync.** Presence events keep rosters current, but a node that opens a
 * room (its first participant there) has seen none of the room's history. It
 * publishes on `room.<room>.roster` its own participants there (none yet), and
 * every node answers on `relay.<asker>.roster` with its own participants there
 * (often none). The joiner's `Welcome` waits until every node known alive has
 * answered, or `rosterSyncTimeoutMs` (500 ms) at most; answers that come later
 * are still applied (the joiner then hears `PeerJoined`). Each node's answer is
 * the truth about that node's participants (see `Room.applySnapshot`), and
 * answers and presence from one node arrive in the order that node sent them, so
 * applying both as they come converges.
 *
 * **A node found gone that comes back.** A node that stalled (a long GC pause,
 * a starved machine) or whose NATS server lost its route for a while is taken
 * for gone by the others although it never noticed anything itself. When it is
 * heard from again, each node that had given it up syncs every room it has with
 * the cluster, both ways: the returning node's participants are taken back (their
 * holds end if the grace is not over; else they join again), and it learns this
 * node's. A node that checks its peers after its own event loop stalled judges
 * nobody that round: their heartbeats may be waiting, unread, in its socket.
 *
 * **Bus outages.** A node cut off from the bus keeps serving its own participants
 * (rooms deliver locally first) and, after 3 heartbeats without news, tells them
 * the other nodes' participants left, as the other nodes do about its own: each
 * side sees the other go. When the bus reconnects, the node says hello again and
 * syncs every room it has, both ways (its snapshot goes with its question):
 * whatever presence was lost meanwhile, on either side, is repaired, and each
 * side sees the other's participants (again) as `PeerJoined`.
 *
 * Control messages here are small JSON objects: rare, and readable with `nats sub`.
 */
import { randomBytes } from 'node:crypto';
import {
  mediaState,
  type MediaStateInit,
  type MediaStateSnapshot,
  type ParticipantInit,
} from '../src/protocol/index.js';
import { cleanLayers, type SimulcastLayer } from './simulcast-layers.js';
import type { Bus, BusSubscription } from './bus/bus.js';
import { secondToken, subjects } from './bus/subjects.js';
import { createLogger } from './log.js';
import { checkedParticipant } from './presence-validation.js';
import type { ClusterRoom, RoomDirectory } from './cluster-room.js';
import type { RoomsNode } from './local-node.js';

const log = createLogger('cluster');

/** Heartbeats a node may miss before it is taken for gone. */
const MISSED_HEARTBEATS = 3;

/** Nodes given up on that are remembered, to resync with them should they come back (oldest forgotten first). */
const REMEMBERED_GONE_NODES = 64;

export interface ClusterOptions {
  /** How often this node says it is alive. */
  heartbeatMs: number;
  /** Longest a joiner's `Welcome` waits for the other nodes' part of the roster. */
  rosterSyncTimeoutMs: number;
  /**
   * After starting or reconnecting, how long the set of nodes may still be
   * incomplete (hellos being answered): roster syncs wait at least this long.
   * `start()` waits it out. 0 on a bus that delivers synchronously.
   */
  discoveryMs: number;
}

/** A participant as it travels in roster messages. */
interface RosterParticipant {
  id: string;
  name: string;
  /** The access token's `sub` (empty in open mode): what others see the participant as. */
  identity?: string;
  state: MediaStateSnapshot & { videoLayers?: SimulcastLayer[]; screenLayers?: SimulcastLayer[] };
  decoders: number[];
}

interface AliveMessage {
  intervalMs: number;
  hello?: boolean;
}

/** On `room.<room>.roster`: the asker's participants there; answer to `relay.<node>.roster`. */
interface RosterRequest {
  node: string;
  members: RosterParticipant[];
}

/** On `relay.<asker>.roster`: the answering node's participants in `room`. */
interface RosterReply {
  node: string;
  room: string;
  members: RosterParticipant[];
  /**
   * The room is locked there. Part of the sync that gates admission, so a room
   * just opened on a node cannot admit anyone before it knows of the lock.
   */
  locked?: boolean;
}

interface Peer {
  lastSeen: number;
  intervalMs: number;
}

interface PendingSync {
  /** Nodes that have not answered yet. */
  waitingFor: Set<string>;
  /** Not done before this (`performance.now()`): the set of nodes may still grow until then. */
  notBefore: number;
  startedAt: number;
  timers: NodeJS.Timeout[];
}

/** A random node id, new on every start: a restarted relay is a new node. */
export function newNodeId(): string {
  return randomBytes(6).toString('base64url');
}

export class ClusterNode implements RoomsNode {
  readonly id: string;
  /** {@link id} as ASCII bytes, for bus message headers. */
  readonly idBytes: Buffer;
  private readonly peers = new Map<string, Peer>();
  private readonly pending = new Map<ClusterRoom, PendingSync>();
  /**
   * Rooms whose roster sync timed out: the nodes that have not answered yet, so
   * whether the room is locked is unknown; joiners without `admin` wait for them.
   */
  private readonly lockPending = new Map<ClusterRoom, { missing: Set<string>; timer: NodeJS.Timeout }>();
  private rooms: RoomDirectory = { get: () => undefined, values: () => [] };
  private readonly subscriptions: BusSubscription[] = [];
  private stopListening: () => void = () => {};
  private heartbeat: NodeJS.Timeout | undefined;
  private sweep: NodeJS.Timeout | undefined;
  private trustedFrom = 0;
  /** Nodes taken for gone without a goodbye, oldest first: one heard from again gets a roster sync. */
  private readonly givenUp = new Set<string>();
  /** When the last peer check ran (`performance.now()`): a late one means this node stalled. */
  private lastCheck = 0;
  private closed = false;

  constructor(
    private readonly bus: Bus,
    private readonly options: ClusterOptions,
    id = newNodeId(),
  ) {
    this.id = id;
    this.idBytes = Buffer.from(id, 'latin1');
  }

  /** Relay nodes known alive, this one included. */
  get nodes(): number {
    return this.peers.size + 1;
  }

  /** Ids of the other nodes known alive. */
  peerIds(): string[] {
    return [...this.peers.keys()];
  }

  /** Gives the node the rooms it answers roster questions about. */
  attach(rooms: RoomDirectory): void {
    this.rooms = rooms;
  }

  /** Subscribes, says hello, and waits `discoveryMs` for the other nodes to answer. */
  async start(): Promise<void> {
    const { bus } = this;
    this.subscriptions.push(
      bus.subscribe(subjects.anyAlive, (subject, payload) => this.onAlive(subject, payload)),
      bus.subscribe(subjects.anyBye, (subject) => this.onBye(subject)),
      bus.subscribe(subjects.anyRoster, (subject, payload) => this.onRosterRequest(subject, payload)),
      bus.subscribe(subjects.rosterReply(this.id), (_subject, payload) => this.onRosterReply(payload)),
    );
    this.stopListening = bus.onConnectionChange((connected) => (connected ? this.reconnected() : this.disconnected()));
    const interval = this.options.heartbeatMs;
    this.heartbeat = setInterval(() => this.publishAlive(false), interval);
    this.lastCheck = performance.now();
    this.sweep = setInterval(() => this.checkPeers(), sweepMs(interval));
    this.heartbeat.unref();
    this.sweep.unref();
    this.trustedFrom = performance.now() + this.options.discoveryMs;
    this.publishAlive(true);
    if (this.options.discoveryMs > 0) await delay(this.options.discoveryMs);
    log.info('relay node started', { node: this.id, bus: bus.kind, nodes: this.nodes });
  }

  /** A room opened here: ask every node for its participants there (see the module comment). */
  openRoom(room: ClusterRoom): void {
    if (!this.bus.connected) {
      // No one to ask: serve this node's participants now, sync when the bus is back.
      room.markReady();
      return;
    }
    const now = performance.now();
    const sync: PendingSync = {
      waitingFor: new Set(this.peers.keys()),
      notBefore: this.trustedFrom,
      startedAt: now,
      timers: [],
    };
    this.pending.set(room, sync);
    sync.timers.push(setTimeout(() => this.finishSync(room, 'timeout'), this.options.rosterSyncTimeoutMs));
    // On a synchronous bus the answers arrive inside this call.
    this.requestRoster(room);
    this.maybeFinishSync(room);
  }

  /** A message from `node` shows it is alive. */
  seen(node: string): void {
    if (node === this.id || this.closed) return;
    const peer = this.peers.get(node);
    if (peer) peer.lastSeen = performance.now();
    else this.addPeer(node, this.options.heartbeatMs);
  }

  /** Says goodbye (others drop this node's participants at once) and stops. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearInterval(this.sweep);
    this.stopListening();
    for (const room of [...this.pending.keys()]) this.finishSync(room, 'closed');
    for (const room of [...this.lockPending.keys()]) this.lockSettled(room);
    this.publish(subjects.bye(this.id), { node: this.id });
    for (const sub of this.subscriptions) sub.unsubscribe();
    this.subscriptions.length = 0;
  }

  private publishAlive(hello: boolean): void {
    if (this.closed) return;
    const message: AliveMessage = { intervalMs: this.options.heartbeatMs };
    if (hello) message.hello = true;
    this.publish(subjects.alive(this.id), message);
  }

  /** Asks every node for its participants in each room here (telling ours): returns how many rooms. */
  private resyncRooms(): number {
    let rooms = 0;
    for (const room of this.rooms.values()) {
      this.requestRoster(room);
      rooms++;
    }
    return rooms;
  }

  private requestRoster(room: ClusterRoom): void {
    const request: RosterRequest = { node: this.id, members: room.snapshot().map(toWire) };
    this.publish(subjects.roster(room.name), request);
  }

  private onAlive(subject: string, payload: Uint8Array): void {
    const node = secondToken(subject);
    if (node === this.id || this.closed) return;
    const message = parse<AliveMessage>(payload);
    if (!message) return;
    const intervalMs = Number(message.intervalMs) > 0 ? Number(message.intervalMs) : this.options.heartbeatMs;
    const peer = this.peers.get(node);
    if (peer) {
      peer.lastSeen = performance.now();
      peer.intervalMs = intervalMs;
    } else {
      this.addPeer(node, intervalMs);
    }
    // A node that just started or reconnected: let it know about this one now, not in 2 s.
    if (message.hello) this.publishAlive(false);
  }

  private onBye(subject: string): void {
    const node = secondToken(subject);
    if (node !== this.id) this.nodeGone(node, 'said goodbye');
  }

  private onRosterRequest(subject: string, payload: Uint8Array): void {
    const request = parse<RosterRequest>(payload);
    if (!request || typeof request.node !== 'string' || request.node === this.id || this.closed) return;
    this.seen(request.node);
    const room = this.rooms.get(secondToken(subject));
    room?.applySnapshot(request.node, fromWireList(request.members));
    const reply: RosterReply = {
      node: this.id,
      room: secondToken(subject),
      members: (room?.snapshot() ?? []).map(toWire),
      ...(room?.locked ? { locked: true } : {}),
    };
    this.publish(subjects.rosterReply(request.node), reply);
  }

  private onRosterReply(payload: Uint8Array): void {
    const reply = parse<RosterReply>(payload);
    if (!reply || typeof reply.node !== 'string' || reply.node === this.id || typeof reply.room !== 'string') return;
    this.seen(reply.node);
    const room = this.rooms.get(reply.room);
    if (!room) return;
    // The lock first: admission (markReady) may follow from this very reply.
    if (reply.locked === true && !room.locked) room.setLocked?.(true, '', true);
    room.applySnapshot(reply.node, fromWireList(reply.members));
    const late = this.lockPending.get(room);
    if (late?.missing.delete(reply.node) && late.missing.size === 0) this.lockSettled(room);
    const sync = this.pending.get(room);
    if (sync) {
      sync.waitingFor.delete(reply.node);
      this.maybeFinishSync(room);
    }
  }

  private maybeFinishSync(room: ClusterRoom): void {
    const sync = this.pending.get(room);
    if (!sync || sync.waitingFor.size > 0) return;
    const wait = sync.notBefore - performance.now();
    if (wait <= 0) this.finishSync(room, 'complete');
    else sync.timers.push(setTimeout(() => this.finishSync(room, 'complete'), wait));
  }

  private finishSync(room: ClusterRoom, why: 'complete' | 'timeout' | 'closed'): void {
    const sync = this.pending.get(room);
    if (!sync) return;
    this.pending.delete(room);
    for (const timer of sync.timers) clearTimeout(timer);
    const fields = { room: room.name, ms: Math.round(performance.now() - sync.startedAt) };
    if (why === 'timeout') log.warn('roster sync timed out', { ...fields, missing: [...sync.waitingFor] });
    else log.debug('roster synced', fields);
    if (why !== 'timeout' || sync.waitingFor.size === 0) return room.markReady();
    // The roster can be completed later, but a lock cannot be taken back from someone let in:
    // joiners without admin wait for the silent nodes' answer, until they are found gone, or
    // (a live node whose answer was lost) for as long as finding a node gone takes.
    const timer = setTimeout(() => {
      log.warn('room lock state unconfirmed: admitting', { room: room.name, missing: [...sync.waitingFor] });
      this.lockSettled(room);
    }, MISSED_HEARTBEATS * this.options.heartbeatMs);
    timer.unref();
    this.lockPending.set(room, { missing: new Set(sync.waitingFor), timer });
    room.markReady(false);
  }

  /** Every node of `room` has said whether it is locked (or is gone, or the wait ran out). */
  private lockSettled(room: ClusterRoom): void {
    const late = this.lockPending.get(room);
    if (!late) return;
    this.lockPending.delete(room);
    clearTimeout(late.timer);
    room.markLockKnown?.();
  }

  private addPeer(node: string, intervalMs: number): void {
    this.peers.set(node, { lastSeen: performance.now(), intervalMs });
    if (!this.givenUp.delete(node)) {
      log.info('relay node joined', { node, nodes: this.nodes });
      return;
    }
    // It never left: it stalled, or its messages were lost for a while. What each side dropped of
    // the other's participants comes back through a roster sync of every room, both ways.
    const rooms = this.resyncRooms();
    log.warn('relay node back after being taken for gone: rosters resyncing', { node, rooms, nodes: this.nodes });
  }

  private checkPeers(): void {
    const now = performance.now();
    const sinceLast = now - this.lastCheck;
    this.lastCheck = now;
    // This node stalled: timers run before pending socket reads, so the heartbeats that came
    // meanwhile are not read yet. Judge at the next check, once they are.
    if (sinceLast > sweepMs(this.options.heartbeatMs) + this.options.heartbeatMs) return;
    for (const [node, peer] of this.peers) {
      if (now - peer.lastSeen > MISSED_HEARTBEATS * peer.intervalMs) this.nodeGone(node, 'stopped answering');
    }
  }

  /** `node` stopped: its participants left every room here. */
  private nodeGone(node: string, why: 'stopped answering' | 'said goodbye'): void {
    const known = this.peers.delete(node);
    if (why === 'said goodbye') this.givenUp.delete(node);
    else if (known) {
      this.givenUp.add(node);
      if (this.givenUp.size > REMEMBERED_GONE_NODES) this.givenUp.delete(this.givenUp.values().next().value!);
    }
    let participants = 0;
    const reason = why === 'said goodbye' ? 'server-shutdown' : 'disconnected';
    for (const room of this.rooms.values()) participants += room.dropNode(node, reason);
    if (known || participants > 0) log.warn('relay node gone', { node, why, participants, nodes: this.nodes });
    for (const [room, sync] of this.pending) {
      if (sync.waitingFor.delete(node)) this.maybeFinishSync(room);
    }
    for (const [room, late] of [...this.lockPending]) {
      if (late.missing.delete(node) && late.missing.size === 0) this.lockSettled(room);
    }
  }

  private disconnected(): void {
    log.warn('bus disconnected: serving this node only until it is back', { node: this.id });
  }

  /** The bus is back: be found again, and repair what presence was lost both ways. */
  private reconnected(): void {
    if (this.closed) return;
    this.trustedFrom = performance.now() + this.options.discoveryMs;
    this.publishAlive(true);
    const rooms = this.resyncRooms();
    log.info('bus reconnected: rosters resyncing', { node: this.id, rooms });
  }

  private publish(subject: string, message: object): void {
    try {
      this.bus.publish(subject, Buffer.from(JSON.stringify(message)));
    } catch (err) {
      log.error('cluster publish failed', { subject, err });
    }
  }
}

function toWire(p: ParticipantInit): RosterParticipant {
  return {
    id: p.id ?? '',
    name: p.name ?? '',
    identity: p.identity ?? '',
    state: withLayers(p.state),
    decoders: [...(p.decoders ?? [])].map(Number),
  };
}

/** Participants from another node, kept only when well-formed (checked like client input, see `presence-validation.ts`). */
function fromWireList(list: unknown): ParticipantInit[] {
  if (!Array.isArray(list)) return [];
  const out: ParticipantInit[] = [];
  for (const item of list as Partial<RosterParticipant>[]) {
    if (!item || typeof item !== 'object') continue;
    const participant = checkedParticipant({
      id: item.id,
      name: item.name,
      identity: typeof item.identity === 'string' ? item.identity : '',
      state: item.state && typeof item.state === 'object' ? withLayers(item.state) : undefined,
      decoders: Array.isArray(item.decoders) ? item.decoders : [],
    });
    if (participant) out.push(participant);
  }
  return out;
}

/** The flags of a media state and its announced simulcast layers (bounded), the ones nodes need to route by layer. */
function withLayers(state: MediaStateInit | null | undefined): RosterParticipant['state'] {
  const out: RosterParticipant['state'] = mediaState(state);
  const video = cleanLayers(Array.isArray(state?.videoLayers) ? state.videoLayers : []);
  const screen = cleanLayers(Array.isArray(state?.screenLayers) ? state.screenLayers : []);
  if (video.length > 0) out.videoLayers = video;
  if (screen.length > 0) out.screenLayers = screen;
  return out;
}

function parse<T>(payload: Uint8Array): T | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString());
    return value && typeof value === 'object' ? (value as T) : undefined;
  } catch {
    log.warn('unreadable cluster message');
    return undefined;
  }
}

/** How often peers are checked: twice per heartbeat. */
const sweepMs = (heartbeatMs: number): number => Math.max(10, heartbeatMs / 2);

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
