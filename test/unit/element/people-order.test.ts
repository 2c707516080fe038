import { describe, expect, it } from 'vitest';
import { HandQueue } from '../../../src/element/hand-queue.js';
import { matchesQuery, orderPeople, type PersonRow } from '../../../src/element/people-order.js';

const person = (id: string, name: string, extra: Partial<PersonRow> = {}): PersonRow => ({
  id,
  name,
  local: false,
  mic: true,
  camera: true,
  screen: false,
  handRaised: false,
  handPosition: null,
  e2ee: 'off',
  safetyCode: null,
  encrypted: false,
  ...extra,
});

describe('orderPeople', () => {
  it('lists ourselves first, then raised hands in raise order, then the rest by name', () => {
    const rows = [
      person('z', 'zoe'),
      person('b', 'Bruno', { handRaised: true, handPosition: 2 }),
      person('me', 'Mia', { local: true, handRaised: true, handPosition: 3 }),
      person('a', 'Ada'),
      person('y', 'Yuki', { handRaised: true, handPosition: 1 }),
      person('c', 'carla'),
    ];
    expect(orderPeople(rows, 'en').map((r) => r.id)).toEqual(['me', 'y', 'b', 'a', 'c', 'z']);
  });

  it('sorts names as the language does, accents and case aside, numbers by value, ties by id', () => {
    const rows = [person('3', 'Guest 10'), person('2', 'Élodie'), person('1', 'edgar'), person('4', 'Guest 9')];
    expect(orderPeople(rows, 'it').map((r) => r.name)).toEqual(['edgar', 'Élodie', 'Guest 9', 'Guest 10']);
    const twins = [person('b', 'Ada'), person('a', 'ada')];
    expect(orderPeople(twins, 'en').map((r) => r.id)).toEqual(['a', 'b']);
  });
});

describe('matchesQuery', () => {
  it('finds a name by any part of it, without accents or case', () => {
    expect(matchesQuery('Élodie Martin', 'elo')).toBe(true);
    expect(matchesQuery('Élodie Martin', 'MART')).toBe(true);
    expect(matchesQuery('Ada', '  ')).toBe(true);
    expect(matchesQuery('Ada', 'bo')).toBe(false);
  });
});

describe('HandQueue', () => {
  it('keeps the order hands went up, and forgets a lowered one', () => {
    const q = new HandQueue();
    q.set('b', true);
    q.set('a', true);
    q.set('b', true); // already up: keeps its place
    expect(q.ids()).toEqual(['b', 'a']);
    q.set('b', false);
    q.set('b', true); // raised again: to the back
    expect(q.ids()).toEqual(['a', 'b']);
    expect([...q.positions()]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('syncs with who has a hand up: the gone leave the queue, hands found up join its end', () => {
    const q = new HandQueue();
    q.set('x', true);
    q.set('y', true);
    q.sync(['y', 'w', 'v']);
    expect(q.ids()).toEqual(['y', 'w', 'v']);
    q.clear();
    expect(q.ids()).toEqual([]);
  });
});
