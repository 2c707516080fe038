import { describe, expect, it } from 'vitest';
import { OutputGlitchMonitor } from '../../src/playout/output-glitches.js';

describe('OutputGlitchMonitor', () => {
  it('tolerates a glitch now and then', () => {
    const monitor = new OutputGlitchMonitor({ maxGlitches: 3, windowMs: 10_000, settleMs: 1000 });
    let count = 0;
    const verdicts: boolean[] = [];
    // One glitch every 4 s for a minute: never more than 3 in 10 s.
    for (let t = 0; t <= 60_000; t += 1000) {
      if (t > 0 && t % 4000 === 0) count++;
      verdicts.push(monitor.sample(count, t));
    }
    expect(verdicts.every((v) => !v)).toBe(true);
  });

  it('steps up when glitches keep coming', () => {
    const monitor = new OutputGlitchMonitor({ maxGlitches: 3, windowMs: 10_000, settleMs: 1000 });
    let count = 0;
    let steppedAt: number | undefined;
    for (let t = 0; t <= 20_000 && steppedAt === undefined; t += 1000) {
      count += 1; // a glitch a second
      if (monitor.sample(count, t)) steppedAt = t;
    }
    // Counted from the first sample after settling (t = 1 s): the 4th glitch in the window, at 4 s.
    expect(steppedAt).toBe(4000);
  });

  it('does not count the glitches of the output starting up', () => {
    const monitor = new OutputGlitchMonitor({ maxGlitches: 3, windowMs: 10_000, settleMs: 1000 });
    expect(monitor.sample(0, 0)).toBe(false);
    expect(monitor.sample(50, 500)).toBe(false); // still settling
    expect(monitor.sample(50, 1500)).toBe(false); // nothing new since
    expect(monitor.recent).toBe(0);
  });

  it('forgets glitches older than the window', () => {
    const monitor = new OutputGlitchMonitor({ maxGlitches: 3, windowMs: 10_000, settleMs: 0 });
    monitor.sample(0, 0);
    expect(monitor.sample(3, 1000)).toBe(false);
    expect(monitor.recent).toBe(3);
    expect(monitor.sample(3, 12_000)).toBe(false);
    expect(monitor.recent).toBe(0);
    // A burst of thousands counts as just past the limit, and no more.
    expect(monitor.sample(5003, 13_000)).toBe(true);
    expect(monitor.recent).toBe(4);
  });
});
