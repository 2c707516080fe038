import { describe, expect, it } from 'vitest';
import { initials } from '../../../src/element/tiles.js';

describe('initials', () => {
  it('takes the first letters of the first and last words, upper-cased', () => {
    expect(initials('Ada')).toBe('A');
    expect(initials('grace brewster murray hopper')).toBe('GH');
    expect(initials('  Ada   Lovelace ')).toBe('AL');
  });

  it('keeps whole code points, so an emoji or a surrogate pair stays intact', () => {
    expect(initials('🦊 Fox')).toBe('🦊F');
    expect(initials('𝒜da')).toBe('𝒜');
  });

  it('shows a question mark for a blank name', () => {
    expect(initials('')).toBe('?');
    expect(initials('   ')).toBe('?');
  });
});
