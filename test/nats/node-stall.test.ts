/**
 * A relay that stalls (SIGSTOP: a long GC pause, a starved machine) is taken for
 * gone by the others after 3 missed heartbeats, although it noticed nothing
 * itself. When it runs again, the rooms across relays must come back together:
 * within the resume grace nobody sees anyone leave; after it, the others see its
 * participants leave and then join again, and nobody is lost for good.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, waitFor } from '../server/helpers.js';
import {
  FAST,
  health,
  mediaFlows,
  startClusterRelay,
  startRelayProcess,
  waitForNodes,
  type ClusterRelay,
  type RelayProcess,
} from './helpers.js';
import { hasNatsServer, NatsCluster } from './nats-cluster.js';

const GRACE_MS = 3000;
const options = { ...FAST, resumeGraceMs: GRACE_MS, resumeSecret: 'the node-stall tests resume secret' };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!hasNatsServer())('a relay that stalls and runs again', () => {
  let nats: NatsCluster | undefined;
  let steady: ClusterRelay | undefined; // in this process, on NATS server 1
  let stalling: RelayProcess | undefined; // in a child process, on NATS server 2
  const clients: TestClient[] = [];
  const track = (c: TestClient): TestClient => (clients.push(c), c);

  beforeAll(async () => {
    nats = await NatsCluster.start({ size: 2 });
    steady = await startClusterRelay([nats.urls[0]!], options);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    stalling?.child.kill('SIGCONT');
    await stalling?.crash();
    stalling = undefined;
  });
  afterAll(async () => {
    await steady?.close();
    await nats?.stop();
  });

  /** Stops the child relay for `ms`, after checking the steady relay gave it up meanwhile. */
  async function stall(ms: number): Promise<void> {
    const stoppedAt = Date.now();
    stalling!.child.kill('SIGSTOP');
    await waitFor(() => steady!.stats().bus.nodes === 1, ms, 'the steady relay to give the stalled one up');
    await sleep(ms - (Date.now() - stoppedAt));
    stalling!.child.kill('SIGCONT');
  }

  async function pair(room: string): Promise<{ a: TestClient; x: TestClient }> {
    stalling = await startRelayProcess({ natsUrl: nats!.urls[1], ...options });
    await waitForNodes([steady!, stalling], 2);
    const a = track(await TestClient.joined(steady!, room, 'a'));
    const x = track(await TestClient.joined(stalling, room, 'x'));
    expect((await a.next('peerJoined')).peerJoined.participant?.id).toBe(x.id);
    return { a, x };
  }

  it('sees nobody leave when the stall ends within the resume grace, and keeps both sides in one room', async () => {
    const { a, x } = await pair('brief');
    await stall(GRACE_MS / 2);
    await waitForNodes([steady!, stalling!], 2);
    // Past the grace the holds would have ended in a leave, had the room not been taken back.
    await a.expectNone('peerLeft', GRACE_MS);
    await x.expectNone('peerLeft', 100);
    await a.expectNone('peerJoined', 100);
    await mediaFlows(x, a, 'x-after');
    await mediaFlows(a, x, 'a-after');
    // Both relays still know both participants: a newcomer on either sees them.
    const onSteady = track(await TestClient.connect(steady!.wsUrl, 'late'));
    const seenOnSteady = (await onSteady.join('brief', 'late-1')).welcome.roster ?? [];
    expect(seenOnSteady.map((p) => p.name).sort()).toEqual(['a', 'x']);
    // The stalled relay hears of late-1 over NATS: x is told once that relay has it in the room's roster
    // (on a loaded machine that takes a moment; a join there before it would not list late-1 yet).
    expect((await x.next('peerJoined', 5000)).peerJoined.participant?.name).toBe('late-1');
    const onStalled = track(await TestClient.connect(stalling!.wsUrl, 'late'));
    const seenOnStalled = (await onStalled.join('brief', 'late-2')).welcome.roster ?? [];
    expect(seenOnStalled.map((p) => p.name).sort()).toEqual(['a', 'late-1', 'x']);
  });

  it('lets the others see its participants leave, and join again when it runs, after a stall longer than the grace', async () => {
    const { a, x } = await pair('long');
    await stall(GRACE_MS + 1500);
    expect((await a.next('peerLeft', 100)).peerLeft).toMatchObject({ id: x.id, reason: 'disconnected' });
    expect((await a.next('peerJoined', 5000)).peerJoined.participant?.id).toBe(x.id);
    // The stalled relay judged nobody on waking: its participant lost nobody.
    await x.expectNone('peerLeft', 1000);
    expect((await health(steady!)).participants).toBe(1);
    // Media flows again both ways, and a newcomer sees both.
    await mediaFlows(x, a, 'x-after');
    await mediaFlows(a, x, 'a-after');
    const late = track(await TestClient.connect(steady!.wsUrl, 'late'));
    const { welcome } = await late.join('long', 'late');
    expect((welcome.roster ?? []).map((p) => p.name).sort()).toEqual(['a', 'x']);
  });
});
