import { afterEach, describe, expect, it } from 'vitest';
import { TrackKind, type DecodedEnvelope } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { startTestRelay, TestClient, waitFor } from './helpers.js';

// Joins are held from the third participant on, for a window long enough that
// only a flush the test causes can announce them before it ends.
const FROM = 3;
const WINDOW_MS = 1500;

let relay: Relay;
const clients: TestClient[] = [];

async function start(windowMs = WINDOW_MS): Promise<void> {
  relay = await startTestRelay({ maxRoomSize: 50, presenceBatchFrom: FROM, presenceBatchMs: windowMs });
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay.close();
});

/** Joins as a client that reads `PeersJoined` (as the element and the CLI do), unless `batched` is false. */
async function join(room: string, name: string, batched = true): Promise<TestClient> {
  const c = await TestClient.joined(relay, room, name, batched ? { batchedPresence: true } : {});
  clients.push(c);
  return c;
}

/** Who `c` was told joined, in order, from either message. */
function joinedIds(c: TestClient): string[] {
  return c.inbox.flatMap((e) =>
    e.body === 'peerJoined'
      ? [e.peerJoined!.participant!.id!]
      : e.body === 'peersJoined'
        ? e.peersJoined!.participants!.map((p) => p.id!)
        : [],
  );
}

/** The room's first two members, below the threshold: `a` hears `b` join at once. Later joins are held. */
async function firstTwo(room: string, aBatched = true): Promise<[TestClient, TestClient]> {
  const a = await join(room, 'a', aBatched);
  const b = await join(room, 'b');
  await a.next('peerJoined');
  return [a, b];
}

const bodies = (c: TestClient): string[] => c.inbox.map((e: DecodedEnvelope) => e.body ?? '');

describe('joins announced in batches', () => {
  it('announces each join at once while the room is smaller than the threshold', async () => {
    await start();
    const a = await join('small', 'a');
    const b = await join('small', 'b');
    // Far sooner than the window: this join was never held.
    const { peerJoined } = await a.next('peerJoined', WINDOW_MS / 3);
    expect(peerJoined.participant?.id).toBe(b.id);
  });

  it('tells each member of a big room the joins of a window in one message, in order, each once', async () => {
    await start();
    const [a, b] = await firstTwo('big');
    const late = [await join('big', 'c'), await join('big', 'd'), await join('big', 'e')];
    const [c, d, e] = late;
    // Nothing yet: the joins wait for the window.
    await a.expectNone('peersJoined', 300);
    await a.expectNone('peerJoined', 0);

    for (const member of [a, b]) {
      await waitFor(() => joinedIds(member).length === 3, 2 * WINDOW_MS, `${member.label} told of c, d and e`);
      const batch = member.inbox.find((x) => x.body === 'peersJoined')!;
      expect(batch.from ?? '').toBe('');
      expect(batch.peersJoined!.participants!.map((p) => p.id)).toEqual([c.id, d.id, e.id]);
      expect(batch.peersJoined!.participants!.map((p) => p.name)).toEqual(['c', 'd', 'e']);
    }

    // Each late joiner learns only of those after it: the others were in its Welcome.
    await waitFor(() => joinedIds(c).length === 2, 1000, 'c told of d and e');
    expect(joinedIds(c)).toEqual([d.id, e.id]);
    expect(joinedIds(d)).toEqual([e.id]);
    await e.expectNone('peersJoined', 200);
    expect(joinedIds(e)).toEqual([]);
    // One message to each of a, b and c: not one per join.
    expect(bodies(a).filter((x) => x === 'peersJoined' || x === 'peerJoined')).toHaveLength(1);
    expect(bodies(c).filter((x) => x === 'peersJoined' || x === 'peerJoined')).toHaveLength(1);
  });

  it('sends a client that does not read PeersJoined each join as its own PeerJoined', async () => {
    await start();
    const [old] = await firstTwo('mixed', false);
    const c = await join('mixed', 'c');
    const d = await join('mixed', 'd');
    await waitFor(() => joinedIds(old).length === 2, 2 * WINDOW_MS, 'old client told of c and d');
    expect(bodies(old).filter((x) => x === 'peersJoined')).toEqual([]);
    const joins = old.inbox.filter((e) => e.body === 'peerJoined');
    expect(joins.map((e) => [e.from, e.peerJoined!.participant!.id])).toEqual([
      [c.id, c.id],
      [d.id, d.id],
    ]);
  });

  it("announces held joins before a held joiner's first frame", async () => {
    await start(10_000);
    const [a] = await firstTwo('media');
    const c = await join('media', 'c');
    const d = await join('media', 'd');
    d.sendMedia('first-words', { kind: TrackKind.AUDIO, audioLevel: 0 }, 80);
    await waitFor(() => bodies(a).includes('media'), 2000, "d's frame at a");
    // The joins came first, as one message, long before the window's end.
    expect(bodies(a).slice(0, 2)).toEqual(['peersJoined', 'media']);
    expect(joinedIds(a)).toEqual([c.id, d.id]);
  });

  it("announces a held join before that participant's state, and before its leave", async () => {
    await start(10_000);
    const [a] = await firstTwo('state');
    const c = await join('state', 'c');
    c.send({ mediaState: { mic: true, camera: false } });
    await waitFor(() => bodies(a).includes('mediaState'), 2000, "c's state at a");
    expect(bodies(a).slice(0, 2)).toEqual(['peerJoined', 'mediaState']);
    expect(joinedIds(a)).toEqual([c.id]);

    const d = await join('state', 'd');
    d.send({ leave: {} });
    await waitFor(() => bodies(a).includes('peerLeft'), 2000, "d's leave at a");
    expect(bodies(a).slice(2)).toEqual(['peerJoined', 'peerLeft']);
    expect(a.inbox[3].peerLeft?.id).toBe(d.id);
    expect(joinedIds(a)).toEqual([c.id, d.id]);
  });

  it('owes a connection that takes a participant over (a transport upgrade) the joins its older one was owed', async () => {
    await start();
    const a = await TestClient.connect(relay.wsUrl, 'a');
    clients.push(a);
    const token = (await a.join('upgrade', 'a', { batchedPresence: true })).welcome.resumeToken!;
    await join('upgrade', 'b');
    await a.next('peerJoined');
    const c = await join('upgrade', 'c');
    // a moves its call to a new connection while c's join is held; the client keeps its roster.
    const moved = await TestClient.connect(relay.wsUrl, 'a');
    clients.push(moved);
    const welcome = await moved.join('upgrade', 'a', {
      resumeToken: token,
      transportUpgrade: true,
      batchedPresence: true,
    });
    expect(welcome.welcome.resumed).toBe(true);
    await waitFor(() => joinedIds(moved).length === 1, 2 * WINDOW_MS, 'c announced on the new connection');
    expect(joinedIds(moved)).toEqual([c.id]);
  });

  it("lets a held joiner's key exchange through without ending the batch", async () => {
    await start();
    const [a] = await firstTwo('keys');
    const c = await join('keys', 'c');
    c.send({ keyExchange: { target: a.id, step: 3, data: new Uint8Array(56).fill(9), kid: 7 } });
    const { from } = await a.next('keyExchange');
    expect(from).toBe(c.id);
    // A client takes keys from anyone: its join still comes with the window.
    expect(joinedIds(a)).toEqual([]);
    await waitFor(() => joinedIds(a).length === 1, 2 * WINDOW_MS, 'c announced');
    expect(joinedIds(a)).toEqual([c.id]);
  });

  it('announces at once again when the window is 0', async () => {
    await start(0);
    const [a] = await firstTwo('off');
    const c = await join('off', 'c');
    const { peerJoined } = await a.next('peerJoined', 500);
    expect(peerJoined.participant?.id).toBe(c.id);
  });
});
