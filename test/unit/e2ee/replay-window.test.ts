import { describe, expect, it } from 'vitest';
import { ReplayWindow } from '../../../src/e2ee/replay-window.js';

describe('ReplayWindow', () => {
  it('accepts each counter once and refuses a second copy', () => {
    const w = new ReplayWindow(8);
    expect(w.accept(0n)).toBe(true);
    expect(w.check(0n)).toBe('seen');
    expect(w.accept(0n)).toBe(false);
    expect(w.accept(1n)).toBe(true);
    expect(w.accept(1n)).toBe(false);
  });

  it('accepts counters out of order inside the window, once each', () => {
    const w = new ReplayWindow(8);
    for (const ctr of [5n, 2n, 7n, 3n, 0n, 6n, 1n, 4n]) expect(w.accept(ctr), `ctr ${ctr}`).toBe(true);
    for (let ctr = 0n; ctr < 8n; ctr++) expect(w.accept(ctr)).toBe(false);
  });

  it('refuses counters at or beyond the window size below the highest, seen or not', () => {
    const w = new ReplayWindow(8);
    expect(w.accept(3n)).toBe(true);
    expect(w.accept(20n)).toBe(true);
    expect(w.check(12n)).toBe('too-old'); // 20 − 12 = 8: just outside
    expect(w.accept(12n)).toBe(false);
    expect(w.accept(13n)).toBe(true); // 20 − 13 = 7: the oldest counter inside
    expect(w.check(3n)).toBe('too-old');
  });

  it('forgets the slots of counters that slid out, so later counters reuse them', () => {
    const w = new ReplayWindow(4);
    for (let ctr = 0n; ctr < 4n; ctr++) w.accept(ctr);
    // 4..7 share slots with 0..3; they were never seen.
    for (let ctr = 4n; ctr < 8n; ctr++) expect(w.accept(ctr)).toBe(true);
    expect(w.accept(9n)).toBe(true);
    expect(w.check(8n)).toBe('ok'); // skipped, still inside
    expect(w.check(5n)).toBe('too-old');
  });

  it('handles a jump far ahead and counters up to 2^64 − 1', () => {
    const w = new ReplayWindow(128);
    expect(w.accept(1n)).toBe(true);
    expect(w.accept((1n << 64n) - 1n)).toBe(true);
    expect(w.check(1n)).toBe('too-old');
    expect(w.check((1n << 64n) - 2n)).toBe('ok');
    expect(w.accept((1n << 64n) - 1n)).toBe(false);
  });

  it('refuses a nonsensical size', () => {
    expect(() => new ReplayWindow(0)).toThrow(RangeError);
    expect(() => new ReplayWindow(1.5)).toThrow(RangeError);
  });
});
