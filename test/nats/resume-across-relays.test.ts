import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from '../../src/protocol/index.js';
import { resumeSecretOf, sleep, TestClient } from '../server/helpers.js';
import {
  mediaFlows,
  metricsText,
  startClusterRelay,
  startRelayProcess,
  waitForNodes,
  type ClusterRelay,
  type RelayProcess,
} from './helpers.js';
import { hasNatsServer, NatsCluster } from './nats-cluster.js';

// When a relay dies, its participants reconnect to another relay of the cluster
// with their resume token and are the same participants there: the others, on
// any relay, see no leave and no join. Real nats-server processes; the relay that
// dies runs in a child process so it can be killed like a crash.
describe.skipIf(!hasNatsServer())('participants moving to another relay when theirs dies', () => {
  const SECRET = 'the cluster-wide resume secret';
  const GRACE = 3000;
  const cluster = { resumeSecret: SECRET, resumeGraceMs: GRACE, nodeHeartbeatMs: 300 };
  let nats: NatsCluster | undefined;
  let stays: ClusterRelay | undefined; // where the observer is, on NATS server 0
  let target: ClusterRelay | undefined; // where the movers go, on NATS server 1
  const dying: RelayProcess[] = [];
  const clients: TestClient[] = [];
  const track = (c: TestClient): TestClient => (clients.push(c), c);

  beforeAll(async () => {
    nats = await NatsCluster.start({ size: 2 });
    stays = await startClusterRelay([nats.urls[0]!], cluster);
    target = await startClusterRelay([nats.urls[1]!], cluster);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(dying.splice(0).map((r) => r.crash()));
    await waitForNodes([stays!, target!], 2);
  });
  afterAll(async () => {
    await stays?.close();
    await target?.close();
    await nats?.stop();
  });

  async function doomedRelay(): Promise<RelayProcess> {
    const relay = await startRelayProcess({ natsUrl: nats!.urls[1], ...cluster });
    dying.push(relay);
    await waitForNodes([stays!, target!], 3);
    return relay;
  }

  it('moves the participants of a crashed relay to another within seconds; the others see only those that never came back leave', async () => {
    const relay = await doomedRelay();
    const a = track(await TestClient.joined(stays!, 'crash-move', 'a'));
    const mover = track(await TestClient.connect(relay.wsUrl, 'mover'));
    const token = (await mover.join('crash-move', 'mover')).welcome.resumeToken ?? '';
    const gone = track(await TestClient.joined(relay, 'crash-move', 'gone'));
    await a.next('peerJoined');
    await a.next('peerJoined');

    const crashedAt = Date.now();
    await relay.crash(); // SIGKILL: no goodbye, no PeerLeft
    const moved = track(await TestClient.connect(target!.wsUrl, 'mover'));
    const welcome = await moved.join('crash-move', 'mover', { resumeToken: token });
    const movedMs = Date.now() - crashedAt;
    expect(welcome.welcome).toMatchObject({ resumed: true, sessionId: mover.id });
    // Who else was on the dead relay only that relay could tell; the others' part is there.
    expect(welcome.welcome.roster?.map((p) => p.name)).toContain('a');
    expect(movedMs).toBeLessThan(3000); // mostly the new relay waiting (rosterSyncTimeoutMs) for the dead one to answer

    // Media from its new relay reaches the observer as the same participant, and back.
    await mediaFlows(moved, a, 'moved');
    await mediaFlows(a, moved, 'observer');
    moved.sendMedia('stamped');
    expect((await a.nextMedia('stamped')).from).toBe(mover.id);
    // The one that never reconnected leaves once the crash is noticed and the grace is over; the mover never does.
    const left = await a.next('peerLeft', GRACE + 5000);
    expect(left.peerLeft).toMatchObject({ id: gone.id, reason: 'disconnected' });
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(GRACE);
    await a.expectNone('peerLeft', 500, (e) => e.peerLeft?.id === mover.id);
    expect(a.inbox.filter((e) => e.peerJoined)).toEqual([]);
    expect(await metricsText(target!)).toMatch(/videocall_resumes_total\{outcome="resumed(-unknown)?"\} [1-9]/);
    console.log(`moved to another relay ${movedMs} ms after the crash`);
  });

  it('moves the participants of a relay stopped on purpose (server-shutdown) with no leave or join for the others', async () => {
    const relay = await doomedRelay();
    const a = track(await TestClient.joined(stays!, 'stop-move', 'a'));
    const mover = track(await TestClient.connect(relay.wsUrl, 'mover'));
    const token = (await mover.join('stop-move', 'mover')).welcome.resumeToken ?? '';
    await a.next('peerJoined');

    const stopping = relay.stop(); // SIGTERM: server-shutdown to its clients, goodbye to the other relays
    expect((await mover.next('error')).error?.code).toBe(ErrorCode.ServerShutdown);
    expect((await mover.closed()).code).toBe(CloseCode.GoingAway);
    const moved = track(await TestClient.connect(target!.wsUrl, 'mover'));
    expect((await moved.join('stop-move', 'mover', { resumeToken: token })).welcome).toMatchObject({
      resumed: true,
      sessionId: mover.id,
    });
    await stopping;
    await mediaFlows(moved, a, 'after-stop');
    await a.expectNone('peerLeft', GRACE + 500);
    expect(a.inbox.filter((e) => e.peerJoined)).toEqual([]);
  });

  it('closes the old connection as session-replaced when the participant resumes on another relay while it is still open', async () => {
    const a = track(await TestClient.joined(stays!, 'dup', 'a'));
    const first = track(await TestClient.connect(stays!.wsUrl, 'x'));
    const token = (await first.join('dup', 'x')).welcome.resumeToken ?? '';
    await a.next('peerJoined');
    const second = track(await TestClient.connect(target!.wsUrl, 'x'));
    expect((await second.join('dup', 'x', { resumeToken: token })).welcome).toMatchObject({
      resumed: true,
      sessionId: first.id,
    });
    expect((await first.closed()).code).toBe(CloseCode.SessionReplaced);
    await mediaFlows(second, a, 'second');
    await a.expectNone('peerLeft', 500);
    expect(a.inbox.filter((e) => e.peerJoined)).toEqual([]);
  });

  it('spends a resume token on every relay: the same resume replayed on a third relay is a fresh join', async () => {
    const a = track(await TestClient.joined(stays!, 'replay', 'a'));
    const victim = track(await TestClient.connect(stays!.wsUrl, 'v'));
    const token = (await victim.join('replay', 'v')).welcome.resumeToken ?? '';
    await a.next('peerJoined');
    const proof = resumeSecretOf(token)!;
    victim.terminate();
    const back = track(await TestClient.connect(stays!.wsUrl, 'v'));
    expect((await back.join('replay', 'v', { resumeToken: token })).welcome.resumed).toBe(true);
    // The spend reaches the other relay over NATS (a round trip); a replay there after it is refused.
    await sleep(200);
    const replay = track(await TestClient.connect(target!.wsUrl, 'replay'));
    const welcome = await replay.join('replay', 'v', { resumeToken: token, resumeProof: proof });
    expect(welcome.welcome.resumed).toBe(false);
    expect(welcome.welcome.sessionId).not.toBe(victim.id);
    expect(target!.stats().resumes['rejected-spent']).toBe(1);
    await back.expectNone('error', 200);
    expect(back.isOpen).toBe(true);
  });
});
