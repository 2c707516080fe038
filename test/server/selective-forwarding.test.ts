/**
 * Selective forwarding on one relay: each receiver gets the simulcast layers its
 * Subscription names (layer 0 of everyone before it sends one), switches layer
 * at a keyframe, and publishers hear which layers are watched (LayerDemand).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, TrackKind, type DecodedEnvelope, type MediaFrameInit } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { sleep, startTestRelay, TestClient, waitFor, type Received } from './helpers.js';

let relay: Relay;
const clients: TestClient[] = [];

const LAYERS = [
  { width: 1280, height: 720, maxFramerate: 30, maxBitrate: 1_500_000 },
  { width: 640, height: 360, maxFramerate: 30, maxBitrate: 500_000 },
  { width: 320, height: 180, maxFramerate: 15, maxBitrate: 150_000 },
];

async function join(name: string, publisher = false): Promise<TestClient> {
  const state = publisher ? { mic: true, camera: true, videoLayers: LAYERS } : {};
  const c = await TestClient.joined(relay, 'r', name, { state });
  clients.push(c);
  return c;
}

/** What a publisher sent, by a tag carried in the first bytes of the payload. */
const sent = new Map<string, Uint8Array>();

/** Sends one video frame of `layer` with a random payload starting with `tag`; keeps the bytes. */
function frame(
  p: TestClient,
  tag: string,
  layer: number,
  keyframe: boolean,
  extra: Partial<MediaFrameInit> = {},
): void {
  const payload = Buffer.concat([Buffer.from(`${tag}|`), randomBytes(300 + layer * 100)]);
  sent.set(tag, payload);
  p.send({ media: { kind: TrackKind.VIDEO, layer, keyframe, sequence: 1, timestamp: 0, ...extra, payload } });
}

const tagOf = (e: DecodedEnvelope): string => Buffer.from(e.media!.payload!).toString('latin1').split('|')[0]!;

/** Media frames `c` received so far (taken out of its inbox), as tags, after a short settle. */
async function mediaTags(c: TestClient, settleMs = 150): Promise<string[]> {
  await sleep(settleMs);
  const out: string[] = [];
  for (let i = 0; i < c.inbox.length;) {
    const e = c.inbox[i]!;
    if (e.body !== 'media') {
      i++;
      continue;
    }
    c.inbox.splice(i, 1);
    const tag = tagOf(e);
    // Byte-level: exactly what the publisher sent.
    expect(Buffer.compare(Buffer.from(e.media!.payload!), Buffer.from(sent.get(tag)!))).toBe(0);
    out.push(tag);
  }
  return out;
}

/** The LayerDemands `p` received (taken out of its inbox), as lists of layers. */
function demands(p: TestClient): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < p.inbox.length;) {
    const e = p.inbox[i]!;
    if (e.body === 'layerDemand') {
      p.inbox.splice(i, 1);
      expect(e.layerDemand!.kind).toBe(TrackKind.VIDEO);
      out.push(e.layerDemand!.layers ?? []);
    } else i++;
  }
  return out;
}

/** Waits until `p`'s latest LayerDemand is `layers`. */
async function demandBecomes(p: TestClient, layers: number[]): Promise<void> {
  let last: number[] | undefined;
  await waitFor(
    () => {
      const got = demands(p);
      if (got.length) last = got[got.length - 1];
      return JSON.stringify(last) === JSON.stringify(layers);
    },
    2000,
    `LayerDemand ${JSON.stringify(layers)} (last ${JSON.stringify(last)})`,
  );
}

function subscribe(c: TestClient, publisher: TestClient, layer: number, kind = TrackKind.VIDEO): void {
  c.send({ subscription: { tracks: [{ publisher: publisher.id, kind, layer }] } });
}

beforeEach(async () => {
  relay = await startTestRelay();
  sent.clear();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay.close();
});

describe('selective forwarding', () => {
  it('gives each receiver exactly the layer it subscribed to, byte for byte; layer 0 before any Subscription', async () => {
    const p = await join('p', true);
    const [r0, r1, r2] = [await join('r0'), await join('r1'), await join('r2')];
    subscribe(r1, p, 1);
    subscribe(r2, p, 2);
    // Both asked for a keyframe of their layer: the subscriptions are in place.
    await waitFor(() => p.inbox.filter((e) => e.body === 'keyframeRequest').length >= 2, 2000, 'keyframe requests');
    // Keyframes of the new layers first, so the switches complete before layer 0 says anything.
    frame(p, 'k2', 2, true);
    frame(p, 'k1', 1, true);
    frame(p, 'k0', 0, true);
    for (let i = 0; i < 5; i++) for (const l of [0, 1, 2]) frame(p, `d${l}-${i}`, l, false);
    const deltas = (l: number): string[] => [0, 1, 2, 3, 4].map((i) => `d${l}-${i}`);
    expect(await mediaTags(r0)).toEqual(['k0', ...deltas(0)]);
    expect(await mediaTags(r1)).toEqual(['k1', ...deltas(1)]);
    expect(await mediaTags(r2)).toEqual(['k2', ...deltas(2)]);
    expect(await mediaTags(p, 0)).toEqual([]);
  });

  it('switches a receiver at the new layer’s keyframe: the old layer until then, never a delta of the new one first', async () => {
    const p = await join('p', true);
    const r = await join('r');
    subscribe(r, p, 2);
    frame(p, 'a-k2', 2, true);
    frame(p, 'a-d2', 2, false);
    frame(p, 'a-d0', 0, false);
    expect(await mediaTags(r)).toEqual(['a-k2', 'a-d2']);

    p.inbox.length = 0;
    subscribe(r, p, 0);
    // The relay asks the publisher for a keyframe of layer 0, on the receiver's behalf.
    const request = await p.next('keyframeRequest');
    expect(request.keyframeRequest).toMatchObject({ target: p.id, kind: TrackKind.VIDEO, layer: 0 });
    expect(request.from).toBe(r.id);
    // Deltas of layer 0 before its keyframe are held back; layer 2 still flows.
    frame(p, 'b-d0', 0, false);
    frame(p, 'b-d2', 2, false);
    frame(p, 'b-d0x', 0, false);
    frame(p, 'b-k0', 0, true);
    frame(p, 'b-d2y', 2, false);
    frame(p, 'b-d0y', 0, false);
    expect(await mediaTags(r)).toEqual(['b-d2', 'b-k0', 'b-d0y']);
    expect(relay.stats().dropped['layer-awaiting-keyframe']).toBeGreaterThanOrEqual(2);
  });

  it('stops forwarding a track the receiver no longer subscribes to; audio still flows', async () => {
    const p = await join('p', true);
    const r = await join('r');
    subscribe(r, p, 1);
    frame(p, 'k1', 1, true);
    expect(await mediaTags(r)).toEqual(['k1']);
    r.send({ subscription: { tracks: [] } });
    await sleep(100);
    frame(p, 'k1b', 1, true);
    frame(p, 'k0b', 0, true);
    p.sendMedia('audio-1', { kind: TrackKind.AUDIO, audioLevel: 20 });
    await r.nextMedia('audio-1');
    expect(await mediaTags(r)).toEqual([]);
  });

  it('tells the publisher which layers are watched, as receivers subscribe, switch, unsubscribe and leave', async () => {
    const p = await join('p', true);
    // Alone: nobody watches anything.
    await demandBecomes(p, []);
    const r1 = await join('r1');
    // A receiver without a Subscription takes layer 0.
    await demandBecomes(p, [0]);
    subscribe(r1, p, 2);
    // Until the switch, layer 0 still goes to r1: both are wanted.
    await demandBecomes(p, [0, 2]);
    frame(p, 'k2', 2, true);
    await demandBecomes(p, [2]);
    const r2 = await join('r2');
    await demandBecomes(p, [0, 2]);
    subscribe(r2, p, 1);
    frame(p, 'k1', 1, true);
    await demandBecomes(p, [1, 2]);
    r1.close();
    await demandBecomes(p, [1]);
    r2.send({ subscription: { tracks: [] } });
    await demandBecomes(p, []);
    // Once per change, not a stream of repeats.
    await sleep(150);
    expect(demands(p)).toEqual([]);
  });

  it('fits a layer asked of a publisher that announced fewer layers (or none) to its smallest', async () => {
    const p = await join('p'); // announced no layers: one layer, 0
    const r = await join('r');
    subscribe(r, p, 2);
    frame(p, 'k0', 0, true);
    frame(p, 'd0', 0, false);
    expect(await mediaTags(r)).toEqual(['k0', 'd0']);
    // p hears no LayerDemand: it announced no layers.
    expect(p.inbox.some((e) => e.body === 'layerDemand')).toBe(false);
  });

  it('refuses a bad Subscription with a clear non-fatal error, counted, and keeps the previous one', async () => {
    const p = await join('p', true);
    const r = await join('r');
    subscribe(r, p, 1);
    frame(p, 'k1', 1, true);
    expect(await mediaTags(r)).toEqual(['k1']);
    const bad = async (tracks: Array<{ publisher?: string; kind?: number; layer?: number }>): Promise<void> => {
      r.send({ subscription: { tracks } });
      const { error } = (await r.next('error')) as Received<'error'>;
      expect(error).toMatchObject({ code: ErrorCode.InvalidSubscription, fatal: false });
      expect(error.message).toMatch(/previous Subscription stands/);
    };
    await bad([{ publisher: p.id, kind: TrackKind.AUDIO, layer: 0 }]);
    await bad([{ publisher: p.id, kind: TrackKind.VIDEO, layer: 9 }]);
    await bad([
      { publisher: p.id, kind: TrackKind.VIDEO, layer: 0 },
      { publisher: p.id, kind: TrackKind.VIDEO, layer: 1 },
    ]);
    await bad(Array.from({ length: 129 }, (_, i) => ({ publisher: `p${i}`, kind: TrackKind.VIDEO, layer: 0 })));
    expect(relay.stats().errors[ErrorCode.InvalidSubscription]).toBe(4);
    // Unknown publishers are left out without an error.
    r.send({
      subscription: {
        tracks: [
          { publisher: 'nobody-here', kind: TrackKind.VIDEO, layer: 0 },
          { publisher: p.id, kind: TrackKind.VIDEO, layer: 1 },
        ],
      },
    });
    frame(p, 'd1', 1, false);
    expect(await mediaTags(r)).toEqual(['d1']);
    await r.expectNone('error', 50);
    expect(r.isOpen).toBe(true);
  });

  it('refuses a media frame of a layer above 3, without closing', async () => {
    const p = await join('p', true);
    frame(p, 'x', 7, true);
    expect((await p.next('error')).error).toMatchObject({ code: ErrorCode.Malformed, fatal: false });
    expect(p.isOpen).toBe(true);
  });
});
