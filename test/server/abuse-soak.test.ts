/**
 * A short abuse soak (bounded, well under 20 s): while two honest participants
 * keep exchanging audio and video, the relay takes control floods, slow readers,
 * abrupt disconnects and a burst of wrong tokens at once. The honest pair must
 * stay connected and receive every audio frame the other sent; each abuser is
 * refused or closed with its own code. The call's frame latency before and during
 * the abuse is printed (a figure, not an assertion: timing belongs to benchmarks).
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, decodeEnvelope, encodeEnvelope, ErrorCode, TrackKind } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { payloadText, sleep, startTestRelay, TestClient, waitFor } from './helpers.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const key = new TextEncoder().encode(SECRET);
const token = (sub: string): Promise<string> =>
  new SignJWT({ room: '*', sub, exp: Math.floor(Date.now() / 1000) + 600 })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(key);

/** Receive times of one sender's audio frames, by sequence, with their send times. */
function recordAudio(receiver: TestClient, from: () => string): Map<number, { sent: number; got: number }> {
  const got = new Map<number, { sent: number; got: number }>();
  receiver.ws.on('message', (data: Buffer) => {
    const env = decodeEnvelope(data);
    if (env.media?.kind !== TrackKind.AUDIO || env.from !== from()) return;
    const [, seq, sent] = payloadText(env).split('-');
    got.set(Number(seq), { sent: Number(sent), got: performance.now() });
  });
  return got;
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
}

describe('abuse soak', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startTestRelay({
      auth: { secret: SECRET },
      controlBytesPerSecond: 4096,
      controlBurstBytes: 16 * 1024,
      backpressure: {
        videoDropBytes: 64 * 1024,
        audioDropBytes: 128 * 1024,
        closeBytes: 512 * 1024,
        slowConsumerMs: 1000,
      },
      joinsPerAddressPerMinute: 10_000,
    });
  });
  afterAll(async () => {
    await relay.close();
  });

  it('two honest participants are undisturbed by floods, slow readers, abrupt disconnects and wrong tokens', async () => {
    const a = await TestClient.connect(relay.wsUrl, 'a');
    const b = await TestClient.connect(relay.wsUrl, 'b');
    await a.join('soak', 'a', { token: await token('a') });
    await b.join('soak', 'b', { token: await token('b') });
    const atB = recordAudio(b, () => a.id);
    const atA = recordAudio(a, () => b.id);
    let seq = 0;
    let running = true;
    const video = new Uint8Array(80_000);
    /** The call: 50 audio frames a second each way, and 80 KB video frames from a at 25 per second (2 MB/s, so slow readers fill up fast). */
    const call = (async () => {
      while (running) {
        const now = performance.now();
        const tag = `x-${seq}-${now.toFixed(3)}`;
        a.sendMedia(tag, { kind: TrackKind.AUDIO, sequence: seq });
        b.sendMedia(tag, { kind: TrackKind.AUDIO, sequence: seq });
        if (seq % 2 === 0)
          a.send({ media: { kind: TrackKind.VIDEO, sequence: seq, keyframe: seq % 50 === 0, payload: video } });
        seq++;
        await sleep(20);
      }
    })();
    await sleep(1500);
    const calmUntil = seq;

    // Slow readers in the room: they stop reading, and the relay drops video for them only.
    const slow = await Promise.all(
      [0, 1].map(async (i) => {
        const c = await TestClient.connect(relay.wsUrl, `slow${i}`);
        await c.join('soak', `slow${i}`, { token: await token(`slow${i}`) });
        c.pauseReading();
        return c;
      }),
    );
    // Control flooders in the room: closed for their byte budget.
    const tracks = Array.from({ length: 150 }, (_, i) => ({ publisher: `publisher-${i}`, kind: TrackKind.VIDEO }));
    const big = encodeEnvelope({ subscription: { tracks } });
    const flooders = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const c = await TestClient.connect(relay.wsUrl, `flood${i}`);
        await c.join('soak', `flood${i}`, { token: await token(`flood${i}`) });
        return c;
      }),
    );
    const floods = flooders.map(async (c) => {
      for (let i = 0; i < 400 && c.isOpen; i++) {
        c.sendRaw(big);
        if (i % 20 === 19) await sleep(5);
      }
    });
    // Wrong tokens: a burst of joins with a bad signature.
    const forged = await new SignJWT({ room: '*', sub: 'a', exp: Math.floor(Date.now() / 1000) + 600 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('not-the-secret-not-the-secret-!!'));
    const wrong = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const c = await TestClient.connect(relay.wsUrl, `wrong${i}`);
        c.send({ join: c.joinMessage('soak', 'a', { token: forged }) });
        return c;
      }),
    );
    // Abrupt disconnects: join, then drop the TCP connection without a close handshake.
    for (let i = 0; i < 30; i++) {
      const c = await TestClient.connect(relay.wsUrl, `drop${i}`);
      await c.join('soak', `drop${i}`, { token: await token(`drop${i}`) });
      c.terminate();
    }
    await Promise.all(floods);
    for (const c of wrong) expect((await c.closed()).code).toBe(CloseCode.TokenInvalid);
    for (const c of flooders)
      expect(await c.closed(5000)).toEqual({ code: CloseCode.ControlFlood, reason: ErrorCode.ControlFlood });
    // Slow readers are throttled (their video dropped above videoDropBytes), not the others.
    await waitFor(() => (relay.stats().dropped['video-congested'] ?? 0) > 0, 8000, 'video dropped for slow readers');
    const abusedUntil = seq;
    for (const c of slow) c.terminate();
    running = false;
    await call;
    await sleep(300);

    expect(a.isOpen && b.isOpen).toBe(true);
    // Every audio frame sent, both ways, arrived.
    for (const got of [atB, atA]) {
      const missing = Array.from({ length: seq }, (_, i) => i).filter((i) => !got.has(i));
      expect(missing).toEqual([]);
    }
    const latency = (from: number, to: number) =>
      [atA, atB].flatMap((got) => [...got].filter(([s]) => s >= from && s < to).map(([, t]) => t.got - t.sent));
    const calm = p99(latency(0, calmUntil));
    const abused = p99(latency(calmUntil, abusedUntil));
    const stats = relay.stats();
    console.log(
      `abuse soak: ${seq} audio frames each way, none lost; p99 audio latency ${calm.toFixed(1)} ms calm, ${abused.toFixed(1)} ms under abuse; ` +
        `refused ${JSON.stringify(stats.refused)}, errors ${JSON.stringify(stats.errors)}`,
    );
    a.close();
    b.close();
  }, 30_000);
});
