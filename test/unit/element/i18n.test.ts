import { describe, expect, it } from 'vitest';
import { defineMissingStrings, defineStrings, translate } from '../../../src/element/i18n.js';
import { languageReady } from '../../../src/element/languages.js';

describe('the string catalogue', () => {
  it('loads a built-in language on demand, once, and English needs no load', async () => {
    expect(languageReady('en')).toBeUndefined();
    expect(languageReady('en-GB')).toBeUndefined();
    // Italian is a chunk of its own: until it loads, English stands in.
    expect(translate('it', 'controls.leave')).toBe('Leave');
    const first = languageReady('it-IT');
    expect(first).toBeInstanceOf(Promise);
    expect(languageReady('it')).toBe(first);
    await first;
    expect(translate('it-IT', 'controls.leave')).toBe('Esci');
    expect(translate('it', 'announce.participantJoined', { name: 'Ada' })).toBe('Ada è entrato.');
    expect(languageReady('it')).toBeUndefined();
  });

  it('a language a site adds needs no load, and falls back to English key by key', () => {
    defineStrings({ xx: { 'controls.leave': 'Leave-xx' } });
    expect(languageReady('xx')).toBeUndefined();
    expect(translate('xx', 'controls.leave')).toBe('Leave-xx');
    expect(translate('xx', 'controls.mic')).toBe('Microphone');
  });

  it('strings loaded later keep what the page reworded, and fill in the rest', () => {
    defineStrings({ yy: { 'demo.kept': 'the page’s' } });
    defineMissingStrings({ yy: { 'demo.kept': 'built in', 'demo.added': 'built in too' } });
    expect(translate('yy', 'demo.kept')).toBe('the page’s');
    expect(translate('yy', 'demo.added')).toBe('built in too');
  });
});
