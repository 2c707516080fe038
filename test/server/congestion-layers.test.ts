/**
 * Congestion control per receiver: a receiver whose link backs up is moved to a
 * smaller layer before the relay drops its video, while the others keep the top
 * layer; once drained for a while it is moved back up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TrackKind, type DecodedEnvelope } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { sleep, startTestRelay, TestClient, waitFor } from './helpers.js';

const KiB = 1024;
const LAYER_BYTES = [32 * KiB, 8 * KiB, 2 * KiB];
const LAYERS = [
  { width: 1280, height: 720 },
  { width: 640, height: 360 },
  { width: 320, height: 180 },
];

let relay: Relay;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay.close();
});

/** Keyframe requests `p` received so far for `layer`, from `from` (taken out of its inbox). */
function requests(p: TestClient, from: string): DecodedEnvelope[] {
  const out: DecodedEnvelope[] = [];
  for (let i = 0; i < p.inbox.length;) {
    const e = p.inbox[i]!;
    if (e.body === 'keyframeRequest' && e.from === from) {
      p.inbox.splice(i, 1);
      out.push(e);
    } else i++;
  }
  return out;
}

describe('congestion control by layer', () => {
  it('moves a receiver whose link backs up to a smaller layer before dropping its video; the others keep the top layer', async () => {
    relay = await startTestRelay({
      backpressure: { videoDropBytes: 1024 * KiB, audioDropBytes: 4096 * KiB, closeBytes: 64 * 1024 * KiB },
    });
    const p = await TestClient.joined(relay, 'r', 'p', { state: { camera: true, videoLayers: LAYERS } });
    const slow = await TestClient.joined(relay, 'r', 'slow');
    const fast = await TestClient.joined(relay, 'r', 'fast');
    clients.push(p, slow, fast);
    for (const c of [slow, fast])
      c.send({ subscription: { tracks: [{ publisher: p.id, kind: TrackKind.VIDEO, layer: 0 }] } });
    await sleep(100);
    let seq = 0;
    const round = (keyframe = false): void => {
      seq++;
      for (const layer of [0, 1, 2]) {
        const payload = new Uint8Array(LAYER_BYTES[layer]!);
        p.send({ media: { kind: TrackKind.VIDEO, layer, keyframe, sequence: seq, payload } });
      }
    };
    round(true);
    await waitFor(() => fast.inbox.some((e) => e.body === 'media'), 2000, 'the first keyframe at fast');
    requests(p, slow.id);

    slow.pauseReading();
    // Flood, paced by the receiver that reads, until the relay asks for a smaller layer for slow.
    let down: DecodedEnvelope | undefined;
    for (let i = 0; i < 2000 && !down; i++) {
      const before = fast.received;
      round();
      await waitFor(() => fast.received > before, 5000, 'fast to keep up');
      down = requests(p, slow.id).find((e) => (e.keyframeRequest!.layer ?? 0) > 0);
    }
    expect(down, 'a keyframe request for a smaller layer on behalf of the slow receiver').toBeDefined();
    // Moved before anything was dropped for it.
    expect(relay.stats().dropped['video-congested'] ?? 0).toBe(0);
    expect(relay.stats().layerFloorChanges).toBeGreaterThanOrEqual(1);
    const lowered = down!.keyframeRequest!.layer!;

    // The publisher sends that layer's keyframe; fast still gets layer 0 only, slow (once it reads) the smaller one.
    round(true);
    fast.inbox.length = 0;
    for (let i = 0; i < 5; i++) round();
    slow.resumeReading();
    await waitFor(
      () => slow.inbox.some((e) => e.media?.keyframe && e.media.layer === lowered),
      5000,
      `slow to get layer ${lowered}'s keyframe`,
    );
    await waitFor(() => fast.inbox.filter((e) => e.body === 'media').length >= 6, 2000, 'fast to get the rounds');
    expect(fast.inbox.filter((e) => e.body === 'media').every((e) => (e.media!.layer ?? 0) === 0)).toBe(true);
    const after = slow.inbox.slice(slow.inbox.findIndex((e) => e.media?.keyframe && e.media.layer === lowered));
    expect(after.filter((e) => e.body === 'media').every((e) => e.media!.layer === lowered)).toBe(true);

    // Drained for a while: moved back up to the layer it asked for.
    let up: DecodedEnvelope | undefined;
    const deadline = Date.now() + 8000;
    while (!up && Date.now() < deadline) {
      round();
      await sleep(50);
      up = requests(p, slow.id).find((e) => (e.keyframeRequest!.layer ?? 0) < lowered);
    }
    expect(up, 'a keyframe request for a larger layer once slow drained').toBeDefined();
  }, 30_000);

  it('moves the cameras down first and keeps a screen share at full size until the next step', async () => {
    relay = await startTestRelay({
      backpressure: { videoDropBytes: 1024 * KiB, audioDropBytes: 4096 * KiB, closeBytes: 64 * 1024 * KiB },
    });
    const screenLayers = [
      { width: 1920, height: 1080 },
      { width: 640, height: 360 },
    ];
    const p = await TestClient.joined(relay, 'r', 'p', {
      state: { camera: true, screen: true, videoLayers: LAYERS, screenLayers },
    });
    const slow = await TestClient.joined(relay, 'r', 'slow');
    const fast = await TestClient.joined(relay, 'r', 'fast');
    clients.push(p, slow, fast);
    const watchBoth = {
      subscription: {
        tracks: [
          { publisher: p.id, kind: TrackKind.VIDEO, layer: 0 },
          { publisher: p.id, kind: TrackKind.SCREEN, layer: 0 },
        ],
      },
    };
    for (const c of [slow, fast]) c.send(watchBoth);
    await sleep(100);
    let seq = 0;
    const round = (keyframe = false): void => {
      seq++;
      for (const layer of [0, 1, 2]) {
        const payload = new Uint8Array(LAYER_BYTES[layer]!);
        p.send({ media: { kind: TrackKind.VIDEO, layer, keyframe, sequence: seq, payload } });
      }
      for (const layer of [0, 1]) {
        const payload = new Uint8Array(LAYER_BYTES[layer + 1]!);
        p.send({ media: { kind: TrackKind.SCREEN, layer, keyframe, sequence: seq, payload } });
      }
    };
    round(true);
    await waitFor(() => fast.inbox.filter((e) => e.body === 'media').length >= 2, 2000, 'both keyframes at fast');
    requests(p, slow.id);

    slow.pauseReading();
    // Flood until the relay asks for something smaller on behalf of slow: the first congestion step.
    let first: DecodedEnvelope[] = [];
    for (let i = 0; i < 2000 && first.length === 0; i++) {
      const before = fast.received;
      round();
      await waitFor(() => fast.received > before, 5000, 'fast to keep up');
      first = requests(p, slow.id).filter((e) => (e.keyframeRequest!.layer ?? 0) > 0);
    }
    // The step's requests go out together; nothing is sent meanwhile, so no further step comes.
    await sleep(100);
    first.push(...requests(p, slow.id).filter((e) => (e.keyframeRequest!.layer ?? 0) > 0));
    expect(relay.stats().layerFloorChanges).toBe(1);
    // The camera goes down a layer; the screen share stays at 1080p for now.
    expect(first.map((e) => `${e.keyframeRequest!.kind}:${e.keyframeRequest!.layer}`)).toEqual([
      `${TrackKind.VIDEO}:1`,
    ]);

    // Still backed up: the next step takes the screen share down too.
    let screenDown: DecodedEnvelope | undefined;
    for (let i = 0; i < 2000 && !screenDown; i++) {
      const before = fast.received;
      round();
      await waitFor(() => fast.received > before, 5000, 'fast to keep up');
      screenDown = requests(p, slow.id).find(
        (e) => e.keyframeRequest!.kind === TrackKind.SCREEN && (e.keyframeRequest!.layer ?? 0) === 1,
      );
    }
    expect(screenDown, 'the screen share moved down at the second step').toBeDefined();
    expect(relay.stats().layerFloorChanges).toBeGreaterThanOrEqual(2);
    slow.resumeReading();
  }, 30_000);

  it('at the first step holds back a screen share’s frames nothing depends on (half the rate, full size); the others get every frame', async () => {
    relay = await startTestRelay({
      backpressure: { videoDropBytes: 1024 * KiB, audioDropBytes: 4096 * KiB, closeBytes: 64 * 1024 * KiB },
    });
    const screenLayers = [
      { width: 1920, height: 1080 },
      { width: 640, height: 360 },
    ];
    const p = await TestClient.joined(relay, 'r', 'p', { state: { screen: true, screenLayers } });
    const slow = await TestClient.joined(relay, 'r', 'slow');
    const fast = await TestClient.joined(relay, 'r', 'fast');
    clients.push(p, slow, fast);
    for (const c of [slow, fast])
      c.send({ subscription: { tracks: [{ publisher: p.id, kind: TrackKind.SCREEN, layer: 0 }] } });
    await sleep(100);
    let seq = 0;
    // L1T2: even frames are temporal layer 0, odd ones layer 1 (nothing depends on them).
    const round = (keyframe = false): void => {
      seq++;
      const temporalLayer = keyframe ? 0 : seq % 2;
      for (const layer of [0, 1]) {
        const payload = new Uint8Array(LAYER_BYTES[layer]!);
        const referenceDistance = keyframe ? 0 : temporalLayer === 1 ? 1 : 2;
        p.send({
          media: { kind: TrackKind.SCREEN, layer, keyframe, sequence: seq, temporalLayer, referenceDistance, payload },
        });
      }
    };
    round(true);
    await waitFor(() => fast.inbox.some((e) => e.body === 'media'), 2000, 'the keyframe at fast');

    slow.pauseReading();
    for (let i = 0; i < 2000 && relay.stats().layerFloorChanges === 0; i++) {
      const before = fast.received;
      round();
      await waitFor(() => fast.received > before, 5000, 'fast to keep up');
    }
    expect(relay.stats().layerFloorChanges).toBe(1);
    const stepAt = seq;
    for (let i = 0; i < 6; i++) round();
    slow.resumeReading();
    const screen = (c: TestClient) =>
      c.inbox.filter((e) => e.media && e.media.kind === TrackKind.SCREEN && (e.media.sequence ?? 0) > stepAt);
    await waitFor(() => screen(slow).length >= 3, 5000, 'slow to get the frames after the step');
    await waitFor(() => screen(fast).length >= 6, 2000, 'fast to get the frames after the step');
    // Slow: the same (full) size, only the frames others depend on. Fast: everything.
    expect(screen(slow).map((e) => `${e.media!.layer ?? 0}:${e.media!.temporalLayer ?? 0}`)).toEqual([
      '0:0',
      '0:0',
      '0:0',
    ]);
    expect(screen(fast).map((e) => (e.media!.temporalLayer ?? 0) === (e.media!.sequence ?? 0) % 2)).toEqual(
      Array(6).fill(true),
    );
    expect(relay.stats().dropped['congestion-temporal-layer']).toBeGreaterThanOrEqual(3);
    expect(relay.stats().dropped['video-congested'] ?? 0).toBe(0);
  }, 30_000);
});
