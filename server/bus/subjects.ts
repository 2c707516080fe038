/**
 * The relay's subject scheme. Room names, session ids and node ids are all
 * `[A-Za-z0-9_-]`, so they are valid subject tokens as they are.
 *
 * Room traffic (a node subscribes while it has participants in the room):
 * - `room.<room>.media.<publisher>.<track>`: media frames of one publisher's
 *   track and layer (`trackToken`: `audio`, `video-<layer>`, `screen-<layer>`,
 *   `screen-audio`). A node subscribes to every publisher's audio and screen
 *   audio (`media.*.audio`, `media.*.screen-audio`) and only to the video and
 *   screen layers its participants watch (`media-interest.ts`).
 * - `room.<room>.demand`: what each node's receivers watch, so a publisher's node
 *   tells it which layers to send (`remote-demand.ts`; JSON, on change and refreshed).
 * - `room.<room>.presence`: peer joined, peer left, media state; every node in the
 *   room keeps its roster copy from these. Chat to everyone goes here too, so it
 *   reaches each node after the join of its sender.
 * - `room.<room>.to.<session id>`: control addressed to one participant (keyframe
 *   requests, key exchange, chat to chosen people), subscribed by the one node it
 *   is connected to.
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
import { TrackKind } from '../../src/protocol/index.js';

export const subjects = {
  media: (room: string, publisher: string, track: string) => `room.${room}.media.${publisher}.${track}`,
  /** Pattern of one track token (`trackToken`) of every publisher in a room. */
  anyMedia: (room: string, track: string) => `room.${room}.media.*.${track}`,
  demand: (room: string) => `room.${room}.demand`,
  presence: (room: string) => `room.${room}.presence`,
  to: (room: string, session: string) => `room.${room}.to.${session}`,
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

/**
 * The subject token of a track and layer: `audio` and `screen-audio` (audio has
 * no layers), `video-<layer>`, `screen-<layer>`; `other` for a kind this relay does not know.
 */
export function trackToken(kind: number, layer: number): string {
  switch (kind) {
    case TrackKind.AUDIO:
      return 'audio';
    case TrackKind.VIDEO:
      return `video-${layer}`;
    case TrackKind.SCREEN:
      return `screen-${layer}`;
    case TrackKind.SCREEN_AUDIO:
      return 'screen-audio';
    default:
      return 'other';
  }
}

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
