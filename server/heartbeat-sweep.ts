/**
 * The heartbeat sweep every endpoint runs over its connections: a client silent
 * for {@link HEARTBEAT_MISSES} heartbeat intervals is closed with
 * `heartbeat-timeout` (4008), whatever carries it.
 */
import { CloseCode, ErrorCode } from '../src/protocol/index.js';
import type { RelayContext } from './context.js';
import { ProtocolError } from './errors.js';
import type { Logger } from './log.js';
import { guardConnection } from './connection-guard.js';
import type { Connection } from './connection.js';

/** Missed heartbeat intervals after which a silent client is dropped. */
export const HEARTBEAT_MISSES = 3;

export class HeartbeatSweep {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ctx: RelayContext,
    /** The connections to check, read on every sweep. */
    private readonly connections: Iterable<Connection>,
    private readonly log: Logger,
  ) {
    const interval = ctx.options.heartbeatIntervalMs;
    // Often enough that a timeout is noticed within half an interval; at most once a second.
    this.timer = setInterval(() => this.check(), Math.max(5, Math.min(1000, interval / 2)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const limit = HEARTBEAT_MISSES * this.ctx.options.heartbeatIntervalMs;
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
