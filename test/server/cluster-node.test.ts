/**
 * ClusterNode on its own: two nodes on one in-process bus, each with fake rooms
 * behind the ClusterRoom interface. No relay, no Room, no connections.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './helpers.js';
import type { ParticipantInit } from '../../src/protocol/index.js';
import type { Bus, BusHandler, BusSubscription } from '../../server/bus/bus.js';
import { LocalBus } from '../../server/bus/local-bus.js';
import { ClusterNode } from '../../server/cluster-node.js';
import type { ClusterRoom, RoomDirectory } from '../../server/cluster-room.js';
import type { LeaveReason } from '../../server/room-member.js';

class FakeRoom implements ClusterRoom {
  readyCalls = 0;
  readonly applied: Array<{ node: string; ids: string[] }> = [];
  readonly dropped: Array<{ node: string; reason: LeaveReason | undefined }> = [];
  constructor(
    readonly name: string,
    private readonly mine: string[],
  ) {}
  snapshot(): ParticipantInit[] {
    return this.mine.map((id) => ({ id, name: id, state: { mic: false, camera: true, screen: false }, decoders: [] }));
  }
  applySnapshot(node: string, participants: ParticipantInit[]): void {
    this.applied.push({ node, ids: participants.map((p) => p.id ?? '') });
  }
  markReady(): void {
    this.readyCalls++;
  }
  dropNode(node: string, reason?: LeaveReason): number {
    this.dropped.push({ node, reason });
    return 0;
  }
}

function directory(...rooms: FakeRoom[]): RoomDirectory {
  const byName = new Map(rooms.map((room) => [room.name, room]));
  return { get: (name) => byName.get(name), values: () => byName.values() };
}

const nodes: ClusterNode[] = [];

/**
 * One node's view of a shared {@link LocalBus}, as a NATS connection is: what it
 * publishes reaches the others after the current timers have run (a socket read),
 * and can be muted (a stalled node, or a lost route) while it still hears them.
 */
class NodeLink implements Bus {
  readonly kind = 'local';
  readonly connected = true;
  readonly maxPayload = Infinity;
  muted = false;
  constructor(private readonly shared: LocalBus) {}
  publish(subject: string, payload: Uint8Array): void {
    if (!this.muted) setImmediate(() => this.shared.publish(subject, payload));
  }
  subscribe(pattern: string, handler: BusHandler): BusSubscription {
    return this.shared.subscribe(pattern, handler);
  }
  onConnectionChange(): () => void {
    return () => {};
  }
  async close(): Promise<void> {}
}

async function startNode(bus: Bus, id: string, ...rooms: FakeRoom[]): Promise<ClusterNode> {
  return startNodeEvery(60_000, bus, id, ...rooms);
}

async function startNodeEvery(heartbeatMs: number, bus: Bus, id: string, ...rooms: FakeRoom[]): Promise<ClusterNode> {
  const node = new ClusterNode(bus, { heartbeatMs, rosterSyncTimeoutMs: 60_000, discoveryMs: 0 }, id);
  node.attach(directory(...rooms));
  nodes.push(node);
  await node.start();
  return node;
}

afterEach(async () => {
  for (const node of nodes.splice(0)) await node.close();
});

describe('ClusterNode', () => {
  it('alone, lets a room it opens admit at once', async () => {
    const room = new FakeRoom('r', []);
    const node = await startNode(new LocalBus(), 'n1', room);
    node.openRoom(room);
    expect(room.readyCalls).toBe(1);
    expect(room.applied).toEqual([]);
    expect(node.nodes).toBe(1);
  });

  it('finds the other node, and syncs a room it opens with it both ways before admitting', async () => {
    const bus = new LocalBus();
    const there = new FakeRoom('r', ['b']);
    const here = new FakeRoom('r', ['a']);
    const n2 = await startNode(bus, 'n2', there);
    const n1 = await startNode(bus, 'n1', here);
    expect(n1.peerIds()).toEqual(['n2']);
    expect(n2.peerIds()).toEqual(['n1']);

    n1.openRoom(here);

    expect(there.applied).toEqual([{ node: 'n1', ids: ['a'] }]);
    expect(here.applied).toEqual([{ node: 'n2', ids: ['b'] }]);
    expect(here.readyCalls).toBe(1);
    expect(there.readyCalls).toBe(0);
  });

  it('drops the participants of a node that says goodbye from every room, as server-shutdown', async () => {
    const bus = new LocalBus();
    const r = new FakeRoom('r', []);
    const s = new FakeRoom('s', []);
    const n1 = await startNode(bus, 'n1', r, s);
    const n2 = await startNode(bus, 'n2');
    expect(n1.nodes).toBe(2);

    await n2.close();

    expect(r.dropped).toEqual([{ node: 'n2', reason: 'server-shutdown' }]);
    expect(s.dropped).toEqual([{ node: 'n2', reason: 'server-shutdown' }]);
    expect(n1.nodes).toBe(1);
  });

  it('syncs every room both ways with a node it took for gone once that node is heard from again', async () => {
    const shared = new LocalBus();
    const link2 = new NodeLink(shared);
    const here = [new FakeRoom('r', ['a']), new FakeRoom('s', ['c'])];
    const there = [new FakeRoom('r', ['b']), new FakeRoom('s', [])];
    const n1 = await startNodeEvery(40, new NodeLink(shared), 'n1', ...here);
    const n2 = await startNodeEvery(40, link2, 'n2', ...there);
    await waitFor(() => n1.nodes === 2 && n2.nodes === 2, 2000, 'the nodes to meet');

    link2.muted = true; // n2 stalls, or its route is lost: n1 stops hearing it
    await waitFor(() => n1.nodes === 1, 2000, 'n1 to give n2 up');
    expect(here.map((room) => room.dropped)).toEqual([
      [{ node: 'n2', reason: 'disconnected' }],
      [{ node: 'n2', reason: 'disconnected' }],
    ]);
    expect(here.flatMap((room) => room.applied)).toEqual([]);

    link2.muted = false;
    await waitFor(() => here.every((room) => room.applied.length > 0), 2000, 'n1 to resync its rooms with n2');
    expect(n1.nodes).toBe(2);
    // n2's answers are the truth about its participants there; n1's questions carry its own.
    expect(here.map((room) => room.applied[0])).toEqual([
      { node: 'n2', ids: ['b'] },
      { node: 'n2', ids: [] },
    ]);
    expect(there.map((room) => room.applied[0])).toEqual([
      { node: 'n1', ids: ['a'] },
      { node: 'n1', ids: ['c'] },
    ]);
    // n2 noticed nothing: it gave nobody up, and asks nothing.
    expect(there.flatMap((room) => room.dropped)).toEqual([]);
  });

  it('judges no peer at a check that comes late because this node stalled, while their heartbeats wait unread', async () => {
    const shared = new LocalBus();
    const room = new FakeRoom('r', []);
    const n1 = await startNodeEvery(40, new NodeLink(shared), 'n1', room);
    const n2 = await startNodeEvery(40, new NodeLink(shared), 'n2');
    await waitFor(() => n1.nodes === 2 && n2.nodes === 2, 2000, 'the nodes to meet');

    // Both stall for 5 heartbeats (one process, one event loop); n2's heartbeats then arrive after n1's first check.
    const until = performance.now() + 200;
    while (performance.now() < until) {
      /* a stalled event loop */
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(room.dropped).toEqual([]);
    expect(n1.nodes).toBe(2);
  });
});
