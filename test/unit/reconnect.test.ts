import { describe, expect, it } from 'vitest';
import {
  MAX_RECONNECT_DELAY_MS,
  nextRelayMayHelp,
  reconnectDelayMs,
  worthReconnecting,
} from '../../src/call/reconnect.js';

describe('reconnectDelayMs', () => {
  it('tries at once, then backs off doubling up to a cap', () => {
    const middle = () => 0.5; // no jitter
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => reconnectDelayMs(n, middle))).toEqual([
      0,
      250,
      500,
      1000,
      2000,
      MAX_RECONNECT_DELAY_MS,
      MAX_RECONNECT_DELAY_MS,
      MAX_RECONNECT_DELAY_MS,
    ]);
  });

  it('jitters by a quarter either way, never past the cap', () => {
    expect(reconnectDelayMs(2, () => 0)).toBe(188);
    expect(reconnectDelayMs(2, () => 0.999999)).toBe(312);
    expect(reconnectDelayMs(1, () => 0.999999)).toBe(0);
    expect(reconnectDelayMs(9, () => 0.999999)).toBe(MAX_RECONNECT_DELAY_MS);
  });
});

describe('worthReconnecting', () => {
  it('reconnects after a drop, a relay shutting down or timing out, or its failure', () => {
    expect(worthReconnecting({ code: 1006, reason: '' })).toBe(true);
    expect(worthReconnecting({ code: 1001, reason: 'server-shutdown' })).toBe(true);
    expect(worthReconnecting({ code: 4008, reason: 'heartbeat-timeout' })).toBe(true);
    expect(worthReconnecting({ code: 4009, reason: 'slow-consumer' })).toBe(true);
    expect(worthReconnecting({ code: 1011, reason: 'internal' })).toBe(true);
    expect(worthReconnecting({ code: 1012, reason: 'restarting' })).toBe(true);
  });

  it('never reconnects what another try would meet again, or what must not come back', () => {
    for (const reason of ['left', 'room-full', 'invalid-room', 'protocol-version', 'invalid-name', 'unauthorized']) {
      expect(worthReconnecting({ code: 4000, reason }), reason).toBe(false);
    }
    expect(worthReconnecting({ code: 4011, reason: 'session-replaced' })).toBe(false);
    expect(worthReconnecting({ code: 1001, reason: 'session-replaced' })).toBe(false);
    expect(worthReconnecting({ code: 1000, reason: 'left' })).toBe(false);
    expect(worthReconnecting({ code: 1009, reason: 'too-large' })).toBe(false);
  });
});

describe('nextRelayMayHelp', () => {
  it('moves on from a relay that cannot be reached or went away', () => {
    for (const code of ['relay-unreachable', 'webtransport-unavailable', 'join-timeout', 'server-shutdown']) {
      expect(nextRelayMayHelp(code), code).toBe(true);
    }
  });

  it('stops at answers every relay of the cluster would give', () => {
    for (const code of ['room-full', 'invalid-room', 'protocol-version', 'session-replaced', 'unauthorized']) {
      expect(nextRelayMayHelp(code), code).toBe(false);
    }
  });
});
