/**
 * A room's lobby: people who asked to join a room that admits by hand, waiting
 * for an admin. Each node holds its own waiters (their connections) and a copy
 * of the waiters on the other nodes (from `room.<room>.control`), so an admin on
 * any node sees everyone who knocks and can admit or deny them wherever they are.
 *
 * A waiter is no member of the room: it receives nothing of the meeting (no
 * roster, no media, no presence) until it is admitted, and then joins like anyone.
 */
import { encodeEnvelope } from '../src/protocol/index.js';
import { BodyField } from './body-types.js';
import { lobbyParticipant, type LobbyEntry, type RoomControl } from './room-control.js';

/** A connection waiting in the lobby of this node. */
export interface LobbyWaiter {
  readonly sessionId: string;
  /** An admin let it in: it joins now. */
  admitFromLobby(): void;
  /** An admin turned it away. */
  deniedFromLobby(): void;
}

/** Who hears of the lobby: the room's admins on this node. */
export interface LobbyAdmin {
  readonly admin?: boolean;
  deliverControl(bytes: Uint8Array, body: number): void;
}

interface Waiting {
  entry: LobbyEntry;
  /** The node holding the waiter's connection. */
  node: string;
  /** The connection, when on this node. */
  waiter?: LobbyWaiter;
}

export class Lobby {
  private readonly waiting = new Map<string, Waiting>();
  private local = 0;

  constructor(
    private readonly nodeId: string,
    /** The room's members on this node (admins among them get `Knock`). */
    private readonly members: () => Iterable<LobbyAdmin>,
    /** Tells the other nodes of the room. */
    private readonly publish: (message: RoomControl) => void,
  ) {}

  /** Waiters on every node of the room. */
  get size(): number {
    return this.waiting.size;
  }

  /** Waiters connected to this node. */
  get localCount(): number {
    return this.local;
  }

  /** `waiter` (described by `entry`) waits here from now on; every admin hears of it. */
  knock(waiter: LobbyWaiter, entry: LobbyEntry): void {
    this.waiting.set(entry.id, { entry, node: this.nodeId, waiter });
    this.local++;
    this.publish({ t: 'knock', node: this.nodeId, p: entry });
    this.notify();
  }

  /** `waiter` stopped waiting (its connection closed). True if it was waiting here. */
  leave(waiter: LobbyWaiter): boolean {
    const w = this.waiting.get(waiter.sessionId);
    if (w?.waiter !== waiter) return false;
    this.forgetLocal(waiter.sessionId);
    return true;
  }

  /** An admin on this node decided about waiter `id`. False when nobody of that id waits. */
  decide(id: string, admit: boolean): boolean {
    const w = this.waiting.get(id);
    if (!w) return false;
    if (w.waiter) this.act(id, w.waiter, admit);
    else this.publish({ t: 'decide', node: this.nodeId, id, admit });
    return true;
  }

  /** A lobby message from another node (already validated, not this node's own). */
  onControl(message: RoomControl): void {
    switch (message.t) {
      case 'knock':
        // A node may not speak for a waiter connected here.
        if (this.waiting.get(message.p.id)?.waiter) return;
        this.waiting.set(message.p.id, { entry: message.p, node: message.node });
        return this.notify();
      case 'gone':
        if (this.waiting.get(message.id)?.node !== message.node) return;
        this.waiting.delete(message.id);
        return this.notify();
      case 'decide': {
        const waiter = this.waiting.get(message.id)?.waiter;
        if (waiter) this.act(message.id, waiter, message.admit);
        return;
      }
      case 'hello':
        // A node that just opened the room knows none of our waiters yet.
        for (const w of this.waiting.values()) {
          if (w.waiter) this.publish({ t: 'knock', node: this.nodeId, p: w.entry });
        }
        return;
      default:
        return;
    }
  }

  /** `node` is gone: its waiters with it. */
  dropNode(node: string): void {
    let changed = false;
    for (const [id, w] of this.waiting) {
      if (w.node === node && !w.waiter) {
        this.waiting.delete(id);
        changed = true;
      }
    }
    if (changed) this.notify();
  }

  /** The waiters connected here, for ending the meeting. */
  localWaiters(): LobbyWaiter[] {
    const out: LobbyWaiter[] = [];
    for (const w of this.waiting.values()) if (w.waiter) out.push(w.waiter);
    return out;
  }

  /** The `Knock` an admin gets now: everyone waiting, on every node. */
  knockMessage(): Uint8Array {
    const waiting = [...this.waiting.values()].map((w) => lobbyParticipant(w.entry));
    return encodeEnvelope({ knock: { waiting } });
  }

  private act(id: string, waiter: LobbyWaiter, admit: boolean): void {
    this.forgetLocal(id);
    if (admit) waiter.admitFromLobby();
    else waiter.deniedFromLobby();
  }

  private forgetLocal(id: string): void {
    this.waiting.delete(id);
    this.local--;
    this.publish({ t: 'gone', node: this.nodeId, id });
    this.notify();
  }

  /** Sends the current list to every admin here. */
  private notify(): void {
    let bytes: Uint8Array | undefined;
    for (const member of this.members()) {
      if (!member.admin) continue;
      bytes ??= this.knockMessage();
      member.deliverControl(bytes, BodyField.knock);
    }
  }
}
