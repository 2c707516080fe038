/** Room names: what a URL, a NATS subject token and a log line can all carry unescaped. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Longest display name the relay accepts, in UTF-16 code units. */
export const MAX_NAME_LENGTH = 64;

/**
 * Default largest envelope, in bytes. A 720p keyframe at the bitrates the element
 * uses is well under 200 kB; the relay announces its own limit in `Welcome`.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 512 * 1024;

/** Default largest room. */
export const DEFAULT_MAX_ROOM_SIZE = 100;

/** How often a client must send something; the relay drops a peer silent for 3 intervals. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;

export function isValidRoomName(room: string): boolean {
  return ROOM_NAME_PATTERN.test(room);
}
