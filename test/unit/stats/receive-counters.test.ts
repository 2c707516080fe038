import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FreezeDetector, freezeThreshold, StreamCounters } from '../../../src/call/receive-counters.js';

describe('StreamCounters', () => {
  it('counts gaps in the sequence as loss, and a late frame as not lost after all', () => {
    const s = new StreamCounters();
    for (const seq of [0, 1, 2, 5, 6]) s.frame(100, 0, seq);
    expect(s.lost).toBe(2);
    expect(s.frames).toBe(5);
    expect(s.bytes).toBe(500);
    s.frame(100, 0, 3); // reordered, came late
    expect(s.lost).toBe(1);
  });

  it('counts no loss across a restarted encoder or another layer', () => {
    const s = new StreamCounters();
    for (let seq = 1000; seq < 1010; seq++) s.frame(10, 0, seq);
    for (let seq = 0; seq < 10; seq++) s.frame(10, 0, seq); // camera off and on: numbering restarts
    for (let seq = 40; seq < 45; seq++) s.frame(10, 1, seq); // another layer, its own numbering
    expect(s.lost).toBe(0);
  });

  it('wraps around the 32-bit sequence without loss', () => {
    const s = new StreamCounters();
    for (const seq of [0xfffffffe, 0xffffffff, 0, 1]) s.frame(1, 0, seq);
    expect(s.lost).toBe(0);
  });

  it('loses exactly the frames dropped, in any order of arrival', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 2, maxLength: 200 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 5 }),
        (kept, start, swaps) => {
          const sent = kept.map((_, i) => (start + i) % 2 ** 32);
          // The first and last always arrive: loss at the very end is not knowable yet.
          const arrived = sent.filter((_, i) => kept[i] || i === 0 || i === sent.length - 1);
          // Local reordering, as separate WebTransport streams may give (not of the very first).
          for (let k = 0; k < swaps && arrived.length > 3; k++) {
            const i = 1 + (k % (arrived.length - 2));
            [arrived[i], arrived[i + 1]] = [arrived[i + 1]!, arrived[i]!];
          }
          const s = new StreamCounters();
          for (const seq of arrived) s.frame(1, 0, seq);
          expect(s.lost).toBe(sent.length - arrived.length);
        },
      ),
    );
  });
});

describe('FreezeDetector', () => {
  it('counts a frame late by more than WebRTC’s threshold as the end of a freeze', () => {
    const f = new FreezeDetector();
    let t = 0;
    for (let i = 0; i < 30; i++) f.shown((t += 50));
    expect(f.count).toBe(0);
    expect(freezeThreshold(50)).toBe(200);
    f.shown((t += 190)); // slow, not frozen
    expect(f.count).toBe(0);
    for (let i = 0; i < 30; i++) f.shown((t += 50));
    f.shown((t += 600));
    expect(f.count).toBe(1);
    expect(f.totalMs).toBe(600);
    expect(f.countSince(t - 10_000)).toBe(1);
    expect(f.countSince(t + 1)).toBe(0);
  });

  it('says a picture is stalled while no frame comes, and forgets a gap after reset', () => {
    const f = new FreezeDetector();
    let t = 0;
    for (let i = 0; i < 30; i++) f.shown((t += 33));
    expect(f.stalledMs(t + 50)).toBe(0);
    expect(f.stalledMs(t + 1500)).toBe(1500);
    f.reset(); // camera turned off
    expect(f.stalledMs(t + 5000)).toBe(0);
    f.shown(t + 5000);
    expect(f.count).toBe(0);
  });
});
