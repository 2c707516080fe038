import { describe, expect, it } from 'vitest';
import { LEVEL_RELEASE, nextShownLevel } from '../../src/call/level-meter.js';

describe('nextShownLevel', () => {
  it('rises at once to the loudest level heard', () => {
    expect(nextShownLevel(0, 0.3)).toBe(0.3);
    expect(nextShownLevel(0.1, 0.3)).toBe(0.3);
  });

  it('falls off gradually once the sound stops, and reaches silence', () => {
    const shown = [0.2];
    for (let poll = 0; poll < 12; poll++) shown.push(nextShownLevel(shown.at(-1)!, 0));
    expect(shown[1]).toBeCloseTo(0.2 * LEVEL_RELEASE);
    // A 0.2 beep still reads above 0.01 (the speaking threshold's order) 500 ms later.
    expect(shown[5]).toBeGreaterThan(0.01);
    expect(shown.at(-1)).toBe(0);
    for (let i = 1; i < shown.length; i++) expect(shown[i]).toBeLessThanOrEqual(shown[i - 1]!);
  });

  it('keeps a louder new sound over the falling one', () => {
    expect(nextShownLevel(0.5, 0.1)).toBeCloseTo(0.5 * LEVEL_RELEASE);
    expect(nextShownLevel(0.1, 0.5)).toBe(0.5);
  });
});
