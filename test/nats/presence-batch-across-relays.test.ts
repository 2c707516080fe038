import { describe, expect, it } from 'vitest';
import { TrackKind, type DecodedEnvelope } from '../../src/protocol/index.js';
import { TestClient, waitFor } from '../server/helpers.js';
import { useRelayCluster } from './helpers.js';
import { hasNatsServer } from './nats-cluster.js';

/** Who `c` was told joined, in order, from either message. */
function joinedIds(c: TestClient): string[] {
  return c.inbox.flatMap((e: DecodedEnvelope) =>
    e.body === 'peerJoined'
      ? [e.peerJoined!.participant!.id!]
      : e.body === 'peersJoined'
        ? e.peersJoined!.participants!.map((p) => p.id!)
        : [],
  );
}

const count = (c: TestClient, body: string): number => c.inbox.filter((e) => e.body === body).length;

describe.skipIf(!hasNatsServer())('joins announced in batches across two relays on a NATS cluster', () => {
  // From the third participant on, joins wait up to a second for the ones after them.
  const cluster = useRelayCluster({ size: 2 }, { presenceBatchFrom: 3, presenceBatchMs: 1000 });
  const { relays, clients } = cluster;
  const join = async (relay: number, room: string, name: string, batched = true): Promise<TestClient> => {
    const c = await TestClient.joined(relays[relay], room, name, batched ? { batchedPresence: true } : {});
    clients.push(c);
    return c;
  };

  it("tells the members on one relay the joins made on the other in one message each, before the joiners' media", async () => {
    const a = await join(0, 'batch', 'a');
    const old = await join(0, 'batch', 'old', false);
    await a.next('peerJoined');
    const late = [await join(1, 'batch', 'c'), await join(1, 'batch', 'd'), await join(1, 'batch', 'e')];
    const ids = late.map((c) => c.id);
    expect(late[0].inbox.length).toBe(0);

    await waitFor(() => joinedIds(a).length === 3, 3000, 'a told of c, d and e');
    expect(joinedIds(a)).toEqual(ids);
    expect(count(a, 'peersJoined')).toBe(1);
    expect(count(a, 'peerJoined')).toBe(0);
    // A client that does not read PeersJoined hears each join on its own, from the joiner.
    await waitFor(() => joinedIds(old).length === 3, 3000, 'old told of c, d and e');
    expect(old.inbox.filter((e) => e.body === 'peerJoined').map((e) => e.from)).toEqual(ids);

    // A later joiner's first frame, sent as soon as it is in, reaches the other relay after its join.
    const f = await join(1, 'batch', 'f');
    f.sendMedia('hello', { kind: TrackKind.AUDIO, audioLevel: 0 }, 80);
    await waitFor(() => a.inbox.some((e) => e.body === 'media'), 3000, "f's frame at a");
    const bodies = a.inbox.map((e) => e.body);
    expect(bodies.indexOf('peerJoined')).toBeGreaterThan(-1);
    expect(bodies.indexOf('peerJoined')).toBeLessThan(bodies.indexOf('media'));
    expect(joinedIds(a)).toEqual([...ids, f.id]);
  });
});
