import { describe, expect, it } from 'vitest';
import { ErrorCode, TrackKind } from '../../src/protocol/index.js';
import { payloadText, TestClient } from '../server/helpers.js';
import { health, useRelayCluster } from './helpers.js';
import { hasNatsServer } from './nats-cluster.js';

describe.skipIf(!hasNatsServer())('one room across three relays on a three-node NATS cluster', () => {
  const cluster = useRelayCluster({ size: 3 });
  const { relays, clients } = cluster;
  const join = async (relay: number, room: string, name: string, extra = {}): Promise<TestClient> => {
    const c = await TestClient.joined(relays[relay], room, name, extra);
    clients.push(c);
    return c;
  };

  it('runs each relay on its own NATS server, and each knows all three relay nodes', async () => {
    for (const [i, relay] of relays.entries()) {
      expect(relay.natsBus.stats().server).toBe(`127.0.0.1:${cluster.nats.servers[i].port}`);
      expect(await health(relay)).toMatchObject({ status: 'ok', bus: 'nats', busConnected: true, nodes: 3 });
    }
  });

  it('forwards media between participants on different relays, to everyone else and never back', async () => {
    const a = await join(0, 'media', 'a');
    const b = await join(1, 'media', 'b');
    const c = await join(2, 'media', 'c');
    // c's relay subscribes to the room's media on joining; NATS carries that interest to the
    // other servers of its cluster asynchronously (a real call asks for a keyframe meanwhile).
    // So a's frame is sent again, a few times at most, until both have it.
    for (let i = 0; i < 20; i++) {
      a.sendMedia('from-a', { kind: TrackKind.VIDEO, keyframe: true, sequence: 5 }, 3000);
      const got = (r: TestClient) => r.inbox.some((e) => e.body === 'media' && payloadText(e).startsWith('from-a'));
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (got(b) && got(c)) break;
    }
    for (const receiver of [b, c]) {
      const { from, media } = await receiver.nextMedia('from-a');
      expect(from).toBe(a.id);
      expect(media).toMatchObject({ kind: TrackKind.VIDEO, keyframe: true, sequence: 5 });
      expect(media.payload).toHaveLength(3000);
    }
    c.sendMedia('from-c', { kind: TrackKind.AUDIO });
    await Promise.all([a.nextMedia('from-c'), b.nextMedia('from-c')]);
    await a.expectNone('media', 150, (e) => payloadText(e).startsWith('from-a'));
    await c.expectNone('media', 0, (e) => payloadText(e).startsWith('from-c'));
  });

  it("forwards a screen share's audio and its announcement across relays, to everyone else", async () => {
    const a = await join(0, 'share-audio', 'a');
    const b = await join(1, 'share-audio', 'b');
    const c = await join(2, 'share-audio', 'c');
    a.send({ mediaState: { screen: true, screenAudio: true } });
    for (const receiver of [b, c])
      expect((await receiver.next('mediaState')).mediaState).toMatchObject({ screen: true, screenAudio: true });
    a.sendMedia('tab-audio', { kind: TrackKind.SCREEN_AUDIO, audioLevel: 0 }, 160);
    for (const receiver of [b, c]) {
      const { from, media } = await receiver.nextMedia('tab-audio');
      expect(from).toBe(a.id);
      expect(media.kind).toBe(TrackKind.SCREEN_AUDIO);
    }
    await a.expectNone('media', 100, (e) => payloadText(e) === 'tab-audio');
  });

  it("keeps the order of one sender's frames across relays", async () => {
    const a = await join(0, 'order', 'a');
    const b = await join(2, 'order', 'b');
    // b's relay's interest in the room reaches a's NATS server asynchronously (see above): until
    // it has, a's frames go nowhere. A probe, sent again until it arrives, says it has.
    for (let i = 0; i < 20; i++) {
      a.sendMedia('probe', { sequence: 0 });
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (b.inbox.some((e) => e.body === 'media' && payloadText(e) === 'probe')) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // probes still on their way
    const probes = b.inbox.filter((e) => e.body === 'media' && payloadText(e) === 'probe');
    expect(probes.length).toBeGreaterThan(0);
    for (const probe of probes) b.inbox.splice(b.inbox.indexOf(probe), 1);
    for (let i = 0; i < 100; i++) a.sendMedia(`seq-${i}`, { sequence: i });
    for (let i = 0; i < 100; i++) expect(payloadText(await b.next('media'))).toBe(`seq-${i}`);
  });

  it('gives a participant joining late on a third relay the whole roster, with the current mute state', async () => {
    const a = await join(0, 'roster', 'a', { state: { mic: false, camera: true } });
    const b = await join(1, 'roster', 'b');
    expect((await a.next('peerJoined')).peerJoined.participant?.id).toBe(b.id);
    a.send({ mediaState: { mic: true, camera: true } });
    expect((await b.next('mediaState')).from).toBe(a.id);

    // Relay 2 has nobody in this room yet: it learns the roster from the other two.
    const late = await TestClient.connect(relays[2].wsUrl, 'late');
    clients.push(late);
    const { welcome } = await late.join('roster', 'late');
    const roster = welcome.roster ?? [];
    expect(roster.map((p) => p.name).sort()).toEqual(['a', 'b']);
    expect(roster.find((p) => p.id === a.id)?.state).toMatchObject({ mic: true, camera: true });
    for (const peer of [a, b]) expect((await peer.next('peerJoined')).peerJoined.participant?.id).toBe(late.id);
    // Joined once, announced once.
    await a.expectNone('peerJoined', 200);
  });

  it('delivers a keyframe request across relays to its target only, stamped with the requester', async () => {
    const a = await join(0, 'keyframe', 'a');
    const b = await join(1, 'keyframe', 'b');
    const c = await join(2, 'keyframe', 'c');
    c.send({ keyframeRequest: { target: a.id, kind: TrackKind.VIDEO } });
    const { from, keyframeRequest } = await a.next('keyframeRequest');
    expect(from).toBe(c.id);
    expect(keyframeRequest).toMatchObject({ target: a.id, kind: TrackKind.VIDEO });
    await b.expectNone('keyframeRequest', 200);
  });

  it('tells participants on the other relays who left and why, and forgets them', async () => {
    const a = await join(0, 'leave', 'a');
    const b = await join(1, 'leave', 'b');
    const c = await join(2, 'leave', 'c');
    b.send({ leave: {} });
    for (const peer of [a, c])
      expect((await peer.next('peerLeft')).peerLeft).toMatchObject({ id: b.id, reason: 'left' });
    const d = await join(2, 'leave', 'd');
    expect(d.id).not.toBe('');
    const later = await TestClient.connect(relays[1].wsUrl, 'later');
    clients.push(later);
    const { welcome } = await later.join('leave', 'later');
    expect((welcome.roster ?? []).map((p) => p.name).sort()).toEqual(['a', 'c', 'd']);
  });

  it('answers a keyframe request for a participant of another room on another relay with unknown-peer', async () => {
    const a = await join(0, 'room-x', 'a');
    const other = await join(1, 'room-y', 'other');
    a.send({ keyframeRequest: { target: other.id, kind: TrackKind.VIDEO } });
    expect((await a.next('error')).error.code).toBe(ErrorCode.UnknownPeer);
    await other.expectNone('keyframeRequest', 150);
  });
});

describe.skipIf(!hasNatsServer())("a NATS cluster's max_payload", () => {
  const MAX_PAYLOAD = 64 * 1024;
  const { relays, clients } = useRelayCluster({ size: 2, maxPayload: MAX_PAYLOAD });

  it('is read from the server and announced to clients as the largest message they may send', async () => {
    expect(relays[0].natsBus.maxPayload).toBe(MAX_PAYLOAD);
    const a = await TestClient.connect(relays[0].wsUrl, 'a');
    clients.push(a);
    const { welcome } = await a.join('limits', 'a');
    expect(welcome.maxMessageBytes).toBeLessThan(MAX_PAYLOAD);
    expect(welcome.maxMessageBytes).toBeGreaterThan(MAX_PAYLOAD - 100);
  });

  it('refuses a larger frame with too-large, counts it, delivers it to no one, and keeps the connection', async () => {
    const a = await TestClient.joined(relays[0], 'too-large', 'a');
    const local = await TestClient.joined(relays[0], 'too-large', 'local');
    const remote = await TestClient.joined(relays[1], 'too-large', 'remote');
    clients.push(a, local, remote);
    a.sendMedia('huge', { kind: TrackKind.VIDEO, keyframe: true }, MAX_PAYLOAD + 1000);
    expect((await a.next('error')).error).toMatchObject({ code: ErrorCode.TooLarge, fatal: false });
    await a.expectNone('error', 100);
    const stats = relays[0].stats();
    expect(stats.errors['too-large']).toBe(1);
    expect(stats.dropped['bus-max-payload']).toBe(1);
    await local.expectNone('media', 200);
    await remote.expectNone('media', 0);
    a.sendMedia('fits', { kind: TrackKind.VIDEO }, MAX_PAYLOAD - 1000);
    await Promise.all([local.nextMedia('fits'), remote.nextMedia('fits')]);
    expect(a.isOpen).toBe(true);
  });
});
