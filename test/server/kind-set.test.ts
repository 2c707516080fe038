import { describe, expect, it } from 'vitest';
import { TrackKind } from '../../src/protocol/index.js';
import { KindSet } from '../../server/track-kinds.js';

describe('KindSet', () => {
  it('holds track kinds like a Set of numbers', () => {
    const set = new KindSet();
    expect(set.has(TrackKind.AUDIO)).toBe(false);
    set.add(TrackKind.AUDIO);
    set.add(TrackKind.SCREEN);
    expect([0, 1, 2, 3, 4].map((k) => set.has(k))).toEqual([false, true, false, true, false]);
    set.delete(TrackKind.AUDIO);
    set.delete(TrackKind.VIDEO);
    expect([0, 1, 2, 3, 4].map((k) => set.has(k))).toEqual([false, false, false, true, false]);
  });

  it('keeps kinds a client may invent (negative, past 30) off the real ones', () => {
    const set = new KindSet();
    for (const odd of [-1, 31, 32, 33, 1000, 2 ** 31]) set.add(odd);
    for (const kind of [1, 2, 3, 4]) expect(set.has(kind)).toBe(false);
    expect(set.has(99)).toBe(true);
  });
});
