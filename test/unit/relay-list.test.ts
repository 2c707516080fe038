import { describe, expect, it } from 'vitest';
import { parseRelayList, relayForAttempt } from '../../src/transport/relay-list.js';

describe('parseRelayList', () => {
  it('takes one relay as a list of one', () => {
    expect(parseRelayList('https://relay.example')).toEqual(['https://relay.example']);
  });

  it('splits on whitespace and commas, in order', () => {
    expect(parseRelayList('https://a.example https://b.example')).toEqual(['https://a.example', 'https://b.example']);
    expect(parseRelayList('https://a.example,https://b.example, wss://c.example/ws')).toEqual([
      'https://a.example',
      'https://b.example',
      'wss://c.example/ws',
    ]);
    expect(parseRelayList('\n  https://a.example\n\thttps://b.example ,\n')).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });

  it('takes an array, whose entries may themselves hold several', () => {
    expect(parseRelayList(['https://a.example', ' https://b.example https://c.example '])).toEqual([
      'https://a.example',
      'https://b.example',
      'https://c.example',
    ]);
  });

  it('drops blanks and repeats, keeping the first place', () => {
    expect(parseRelayList('  ,, ')).toEqual([]);
    expect(parseRelayList([])).toEqual([]);
    expect(parseRelayList('https://a.example https://b.example https://a.example')).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });

  it('keeps relative entries for the connection to resolve against the page', () => {
    expect(parseRelayList('/ /calls/')).toEqual(['/', '/calls/']);
  });
});

describe('relayForAttempt', () => {
  it('starts with the relay after the lost one and goes round, the lost one last', () => {
    const relays = ['a', 'b', 'c'];
    expect([1, 2, 3, 4].map((n) => relays[relayForAttempt(relays, 1, n)])).toEqual(['c', 'a', 'b', 'c']);
    expect([1, 2].map((n) => relays[relayForAttempt(relays, 2, n)])).toEqual(['a', 'b']);
  });

  it('retries the only relay there is', () => {
    expect([1, 2, 3].map((n) => relayForAttempt(['a'], 0, n))).toEqual([0, 0, 0]);
  });
});
