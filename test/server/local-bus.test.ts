import { describe, expect, it } from 'vitest';
import { BusSubjectError, parseSubject, subjectMatches } from '../../server/bus/bus.js';
import {
  busMessageLength,
  decodeBusMessage,
  encodeBusMessage,
  envelopeOf,
  isFromNode,
} from '../../server/bus/bus-message.js';
import { LocalBus } from '../../server/bus/local-bus.js';
import { lastToken, secondToken, subjects, trackToken } from '../../server/bus/subjects.js';
import { TrackKind } from '../../src/protocol/index.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function recorder(bus: LocalBus, pattern: string): string[] {
  const got: string[] = [];
  bus.subscribe(pattern, (subject) => got.push(subject));
  return got;
}

describe('LocalBus', () => {
  it('delivers to exact, * and > subscriptions that match, and only those', () => {
    const bus = new LocalBus();
    const exact = recorder(bus, 'room.a.presence');
    const star = recorder(bus, 'room.a.media.*');
    const tail = recorder(bus, 'room.a.>');
    const all = recorder(bus, '>');
    const other = recorder(bus, 'room.b.>');
    for (const s of ['room.a.presence', 'room.a.media.p1', 'room.a.media.p1.extra', 'room.a', 'room.b.to.x'])
      bus.publish(s, bytes(s));
    expect(exact).toEqual(['room.a.presence']);
    expect(star).toEqual(['room.a.media.p1']);
    expect(tail).toEqual(['room.a.presence', 'room.a.media.p1', 'room.a.media.p1.extra']);
    expect(all).toHaveLength(5);
    expect(other).toEqual(['room.b.to.x']);
  });

  it('after many cached subjects, a new or dropped subscription changes exactly the subjects it matches', () => {
    const bus = new LocalBus();
    for (let r = 0; r < 500; r++) {
      recorder(bus, `room.r${r}.media.*`);
      bus.publish(`room.r${r}.media.p`, bytes('x'));
      bus.publish(`room.r${r}.presence`, bytes('x'));
    }
    // Cached before these subscriptions existed: each must now reach them.
    const star = recorder(bus, 'room.r7.media.*');
    const tail = recorder(bus, 'room.r8.>');
    const exact = recorder(bus, 'room.r9.presence');
    const any = recorder(bus, 'room.*.presence');
    for (const s of ['room.r7.media.p', 'room.r8.media.p', 'room.r8.presence', 'room.r9.presence', 'room.r10.presence'])
      bus.publish(s, bytes(s));
    expect(star).toEqual(['room.r7.media.p']);
    expect(tail).toEqual(['room.r8.media.p', 'room.r8.presence']);
    expect(exact).toEqual(['room.r9.presence']);
    expect(any).toEqual(['room.r8.presence', 'room.r9.presence', 'room.r10.presence']);
    const dropped: string[] = [];
    const sub = bus.subscribe('room.r7.>', (subject) => dropped.push(subject));
    bus.publish('room.r7.media.p', bytes('a'));
    sub.unsubscribe();
    bus.publish('room.r7.media.p', bytes('b'));
    expect(dropped).toEqual(['room.r7.media.p']);
    expect(star).toEqual(['room.r7.media.p', 'room.r7.media.p', 'room.r7.media.p']);
  });

  it('passes the payload through untouched', () => {
    const bus = new LocalBus();
    const payload = bytes('hello');
    let got: Uint8Array | undefined;
    bus.subscribe('a.b', (_s, p) => (got = p));
    bus.publish('a.b', payload);
    expect(got).toBe(payload);
  });

  it('stops delivering after unsubscribe, also for subjects cached before', () => {
    const bus = new LocalBus();
    const got: string[] = [];
    const sub = bus.subscribe('x.*', (s) => got.push(s));
    bus.publish('x.1', bytes(''));
    sub.unsubscribe();
    sub.unsubscribe();
    bus.publish('x.1', bytes(''));
    expect(got).toEqual(['x.1']);
  });

  it('delivers to a subscription added after a subject was cached', () => {
    const bus = new LocalBus();
    bus.publish('y.1', bytes(''));
    const got = recorder(bus, 'y.*');
    bus.publish('y.1', bytes(''));
    expect(got).toEqual(['y.1']);
  });

  it('keeps delivering to the other handlers when one throws', () => {
    const bus = new LocalBus();
    bus.subscribe('t', () => {
      throw new Error('boom');
    });
    const got = recorder(bus, 't');
    bus.publish('t', bytes(''));
    expect(got).toEqual(['t']);
  });

  it('lets a handler unsubscribe another handler of the same message', () => {
    const bus = new LocalBus();
    const got: string[] = [];
    const later: { second?: { unsubscribe(): void } } = {};
    bus.subscribe('u', () => {
      got.push('first');
      later.second?.unsubscribe();
    });
    later.second = bus.subscribe('u', () => got.push('second'));
    bus.publish('u', bytes(''));
    expect(got).toEqual(['first']);
  });

  it('lets a handler publish (nested delivery)', () => {
    const bus = new LocalBus();
    const got: string[] = [];
    bus.subscribe('ping', () => bus.publish('pong', bytes('')));
    bus.subscribe('pong', (s) => got.push(s));
    bus.publish('ping', bytes(''));
    expect(got).toEqual(['pong']);
  });

  it('delivers nothing after close', async () => {
    const bus = new LocalBus();
    const got = recorder(bus, '>');
    await bus.close();
    bus.publish('a', bytes(''));
    expect(got).toEqual([]);
  });

  it.each(['', 'a..b', 'a.*', 'a.>', 'a b', 'room.ü'])('refuses to publish on %j', (subject) => {
    expect(() => new LocalBus().publish(subject, bytes(''))).toThrow(BusSubjectError);
  });

  it.each(['a.>.b', '>.a', 'a.**', ''])('refuses to subscribe to %j', (pattern) => {
    expect(() => new LocalBus().subscribe(pattern, () => {})).toThrow(BusSubjectError);
  });
});

describe('subject matching', () => {
  it.each([
    ['a.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['*.b', 'a.b', true],
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
  ])('%s against %s is %s', (pattern, subject, expected) => {
    expect(subjectMatches(parseSubject(pattern, true), parseSubject(subject, false))).toBe(expected);
  });
});

describe('relay subjects', () => {
  it('names media per room, publisher, track and layer, presence per room, and targeted control per session', () => {
    expect(subjects.media('r1', 'AbC_-1', trackToken(TrackKind.VIDEO, 2))).toBe('room.r1.media.AbC_-1.video-2');
    expect(subjects.media('r1', 'p', trackToken(TrackKind.SCREEN, 0))).toBe('room.r1.media.p.screen-0');
    expect(subjects.media('r1', 'p', trackToken(TrackKind.AUDIO, 0))).toBe('room.r1.media.p.audio');
    expect(subjects.presence('r1')).toBe('room.r1.presence');
    expect(subjects.to('r1', 'xyz')).toBe('room.r1.to.xyz');
    const matches = (pattern: string, subject: string): boolean =>
      subjectMatches(parseSubject(pattern, true), parseSubject(subject, false));
    expect(matches(subjects.anyMedia('r1', 'audio'), subjects.media('r1', 'p', 'audio'))).toBe(true);
    expect(matches(subjects.anyMedia('r1', 'video-0'), subjects.media('r1', 'p', 'video-0'))).toBe(true);
    expect(matches(subjects.anyMedia('r1', 'video-0'), subjects.media('r1', 'p', 'video-1'))).toBe(false);
    expect(lastToken(subjects.to('r1', 'xyz'))).toBe('xyz');
  });

  it('names cluster control per room (roster) and per node (alive, bye, roster answers)', () => {
    expect(subjects.roster('r1')).toBe('room.r1.roster');
    expect(subjects.alive('n1')).toBe('relay.n1.alive');
    expect(subjects.bye('n1')).toBe('relay.n1.bye');
    expect(subjects.rosterReply('n1')).toBe('relay.n1.roster');
    expect(secondToken(subjects.roster('r1'))).toBe('r1');
    expect(secondToken(subjects.alive('n-1_x'))).toBe('n-1_x');
    for (const [pattern, subject] of [
      [subjects.anyRoster, subjects.roster('r1')],
      [subjects.anyAlive, subjects.alive('n1')],
      [subjects.anyBye, subjects.bye('n1')],
    ])
      expect(subjectMatches(parseSubject(pattern, true), parseSubject(subject, false))).toBe(true);
  });
});

describe('bus messages', () => {
  it('carry the routing facts, the publishing node and the envelope bytes in one buffer', () => {
    const origin = { sender: bytes('Sess1'), node: bytes('node-A') };
    const payload = encodeBusMessage(
      { body: 6, keyframe: true, kind: 2, layer: 2, level: 30 },
      origin,
      bytes('raw'),
      bytes('+stamp'),
    );
    const msg = decodeBusMessage(payload);
    expect(msg).toMatchObject({
      body: 6,
      keyframe: true,
      kind: 2,
      layer: 2,
      level: 30,
      sender: 'Sess1',
      node: 'node-A',
    });
    // Not media: layer 0, the level of silence.
    expect(decodeBusMessage(encodeBusMessage({ body: 4, keyframe: false, kind: 0 }, origin))).toMatchObject({
      layer: 0,
      level: 127,
    });
    expect(Buffer.from(msg.envelope).toString()).toBe('raw+stamp');
    expect(msg.envelope.buffer).toBe(payload.buffer); // a view, not a copy
    expect(Buffer.from(envelopeOf(payload, origin)).toString()).toBe('raw+stamp');
    expect(payload.length).toBe(busMessageLength(origin, 'raw+stamp'.length));
    expect(isFromNode(payload, bytes('node-A'))).toBe(true);
    expect(isFromNode(payload, bytes('node-B'))).toBe(false);
    expect(isFromNode(payload, bytes('node-AA'))).toBe(false);
  });

  it('refuses a payload of another format', () => {
    expect(() => decodeBusMessage(new Uint8Array([9, 0, 0, 0, 0, 0]))).toThrow(/format/);
    // Version 1 had no node id: a node of this version cannot read it.
    expect(() => decodeBusMessage(new Uint8Array([1, 6, 0, 0, 1, 65]))).toThrow(/format/);
    // Version 2 had no layer and no audio level.
    expect(() => decodeBusMessage(new Uint8Array([2, 6, 0, 0, 10, 2, 65]))).toThrow(/format/);
    expect(() => decodeBusMessage(new Uint8Array([3, 6, 0, 0, 0, 127, 10, 2, 65]))).toThrow(/truncated/);
  });
});
