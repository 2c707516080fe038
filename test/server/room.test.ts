/**
 * A relay Room on its own: fake members and fake node identities around the
 * real in-process bus, no sockets, no Connection, no relay context. Two rooms
 * of the same name on two "nodes" sharing one LocalBus stand for a cluster.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeEnvelope,
  encodeEnvelope,
  ErrorCode,
  senderStamp,
  TrackKind,
  type DecodedEnvelope,
  type ParticipantInit,
} from '../../src/protocol/index.js';
import { BodyField } from '../../server/body-types.js';
import type { BusMessage, BusOrigin } from '../../server/bus/bus-message.js';
import { LocalBus } from '../../server/bus/local-bus.js';
import { subjects } from '../../server/bus/subjects.js';
import { ProtocolError } from '../../server/errors.js';
import type { LocalNode } from '../../server/local-node.js';
import { Metrics } from '../../server/metrics.js';
import type { RoomMember } from '../../server/room-member.js';
import { maxEnvelopeBytes, Room, type MediaRoute, type RoomSettings } from '../../server/room.js';

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

class FakeNode implements LocalNode {
  readonly idBytes: Uint8Array;
  readonly seenNodes: string[] = [];
  constructor(readonly id: string) {
    this.idBytes = ascii(id);
  }
  seen(node: string): void {
    this.seenNodes.push(node);
  }
}

/** A member that records what the room gives it, decoded. */
class FakeMember implements RoomMember {
  readonly origin: BusOrigin;
  readonly stamp: Uint8Array;
  readonly media: Array<{ sender: string; node: string; kind: number; keyframe: boolean; envelope: DecodedEnvelope }> =
    [];
  readonly control: Array<{ body: number; envelope: DecodedEnvelope }> = [];
  readonly forgotten: string[] = [];
  replacedTimes = 0;

  constructor(
    readonly sessionId: string,
    node: LocalNode,
  ) {
    this.origin = { sender: ascii(sessionId), node: node.idBytes };
    this.stamp = senderStamp(sessionId);
  }

  deliverMedia(msg: BusMessage): void {
    const { sender, node, kind, keyframe } = msg;
    this.media.push({ sender, node, kind, keyframe, envelope: decodeEnvelope(msg.envelope) });
  }
  deliverControl(bytes: Uint8Array, body: number): void {
    this.control.push({ body, envelope: decodeEnvelope(bytes) });
  }
  forgetPeer(id: string): void {
    this.forgotten.push(id);
  }
  replaced(): void {
    this.replacedTimes++;
  }

  /** The bodies of the control messages received, in order. */
  bodies(): Array<DecodedEnvelope['body']> {
    return this.control.map((c) => c.envelope.body);
  }
}

function participant(id: string): ParticipantInit {
  return { id, name: `name of ${id}`, state: { mic: true, camera: false, screen: false }, decoders: [] };
}

const rooms: Room[] = [];

function roomOn(bus: LocalBus, node: LocalNode, metrics = new Metrics('test', 1), settings?: RoomSettings): Room {
  const room = new Room('r', bus, node, metrics, settings);
  room.markReady();
  rooms.push(room);
  return room;
}

/** Admits `id` on `room` and announces it, as a connection does after Welcome. */
function join(room: Room, node: LocalNode, id: string, maxRoomSize = 10): FakeMember {
  const member = new FakeMember(id, node);
  const { known } = room.admit(member, participant(id), maxRoomSize);
  room.announceJoin(member, participant(id), known);
  return member;
}

/** The routing header of a layer-0 frame of `kind`; audio as someone talking (only the loudest are forwarded). */
function route(kind: number, keyframe: boolean): MediaRoute {
  return { kind, layer: 0, keyframe, level: kind === TrackKind.AUDIO ? 30 : 127 };
}

function mediaFrame(kind: number, keyframe: boolean, payload = [1, 2, 3]): Uint8Array {
  return encodeEnvelope({ media: { kind, keyframe, payload: Uint8Array.from(payload) } });
}

/** A room on node `n1` of its own in-process bus. */
function oneNode(settings?: RoomSettings): { node: FakeNode; metrics: Metrics; room: Room } {
  const node = new FakeNode('n1');
  const metrics = new Metrics('test', 1);
  return { node, metrics, room: roomOn(new LocalBus(), node, metrics, settings) };
}

/** Members joined in this order, their control messages so far (the joins) then cleared. */
function quietMembers(room: Room, node: LocalNode, ...ids: string[]): FakeMember[] {
  const list = ids.map((id) => join(room, node, id));
  for (const member of list) member.control.length = 0;
  return list;
}

/** Expects `member` got exactly one control message, of `body`, stamped from `from`; returns it. */
function onlyControl(member: FakeMember, body: number, from: string): DecodedEnvelope {
  expect(member.control).toHaveLength(1);
  expect(member.control[0]!.body).toBe(body);
  expect(member.control[0]!.envelope.from).toBe(from);
  return member.control[0]!.envelope;
}

afterEach(() => {
  for (const room of rooms.splice(0)) room.close();
  vi.useRealTimers();
});

describe('Room on one node', () => {
  it('forwards a media frame to every other member, stamped with its sender, and not back to the sender', () => {
    const { node, room } = oneNode();
    const a = join(room, node, 'a');
    const b = join(room, node, 'b');
    const c = join(room, node, 'c');

    room.publishMedia(a, mediaFrame(TrackKind.VIDEO, true), route(TrackKind.VIDEO, true));

    expect(a.media).toEqual([]);
    for (const receiver of [b, c]) {
      expect(receiver.media).toHaveLength(1);
      const got = receiver.media[0]!;
      expect(got).toMatchObject({ sender: 'a', node: 'n1', kind: TrackKind.VIDEO, keyframe: true });
      expect(got.envelope.from).toBe('a');
      expect(Array.from(got.envelope.media!.payload!)).toEqual([1, 2, 3]);
    }
  });

  it('tells the members already there of a joiner, and gives the joiner the others', () => {
    const { node, room } = oneNode();
    const a = join(room, node, 'a');
    const b = new FakeMember('b', node);
    const { others, known } = room.admit(b, participant('b'), 10);
    room.announceJoin(b, participant('b'), known);

    expect(known).toBe(false);
    expect(others.map((p) => p.id)).toEqual(['a']);
    expect(a.bodies()).toEqual(['peerJoined']);
    expect(a.control[0]!.envelope.peerJoined!.participant!.id).toBe('b');
    expect(b.control).toEqual([]);
    expect(room.size).toBe(2);
  });

  it('stamps a media state change with its sender, keeps it in the roster, and sends it to the others', () => {
    const { node, room } = oneNode();
    const a = join(room, node, 'a');
    const b = join(room, node, 'b');
    a.control.length = 0;

    const state = { mic: false, camera: true, screen: false };
    room.publishState(a, encodeEnvelope({ mediaState: state }), state);

    const got = onlyControl(b, BodyField.mediaState, 'a');
    expect(got.mediaState).toMatchObject({ camera: true });
    expect(a.control).toEqual([]);
    const c = new FakeMember('c', node);
    const roster = room.admit(c, participant('c'), 10).others;
    expect(roster.find((p) => p.id === 'a')!.state).toEqual(state);
  });

  it('sends a keyframe request to its target only', () => {
    const { node, room } = oneNode();
    const [a, b, c] = quietMembers(room, node, 'a', 'b', 'c');

    const request = encodeEnvelope({ keyframeRequest: { target: 'b', kind: TrackKind.VIDEO } });
    room.sendTo(a, 'b', BodyField.keyframeRequest, request, a.stamp);

    const got = onlyControl(b, BodyField.keyframeRequest, 'a');
    expect(got.keyframeRequest!.target).toBe('b');
    expect(a.control).toEqual([]);
    expect(c.control).toEqual([]);
  });

  it('refuses a joiner beyond the room size with room-full', () => {
    const { node, room } = oneNode();
    join(room, node, 'a', 2);
    join(room, node, 'b', 2);

    const c = new FakeMember('c', node);
    let error: unknown;
    try {
      room.admit(c, participant('c'), 2);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe(ErrorCode.RoomFull);
    expect(room.size).toBe(2);
    expect(room.members.has('c')).toBe(false);
  });

  it('refuses, as too-large, a frame the bus cannot carry, and counts it', () => {
    class SmallBus extends LocalBus {
      override readonly maxPayload = 64;
    }
    const bus = new SmallBus();
    const node = new FakeNode('n1');
    const metrics = new Metrics('test', 1);
    const room = roomOn(bus, node, metrics);
    const a = join(room, node, 'a');
    const b = join(room, node, 'b');
    const fits = maxEnvelopeBytes(64, a);

    const big = mediaFrame(TrackKind.AUDIO, false, new Array<number>(fits).fill(7));
    expect(() => room.publishMedia(a, big, route(TrackKind.AUDIO, false))).toThrow(
      expect.objectContaining({ code: ErrorCode.TooLarge }),
    );
    expect(metrics.dropped.get('bus-max-payload')).toBe(1);
    expect(b.media).toEqual([]);
  });

  it('tells the others at once when a member left, and makes them forget it', () => {
    const { node, room } = oneNode({ graceMs: 1000, onIdle: () => {} });
    const a = join(room, node, 'a');
    const b = join(room, node, 'b');
    b.control.length = 0;

    room.remove(a, 'left');

    expect(b.bodies()).toEqual(['peerLeft']);
    expect(b.control[0]!.envelope.peerLeft).toMatchObject({ id: 'a', reason: 'left' });
    expect(b.forgotten).toEqual(['a']);
    expect(room.hasParticipant('a')).toBe(false);
    expect(room.members.has('a')).toBe(false);
  });

  it('holds a member whose connection died for the grace period, then tells the others', () => {
    vi.useFakeTimers();
    const idle: Room[] = [];
    const { node, metrics, room } = oneNode({ graceMs: 1000, onIdle: (r) => idle.push(r) });
    const a = join(room, node, 'a');
    const b = join(room, node, 'b');
    b.control.length = 0;

    room.remove(a, 'disconnected');
    expect(b.control).toEqual([]);
    expect(room.hasParticipant('a')).toBe(true);
    expect(room.members.has('a')).toBe(false);
    expect(room.snapshot().map((p) => p.id)).toEqual(['b', 'a']);

    vi.advanceTimersByTime(999);
    expect(b.control).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(b.bodies()).toEqual(['peerLeft']);
    expect(b.control[0]!.envelope.peerLeft).toMatchObject({ id: 'a', reason: 'disconnected' });
    expect(metrics.held.get('expired')).toBe(1);
    expect(idle).toEqual([room]);
    expect(room.hasParticipant('a')).toBe(false);
  });

  it('lets a held member resume within the grace period, unseen by the others', () => {
    vi.useFakeTimers();
    const { node, metrics, room } = oneNode({ graceMs: 1000, onIdle: () => {} });
    const a = join(room, node, 'a');
    const b = join(room, node, 'b');
    b.control.length = 0;
    room.remove(a, 'timeout');

    const again = new FakeMember('a', node);
    const { others, known } = room.admit(again, participant('a'), 10, true);
    room.announceJoin(again, participant('a'), known);
    vi.advanceTimersByTime(5000);

    expect(known).toBe(true);
    expect(others.map((p) => p.id)).toEqual(['b']);
    expect(b.control).toEqual([]);
    expect(metrics.held.get('resumed')).toBe(1);
    expect(metrics.held.get('expired')).toBe(0);
    expect(room.members.get('a')).toBe(again);
  });

  it('closes the older connection of a participant that resumed while it was still open, quietly', () => {
    const { node, room } = oneNode();
    const old = join(room, node, 'a');
    const b = join(room, node, 'b');
    b.control.length = 0;

    const fresh = new FakeMember('a', node);
    const { known } = room.admit(fresh, participant('a'), 10, true);
    room.announceJoin(fresh, participant('a'), known);
    expect(old.replacedTimes).toBe(1);
    room.remove(old, 'replaced');

    expect(known).toBe(true);
    expect(b.control).toEqual([]);
    expect(room.members.get('a')).toBe(fresh);
    room.publishMedia(b, mediaFrame(TrackKind.AUDIO, false), route(TrackKind.AUDIO, false));
    expect(fresh.media).toHaveLength(1);
    expect(old.media).toEqual([]);
  });

  it('admits joiners only once the roster is known, in arrival order; one that left meanwhile is dropped', () => {
    const bus = new LocalBus();
    const node = new FakeNode('n1');
    const room = new Room('r', bus, node, new Metrics('test', 1));
    rooms.push(room);
    const admitted: string[] = [];
    const a = new FakeMember('a', node);
    const b = new FakeMember('b', node);
    const c = new FakeMember('c', node);
    for (const m of [a, b, c]) room.whenReady(m, () => admitted.push(m.sessionId));
    room.remove(b, 'left');
    expect(admitted).toEqual([]);
    expect(room.isEmpty).toBe(false);

    room.markReady();
    room.markReady();
    expect(admitted).toEqual(['a', 'c']);
    room.whenReady(b, () => admitted.push('b again'));
    expect(admitted).toEqual(['a', 'c', 'b again']);
  });
});

describe('Rooms of the same name on two nodes sharing a bus', () => {
  function twoNodes(settings?: RoomSettings) {
    const bus = new LocalBus();
    const n1 = new FakeNode('n1');
    const n2 = new FakeNode('n2');
    const m1 = new Metrics('test', 1);
    const m2 = new Metrics('test', 1);
    return { bus, n1, n2, m1, m2, r1: roomOn(bus, n1, m1, settings), r2: roomOn(bus, n2, m2, settings) };
  }

  it('delivers a media frame once to every other member on either node', () => {
    const { n1, n2, r1, r2 } = twoNodes();
    const a = join(r1, n1, 'a');
    const b = join(r1, n1, 'b');
    const c = join(r2, n2, 'c');

    r1.publishMedia(a, mediaFrame(TrackKind.VIDEO, false), route(TrackKind.VIDEO, false));

    expect(a.media).toEqual([]);
    expect(b.media).toHaveLength(1);
    expect(c.media).toHaveLength(1);
    expect(c.media[0]).toMatchObject({ sender: 'a', node: 'n1', kind: TrackKind.VIDEO, keyframe: false });
    expect(c.media[0]!.envelope.from).toBe('a');
  });

  it('keeps each roster copy from presence, and notes the node a message came from as alive', () => {
    const { n1, n2, r1, r2 } = twoNodes();
    const c = join(r2, n2, 'c');
    join(r1, n1, 'a');

    expect(r2.hasParticipant('a')).toBe(true);
    expect(r1.hasParticipant('c')).toBe(true);
    expect(c.bodies()).toEqual(['peerJoined']);
    expect(c.control[0]!.envelope.peerJoined!.participant!.id).toBe('a');
    expect(n2.seenNodes).toContain('n1');
  });

  it('sends a keyframe request across nodes to its target only', () => {
    const { n1, n2, r1, r2 } = twoNodes();
    const a = join(r1, n1, 'a');
    const [b, c] = quietMembers(r2, n2, 'b', 'c');
    a.control.length = 0;

    const request = encodeEnvelope({ keyframeRequest: { target: 'c', kind: TrackKind.AUDIO } });
    r1.sendTo(a, 'c', BodyField.keyframeRequest, request, a.stamp);

    onlyControl(c, BodyField.keyframeRequest, 'a');
    expect(b.control).toEqual([]);
    expect(a.control).toEqual([]);
  });

  it('holds the participants of a node that is gone, then reports them gone with the reason', () => {
    vi.useFakeTimers();
    const { n1, n2, m2, r1, r2 } = twoNodes({ graceMs: 500, onIdle: () => {} });
    join(r1, n1, 'a');
    const c = join(r2, n2, 'c');
    c.control.length = 0;

    expect(r2.dropNode('n1', 'server-shutdown')).toBe(1);
    expect(c.control).toEqual([]);
    vi.advanceTimersByTime(500);

    expect(c.bodies()).toEqual(['peerLeft']);
    expect(c.control[0]!.envelope.peerLeft).toMatchObject({ id: 'a', reason: 'server-shutdown' });
    expect(c.forgotten).toEqual(['a']);
    expect(m2.held.get('expired')).toBe(1);
    expect(r2.hasParticipant('a')).toBe(false);
  });

  it('takes a node snapshot as the truth about that node: new entries join, missing ones leave', () => {
    const { n2, r2 } = twoNodes();
    const c = join(r2, n2, 'c');

    r2.applySnapshot('n1', [participant('a'), participant('b')]);
    expect(c.bodies()).toEqual(['peerJoined', 'peerJoined']);
    r2.applySnapshot('n1', [participant('b')]);
    expect(c.bodies()).toEqual(['peerJoined', 'peerJoined', 'peerLeft']);
    expect(c.control[2]!.envelope.peerLeft).toMatchObject({ id: 'a', reason: 'disconnected' });
    expect(r2.hasParticipant('a')).toBe(false);
    expect(r2.hasParticipant('b')).toBe(true);
    // A node may not speak for a participant connected here, nor for itself.
    r2.applySnapshot('n1', [participant('b'), participant('c')]);
    r2.applySnapshot('n2', []);
    expect(c.control).toHaveLength(3);
    expect(r2.members.get('c')).toBe(c);
  });

  it('moves a participant that resumed on the other node, and closes its connection still open here', () => {
    const { bus, n1, n2, r1, r2 } = twoNodes();
    const old = join(r1, n1, 'a');
    const b = join(r1, n1, 'b');
    b.control.length = 0;
    const targeted: string[] = [];
    bus.subscribe(subjects.to('r', 'a'), (subject) => targeted.push(subject));

    const moved = new FakeMember('a', n2);
    const { known } = r2.admit(moved, participant('a'), 10, true);
    r2.announceJoin(moved, participant('a'), known);

    expect(known).toBe(true);
    expect(old.replacedTimes).toBe(1);
    expect(b.control).toEqual([]);
    r1.remove(old, 'replaced');
    // From n1 a message for `a` now goes over the bus, to the node it is on.
    r1.sendTo(b, 'a', BodyField.keyExchange, encodeEnvelope({ keyExchange: { target: 'a' } }), b.stamp);
    expect(targeted).toEqual(['room.r.to.a']);
    expect(moved.bodies()).toEqual(['keyExchange']);
    expect(moved.control[0]!.envelope.from).toBe('b');
  });
});
