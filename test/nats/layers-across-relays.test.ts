/**
 * Selective forwarding across relays on a real three-node NATS cluster: a relay
 * takes from the bus only the publisher-layers its receivers watch (and audio),
 * and a publisher hears the layers watched on every relay, without those of a
 * relay that died.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TrackKind, type DecodedEnvelope } from '../../src/protocol/index.js';
import { TestClient, waitFor } from '../server/helpers.js';
import { startRelayProcess, useRelayCluster, waitForNodes } from './helpers.js';
import { hasNatsServer } from './nats-cluster.js';

const LAYERS = [
  { width: 1280, height: 720 },
  { width: 640, height: 360 },
  { width: 320, height: 180 },
];
/** Payload bytes per layer: large enough that a layer on the wire cannot hide in the slack. */
const LAYER_BYTES = [20_000, 8_000, 2_000];
const FRAMES = 20;

function frame(p: TestClient, tag: string, layer: number, keyframe: boolean): void {
  const payload = Buffer.concat([Buffer.from(`${tag}|`), randomBytes(LAYER_BYTES[layer]!)]);
  p.send({ media: { kind: TrackKind.VIDEO, layer, keyframe, sequence: 1, payload } });
}

const tagOf = (e: DecodedEnvelope): string => Buffer.from(e.media!.payload!).toString('latin1').split('|')[0]!;

/** The latest LayerDemand `p` got so far (the inbox is emptied of them). */
function latestDemand(p: TestClient, last: { layers?: number[] }): number[] | undefined {
  for (let i = 0; i < p.inbox.length;) {
    const e = p.inbox[i]!;
    if (e.body === 'layerDemand') {
      p.inbox.splice(i, 1);
      last.layers = e.layerDemand!.layers ?? [];
    } else i++;
  }
  return last.layers;
}

async function demandBecomes(p: TestClient, layers: number[], timeoutMs = 5000): Promise<void> {
  const last: { layers?: number[] } = {};
  await waitFor(
    () => JSON.stringify(latestDemand(p, last)) === JSON.stringify(layers),
    timeoutMs,
    `LayerDemand ${JSON.stringify(layers)} (last ${JSON.stringify(last.layers)})`,
  );
}

describe.skipIf(!hasNatsServer())('simulcast layers across three relays on a three-node NATS cluster', () => {
  const cluster = useRelayCluster({ size: 3 });
  const { relays, clients } = cluster;
  const join = async (relay: { wsUrl: string }, room: string, name: string, publisher = false): Promise<TestClient> => {
    const state = publisher ? { camera: true, mic: true, videoLayers: LAYERS } : {};
    const c = await TestClient.joined(relay, room, name, { state });
    clients.push(c);
    return c;
  };

  it('brings each relay only the publisher-layers its receivers watch, and tells the publisher the union', async () => {
    const p = await join(relays[0]!, 'layers', 'p', true);
    const r1 = await join(relays[1]!, 'layers', 'r1');
    const r2 = await join(relays[2]!, 'layers', 'r2');
    // Before any Subscription, both take layer 0.
    await demandBecomes(p, [0]);
    r1.send({ subscription: { tracks: [{ publisher: p.id, kind: TrackKind.VIDEO, layer: 2 }] } });
    r2.send({ subscription: { tracks: [] } });
    // The relay asks p for a keyframe of layer 2 on r1's behalf, across relays.
    const request = await p.next('keyframeRequest', 5000);
    expect(request.keyframeRequest).toMatchObject({ kind: TrackKind.VIDEO, layer: 2 });
    frame(p, 'k2', 2, true);
    expect(tagOf(await r1.next('media', 5000))).toBe('k2');
    await demandBecomes(p, [2]);

    const before = relays.map((r) => r.natsBus.stats());
    for (let i = 0; i < FRAMES; i++) for (const layer of [0, 1, 2]) frame(p, `d${layer}-${i}`, layer, false);
    for (let i = 0; i < FRAMES; i++) p.sendMedia(`audio-${i}`, { kind: TrackKind.AUDIO, audioLevel: 30 }, 80);
    // r1 gets exactly layer 2, in order; r2 only audio.
    for (let i = 0; i < FRAMES; i++) expect(tagOf(await r1.next('media', 5000))).toBe(`d2-${i}`);
    await waitFor(() => r2.inbox.filter((e) => e.body === 'media').length >= FRAMES, 5000, 'audio at r2');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = relays.map((r) => r.natsBus.stats());
    const bytesIn = after.map((a, i) => a.bytesIn - before[i]!.bytesIn);
    const watched = FRAMES * LAYER_BYTES[2]!;
    const slack = 20_000; // audio (20 × ~130 B), heartbeats, demand refreshes
    // Relay 1 took layer 2 and nothing larger; relay 2 took none of the video.
    expect(bytesIn[1]).toBeGreaterThanOrEqual(watched);
    expect(bytesIn[1]).toBeLessThan(watched + slack);
    expect(bytesIn[2]).toBeLessThan(slack);
    expect(r2.inbox.filter((e) => e.body === 'media').every((e) => e.media!.kind === TrackKind.AUDIO)).toBe(true);
    // Nobody on another relay watches layers 0 and 1: relay 0 does not even publish them.
    const publishedBytes = after[0]!.bytesOut - before[0]!.bytesOut;
    expect(publishedBytes).toBeLessThan(FRAMES * (LAYER_BYTES[0]! + LAYER_BYTES[1]!));

    // r1 leaves: nothing of p is watched any more.
    r1.close();
    await demandBecomes(p, []);
  });

  it('forgets the demand of a relay that dies without a word, so the publisher stops that layer', async () => {
    const p = await join(relays[0]!, 'dies', 'p', true);
    const dying = await startRelayProcess({
      natsUrl: cluster.nats.urls.join(','),
      nodeHeartbeatMs: 300,
      rosterSyncTimeoutMs: 1000,
      resumeGraceMs: 60_000,
    });
    try {
      await waitForNodes(relays, 4);
      const r = await join(dying, 'dies', 'r');
      r.send({ subscription: { tracks: [{ publisher: p.id, kind: TrackKind.VIDEO, layer: 1 }] } });
      await demandBecomes(p, [0, 1]);
      frame(p, 'k1', 1, true);
      await demandBecomes(p, [1]);
      await dying.crash();
      // Gone after three missed refreshes (or once the cluster notices the node is gone).
      await demandBecomes(p, [], 5000);
    } finally {
      await dying.crash();
    }
  });
});
