import { describe, expect, it } from 'vitest';
import { ClockOffset } from '../../src/call/clock-offset.js';

/**
 * A relay whose clock is `offset` ms ahead of ours: a Ping sent at `sentAt`
 * takes `up` ms to get there and the Pong `down` ms to come back.
 */
function roundTrip(offset: number, sentAt: number, up: number, down: number) {
  const at = EPOCH + sentAt;
  return { sentAt: at, relayTime: at + up + offset, receivedAt: at + up + down };
}

/** Clocks count milliseconds since 1970: the samples are in 2026. */
const EPOCH = Date.UTC(2026, 11, 2);

describe('ClockOffset', () => {
  it('knows nothing before a round trip, and says 0', () => {
    const clock = new ClockOffset();
    expect(clock.known).toBe(false);
    expect(clock.offsetMs).toBe(0);
    expect(clock.rttMs).toBeNaN();
  });

  it('finds the offset exactly when the way there and back take as long', () => {
    const clock = new ClockOffset();
    clock.add(roundTrip(1234.5, 10_000, 3, 3));
    expect(clock.known).toBe(true);
    expect(clock.offsetMs).toBeCloseTo(1234.5, 6);
    expect(clock.rttMs).toBe(6);
    // Negative offsets too (our clock ahead of the relay's).
    const behind = new ClockOffset();
    behind.add(roundTrip(-50_000, 10_000, 1, 1));
    expect(behind.offsetMs).toBeCloseTo(-50_000, 6);
  });

  it('stays within half the round trip when the two ways differ', () => {
    const clock = new ClockOffset();
    clock.add(roundTrip(100, 0, 9, 1));
    expect(Math.abs(clock.offsetMs - 100)).toBeLessThanOrEqual(clock.rttMs / 2);
    expect(clock.offsetMs).toBeCloseTo(104, 6);
  });

  it('rests on the shortest recent round trip, so queueing delay does not skew it', () => {
    const clock = new ClockOffset();
    // Heartbeats behind queued video: long, lopsided trips; one quick one in the middle.
    const trips = [
      roundTrip(500, 0, 80, 2),
      roundTrip(500, 1000, 120, 5),
      roundTrip(500, 2000, 1, 1),
      roundTrip(500, 3000, 60, 3),
      roundTrip(500, 4000, 200, 1),
    ];
    for (const t of trips) clock.add(t);
    expect(clock.rttMs).toBe(2);
    expect(clock.offsetMs).toBeCloseTo(500, 6);
  });

  it('follows a clock that changed once the old samples leave the window', () => {
    const clock = new ClockOffset();
    for (let i = 0; i < 8; i++) clock.add(roundTrip(0, i * 5000, 1, 1));
    expect(clock.offsetMs).toBeCloseTo(0, 6);
    // The relay's clock stepped by 40 ms (NTP correction): longer trips at first, then the window turns over.
    for (let i = 8; i < 16; i++) clock.add(roundTrip(40, i * 5000, 2, 2));
    expect(clock.offsetMs).toBeCloseTo(40, 6);
  });

  it('ignores impossible samples, and forgets everything on reset', () => {
    const clock = new ClockOffset();
    clock.add({ sentAt: EPOCH + 10, receivedAt: EPOCH + 5, relayTime: EPOCH + 100 });
    clock.add({ sentAt: EPOCH + 10, receivedAt: EPOCH + 12, relayTime: 0 }); // a relay that does not say its time
    expect(clock.known).toBe(false);
    clock.add(roundTrip(7, 0, 1, 1));
    clock.reset();
    expect(clock.known).toBe(false);
    expect(clock.offsetMs).toBe(0);
  });
});
