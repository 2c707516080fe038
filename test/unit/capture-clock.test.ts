import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CaptureClock } from '../../src/capture/capture-clock.js';

/** 10 ms chunks from a source whose clock reads `originUs` when the wall clock reads 0. */
function chunks(count: number, originUs: number, waitMs: (i: number) => number) {
  return Array.from({ length: count }, (_, i) => {
    const startUs = originUs + i * 10_000;
    const endUs = startUs + 10_000;
    return { startUs, endUs, readAt: (i + 1) * 10 + waitMs(i) };
  });
}

describe('CaptureClock', () => {
  it('maps a chunk read late to when it was captured, by the least wait seen', () => {
    const clock = new CaptureClock();
    // Read 1 ms after each chunk ends, but chunks 50-59 wait in a backlog up to 100 ms.
    const all = chunks(100, 7_000_000, (i) => (i >= 50 && i < 60 ? 100 - (i - 50) * 10 : 1));
    for (const c of all) {
      clock.read(c.endUs, c.readAt);
      const captured = clock.wallClockOf(c.startUs)!;
      // The first sample was captured at (i * 10) ms on the wall clock; the least wait (1 ms) is added.
      expect(captured).toBeCloseTo((c.startUs - 7_000_000) / 1000 + 1, 6);
      expect(captured).toBeLessThanOrEqual(c.readAt);
    }
    // Stamping at the read, less the chunk's length (as before), put chunk 50 its backlog (less the least wait) late.
    expect(all[50]!.readAt - 10 - clock.wallClockOf(all[50]!.startUs)!).toBeCloseTo(99, 6);
  });

  it('follows a new source clock at once, and forgets a least wait older than its window', () => {
    const clock = new CaptureClock();
    for (const c of chunks(10, 0, () => 1)) clock.read(c.endUs, c.readAt);
    expect(clock.wallClockOf(0)).toBeCloseTo(1, 6);
    // Another microphone: its clock is 1 h ahead.
    clock.read(3_600_000_000 + 200_000, 200);
    expect(clock.wallClockOf(3_600_000_000 + 190_000)).toBeCloseTo(190, 6);
    // A 1 ms wait is forgotten after 5 s of 4 ms waits.
    const c2 = new CaptureClock();
    c2.read(10_000, 11);
    for (let t = 20; t <= 6000; t += 10) c2.read((t - 4) * 1000, t);
    expect(c2.wallClockOf(6_000_000)).toBeCloseTo(6004, 6);
    c2.reset();
    expect(c2.wallClockOf(0)).toBeUndefined();
  });

  it('starts over when the source’s time goes back, however little', () => {
    const clock = new CaptureClock();
    for (const c of chunks(50, 0, () => 1)) clock.read(c.endUs, c.readAt);
    // The timeline restarts 300 ms back (under the 1 s a jump takes): read at 511 ms, its chunk ends at 200 ms.
    clock.read(200_000, 511);
    expect(clock.wallClockOf(190_000)).toBeCloseTo(501, 6);
  });

  it('never maps a chunk after the time it was read', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 300 }), { minLength: 1, maxLength: 300 }), (waits) => {
        const clock = new CaptureClock();
        for (const c of chunks(waits.length, 123_456_789, (i) => waits[i]!)) {
          clock.read(c.endUs, c.readAt);
          expect(clock.wallClockOf(c.endUs)!).toBeLessThanOrEqual(c.readAt + 1e-9);
        }
      }),
    );
  });
});
