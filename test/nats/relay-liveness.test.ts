import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, waitFor } from '../server/helpers.js';
import {
  health,
  startClusterRelay,
  startRelayProcess,
  waitForNodes,
  type ClusterRelay,
  type RelayProcess,
} from './helpers.js';
import { hasNatsServer, NatsCluster } from './nats-cluster.js';

describe.skipIf(!hasNatsServer())('relay nodes coming and going', () => {
  let nats: NatsCluster | undefined;
  let relay: ClusterRelay | undefined; // in this process, on NATS server 1
  const others: (ClusterRelay | RelayProcess)[] = [];
  const clients: TestClient[] = [];
  const track = (c: TestClient): TestClient => (clients.push(c), c);

  beforeAll(async () => {
    nats = await NatsCluster.start({ size: 2 });
    // Default heartbeats (2 s): what a deployment sees.
    relay = await startClusterRelay(nats.urls, { nodeHeartbeatMs: undefined });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(others.splice(0).map((r) => ('crash' in r ? r.crash() : r.close())));
    await waitForNodes([relay!], 1);
  });
  afterAll(async () => {
    await relay?.close();
    await nats?.stop();
  });

  it('reports the participants of a crashed relay gone (disconnected) on the other relays within a few seconds', async () => {
    const crashing = await startRelayProcess({ natsUrl: nats!.urls[1] });
    others.push(crashing);
    await waitForNodes([relay!], 2);
    const a = track(await TestClient.joined(relay!, 'crash', 'a'));
    const x = track(await TestClient.joined(crashing, 'crash', 'x'));
    const y = track(await TestClient.joined(crashing, 'crash', 'y'));
    expect((await a.next('peerJoined')).peerJoined.participant?.id).toBe(x.id);
    expect((await a.next('peerJoined')).peerJoined.participant?.id).toBe(y.id);

    const crashedAt = Date.now();
    await crashing.crash(); // SIGKILL: no PeerLeft, no goodbye
    const left = [(await a.next('peerLeft', 10_000)).peerLeft, (await a.next('peerLeft', 2000)).peerLeft];
    const elapsed = Date.now() - crashedAt;
    expect(left.map((l) => l.id).sort()).toEqual([x.id, y.id].sort());
    for (const l of left) expect(l.reason).toBe('disconnected');
    // 3 missed heartbeats of 2 s, checked every second.
    expect(elapsed).toBeLessThan(9000);
    expect((await health(relay!)).nodes).toBe(1);
    const late = track(await TestClient.connect(relay!.wsUrl, 'late'));
    expect((await late.join('crash', 'late')).welcome.roster?.map((p) => p.name)).toEqual(['a']);
  });

  it('sees the participants of a relay stopped on purpose leave with server-shutdown once the resume grace is over, and forgets the node', async () => {
    const stopping = await startRelayProcess({ natsUrl: nats!.urls[1] });
    others.push(stopping);
    await waitForNodes([relay!], 2);
    const a = track(await TestClient.joined(relay!, 'graceful', 'a'));
    const x = track(await TestClient.joined(stopping, 'graceful', 'x'));
    await a.next('peerJoined');
    const stoppedAt = Date.now();
    await stopping.stop(); // SIGTERM: the relay tells its clients, the room, and the other relays
    expect((await a.next('peerLeft', 3000)).peerLeft).toMatchObject({ id: x.id, reason: 'server-shutdown' });
    // The goodbye, not the 6 s heartbeat timeout.
    await waitFor(() => relay!.stats().bus.nodes === 1, 3000, 'the stopped relay to be forgotten');
    expect(Date.now() - stoppedAt).toBeLessThan(3000);
    await a.expectNone('peerLeft', 200);
  });

  it('lets a relay that starts later serve a join at once with the whole roster of a room that lives elsewhere', async () => {
    const a = track(await TestClient.joined(relay!, 'later', 'a', { state: { mic: true } }));
    const b = track(await TestClient.joined(relay!, 'later', 'b'));
    expect((await a.next('peerJoined')).peerJoined.participant?.id).toBe(b.id);
    const newcomer = await startClusterRelay([nats!.urls[1]]);
    others.push(newcomer);
    // No wait for heartbeats: the new relay said hello at start and the others answered.
    const c = track(await TestClient.connect(newcomer.wsUrl, 'c'));
    const { welcome } = await c.join('later', 'c');
    expect((welcome.roster ?? []).map((p) => p.name).sort()).toEqual(['a', 'b']);
    expect(welcome.roster?.find((p) => p.name === 'a')?.state?.mic).toBe(true);
    expect((await a.next('peerJoined')).peerJoined.participant?.id).toBe(c.id);
  });
});
