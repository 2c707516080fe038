/**
 * The rooms with participants on this node: created on the first join, closed
 * (bus subscriptions dropped) when the last local participant leaves.
 */
import type { ParticipantInit } from '../src/protocol/index.js';
import type { Bus } from './bus/bus.js';
import { createLogger } from './log.js';
import { Room } from './room.js';
import type { LeaveReason, Session } from './session.js';

const log = createLogger('rooms');

export class Rooms {
  private readonly rooms = new Map<string, Room>();

  constructor(
    private readonly bus: Bus,
    private readonly maxRoomSize: number,
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

  /**
   * Adds `session` to room `name`, creating the room here if needed. Throws the
   * `room-full` `ProtocolError`; the room is then not left behind empty.
   */
  admit(name: string, session: Session, me: ParticipantInit): { room: Room; others: ParticipantInit[] } {
    let room = this.rooms.get(name);
    const created = !room;
    if (!room) {
      room = new Room(name, this.bus);
      this.rooms.set(name, room);
      log.debug('room opened', { room: name });
    }
    try {
      return { room, others: room.admit(session, me, this.maxRoomSize) };
    } catch (err) {
      if (created && room.members.size === 0) this.drop(room);
      throw err;
    }
  }

  leave(room: Room, session: Session, reason: LeaveReason): void {
    try {
      room.remove(session, reason);
    } finally {
      // Even if announcing the departure failed, an empty room must not linger.
      if (room.members.size === 0) this.drop(room);
    }
  }

  private drop(room: Room): void {
    if (this.rooms.get(room.name) !== room) return;
    this.rooms.delete(room.name);
    room.close();
    log.debug('room closed', { room: room.name });
  }
}
