/**
 * The heartbeat sweep every endpoint runs over its connections: a client silent
 * for {@link HEARTBEAT_MISSES} heartbeat intervals is closed with
 * `heartbeat-timeout` (4008), whatever carries it.
 */
import { CloseCode, ErrorCode } from '../src/protocol/index.js';
import { guardConnection, type GuardedConnection } from './connection-guard.js';
import { ProtocolError } from './errors.js';
import type { Logger } from './log.js';
import type { LeaveReason } from './room-member.js';

/** Missed heartbeat intervals after which a silent client is dropped. */
export const HEARTBEAT_MISSES = 3;

/** What the sweep needs of a connection: when it last heard from it, and a way to end it. */
export interface SweptConnection extends GuardedConnection {
  /** `performance.now()` of the last message received. */
  readonly lastSeen: number;
  fail(err: ProtocolError, reason?: LeaveReason): void;
}

export class HeartbeatSweep {
  private readonly timer: NodeJS.Timeout;

  constructor(
    /** The interval clients send heartbeats at (`heartbeatIntervalMs`). */
    private readonly intervalMs: number,
    /** The connections to check, read on every sweep. */
    private readonly connections: Iterable<SweptConnection>,
    private readonly log: Logger,
  ) {
    // Often enough that a timeout is noticed within half an interval; at most once a second.
    this.timer = setInterval(() => this.check(), Math.max(5, Math.min(1000, intervalMs / 2)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const limit = HEARTBEAT_MISSES * this.intervalMs;
    const now = performance.now();
    for (const connection of this.connections) {
      if (now - connection.lastSeen <= limit) continue;
      guardConnection(connection, this.log, () =>
        connection.fail(
          new ProtocolError(ErrorCode.HeartbeatTimeout, `nothing received for ${limit} ms`, CloseCode.HeartbeatTimeout),
          'timeout',
        ),
      );
    }
  }
}
