/**
 * The heartbeat sweep and the connection guard on their own, with fake
 * connections: no sockets, no relay.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CloseCode, ErrorCode } from '../../src/protocol/index.js';
import { guardConnection } from '../../server/connection-guard.js';
import { ProtocolError } from '../../server/errors.js';
import { HEARTBEAT_MISSES, HeartbeatSweep, type SweptConnection } from '../../server/heartbeat-sweep.js';
import { createLogger } from '../../server/log.js';
import type { LeaveReason } from '../../server/room-member.js';

const log = createLogger('test');

/** A connection that records how it was ended; `throwOnFail` makes its first `fail` throw. */
class FakeConnection implements SweptConnection {
  readonly failures: Array<{ code: string; closeCode: number | undefined; reason: LeaveReason | undefined }> = [];
  constructor(
    readonly sessionId: string,
    public lastSeen: number,
    private throwOnFail = false,
  ) {}
  fail(err: ProtocolError, reason?: LeaveReason): void {
    this.failures.push({ code: err.code, closeCode: err.closeCode, reason });
    if (this.throwOnFail) {
      this.throwOnFail = false;
      throw new Error('fail threw');
    }
  }
}

const sweeps: HeartbeatSweep[] = [];

afterEach(() => {
  for (const sweep of sweeps.splice(0)) sweep.stop();
  vi.useRealTimers();
});

describe('HeartbeatSweep', () => {
  it(`ends a connection silent for more than ${HEARTBEAT_MISSES} intervals with heartbeat-timeout, and keeps the others`, () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const intervalMs = 100;
    const now = performance.now();
    const silent = new FakeConnection('silent', now - HEARTBEAT_MISSES * intervalMs - 1000);
    const talking = new FakeConnection('talking', now + 60_000);
    sweeps.push(new HeartbeatSweep(intervalMs, [silent, talking], log));

    vi.advanceTimersByTime(intervalMs / 2);

    expect(silent.failures).toEqual([
      { code: ErrorCode.HeartbeatTimeout, closeCode: CloseCode.HeartbeatTimeout, reason: 'timeout' },
    ]);
    expect(talking.failures).toEqual([]);
  });

  it('reads the connections anew on every sweep, and stops when told', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const connections = new Set<FakeConnection>();
    const sweep = new HeartbeatSweep(100, connections, log);
    sweeps.push(sweep);
    vi.advanceTimersByTime(50);
    const late = new FakeConnection('late', performance.now() - 10_000);
    connections.add(late);
    vi.advanceTimersByTime(50);
    expect(late.failures).toHaveLength(1);

    sweep.stop();
    vi.advanceTimersByTime(500);
    expect(late.failures).toHaveLength(1);
  });
});

describe('guardConnection', () => {
  it('ends the connection with internal (1011) when the handler throws, and swallows the exception', () => {
    const connection = new FakeConnection('a', 0);
    expect(() =>
      guardConnection(connection, log, () => {
        throw new Error('bug');
      }),
    ).not.toThrow();
    expect(connection.failures).toEqual([
      { code: ErrorCode.Internal, closeCode: CloseCode.Internal, reason: undefined },
    ]);
  });

  it('does not touch the connection when the handler returns, and survives a fail that throws', () => {
    const fine = new FakeConnection('a', 0);
    let ran = false;
    guardConnection(fine, log, () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(fine.failures).toEqual([]);

    const broken = new FakeConnection('b', 0, true);
    expect(() =>
      guardConnection(broken, log, () => {
        throw new Error('bug');
      }),
    ).not.toThrow();
    expect(broken.failures).toHaveLength(1);
  });
});
