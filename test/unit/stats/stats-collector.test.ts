import { describe, expect, it } from 'vitest';
import { RemoteParticipant } from '../../../src/call/remote-participant.js';
import { StatsCollector, type ReceiverSnapshot, STEADY_JUDGEMENTS } from '../../../src/call/stats-collector.js';
import { statsReport } from '../../../src/call/stats-report.js';
import type { ConnectionQuality } from '../../../src/call/connection-quality.js';
import type { JitterBufferStats } from '../../../src/playout/audio-jitter-buffer.js';
import type { VideoEncodeStats } from '../../../src/codec/video-encode.js';
import type { AudioEncodeStats } from '../../../src/codec/audio-encode.js';
import type { VideoDecodeStats } from '../../../src/codec/video-decode.js';

/** The report of a collector's figures now, as `Room.getStats()` builds it. */
const collect = (collector: StatsCollector) => statsReport(collector.snapshot());

/** A participant sending 20 fps video and 50 packets/s audio to a collector on a fake clock. */
function call() {
  let now = 0;
  const ada = new RemoteParticipant('ada', 'Ada', { mic: true, camera: true, screen: false }, ['vp8']);
  const playout = { concealedSamples: 0, playedSamples: 0, delayMs: 40, targetDelayMs: 40 } as JitterBufferStats;
  const receivers: ReceiverSnapshot = {
    video: null,
    audio: null,
    playout,
    screenAudio: null,
    screenPlayout: undefined,
    pacer: { shown: 0, shownAtOnce: 0, dropped: 0, meanHoldMs: 0 },
    wantedLayer: 0,
  };
  const changes: [string, ConnectionQuality, ConnectionQuality][] = [];
  const collector = new StatsCollector(
    {
      participants: () => [ada],
      receivers: () => receivers,
      screenReceiver: () => null,
      localVideo: () => null,
      localAudio: () => null,
      localScreen: () => null,
      localScreenAudio: () => null,
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
    const stats = collect(collector);
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
    expect(collect(collector).participants[0]!.video!.lossPct).toBeCloseTo(25, 0);
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
    expect(collect(collector).participants[0]!.qualityReasons).toContain('frame-rate');
    expect(changes.map((c) => c[1])).toEqual(['fair', 'poor']);

    const fresh = call();
    fresh.run(5);
    fresh.ada.state = { ...fresh.ada.state, camera: false };
    fresh.run(6, { fps: 0 });
    expect(fresh.changes).toEqual([]);
    expect(collect(fresh.collector).participants[0]!.video).toBeNull();
  });

  it('counts a freeze and calls it fair', () => {
    const { collector, run, advance } = call();
    run(5);
    advance(800); // no frame for 0.8 s, then they come again
    run(2);
    const video = collect(collector).participants[0]!.video!;
    expect(video.freezes).toBe(1);
    expect(video.totalFreezes).toBe(1);
    expect(collect(collector).participants[0]!.quality).not.toBe('good');
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
    // A screen share beside the camera, 5 fps at 1080p (with its tab's sound), counted apart from it.
    let screen: VideoEncodeStats | null = {
      ...video,
      width: 1920,
      height: 1080,
      framerate: 15,
      limitedBy: null,
      layers: [{ ...layer(0, 1080), framesEncoded: 0, bytes: 0 }],
    } as unknown as VideoEncodeStats;
    let screenAudio: AudioEncodeStats | null = { bytes: 0 } as AudioEncodeStats;
    const collector = new StatsCollector(
      {
        participants: () => [],
        receivers: () => null,
        screenReceiver: () => null,
        localVideo: () => video,
        localAudio: () => ({ stats: audio, muted }),
        localScreen: () => screen,
        localScreenAudio: () => screenAudio,
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
      screen!.layers[0]!.framesEncoded += 5;
      screen!.layers[0]!.bytes += 25_000;
      (screen as { bytes: number }).bytes += 25_000;
      screenAudio!.bytes += 8000;
      now += 1000;
      collector.sample();
    }
    const local = collect(collector).local;
    expect(local.video).toMatchObject({ height: 360, fps: 30, bitrateKbps: 480, limitedBy: 'cpu', targetFps: 30 });
    expect(local.video!.layers.map((l) => l.fps)).toEqual([0, 30, 30]);
    expect(local.audio).toEqual({ codec: 'opus', bitrateKbps: 32, muted: false });
    expect(local.screen).toMatchObject({ width: 1920, height: 1080, fps: 5, bitrateKbps: 200, targetFps: 15 });
    expect(local.screenAudio).toEqual({ codec: 'opus', bitrateKbps: 64, muted: false });
    muted = true;
    expect(collect(collector).local.audio).toEqual({ codec: 'opus', bitrateKbps: 0, muted: true });
    // The share stopped: its figures go, the camera's stay.
    screen = null;
    screenAudio = null;
    const after = collect(collector).local;
    expect([after.screen, after.screenAudio]).toEqual([null, null]);
    expect(after.video).toMatchObject({ height: 360 });
  });

  it("reports a participant's screen share and its sound apart from their camera and microphone", () => {
    let now = 0;
    const ada = new RemoteParticipant('ada', 'Ada', { mic: true, camera: true, screen: true, screenAudio: true }, [
      'vp8',
    ]);
    const playout = { concealedSamples: 0, playedSamples: 0, delayMs: 40, targetDelayMs: 40 } as JitterBufferStats;
    const screenPlayout = {
      concealedSamples: 0,
      playedSamples: 0,
      delayMs: 80,
      targetDelayMs: 60,
    } as JitterBufferStats;
    const collector = new StatsCollector(
      {
        participants: () => [ada],
        receivers: () => ({
          video: null,
          audio: null,
          playout,
          screenAudio: null,
          screenPlayout,
          pacer: { shown: 0, shownAtOnce: 0, dropped: 0, meanHoldMs: 0 },
          wantedLayer: 0,
        }),
        screenReceiver: () =>
          ({ codec: 'vp9', decodeTimeMs: 3.25, droppedBusy: 1, droppedWaitingForKeyframe: 2 }) as VideoDecodeStats,
        localVideo: () => null,
        localAudio: () => null,
        localScreen: () => null,
        localScreenAudio: () => null,
        transport: () => 'websocket',
        rttMs: () => 12,
        qualityChanged: () => undefined,
      },
      () => now,
    );
    let sSeq = 0;
    for (let s = 0; s < 4; s++) {
      // Camera 20 fps; screen 5 fps with every 5th frame lost; screen audio 50 packets/s, 10 % concealed.
      for (let i = 0; i < 20; i++) ada.received.video.frame(2500, 0, s * 20 + i);
      for (let i = 0; i < 5; i++) {
        const seq = sSeq++;
        if (seq % 5 === 4) continue;
        ada.received.screen.frame(10_000, 0, seq);
        ada.deliverScreenFrame({ displayWidth: 1920, displayHeight: 1080, close() {} } as VideoFrame);
      }
      for (let i = 0; i < 50; i++) ada.received.screenAudio.frame(200, 0, s * 50 + i);
      screenPlayout.playedSamples += 43_200;
      screenPlayout.concealedSamples += 4800;
      now += 1000;
      collector.sample();
    }
    ada.screenLayer = 0;
    const [stats] = collect(collector).participants;
    expect(stats!.screen).toEqual({
      codec: 'vp9',
      width: 1920,
      height: 1080,
      fps: 4,
      bitrateKbps: 320,
      layer: 0,
      lossPct: 20,
      framesDropped: 3,
      decodeTimeMs: 3.3,
    });
    expect(stats!.screenAudio).toEqual({
      codec: 'opus',
      bitrateKbps: 80,
      lossPct: 0,
      jitterBufferMs: 80,
      targetDelayMs: 60,
      concealedPct: 10,
      mouthToEarMs: null,
    });
    // The camera's figures are its own: the screen's bytes are not in them.
    expect(stats!.video).toMatchObject({ bitrateKbps: 400 });
    // Nothing from the microphone came: its audio shows no bitrate.
    expect(stats!.audio).toMatchObject({ bitrateKbps: 0 });
  });
});
