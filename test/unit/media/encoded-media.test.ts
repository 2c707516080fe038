import { describe, expect, it } from 'vitest';
import { nextSequence, sequenceDelta } from '../../../src/codec/encoded-media.js';

describe('sequence numbers (uint32, wrapping)', () => {
  it('count up and wrap to 0', () => {
    expect(nextSequence(0)).toBe(1);
    expect(nextSequence(2 ** 32 - 1)).toBe(0);
  });

  it('measure distance across the wrap', () => {
    expect(sequenceDelta(5, 4)).toBe(1);
    expect(sequenceDelta(4, 4)).toBe(0);
    expect(sequenceDelta(3, 4)).toBe(-1);
    expect(sequenceDelta(0, 2 ** 32 - 1)).toBe(1);
    expect(sequenceDelta(2 ** 32 - 1, 0)).toBe(-1);
    expect(sequenceDelta(10, 2 ** 32 - 5)).toBe(15);
  });
});
