import { FINAL_ERROR_CODES, isErrorCode, RETRYABLE_ERROR_CODES } from '../protocol/error-codes.js';
import type { VideoCallErrorCode } from './errors.js';

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

/**
 * Whether a connection that ended for `reason` may be tried again. `reason` is
 * the relay's close reason or `Error.code` (a protocol `ErrorCode`), or this
 * page's own: `left` (on purpose) or `connection-lost` (the relay fell silent).
 */
function retryVerdict(reason: string): 'never' | 'retry' | 'unknown' {
  if (reason === 'left') return 'never';
  if (reason === 'connection-lost') return 'retry';
  if (!isErrorCode(reason)) return 'unknown';
  if (FINAL_ERROR_CODES.has(reason)) return 'never';
  return RETRYABLE_ERROR_CODES.has(reason) ? 'retry' : 'unknown';
}

/** Close codes of a connection that went away rather than was refused: going away, dropped, server error, restart, try later. */
const RETRY_CODES = new Set([1001, 1005, 1006, 1011, 1012, 1013]);

/**
 * True when a joined call that lost its connection this way should reconnect
 * (to the same relay or another) instead of ending. `reason` empty means the
 * connection dropped without a word from the relay.
 */
export function worthReconnecting(close: { code: number; reason: string }): boolean {
  const verdict = retryVerdict(close.reason);
  if (verdict === 'never') return false;
  return close.reason === '' || verdict === 'retry' || RETRY_CODES.has(close.code);
}

/** Failures to reach or join one relay that say nothing about the others. */
const RELAY_FAILURES: ReadonlySet<VideoCallErrorCode> = new Set<VideoCallErrorCode>([
  'relay-unreachable',
  'webtransport-unavailable',
  'join-timeout',
  'connection-lost',
]);

/**
 * True when failing to connect or join with this error `code` should move on to
 * the next relay of the list; false for answers every relay would give the same
 * (`room-full`, `invalid-room`, `protocol-version`…), which end the call.
 */
export function nextRelayMayHelp(code: string): boolean {
  return (RELAY_FAILURES as ReadonlySet<string>).has(code) || retryVerdict(code) === 'retry';
}
