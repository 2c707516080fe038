import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, Codec, encodeEnvelope, ErrorCode, PROTOCOL_VERSION } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { startTestRelay, TestClient, waitFor } from './helpers.js';

let relay: Relay;
const clients: TestClient[] = [];
const track = (c: TestClient): TestClient => (clients.push(c), c);
const join = async (room: string, name: string, extra = {}): Promise<TestClient> =>
  track(await TestClient.joined(relay, room, name, extra));
const connect = async (): Promise<TestClient> => track(await TestClient.connect(relay.wsUrl));

beforeEach(async () => {
  relay = await startTestRelay({ maxRoomSize: 3, version: '9.9.9-test' });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay.close();
});

describe('joining a room', () => {
  it('welcomes a joiner with its session id, the limits and an empty roster', async () => {
    const c = await connect();
    c.send({ join: { protocolVersion: PROTOCOL_VERSION, room: 'standup', name: 'Ann' } });
    const { welcome } = await c.next('welcome');
    expect(welcome.protocolVersion).toBe(PROTOCOL_VERSION);
    expect(welcome.sessionId).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(welcome.room).toBe('standup');
    expect(welcome.roster ?? []).toEqual([]);
    expect(welcome.maxMessageBytes).toBe(512 * 1024);
    expect(welcome.heartbeatIntervalMs).toBe(5000);
    expect(welcome.serverVersion).toBe('9.9.9-test');
  });

  it('gives each session a different random id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add((await join(`room${i}`, 'x')).id);
    expect(ids.size).toBe(3);
  });

  it('lists the others already in the room, with their state and decoders', async () => {
    const ann = await join('standup', 'Ann', { state: { mic: true, camera: true }, decoders: [Codec.VP8, Codec.AV1] });
    const bo = await track(await TestClient.connect(relay.wsUrl, 'Bo'));
    const { welcome } = await bo.join('standup', 'Bo');
    expect(welcome.roster).toHaveLength(1);
    const [entry] = welcome.roster!;
    expect(entry.id).toBe(ann.id);
    expect(entry.name).toBe('Ann');
    expect(entry.state?.mic).toBe(true);
    expect(entry.state?.camera).toBe(true);
    expect(entry.state?.screen ?? false).toBe(false);
    expect(entry.decoders).toEqual([Codec.VP8, Codec.AV1]);
  });

  it('keeps at most 16 distinct decoders of a joiner', async () => {
    await join('standup', 'Ann', {
      decoders: [...Array<number>(1000).fill(Codec.VP8), ...Array.from({ length: 40 }, (_, i) => i + 10)],
    });
    const bo = await track(await TestClient.connect(relay.wsUrl, 'Bo'));
    const { welcome } = await bo.join('standup', 'Bo');
    const decoders = welcome.roster![0].decoders!;
    expect(decoders).toHaveLength(16);
    expect(decoders[0]).toBe(Codec.VP8);
    expect(new Set(decoders).size).toBe(16);
  });

  it('tells the others when someone joins, but not the joiner itself', async () => {
    const ann = await join('standup', 'Ann');
    const bo = await join('standup', 'Bo', { state: { camera: true } });
    const { peerJoined, from } = await ann.next('peerJoined');
    expect(peerJoined.participant?.id).toBe(bo.id);
    expect(peerJoined.participant?.name).toBe('Bo');
    expect(peerJoined.participant?.state?.camera).toBe(true);
    expect(from).toBe(bo.id);
    await bo.expectNone('peerJoined', 100);
  });

  it('keeps rooms apart', async () => {
    const ann = await join('room-a', 'Ann');
    const bo = await join('room-b', 'Bo');
    await ann.expectNone('peerJoined', 100);
    bo.sendMedia('b-only');
    await ann.expectNone('media', 100);
  });

  it('tells the others with reason "left" when someone leaves, and closes with 1000', async () => {
    const ann = await join('standup', 'Ann');
    const bo = await join('standup', 'Bo');
    bo.send({ leave: {} });
    const { peerLeft } = await ann.next('peerLeft');
    expect(peerLeft).toMatchObject({ id: bo.id, reason: 'left' });
    expect((await bo.closed()).code).toBe(CloseCode.Normal);
  });

  it('tells the others with reason "disconnected" when a connection drops', async () => {
    const ann = await join('standup', 'Ann');
    const bo = await join('standup', 'Bo');
    bo.terminate();
    const { peerLeft } = await ann.next('peerLeft');
    expect(peerLeft).toMatchObject({ id: bo.id, reason: 'disconnected' });
  });

  it('removes a room when its last participant leaves', async () => {
    const ann = await join('standup', 'Ann');
    expect(relay.stats().rooms).toBe(1);
    ann.close();
    await waitFor(() => relay.stats().rooms === 0, 2000, 'the room to close');
    expect(relay.stats().participants).toBe(0);
  });

  it('answers Ping with a Pong carrying the same time, before and after joining', async () => {
    const c = await connect();
    c.send({ ping: { time: 1234567 } });
    expect(Number((await c.next('pong')).pong.time)).toBe(1234567);
    await c.join('standup');
    c.send({ ping: { time: 42 } });
    expect(Number((await c.next('pong')).pong.time)).toBe(42);
  });
});

describe('refusing a join', () => {
  it('refuses another protocol version with a fatal protocol-version error and close 4001', async () => {
    const c = await connect();
    c.send({ join: { protocolVersion: PROTOCOL_VERSION + 1, room: 'standup', name: 'Ann' } });
    const { error } = await c.next('error');
    expect(error).toMatchObject({ code: ErrorCode.ProtocolVersion, fatal: true });
    expect(await c.closed()).toEqual({ code: CloseCode.ProtocolVersion, reason: ErrorCode.ProtocolVersion });
    expect(relay.stats().errors[ErrorCode.ProtocolVersion]).toBe(1);
  });

  it.each(['', 'has space', 'dots.are.subjects', 'a'.repeat(65), 'ünï'])(
    'refuses room name %j with invalid-room and close 4002',
    async (room) => {
      const c = await connect();
      c.send({ join: { protocolVersion: PROTOCOL_VERSION, room, name: 'Ann' } });
      expect((await c.next('error')).error).toMatchObject({ code: ErrorCode.InvalidRoom, fatal: true });
      expect((await c.closed()).code).toBe(CloseCode.InvalidRoom);
      expect(relay.stats().rooms).toBe(0);
    },
  );

  it('refuses a display name over 64 characters with invalid-name', async () => {
    const c = await connect();
    c.send({ join: { protocolVersion: PROTOCOL_VERSION, room: 'standup', name: 'n'.repeat(65) } });
    expect((await c.next('error')).error.code).toBe(ErrorCode.InvalidName);
    expect((await c.closed()).code).toBe(CloseCode.InvalidName);
  });

  it('accepts a display name of exactly 64 characters', async () => {
    const c = await connect();
    await c.join('standup', 'n'.repeat(64));
  });

  it('refuses a joiner when the room is full with room-full and close 4003, and the room carries on', async () => {
    const members = [await join('small', 'a'), await join('small', 'b'), await join('small', 'c')];
    const late = await connect();
    late.send({ join: { protocolVersion: PROTOCOL_VERSION, room: 'small', name: 'd' } });
    expect((await late.next('error')).error).toMatchObject({ code: ErrorCode.RoomFull, fatal: true });
    expect((await late.closed()).code).toBe(CloseCode.RoomFull);
    await members[0].expectNone('peerJoined', 100, (e) => e.peerJoined?.participant?.name === 'd');
    members[1].sendMedia('still-here');
    await members[0].nextMedia('still-here');
    expect(relay.stats().participants).toBe(3);
  });

  it('lets a joiner in once a full room has a free place', async () => {
    const members = [await join('small', 'a'), await join('small', 'b'), await join('small', 'c')];
    members[2].send({ leave: {} });
    await members[0].next('peerLeft');
    await join('small', 'd');
  });

  it('answers a second Join with already-joined and keeps the session', async () => {
    const ann = await join('standup', 'Ann');
    const bo = await join('standup', 'Bo');
    bo.send({ join: { protocolVersion: PROTOCOL_VERSION, room: 'other', name: 'Bo' } });
    expect((await bo.next('error')).error).toMatchObject({ code: ErrorCode.AlreadyJoined, fatal: false });
    bo.sendMedia('after-second-join');
    await ann.nextMedia('after-second-join');
    expect(relay.stats().rooms).toBe(1);
  });

  it('treats a Join with no fields as protocol version 0', async () => {
    const c = await connect();
    c.sendRaw(encodeEnvelope({ join: {} }));
    expect((await c.next('error')).error.code).toBe(ErrorCode.ProtocolVersion);
  });
});
