import { describe, expect, it } from 'vitest';
import { LeakyCount } from '../../server/rate-limit.js';

describe('LeakyCount', () => {
  it('adds up what comes faster than it leaks, and forgets what came long ago', () => {
    let now = 0;
    const count = new LeakyCount(10, () => now);
    for (let i = 0; i < 5; i++) count.add();
    expect(count.add()).toBe(6);
    now += 300; // 3 leak away
    expect(count.add()).toBeCloseTo(4);
    now += 10_000;
    expect(count.add()).toBe(1);
  });

  it('grows without bound under a steady rate above the leak, and stays small below it', () => {
    let now = 0;
    const fast = new LeakyCount(20, () => now);
    const slow = new LeakyCount(20, () => now);
    let fastLevel = 0;
    let slowLevel = 0;
    for (let ms = 0; ms < 5000; ms += 10) {
      now = ms;
      fastLevel = fast.add(); // 100 a second
      if (ms % 100 === 0) slowLevel = slow.add(); // 10 a second
    }
    expect(fastLevel).toBeGreaterThan(390);
    expect(slowLevel).toBeLessThan(2);
  });
});
