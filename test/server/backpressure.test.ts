import { afterEach, describe, expect, it } from 'vitest';
import { TrackKind } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { payloadText, sleep, startTestRelay, TestClient, waitFor } from './helpers.js';

const KiB = 1024;
const VIDEO_FRAME = 32 * KiB;

let relay: Relay;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay.close();
});

async function room(options: Parameters<typeof startTestRelay>[0]): Promise<[TestClient, TestClient, TestClient]> {
  relay = await startTestRelay(options);
  const sender = await TestClient.joined(relay, 'r', 'sender');
  const slow = await TestClient.joined(relay, 'r', 'slow');
  const fast = await TestClient.joined(relay, 'r', 'fast');
  clients.push(sender, slow, fast);
  await sender.next('peerJoined');
  await sender.next('peerJoined');
  return [sender, slow, fast];
}

/** Rounds sent before waiting for the pacing receiver to catch up: ~130 kB in flight at most. */
const BATCH = 4;

/**
 * Sends `frames` rounds of one video delta and one audio packet. Every few rounds
 * it waits until `pacer` (a receiver that reads) has everything so far, so only the
 * paused receiver is ever congested, however busy the machine is.
 */
async function flood(sender: TestClient, pacer: TestClient, frames: number, tag: string): Promise<void> {
  const base = pacer.received;
  for (let i = 0; i < frames; i++) {
    sender.sendMedia(`${tag}-video-${i}`, { kind: TrackKind.VIDEO, keyframe: false, sequence: i }, VIDEO_FRAME);
    sender.sendMedia(`${tag}-audio-${i}`, { kind: TrackKind.AUDIO, sequence: i }, 80);
    if ((i + 1) % BATCH === 0 || i === frames - 1) {
      const deadline = Date.now() + 5000;
      while (pacer.received < base + 2 * (i + 1)) {
        if (Date.now() > deadline) throw new Error(`the pacing receiver stalled at round ${i}`);
        await sleep(1);
      }
    }
  }
}

const counts = (c: TestClient, tag: string): { video: number; audio: number } => ({
  video: c.inbox.filter((e) => payloadText(e).startsWith(`${tag}-video`)).length,
  audio: c.inbox.filter((e) => payloadText(e).startsWith(`${tag}-audio`)).length,
});

/** Limits under which a slow receiver loses frames (video first) but is not closed. */
const DROP_ONLY = {
  videoDropBytes: 256 * KiB,
  audioDropBytes: 1024 * KiB,
  closeBytes: 64 * 1024 * KiB,
  slowConsumerMs: 60_000,
};

describe('a receiver that cannot keep up', () => {
  it('loses video before audio, never control, while the others get everything', async () => {
    const [sender, slow, fast] = await room({ backpressure: DROP_ONLY });
    slow.pauseReading();
    const frames = 400; // 12.5 MiB of video: more than loopback socket buffers hold
    await flood(sender, fast, frames, 'f');
    // Control sent while congested still arrives.
    sender.send({ mediaState: { mic: true } });
    await waitFor(
      () => counts(fast, 'f').audio === frames && counts(fast, 'f').video === frames,
      10_000,
      'the fast receiver to get everything',
    );

    const dropped = relay.stats().dropped;
    expect(dropped['video-congested']).toBeGreaterThan(0);
    expect(dropped['audio-congested'] ?? 0).toBeLessThan(dropped['video-congested']!);

    slow.resumeReading();
    await slow.next('mediaState', 5000);
    const got = counts(slow, 'f');
    expect(got.video).toBeLessThan(frames);
    expect(got.video + (dropped['video-congested'] ?? 0) + (dropped['video-awaiting-keyframe'] ?? 0)).toBe(frames);
    // Audio survives far better than video.
    expect(got.audio / frames).toBeGreaterThan(got.video / frames);
    expect(got.audio).toBe(frames - (dropped['audio-congested'] ?? 0));
  });

  it('after congestion, holds back deltas until a keyframe and asks the publisher for one', async () => {
    const [sender, slow, fast] = await room({ backpressure: DROP_ONLY });
    slow.pauseReading();
    await flood(sender, fast, 300, 'f');
    await waitFor(() => (relay.stats().dropped['video-congested'] ?? 0) > 0, 5000, 'video drops');
    slow.resumeReading();
    await waitFor(() => counts(slow, 'f').audio === counts(fast, 'f').audio, 10_000, 'the slow receiver to catch up');

    // Drained: the next delta is held back, and the publisher is asked for a keyframe on slow's behalf.
    sender.sendMedia('after-delta', { kind: TrackKind.VIDEO, keyframe: false });
    const request = await sender.next('keyframeRequest', 5000);
    expect(request.from).toBe(slow.id);
    expect(request.keyframeRequest).toMatchObject({ target: sender.id, kind: TrackKind.VIDEO });
    await fast.nextMedia('after-delta');
    await slow.expectNone('media', 100, (e) => payloadText(e) === 'after-delta');

    // The keyframe gets through, and so does everything after it.
    sender.sendMedia('after-key', { kind: TrackKind.VIDEO, keyframe: true });
    sender.sendMedia('after-next', { kind: TrackKind.VIDEO, keyframe: false });
    await slow.nextMedia('after-key');
    await slow.nextMedia('after-next');
    // Another track of the same publisher was never held back.
    sender.sendMedia('screen-delta', { kind: TrackKind.SCREEN, keyframe: false });
    await slow.nextMedia('screen-delta');
  });

  it('closes a receiver stuck above the audio limit as slow-consumer, and tells the others', async () => {
    const [sender, slow, fast] = await room({
      backpressure: {
        videoDropBytes: 32 * KiB,
        audioDropBytes: 64 * KiB,
        closeBytes: 64 * 1024 * KiB,
        slowConsumerMs: 200,
      },
    });
    slow.pauseReading();
    const stop = Date.now() + 5000;
    while (relay.stats().errors['slow-consumer'] === undefined && Date.now() < stop) await flood(sender, fast, 20, 'f');
    expect(relay.stats().errors['slow-consumer']).toBe(1);
    const { peerLeft } = await fast.next('peerLeft');
    expect(peerLeft).toMatchObject({ id: slow.id, reason: 'disconnected' });
    slow.resumeReading();
    expect([4009, 1006]).toContain((await slow.closed(5000)).code);
    sender.sendMedia('life-goes-on', { kind: TrackKind.AUDIO });
    await fast.nextMedia('life-goes-on');
  });

  it('closes a receiver whose buffer passes the hard limit', async () => {
    const [sender, slow, fast] = await room({
      backpressure: {
        videoDropBytes: 1024 * KiB,
        audioDropBytes: 1024 * KiB,
        closeBytes: 1024 * KiB,
        slowConsumerMs: 60_000,
      },
    });
    slow.pauseReading();
    const stop = Date.now() + 5000;
    while (relay.stats().errors['slow-consumer'] === undefined && Date.now() < stop) await flood(sender, fast, 20, 'f');
    expect(relay.stats().errors['slow-consumer']).toBe(1);
    expect(relay.stats().dropped['slow-consumer']).toBeGreaterThanOrEqual(1);
    await fast.next('peerLeft');
  });
});
