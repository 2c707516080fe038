/**
 * The relay's subject scheme. Room names, session ids and node ids are all
 * `[A-Za-z0-9_-]`, so they are valid subject tokens as they are.
 *
 * Room traffic (a node subscribes while it has participants in the room):
 * - `room.<room>.media.<publisher>`: media frames of one publisher. A node
 *   subscribes to `room.<room>.media.*`: today every participant receives every
 *   publisher. Per publisher so that a node can subscribe only to the publishers
 *   its participants watch once clients say which ones they want.
 * - `room.<room>.presence`: peer joined, peer left, media state; every node in the
 *   room keeps its roster copy from these.
 * - `room.<room>.to.<session id>`: control addressed to one participant (keyframe
 *   requests, key exchange), subscribed by the one node it is connected to.
 *
 * Cluster control (see `cluster.ts`; JSON payloads, rare):
 * - `room.<room>.roster`: "here are my participants in this room, send me yours";
 *   every node subscribes to `room.*.roster` and answers, so the asker knows when
 *   it has heard from everyone.
 * - `relay.<node>.roster`: the answers, addressed to the asking node.
 * - `relay.<node>.alive`: a node's heartbeat; `relay.<node>.bye`: its goodbye.
 * - `relay.resume.cutoff`: a session resumed or left, so its earlier resume tokens
 *   are spent on every node (`resume-tokens.ts`).
 * - `room.<room>.control`: the room's lobby (knocks, admissions), lock and end,
 *   between the nodes that have the room open (`room-control.ts`).
 * - `relay.ban`: an admin removed an identity from a room; every node refuses it
 *   there (`room-bans.ts`), whether or not it has the room open.
 */
export const subjects = {
  media: (room: string, publisher: string) => `room.${room}.media.${publisher}`,
  presence: (room: string) => `room.${room}.presence`,
  to: (room: string, session: string) => `room.${room}.to.${session}`,
  /** Pattern of every publisher's media in a room. */
  roomMedia: (room: string) => `room.${room}.media.*`,
  roster: (room: string) => `room.${room}.roster`,
  rosterReply: (node: string) => `relay.${node}.roster`,
  alive: (node: string) => `relay.${node}.alive`,
  bye: (node: string) => `relay.${node}.bye`,
  resumeCutoff: 'relay.resume.cutoff',
  roomControl: (room: string) => `room.${room}.control`,
  bans: 'relay.ban',
  /** Patterns every node subscribes to once. */
  anyRoster: 'room.*.roster',
  anyAlive: 'relay.*.alive',
  anyBye: 'relay.*.bye',
} as const;

/** Last token of a subject: the publisher of `media.*`, the target of `to.*`. */
export function lastToken(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}

/** Second token of a subject: the room of `room.<room>.…`, the node of `relay.<node>.…`. */
export function secondToken(subject: string): string {
  const start = subject.indexOf('.') + 1;
  const end = subject.indexOf('.', start);
  return subject.slice(start, end < 0 ? undefined : end);
}
