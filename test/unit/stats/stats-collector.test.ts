import { describe, expect, it } from 'vitest';
import { RemoteParticipant } from '../../../src/call/remote-participant.js';
import { StatsCollector, type ReceiverSnapshot, STEADY_JUDGEMENTS } from '../../../src/call/stats-collector.js';
import type { ConnectionQuality } from '../../../src/call/connection-quality.js';
import type { JitterBufferStats } from '../../../src/playout/audio-jitter-buffer.js';
import type { VideoEncodeStats } from '../../../src/codec/video-encode.js';
import type { AudioEncodeStats } from '../../../src/codec/audio-encode.js';

/** A participant sending 20 fps video and 50 packets/s audio to a collector on a fake clock. */
function call() {
  let now = 0;
  const ada = new RemoteParticipant('ada', 'Ada', { mic: true, camera: true, screen: false }, ['vp8']);
  const playout = { concealedSamples: 0, playedSamples: 0, delayMs: 40, targetDelayMs: 40 } as JitterBufferStats;
  const receivers: ReceiverSnapshot = {
    video: null,
    audio: null,
    playout,
    pacer: { shown: 0, shownAtOnce: 0, dropped: 0, meanHoldMs: 0 },
    wantedLayer: 0,
  };
  const changes: [string, ConnectionQuality, ConnectionQuality][] = [];
  const collector = new StatsCollector(
    {
      participants: () => [ada],
      receivers: () => receivers,
      localVideo: () => null,
      localAudio: () => null,
      transport: () => 'websocket',
      rttMs: () => 12,
      qualityChanged: (p, quality, previous) => changes.push([p.id, quality, previous]),
    },
    () => now,
  );
  let vSeq = 0;
  let aSeq = 0;
  /** Runs `seconds` of call at `fps`, losing every `loseEvery`-th video frame (0: none), sampling each second. */
  const run = (seconds: number, { fps = 20, loseEvery = 0 } = {}) => {
    for (let s = 0; s < seconds; s++) {
      for (let i = 0; i < fps; i++) {
        now += 1000 / fps;
        const seq = vSeq++;
        if (loseEvery && seq % loseEvery === 0) continue;
        ada.received.video.frame(2500, 0, seq);
        ada.framesDecoded++;
        ada.received.freezes.shown(now);
      }
      for (let i = 0; i < 50; i++) ada.received.audio.frame(80, 0, aSeq++);
      playout.playedSamples += 48_000;
      collector.sample();
    }
  };
  return { collector, ada, changes, run, receivers, advance: (ms: number) => (now += ms) };
}

describe('StatsCollector', () => {
  it('measures frame rate, bitrates and loss over its window', () => {
    const { collector, run } = call();
    run(5);
    const stats = collector.collect();
    expect(stats.transport).toBe('websocket');
    expect(stats.rttMs).toBe(12);
    const [ada] = stats.participants;
    expect(ada!.video!.fps).toBeCloseTo(20, 0);
    expect(ada!.video!.bitrateKbps).toBeCloseTo(400, 0); // 2500 B × 20/s
    expect(ada!.audio!.bitrateKbps).toBeCloseTo(32, 0); // 80 B × 50/s
    expect(ada!.video!.lossPct).toBe(0);
    expect(ada!.audio!.concealedPct).toBe(0);
    expect(ada!.quality).toBe('good');
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
  });

  it('goes poor at once when frames are lost, and back to good only after it held', () => {
    const { collector, changes, run } = call();
    run(5);
    run(4, { loseEvery: 4 }); // 25 % of the video lost
    expect(collector.collect().participants[0]!.video!.lossPct).toBeCloseTo(25, 0);
    expect(changes).toEqual([['ada', 'poor', 'good']]);
    // Clean again: the window still holds loss for two judgements, then good has to hold.
    run(STEADY_JUDGEMENTS);
    expect(changes).toHaveLength(1);
    run(10);
    expect(changes).toEqual([
      ['ada', 'poor', 'good'],
      ['ada', 'good', 'poor'],
    ]);
  });

  it('calls a low frame rate fair or poor, but not a camera turned off', () => {
    const { collector, changes, run, ada } = call();
    run(5);
    run(4, { fps: 12 });
    expect(collector.qualityOf(ada)).toBe('fair');
    run(4, { fps: 5 });
    expect(collector.qualityOf(ada)).toBe('poor');
    expect(collector.collect().participants[0]!.qualityReasons).toContain('frame-rate');
    expect(changes.map((c) => c[1])).toEqual(['fair', 'poor']);

    const fresh = call();
    fresh.run(5);
    fresh.ada.state = { ...fresh.ada.state, camera: false };
    fresh.run(6, { fps: 0 });
    expect(fresh.changes).toEqual([]);
    expect(fresh.collector.collect().participants[0]!.video).toBeNull();
  });

  it('counts a freeze and calls it fair', () => {
    const { collector, run, advance } = call();
    run(5);
    advance(800); // no frame for 0.8 s, then they come again
    run(2);
    const video = collector.collect().participants[0]!.video!;
    expect(video.freezes).toBe(1);
    expect(video.totalFreezes).toBe(1);
    expect(collector.collect().participants[0]!.quality).not.toBe('good');
  });

  it('reports what is sent from the largest layer still encoded, and the audio muted as 0 kbit/s', () => {
    let now = 0;
    const layer = (i: number, height: number) => ({
      layer: i,
      width: (height * 16) / 9,
      height,
      bitrate: 0,
      active: true,
      framesIn: 0,
      framesEncoded: 0,
      keyframes: 0,
      bytes: 0,
    });
    const video = {
      codec: 'vp8',
      width: 1280,
      height: 720,
      bytes: 0,
      framerate: 30,
      limitedBy: 'cpu',
      encodeTimeMs: 4,
      layers: [layer(0, 720), layer(1, 360), layer(2, 180)],
    } as unknown as VideoEncodeStats;
    const audio = { bytes: 0 } as AudioEncodeStats;
    let muted = false;
    const collector = new StatsCollector(
      {
        participants: () => [],
        receivers: () => null,
        localVideo: () => video,
        localAudio: () => ({ stats: audio, muted }),
        transport: () => 'webtransport',
        rttMs: () => null,
        qualityChanged: () => undefined,
      },
      () => now,
    );
    for (let s = 0; s < 4; s++) {
      // The 720p layer stopped for load: only 360p and 180p are encoded, 30 fps each.
      for (const l of [video.layers[1]!, video.layers[2]!]) {
        l.framesEncoded += 30;
        l.bytes += 30 * 1000;
      }
      video.bytes += 60_000;
      audio.bytes += 4000;
      now += 1000;
      collector.sample();
    }
    const local = collector.collect().local;
    expect(local.video).toMatchObject({ height: 360, fps: 30, bitrateKbps: 480, limitedBy: 'cpu', targetFps: 30 });
    expect(local.video!.layers.map((l) => l.fps)).toEqual([0, 30, 30]);
    expect(local.audio).toEqual({ codec: 'opus', bitrateKbps: 32, muted: false });
    muted = true;
    expect(collector.collect().local.audio).toEqual({ codec: 'opus', bitrateKbps: 0, muted: true });
  });
});
