/**
 * ClusterNode on its own: two nodes on one in-process bus, each with fake rooms
 * behind the ClusterRoom interface. No relay, no Room, no connections.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ParticipantInit } from '../../src/protocol/index.js';
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

async function startNode(bus: LocalBus, id: string, ...rooms: FakeRoom[]): Promise<ClusterNode> {
  const node = new ClusterNode(bus, { heartbeatMs: 60_000, rosterSyncTimeoutMs: 60_000, discoveryMs: 0 }, id);
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
});
