/**
 * The relay's subject scheme. Room names and session ids are both
 * `[A-Za-z0-9_-]`, so they are valid subject tokens as they are.
 *
 * - `room.<room>.media.<publisher>`: media frames of one publisher. Per publisher so
 *   that a node can later subscribe only to the publishers its participants watch.
 * - `room.<room>.presence`: peer joined, peer left, media state; every node in the
 *   room keeps its roster copy from these.
 * - `room.<room>.to.<session>`: control addressed to one session (keyframe requests).
 *
 * A node subscribes per room (`room.<room>.media.*`, `.presence`, `.to.*`) while it
 * has local participants there, never per session.
 */
export const subjects = {
  media: (room: string, publisher: string) => `room.${room}.media.${publisher}`,
  presence: (room: string) => `room.${room}.presence`,
  to: (room: string, session: string) => `room.${room}.to.${session}`,
  /** Patterns one node subscribes to for a room. */
  roomMedia: (room: string) => `room.${room}.media.*`,
  roomTo: (room: string) => `room.${room}.to.*`,
} as const;

/** Last token of a subject: the publisher of `media.*`, the target of `to.*`. */
export function lastToken(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}
