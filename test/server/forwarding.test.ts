import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeEnvelope, ErrorCode, TrackKind } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { payloadText, startTestRelay, TestClient } from './helpers.js';

let relay: Relay;
const clients: TestClient[] = [];
const join = async (room: string, name: string, extra = {}): Promise<TestClient> => {
  const c = await TestClient.joined(relay, room, name, extra);
  clients.push(c);
  return c;
};

beforeEach(async () => {
  relay = await startTestRelay();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay.close();
});

describe('media forwarding', () => {
  it('forwards a frame to every other participant and never back to the sender', async () => {
    const [a, b, c] = [await join('r', 'a'), await join('r', 'b'), await join('r', 'c')];
    a.sendMedia(
      'frame-1',
      { kind: TrackKind.VIDEO, keyframe: true, sequence: 7, timestamp: 33_000, width: 640, height: 360 },
      4000,
    );
    for (const receiver of [b, c]) {
      const { media, from } = await receiver.nextMedia('frame-1');
      expect(from).toBe(a.id);
      expect(media).toMatchObject({ kind: TrackKind.VIDEO, keyframe: true, sequence: 7, width: 640, height: 360 });
      expect(media.payload).toHaveLength(4000);
    }
    await a.expectNone('media', 150);
    expect(relay.stats().messagesOut.media).toBe(2);
  });

  it('forwards audio and video from several senders, each to the others', async () => {
    const [a, b, c] = [await join('r', 'a'), await join('r', 'b'), await join('r', 'c')];
    a.sendMedia('a-audio', { kind: TrackKind.AUDIO });
    b.sendMedia('b-video', { kind: TrackKind.VIDEO });
    c.sendMedia('c-screen', { kind: TrackKind.SCREEN });
    await Promise.all([
      b.nextMedia('a-audio'),
      c.nextMedia('a-audio'),
      a.nextMedia('b-video'),
      c.nextMedia('b-video'),
      a.nextMedia('c-screen'),
      b.nextMedia('c-screen'),
    ]);
  });

  it("keeps the order of one sender's frames", async () => {
    const [a, b] = [await join('r', 'a'), await join('r', 'b')];
    for (let i = 0; i < 50; i++) a.sendMedia(`seq-${i}`, { sequence: i });
    for (let i = 0; i < 50; i++) expect(payloadText(await b.next('media'))).toBe(`seq-${i}`);
  });

  it('stamps the real sender over a forged from', async () => {
    const [a, b] = [await join('r', 'a'), await join('r', 'b')];
    a.send({ from: b.id, media: { kind: TrackKind.AUDIO, payload: new TextEncoder().encode('forged') } });
    const { from } = await b.nextMedia('forged');
    expect(from).toBe(a.id);
  });

  it('refuses a media frame without a track kind and keeps the connection', async () => {
    const [a, b] = [await join('r', 'a'), await join('r', 'b')];
    a.send({ media: { payload: new Uint8Array([1]) } });
    expect((await a.next('error')).error).toMatchObject({ code: ErrorCode.Malformed, fatal: false });
    await b.expectNone('media', 100);
    a.sendMedia('ok');
    await b.nextMedia('ok');
  });
});

describe('keyframe requests', () => {
  it('delivers a keyframe request only to its target, stamped with the requester', async () => {
    const [a, b, c] = [await join('r', 'a'), await join('r', 'b'), await join('r', 'c')];
    a.send({ from: c.id, keyframeRequest: { target: b.id, kind: TrackKind.VIDEO } });
    const { keyframeRequest, from } = await b.next('keyframeRequest');
    expect(from).toBe(a.id);
    expect(keyframeRequest).toMatchObject({ target: b.id, kind: TrackKind.VIDEO });
    await c.expectNone('keyframeRequest', 100);
    await a.expectNone('keyframeRequest', 0);
  });

  it('answers a keyframe request for an unknown peer with unknown-peer', async () => {
    const [a] = [await join('r', 'a'), await join('r', 'b')];
    a.send({ keyframeRequest: { target: 'nobody-here', kind: TrackKind.VIDEO } });
    expect((await a.next('error')).error).toMatchObject({ code: ErrorCode.UnknownPeer, fatal: false });
  });

  it('answers a keyframe request addressed to oneself with unknown-peer', async () => {
    const a = await join('r', 'a');
    a.send({ keyframeRequest: { target: a.id, kind: TrackKind.VIDEO } });
    expect((await a.next('error')).error.code).toBe(ErrorCode.UnknownPeer);
  });

  it('does not deliver a keyframe request to a peer in another room', async () => {
    const [a, other] = [await join('r', 'a'), await join('elsewhere', 'o')];
    a.send({ keyframeRequest: { target: other.id, kind: TrackKind.VIDEO } });
    expect((await a.next('error')).error.code).toBe(ErrorCode.UnknownPeer);
    await other.expectNone('keyframeRequest', 100);
  });

  it('drops keyframe requests beyond a few per second per target, quietly, and counts them', async () => {
    const [a, b, c] = [await join('r', 'a'), await join('r', 'b'), await join('r', 'c')];
    for (let i = 0; i < 20; i++) a.send({ keyframeRequest: { target: b.id, kind: TrackKind.VIDEO } });
    a.send({ keyframeRequest: { target: c.id, kind: TrackKind.VIDEO } });
    await c.next('keyframeRequest'); // another target has its own budget
    // The relay handled all 21 in order before c's; what it did not drop reaches b.
    const dropped = relay.stats().dropped['keyframe-request-rate'] ?? 0;
    const delivered = 20 - dropped;
    expect(delivered).toBeGreaterThanOrEqual(1);
    expect(delivered).toBeLessThanOrEqual(4);
    for (let i = 0; i < delivered; i++) await b.next('keyframeRequest');
    await b.expectNone('keyframeRequest', 100);
    await a.expectNone('error', 0);
  });
});

describe('end-to-end encryption key exchange', () => {
  const share = (target: string) => ({
    keyExchange: { target, step: 3, data: new Uint8Array(56).fill(9), mac: new Uint8Array(0), kid: 7 },
  });

  it('delivers a key message only to its target, unchanged and stamped with the real sender', async () => {
    const [a, b, c] = [await join('r', 'a'), await join('r', 'b'), await join('r', 'c')];
    a.send({ from: c.id, ...share(b.id) });
    const { keyExchange, from } = await b.next('keyExchange');
    expect(from).toBe(a.id);
    expect(keyExchange).toMatchObject({ target: b.id, step: 3, kid: 7 });
    expect(Array.from(keyExchange!.data!)).toEqual(new Array(56).fill(9));
    await c.expectNone('keyExchange', 100);
    await a.expectNone('keyExchange', 0);
  });

  it('answers a key message for someone not in the room with unknown-peer', async () => {
    const [a, other] = [await join('r', 'a'), await join('elsewhere', 'o')];
    a.send(share(other.id));
    expect((await a.next('error')).error.code).toBe(ErrorCode.UnknownPeer);
    await other.expectNone('keyExchange', 100);
  });

  it('drops a flood of key messages beyond the per-target budget and counts them', async () => {
    const [a, b] = [await join('r', 'a'), await join('r', 'b')];
    for (let i = 0; i < 60; i++) a.send(share(b.id));
    a.send({ ping: { time: 1 } });
    await a.next('pong'); // everything before it was handled
    const dropped = relay.stats().dropped['key-exchange-rate'] ?? 0;
    expect(dropped).toBeGreaterThan(0);
    for (let i = 0; i < 60 - dropped; i++) await b.next('keyExchange');
    await b.expectNone('keyExchange', 100);
  });
});

describe('media state', () => {
  it('fans a media state change out to the others, stamped, and not back to the sender', async () => {
    const [a, b, c] = [await join('r', 'a'), await join('r', 'b'), await join('r', 'c')];
    a.send({ from: 'forged', mediaState: { mic: true, camera: false, screen: true } });
    for (const receiver of [b, c]) {
      const { mediaState, from } = await receiver.next('mediaState');
      expect(from).toBe(a.id);
      expect(mediaState).toMatchObject({ mic: true, screen: true });
    }
    await a.expectNone('mediaState', 100);
  });

  it('shows the latest media state in the roster of a later joiner', async () => {
    const [a, b] = [await join('r', 'a', { state: { mic: false, camera: false } }), await join('r', 'b')];
    a.send({ mediaState: { mic: true, camera: true } });
    await b.next('mediaState');
    const late = await TestClient.connect(relay.wsUrl);
    clients.push(late);
    const { welcome } = await late.join('r', 'late');
    const entry = welcome.roster?.find((p) => p.id === a.id);
    expect(entry?.state).toMatchObject({ mic: true, camera: true });
  });

  it('answers a media state flood with rate-limited and forwards only the allowed burst', async () => {
    const [a, b] = [await join('r', 'a'), await join('r', 'b')];
    for (let i = 0; i < 30; i++) a.send({ mediaState: { mic: i % 2 === 0 } });
    const { error } = await a.next('error');
    expect(error).toMatchObject({ code: ErrorCode.RateLimited, fatal: false });
    const dropped = relay.stats().dropped['media-state-rate'] ?? 0;
    expect(dropped).toBeGreaterThanOrEqual(15);
    for (let i = 0; i < 30 - dropped; i++) await b.next('mediaState');
    await b.expectNone('mediaState', 100);
    expect(a.isOpen).toBe(true);
  });

  it('answers a media state before joining with not-joined', async () => {
    const c = await TestClient.connect(relay.wsUrl);
    clients.push(c);
    c.sendRaw(encodeEnvelope({ mediaState: { mic: true } }));
    expect((await c.next('error')).error.code).toBe(ErrorCode.NotJoined);
  });
});
