/**
 * Several relays in this process sharing one in-process bus: the cluster logic
 * (roster sync, liveness, resync after a bus outage) without NATS. The shared
 * LocalBus also echoes each relay's messages back to it, which NATS (`noEcho`)
 * never does: relays must ignore their own. test/nats/ runs the same ideas on
 * real nats-server clusters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TrackKind } from '../../src/protocol/index.js';
import type { Bus, BusHandler, BusSubscription } from '../../server/bus/bus.js';
import { LocalBus } from '../../server/bus/local-bus.js';
import { subjects } from '../../server/bus/subjects.js';
import type { Relay, RelayOptions } from '../../server/relay.js';
import { payloadText, sleep, startTestRelay, TestClient, waitFor } from './helpers.js';

/** One relay's connection to a shared bus, which a test can cut and restore like a NATS connection. */
class CuttableBus implements Bus {
  readonly kind = 'nats';
  readonly maxPayload = Infinity;
  connected = true;
  private readonly listeners = new Set<(connected: boolean) => void>();

  constructor(private readonly shared: LocalBus) {}

  publish(subject: string, payload: Uint8Array): void {
    if (this.connected) this.shared.publish(subject, payload);
  }
  subscribe(pattern: string, handler: BusHandler): BusSubscription {
    return this.shared.subscribe(pattern, (subject, payload) => {
      if (this.connected) handler(subject, payload);
    });
  }
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async close(): Promise<void> {}

  cut(): void {
    this.set(false);
  }
  restore(): void {
    this.set(true);
  }
  private set(connected: boolean): void {
    this.connected = connected;
    for (const listener of this.listeners) listener(connected);
  }
}

const FAST: RelayOptions = { nodeHeartbeatMs: 50, rosterSyncTimeoutMs: 300 };

let shared: LocalBus;
const relays: Relay[] = [];
const clients: TestClient[] = [];

async function relayOn(options: RelayOptions = {}): Promise<{ relay: Relay; bus: CuttableBus }> {
  const bus = new CuttableBus(shared);
  const relay = await startTestRelay({ ...FAST, ...options, bus });
  relays.push(relay);
  return { relay, bus };
}

async function join(relay: Relay, room: string, name: string, extra = {}): Promise<TestClient> {
  const c = await TestClient.joined(relay, room, name, extra);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(relays.splice(0).map((r) => r.close()));
  await shared?.close();
});

describe('relays sharing a bus', () => {
  it('put participants of different relays in one room: roster, media, presence and keyframe requests cross', async () => {
    shared = new LocalBus();
    const [{ relay: r1 }, { relay: r2 }] = [await relayOn(), await relayOn()];
    const a = await join(r1, 'r', 'a', { state: { mic: true } });
    const b = await join(r2, 'r', 'b');
    const c = await TestClient.connect(r2.wsUrl, 'c');
    clients.push(c);
    const { welcome } = await c.join('r', 'c');
    expect((welcome.roster ?? []).map((p) => p.name).sort()).toEqual(['a', 'b']);
    expect(welcome.roster?.find((p) => p.name === 'a')?.state?.mic).toBe(true);
    expect((await a.next('peerJoined')).peerJoined.participant?.id).toBe(b.id);
    expect((await a.next('peerJoined')).peerJoined.participant?.id).toBe(c.id);

    a.sendMedia('a1', { kind: TrackKind.VIDEO });
    expect((await b.nextMedia('a1')).from).toBe(a.id);
    expect((await c.nextMedia('a1')).from).toBe(a.id);
    b.send({ mediaState: { mic: true, camera: true } });
    expect((await a.next('mediaState')).from).toBe(b.id);
    expect((await c.next('mediaState')).from).toBe(b.id);
    c.send({ keyframeRequest: { target: a.id, kind: TrackKind.VIDEO } });
    expect((await a.next('keyframeRequest')).from).toBe(c.id);
    await b.expectNone('keyframeRequest', 50);
  });

  it('delivers each frame once to a participant on the same relay, although the bus echoes it back', async () => {
    shared = new LocalBus();
    const [{ relay: r1 }, { relay: r2 }] = [await relayOn(), await relayOn()];
    const [a, a2, b] = [await join(r1, 'r', 'a'), await join(r1, 'r', 'a2'), await join(r2, 'r', 'b')];
    for (let i = 0; i < 5; i++) a.sendMedia(`f${i}`);
    for (let i = 0; i < 5; i++) {
      expect(payloadText(await a2.next('media'))).toBe(`f${i}`);
      expect(payloadText(await b.next('media'))).toBe(`f${i}`);
    }
    await a2.expectNone('media', 100);
    await a.expectNone('media', 0);
    await a.expectNone('peerJoined', 0, (e) => e.peerJoined?.participant?.id === a.id);
  });

  it('welcomes the first joiner of a room once the other relays answered, or after rosterSyncTimeoutMs at most', async () => {
    shared = new LocalBus();
    const { relay } = await relayOn({ rosterSyncTimeoutMs: 300 });
    // A node that says it is alive but never answers roster questions.
    shared.publish(subjects.alive('ghost'), Buffer.from(JSON.stringify({ intervalMs: 10_000 })));
    await waitFor(() => relay.stats().bus.nodes === 2, 1000, 'the ghost node to be known');
    const started = Date.now();
    await join(relay, 'r', 'a');
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(2000);
    // The room is known now: a second joiner does not wait.
    const again = Date.now();
    await join(relay, 'r', 'b');
    expect(Date.now() - again).toBeLessThan(200);
  });

  it('answers Ping while a join waits for the roster, and refuses media until Welcome', async () => {
    shared = new LocalBus();
    const { relay } = await relayOn({ rosterSyncTimeoutMs: 400 });
    shared.publish(subjects.alive('ghost'), Buffer.from(JSON.stringify({ intervalMs: 10_000 })));
    await waitFor(() => relay.stats().bus.nodes === 2, 1000, 'the ghost node to be known');
    const c = await TestClient.connect(relay.wsUrl, 'c');
    clients.push(c);
    const welcome = c.join('r', 'c');
    c.send({ ping: { time: 7 } });
    expect((await c.next('pong')).pong.time).toBe(7);
    c.sendMedia('early');
    expect((await c.next('error')).error.code).toBe('not-joined');
    await welcome;
  });

  it('cut off from the bus, a relay keeps its participants talking and says degraded; the others see them leave; back, everyone sees everyone', async () => {
    shared = new LocalBus();
    const [{ relay: r1 }, { relay: r2, bus: bus2 }] = [await relayOn(), await relayOn()];
    const a = await join(r1, 'r', 'a');
    const b = await join(r2, 'r', 'b');
    const b2 = await join(r2, 'r', 'b2');
    await a.next('peerJoined');
    await a.next('peerJoined');
    await b.next('peerJoined');

    bus2.cut();
    const health = (await (await fetch(`${r2.url}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'degraded', busConnected: false });
    b.sendMedia('local');
    await b2.nextMedia('local');
    await a.expectNone('media', 50);
    // Three missed heartbeats of 50 ms: a hears that b and b2 left; b and b2 hear that a left.
    const left = [(await a.next('peerLeft', 1000)).peerLeft, (await a.next('peerLeft', 1000)).peerLeft];
    expect(left.map((l) => l.id).sort()).toEqual([b.id, b2.id].sort());
    expect(left.every((l) => l.reason === 'disconnected')).toBe(true);
    expect((await b.next('peerLeft', 1000)).peerLeft).toMatchObject({ id: a.id, reason: 'disconnected' });
    b2.send({ mediaState: { mic: true } }); // changed while cut off
    await b.next('mediaState');

    bus2.restore();
    const back = [(await a.next('peerJoined', 1000)).peerJoined, (await a.next('peerJoined', 1000)).peerJoined];
    expect(back.map((p) => p.participant?.name).sort()).toEqual(['b', 'b2']);
    expect(back.find((p) => p.participant?.name === 'b2')?.participant?.state?.mic).toBe(true);
    expect((await b.next('peerJoined', 1000)).peerJoined.participant?.id).toBe(a.id);
    a.sendMedia('again');
    await b.nextMedia('again');
    expect(((await (await fetch(`${r2.url}/healthz`)).json()) as { status: string }).status).toBe('ok');
  });

  it('drops the participants of a relay that said goodbye after the resume grace, without waiting for heartbeats', async () => {
    shared = new LocalBus();
    const [{ relay: r1 }, { relay: r2 }] = [
      await relayOn({ nodeHeartbeatMs: 10_000 }),
      await relayOn({ nodeHeartbeatMs: 10_000 }),
    ];
    const a = await join(r1, 'r', 'a');
    const b = await join(r2, 'r', 'b');
    await a.next('peerJoined');
    expect(r1.stats().bus.nodes).toBe(2);
    await r2.close();
    expect((await a.next('peerLeft', 500)).peerLeft).toMatchObject({ id: b.id, reason: 'server-shutdown' });
    await sleep(20);
    expect(r1.stats().bus.nodes).toBe(1);
    await a.expectNone('peerLeft', 50);
  });
});
