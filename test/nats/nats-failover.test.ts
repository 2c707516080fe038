import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, waitFor } from '../server/helpers.js';
import { health, mediaFlows, metricsText, startClusterRelay, waitForNodes, type ClusterRelay } from './helpers.js';
import { hasNatsServer, NatsCluster } from './nats-cluster.js';

describe.skipIf(!hasNatsServer())('NATS servers failing under a call', () => {
  let nats: NatsCluster | undefined;
  const relays: ClusterRelay[] = [];
  const clients: TestClient[] = [];
  const track = (c: TestClient): TestClient => (clients.push(c), c);

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(relays.splice(0).map((r) => r.close()));
    await nats?.stop();
    nats = undefined;
  });

  it('keeps the call going when one NATS server dies, moves its relay to another, and takes it back when it restarts', async () => {
    nats = await NatsCluster.start({ size: 3 });
    const urls = nats.urls;
    // Relay i starts on server i; default heartbeats, so a short failover shows no one leaving.
    for (const first of [0, 1, 2]) {
      const order = [urls[first], ...urls.filter((_, i) => i !== first)];
      relays.push(await startClusterRelay(order, { nodeHeartbeatMs: 2000 }));
    }
    await waitForNodes(relays, 3);
    const [a, b, c] = [
      track(await TestClient.joined(relays[0], 'failover', 'a')),
      track(await TestClient.joined(relays[1], 'failover', 'b')),
      track(await TestClient.joined(relays[2], 'failover', 'c')),
    ];
    await mediaFlows(a, b, 'before');
    await mediaFlows(c, a, 'before');

    await nats.kill(0);
    // Relays on the surviving servers never stopped talking.
    await mediaFlows(b, c, 'b-during', 2000);
    await mediaFlows(c, b, 'c-during', 2000);
    // The relay whose server died moved to another server in its list.
    const moved = relays[0].natsBus;
    await waitFor(
      () => moved.connected && moved.stats().server !== `127.0.0.1:${nats!.servers[0].port}`,
      10_000,
      'relay 0 to reconnect elsewhere',
    );
    await mediaFlows(a, b, 'a-after', 5000);
    await mediaFlows(c, a, 'c-after', 5000);
    expect(moved.stats().reconnects).toBe(1);
    expect(await metricsText(relays[0])).toMatch(/^videocall_bus_reconnects_total 1$/m);
    expect(await health(relays[0])).toMatchObject({ status: 'ok', busConnected: true, nodes: 3 });
    for (const client of [a, b, c]) await client.expectNone('peerLeft', 0);

    // Back with its old config, the server rejoins the cluster: a relay on it alone reaches everyone.
    await nats.restart(0);
    expect(await nats.routes(0)).toBe(2);
    const onRestarted = await startClusterRelay([urls[0]], { nodeHeartbeatMs: 2000 });
    relays.push(onRestarted);
    const d = track(await TestClient.joined(onRestarted, 'failover', 'd'));
    expect(onRestarted.natsBus.stats().server).toBe(`127.0.0.1:${nats.servers[0].port}`);
    await mediaFlows(d, a, 'd-to-a', 5000);
    await mediaFlows(b, d, 'b-to-d', 5000);
  });

  it('while its bus is down, keeps local participants talking, says degraded, and resyncs the room when NATS is back', async () => {
    // One NATS server for both relays: killing it cuts every relay off the bus.
    nats = await NatsCluster.start({ size: 1 });
    relays.push(await startClusterRelay(nats.urls), await startClusterRelay(nats.urls));
    await waitForNodes(relays, 2);
    const a = track(await TestClient.joined(relays[0], 'outage', 'a'));
    const a2 = track(await TestClient.joined(relays[0], 'outage', 'a2'));
    const b = track(await TestClient.joined(relays[1], 'outage', 'b'));
    for (const id of [a2.id, b.id]) expect((await a.next('peerJoined')).peerJoined.participant?.id).toBe(id);
    expect((await a2.next('peerJoined')).peerJoined.participant?.id).toBe(b.id);
    await mediaFlows(a, b, 'before');

    await nats.kill(0);
    await waitFor(() => !relays[0].bus.connected && !relays[1].bus.connected, 5000, 'the relays to notice');
    expect(await health(relays[0])).toMatchObject({ status: 'degraded', bus: 'nats', busConnected: false });
    expect(await metricsText(relays[0])).toMatch(/^videocall_bus_connected\{bus="nats"\} 0$/m);
    // Local delivery does not go through the bus.
    await mediaFlows(a, a2, 'local', 2000);
    await mediaFlows(a2, a, 'local-back', 2000);
    a.sendMedia('lost');
    await b.expectNone('media', 300, () => true);
    expect(await metricsText(relays[0])).toMatch(/^videocall_bus_dropped_total\{reason="disconnected"\} [1-9]\d*$/m);
    // Three missed heartbeats (300 ms here): each side reports the other's participants gone.
    const gone = [(await a.next('peerLeft', 5000)).peerLeft];
    expect(gone[0]).toMatchObject({ id: b.id, reason: 'disconnected' });
    const bLeft = [(await b.next('peerLeft', 5000)).peerLeft, (await b.next('peerLeft', 2000)).peerLeft];
    expect(bLeft.map((l) => l.id).sort()).toEqual([a.id, a2.id].sort());
    // Someone joins relay 1 during the outage: only relay 1 knows.
    const late = track(await TestClient.connect(relays[1].wsUrl, 'late'));
    expect((await late.join('outage', 'late')).welcome.roster?.map((p) => p.name)).toEqual(['b']);
    expect((await b.next('peerJoined')).peerJoined.participant?.id).toBe(late.id);

    await nats.restart(0);
    await waitFor(() => relays[0].bus.connected && relays[1].bus.connected, 10_000, 'the relays to reconnect');
    // Each side hears the other's participants again, including the one who joined meanwhile.
    const back = [(await a.next('peerJoined', 5000)).peerJoined, (await a.next('peerJoined', 2000)).peerJoined];
    expect(back.map((p) => p.participant?.name).sort()).toEqual(['b', 'late']);
    const backAtB = [(await b.next('peerJoined', 5000)).peerJoined, (await b.next('peerJoined', 2000)).peerJoined];
    expect(backAtB.map((p) => p.participant?.name).sort()).toEqual(['a', 'a2']);
    await mediaFlows(a, b, 'after', 5000);
    await mediaFlows(late, a2, 'late-to-a2', 5000);
    expect(await health(relays[0])).toMatchObject({ status: 'ok', busConnected: true, nodes: 2 });
  });
});
