/**
 * The rooms with participants on this node: created on the first join, closed
 * (bus subscriptions dropped) when the last local participant leaves.
 */
import type { Bus } from './bus/bus.js';
import { createLogger } from './log.js';
import type { RoomsNode } from './local-node.js';
import { Room, type RoomMetrics, type RoomSettings } from './room.js';
import type { LeaveReason, RoomMember } from './room-member.js';

const log = createLogger('rooms');

export class Rooms {
  private readonly rooms = new Map<string, Room>();

  constructor(
    private readonly bus: Bus,
    private readonly metrics: RoomMetrics,
    private readonly node: RoomsNode,
    /** How long a departed participant is held for a resume (see `Room`). */
    private readonly graceMs = 0,
    /** Settings of every room besides the grace (see `RoomSettings`). */
    private readonly roomSettings: Omit<RoomSettings, 'graceMs' | 'onIdle'> = {},
  ) {}

  /** Rooms with participants on this node. */
  get count(): number {
    return this.rooms.size;
  }

  /** Participants connected to this node. */
  get participants(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.members.size;
    return n;
  }

  get(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  values(): IterableIterator<Room> {
    return this.rooms.values();
  }

  /**
   * Room `name`, opened here if needed. A new room starts its roster sync; joiners
   * then wait for it with `room.whenReady` (on a single node it is ready at once).
   */
  open(name: string): Room {
    let room = this.rooms.get(name);
    if (!room) {
      room = new Room(name, this.bus, this.node, this.metrics, {
        ...this.roomSettings,
        graceMs: this.graceMs,
        onIdle: (idle) => {
          if (idle.isEmpty) this.drop(idle);
        },
      });
      this.rooms.set(name, room);
      log.debug('room opened', { room: name });
      this.node.openRoom(room);
    }
    return room;
  }

  /** Removes `member` (or one still waiting to be one) and drops the room once empty. */
  leave(room: Room, member: RoomMember, reason: LeaveReason): void {
    try {
      room.remove(member, reason);
    } finally {
      // Even if announcing the departure failed, an empty room must not linger.
      if (room.isEmpty) this.drop(room);
    }
  }

  /** The relay stops: every room stops listening and holding (the other relays hold this one's participants). */
  closeAll(): void {
    for (const room of [...this.rooms.values()]) this.drop(room);
  }

  private drop(room: Room): void {
    if (this.rooms.get(room.name) !== room) return;
    this.rooms.delete(room.name);
    room.close();
    log.debug('room closed', { room: room.name });
  }
}
