/**
 * What the nodes that have a room open tell each other about its lobby, its lock
 * and its end, on `room.<room>.control`: small JSON objects (rare, and readable
 * with `nats sub`). Everything read from the bus is checked like client input:
 * a malformed or oversized message is dropped (and counted by the caller), never
 * trusted.
 */
import { isValidRoomName, MAX_NAME_LENGTH, type ParticipantInit } from '../src/protocol/index.js';

/** A waiter as the lobby shows it to admins: no state, no codecs, nothing of the meeting. */
export interface LobbyEntry {
  id: string;
  name: string;
  identity: string;
}

/** One message between nodes about a room (`node`: the node that sent it). */
export type RoomControl =
  /** `p` waits in the lobby on `node`. */
  | { t: 'knock'; node: string; p: LobbyEntry }
  /** Waiter `id` of `node` no longer waits (admitted, denied, or gone). */
  | { t: 'gone'; node: string; id: string }
  /** An admin decided about waiter `id`: the node holding it lets it in or turns it away. */
  | { t: 'decide'; node: string; id: string; admit: boolean }
  /** An admin (`by`) locked or unlocked the room. */
  | { t: 'lock'; node: string; locked: boolean; by: string }
  /** An admin (`by`) ended the meeting: every node closes its participants there. */
  | { t: 'end'; node: string; by: string }
  /** `node` just opened the room: the others tell it their waiters and the lock. */
  | { t: 'hello'; node: string };

/** Longest control message read from the bus; a knock with a 256-character identity fits. */
const MAX_BYTES = 2048;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_IDENTITY = 256;

export function encodeRoomControl(message: RoomControl): Buffer {
  return Buffer.from(JSON.stringify(message));
}

/** A control message from the bus, or undefined when it is not a well-formed one (the caller counts it). */
export function decodeRoomControl(payload: Uint8Array): RoomControl | undefined {
  if (payload.length > MAX_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !isId(value.node)) return undefined;
  const node = value.node;
  switch (value.t) {
    case 'knock': {
      const p = value.p;
      if (!isRecord(p) || !isId(p.id) || !isText(p.name, 4 * MAX_NAME_LENGTH) || !isText(p.identity, MAX_IDENTITY))
        return undefined;
      return { t: 'knock', node, p: { id: p.id, name: p.name, identity: p.identity } };
    }
    case 'gone':
      return isId(value.id) ? { t: 'gone', node, id: value.id } : undefined;
    case 'decide':
      return isId(value.id) && typeof value.admit === 'boolean'
        ? { t: 'decide', node, id: value.id, admit: value.admit }
        : undefined;
    case 'lock':
      return typeof value.locked === 'boolean' && isByOk(value.by)
        ? { t: 'lock', node, locked: value.locked, by: value.by }
        : undefined;
    case 'end':
      return isByOk(value.by) ? { t: 'end', node, by: value.by } : undefined;
    case 'hello':
      return { t: 'hello', node };
    default:
      return undefined;
  }
}

/** A waiter as a `Knock` entry (a `Participant` with only what the lobby shows). */
export function lobbyParticipant(entry: LobbyEntry): ParticipantInit {
  return { id: entry.id, name: entry.name, identity: entry.identity };
}

/** `room` and `identity` as a ban on `relay.ban`: JSON `{room, identity}`; undefined if malformed. */
export function decodeBan(payload: Uint8Array): { room: string; identity: string } | undefined {
  if (payload.length > 512) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.room !== 'string' || !isValidRoomName(value.room)) return undefined;
  if (typeof value.identity !== 'string' || !value.identity || value.identity.length > MAX_IDENTITY) return undefined;
  return { room: value.room, identity: value.identity };
}

export function encodeBan(room: string, identity: string): Buffer {
  return Buffer.from(JSON.stringify({ room, identity }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

/** `by` is a session id, or empty when not known. */
function isByOk(value: unknown): value is string {
  return value === '' || isId(value);
}
