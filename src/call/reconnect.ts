/**
 * When and how a joined {@link Room} that lost its relay tries again: which
 * losses are worth retrying, and how long to wait before each attempt.
 */

/** Waits before attempts 1, 2, 3…: at once, then doubling up to {@link MAX_RECONNECT_DELAY_MS}. */
const BASE_DELAYS_MS = [0, 250, 500, 1000, 2000];
/** Longest wait between two attempts. */
export const MAX_RECONNECT_DELAY_MS = 5000;
/** Default `RoomOptions.reconnectTimeoutMs`: after this long without a relay the call ends. */
export const DEFAULT_RECONNECT_TIMEOUT_MS = 60_000;
/** Silent for this many heartbeat intervals, the relay is taken as gone (a half-open TCP connection never closes by itself). */
export const SILENT_INTERVALS = 3;

/**
 * How long to wait before reconnect attempt `attempt` (1 on the first): the
 * first goes at once (another relay is likely up), later ones back off with
 * ±25 % jitter so that the participants of a dead relay do not all arrive at
 * the same instant.
 */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = BASE_DELAYS_MS[attempt - 1] ?? MAX_RECONNECT_DELAY_MS;
  if (base === 0) return 0;
  return Math.min(MAX_RECONNECT_DELAY_MS, Math.round(base * (0.75 + random() * 0.5)));
}

/** Reasons (the relay's close reason or error code) after which reconnecting is wrong: it would fail the same way, or must not happen. */
const NEVER_RETRY = new Set([
  'left',
  'room-full',
  'invalid-room',
  'invalid-name',
  'protocol-version',
  'unauthorized',
  // A resume took this participant over on another connection: that one is the call now.
  'session-replaced',
  'malformed',
  'too-large',
  'unknown-type',
  'not-joined',
  'already-joined',
]);

/** Reasons a relay gives when the connection ended for something other than what this page did. */
const RETRY_REASONS = new Set([
  'server-shutdown',
  'heartbeat-timeout',
  'internal',
  'internal-error',
  'slow-consumer',
  'connection-lost',
]);

/** Close codes of a connection that went away rather than was refused: going away, dropped, server error, restart, try later. */
const RETRY_CODES = new Set([1001, 1005, 1006, 1011, 1012, 1013]);

/**
 * True when a joined call that lost its connection this way should reconnect
 * (to the same relay or another) instead of ending. `reason` empty means the
 * connection dropped without a word from the relay.
 */
export function worthReconnecting(close: { code: number; reason: string }): boolean {
  if (NEVER_RETRY.has(close.reason)) return false;
  return close.reason === '' || RETRY_REASONS.has(close.reason) || RETRY_CODES.has(close.code);
}

/** Failures to reach or join one relay that say nothing about the others. */
const RELAY_FAILURES = new Set(['relay-unreachable', 'webtransport-unavailable', 'join-timeout', 'connection-lost']);

/**
 * True when failing to connect or join with this error `code` should move on to
 * the next relay of the list; false for answers every relay would give the same
 * (`room-full`, `invalid-room`, `protocol-version`…), which end the call.
 */
export function nextRelayMayHelp(code: string): boolean {
  return RELAY_FAILURES.has(code) || (!NEVER_RETRY.has(code) && RETRY_REASONS.has(code));
}
