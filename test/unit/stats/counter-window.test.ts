import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CounterWindow, MIN_SPAN_MS } from '../../../src/call/counter-window.js';

describe('CounterWindow', () => {
  it('gives no rate before it has enough history', () => {
    const w = new CounterWindow<'n'>(3000);
    expect(w.rate('n')).toBeNull();
    w.add(0, { n: 0 });
    expect(w.rate('n')).toBeNull();
    w.add(MIN_SPAN_MS - 1, { n: 10 });
    expect(w.rate('n')).toBeNull();
    w.add(1000, { n: 30 });
    expect(w.rate('n')).toBe(30);
  });

  it('measures a steady counter at its rate, whatever the sampling', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 5000, noNaN: true }),
        fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 2, maxLength: 60 }),
        fc.integer({ min: 500, max: 10_000 }),
        (perSecond, steps, windowMs) => {
          const w = new CounterWindow<'n'>(windowMs);
          let t = 1_000_000;
          w.add(t, { n: (t * perSecond) / 1000 });
          for (const step of steps) {
            t += step;
            w.add(t, { n: (t * perSecond) / 1000 });
          }
          const rate = w.rate('n');
          if (rate !== null) expect(rate).toBeCloseTo(perSecond, 6);
        },
      ),
    );
  });

  it('follows a change of rate within one window, and keeps a bounded history', () => {
    const w = new CounterWindow<'n'>(3000);
    let n = 0;
    for (let t = 0; t <= 20_000; t += 1000) {
      w.add(t, { n });
      n += t < 10_000 ? 30 : 5; // 30 per second, then 5
    }
    expect(w.rate('n')).toBe(5);
    expect(w.size).toBeLessThanOrEqual(5);
  });

  it('spans at most one sample more than the window', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 80 }), (steps) => {
        const w = new CounterWindow<'n'>(3000);
        let t = 0;
        w.add(t, { n: 0 });
        let largest = 0;
        for (const step of steps) {
          t += step;
          largest = Math.max(largest, step);
          w.add(t, { n: t });
        }
        const d = w.delta();
        if (d) expect(d.spanMs).toBeLessThan(3000 + largest + 1);
      }),
    );
  });

  it('never gives a negative rate when a counter restarts: it counts what it counted since', () => {
    const w = new CounterWindow<'n'>(3000);
    w.add(0, { n: 500 });
    w.add(1000, { n: 10 }); // e.g. a restarted encoder
    expect(w.rate('n')).toBe(10);
  });

  it('counts a counter that appeared within the window from zero (a layer started after the window began)', () => {
    const w = new CounterWindow<'bytes' | 'frames'>(3000);
    w.add(0, { bytes: 0 } as Record<'bytes' | 'frames', number>);
    w.add(1000, { bytes: 100, frames: 20 });
    w.add(2000, { bytes: 200, frames: 40 });
    expect(w.rate('frames')).toBe(20);
    expect(w.rate('bytes')).toBe(100);
  });

  it('ignores a snapshot older than the newest', () => {
    const w = new CounterWindow<'n'>(3000);
    w.add(0, { n: 0 });
    w.add(1000, { n: 10 });
    w.add(500, { n: 1000 });
    expect(w.rate('n')).toBe(10);
  });
});
