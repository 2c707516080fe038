import { expect } from '@open-wc/testing';
import { audioData } from '../../../src/capture/audio-data.js';
import { openMicrophone } from '../../../src/capture/devices.js';
import { AudioDecodePipeline } from '../../../src/codec/audio-decode.js';
import { AudioEncodePipeline } from '../../../src/codec/audio-encode.js';
import type { EncodedMedia } from '../../../src/codec/encoded-media.js';
import { AudioPlayout } from '../../../src/playout/audio-playout.js';
import { sleep, waitFor } from './helpers.js';
import { after, afterEach, before, describe, it } from './mocha.js';

describe('audio pipeline (fake mic → Opus → jitter buffer → AudioWorklet)', () => {
  let mic: MediaStreamTrack;
  const cleanups: (() => void | Promise<void>)[] = [];

  before(async () => {
    mic = await openMicrophone();
  });
  after(() => mic.stop());
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('asks the microphone for echo cancellation, noise suppression and auto gain', () => {
    const settings = mic.getSettings();
    expect(settings.echoCancellation).to.equal(true);
    expect(settings.noiseSuppression).to.equal(true);
    expect(settings.autoGainControl).to.equal(true);
  });

  /**
   * Encodes the fake mic for 1.5 s (at `frameMs`, or the default) and checks the packets'
   * cadence: `perSecond` a second, each `stepUs` after the previous, numbered in order.
   * Returns them, and the bitrate of the first second in kbps.
   */
  async function encodesAtCadence(
    frameMs: 10 | 20 | undefined,
    perSecond: number,
    stepUs: number,
  ): Promise<{ packets: EncodedMedia[]; kbps: number }> {
    const packets: EncodedMedia[] = [];
    const encoder = new AudioEncodePipeline({ ...(frameMs ? { frameMs } : {}), onEncoded: (m) => packets.push(m) });
    cleanups.push(() => encoder.stop());
    encoder.start(audioData(mic));
    await sleep(1500);
    const startedAt = packets[0]?.timestamp ?? 0;
    const window = packets.filter((p) => p.timestamp - startedAt < 1_000_000);
    expect(window.length).to.be.within(perSecond * 0.9, perSecond + 1);
    const steps = new Set(packets.slice(1).map((p, i) => p.timestamp - packets[i]!.timestamp));
    expect([...steps]).to.deep.equal([stepUs]);
    expect(packets.map((p) => p.sequence)).to.deep.equal(packets.map((_, i) => i));
    const bytes = window.reduce((n, p) => n + p.data.byteLength, 0);
    return { packets, kbps: (bytes * 8) / 1000 };
  }

  it('encodes 10 ms Opus packets by default', async () => {
    const { kbps } = await encodesAtCadence(undefined, 100, 10_000);
    // About the same bitrate as 20 ms packets (the encoder's target), not twice the overhead.
    expect(kbps).to.be.lessThan(45);
  });

  /**
   * Encodes `count` 10 ms chunks of a 440 Hz tone, the i-th stamped `timestampUs(i)` and handed over after
   * `delayMs(i)`; then the stream stays open (an ended track would stop the pipeline). Returns the packets,
   * when each chunk was read, and the encoder.
   */
  async function encodeChunks(count: number, timestampUs: (i: number) => number, delayMs: (i: number) => number) {
    const rate = 48000;
    const readAt: number[] = [];
    let i = 0;
    const stream = new ReadableStream<AudioData>({
      async pull(controller) {
        if (i === count) return sleep(10_000);
        const wait = delayMs(i);
        if (wait > 0) await sleep(wait);
        const samples = new Float32Array(rate / 100).map((_, k) => 0.2 * Math.sin((2 * Math.PI * 440 * k) / rate));
        const data = { format: 'f32-planar' as const, sampleRate: rate, numberOfChannels: 1, data: samples };
        controller.enqueue(new AudioData({ ...data, numberOfFrames: samples.length, timestamp: timestampUs(i) }));
        readAt.push(performance.timeOrigin + performance.now());
        i++;
      },
    });
    const packets: EncodedMedia[] = [];
    const encoder = new AudioEncodePipeline({ onEncoded: (m) => packets.push(m) });
    cleanups.push(() => encoder.stop());
    encoder.start(stream);
    await waitFor(() => i === count, 5000);
    await sleep(200);
    return { packets, readAt, encoder };
  }

  it('stamps packets with when the microphone captured them, also when they were read late in a burst', async () => {
    // 10 ms chunks on the source's clock: 30 read as they come, then 20 held back for 200 ms and read at once.
    const originUs = 5_000_000_000;
    const { packets, readAt } = await encodeChunks(
      50,
      (i) => originUs + i * 10_000,
      (i) => (i < 30 ? 10 : i === 30 ? 200 : 0),
    );
    const chunk = (p: EncodedMedia): number => Math.round((p.timestamp - originUs) / 10_000);
    const first = packets.find((p) => chunk(p) === 5)!;
    // The encoder may drop some of a burst (it does not queue); those it sends from the burst:
    const burst = packets.filter((p) => chunk(p) >= 30);
    expect(burst.length).to.be.greaterThan(2);
    // On the source's clock: 10 ms a chunk, whatever the reads did.
    for (const p of packets) expect(p.captureTime! - first.captureTime!).to.be.closeTo((chunk(p) - 5) * 10, 3);
    // Stamped at the read, the burst's chunks would have been within a few ms of each other, ~200 ms late.
    expect(readAt[49]! - readAt[30]!).to.be.lessThan(20);
  });

  it('learns the capture times again when the microphone’s timestamps jump', async () => {
    // 10 ms chunks read as they come; from chunk 30 the timestamps restart 300 ms back (another timeline).
    const originUs = 9_000_000_000;
    const { packets, readAt, encoder } = await encodeChunks(
      60,
      (i) => originUs + (i < 30 ? i : i - 30) * 10_000,
      () => 10,
    );
    expect(encoder.stats.discontinuities).to.equal(1);
    const jump = packets.findIndex((p, k) => k > 0 && p.timestamp < packets[k - 1]!.timestamp);
    expect(jump).to.be.greaterThan(0);
    const after = packets.slice(jump + 5);
    expect(after.length).to.be.greaterThan(10);
    // Each was read about 10 ms after its first sample: dated by the old mapping, it would be 300 ms older.
    for (const p of after) {
      const chunk = 30 + Math.round((p.timestamp - originUs) / 10_000);
      expect(readAt[chunk]! - p.captureTime!).to.be.within(0, 40);
    }
  });

  it('encodes 20 ms Opus packets with levels that follow the sound', async () => {
    const { packets, kbps } = await encodesAtCadence(20, 50, 20_000);
    expect(packets.every((p) => p.kind === 'audio' && p.codec === 'opus' && p.keyframe)).to.equal(true);
    // The fake mic beeps twice a second: loud packets (level near 0 dBov) and quiet ones.
    const levels = packets.map((p) => p.audioLevel!);
    expect(Math.min(...levels)).to.be.lessThan(20);
    expect(Math.max(...levels)).to.be.greaterThan(50);
    // ~32 kbps, not more (silence codes far smaller).
    expect(kbps).to.be.lessThan(40);
  });

  it('sends nothing while muted and resumes on unmute', async () => {
    const packets: EncodedMedia[] = [];
    const encoder = new AudioEncodePipeline({ frameMs: 20, onEncoded: (m) => packets.push(m) });
    cleanups.push(() => encoder.stop());
    encoder.start(audioData(mic));
    expect(await waitFor(() => packets.length >= 5, 3000)).to.equal(true);
    encoder.setMuted(true);
    const atMute = packets.length;
    await sleep(600);
    expect(packets.length, 'no packet while muted').to.equal(atMute);
    expect(encoder.stats.droppedMuted).to.be.greaterThan(40);
    encoder.setMuted(false);
    expect(await waitFor(() => packets.length >= atMute + 5, 2000)).to.equal(true);
    // After the pause the timestamps jump with real time and keep the 20 ms spacing.
    const jump = packets[atMute]!.timestamp - packets[atMute - 1]!.timestamp;
    expect(jump).to.be.greaterThan(500_000);
    expect(packets[atMute + 1]!.timestamp - packets[atMute]!.timestamp).to.equal(20_000);
  });

  it('plays the microphone through decode and playout with energy within two seconds', async () => {
    const playout = new AudioPlayout();
    cleanups.push(() => playout.close());
    const stream = playout.createStream('peer');
    const losses: number[] = [];
    const decoder = new AudioDecodePipeline({
      onAudio: (pcm, timestamp, info) => {
        losses.push(info.lost);
        stream.push(pcm, timestamp);
      },
    });
    cleanups.push(() => decoder.close());
    const encoder = new AudioEncodePipeline({ onEncoded: (m) => decoder.push(m) });
    cleanups.push(() => encoder.stop());
    encoder.start(audioData(mic));

    const startedAt = performance.now();
    let peak = 0;
    let rms = 0;
    const heard = await waitFor(() => {
      peak = Math.max(peak, stream.peak);
      rms = Math.max(rms, stream.level);
      return peak > 0.1 && rms > 0.02;
    }, 4000);
    console.log(
      `first audible output after ${(performance.now() - startedAt).toFixed(0)} ms; peak ${peak.toFixed(2)}, ` +
        `rms ${rms.toFixed(3)}; jitter buffer ${JSON.stringify(stream.stats)}`,
    );
    expect(playout.state).to.equal('running');
    expect(heard, 'the worklet reports output energy').to.equal(true);
    expect(performance.now() - startedAt).to.be.lessThan(2500);
    // Local loopback has next to no jitter: the buffer sits near its floor and never underruns.
    // A busy machine (CI on 2 cores) delays the page's own timers and callbacks, which the buffer
    // measures as jitter and rightly waits for: then it must hold no more than its own target.
    await sleep(1500);
    expect(decoder.stats.packetsDecoded).to.be.greaterThan(50);
    expect(losses.every((l) => l === 0)).to.equal(true);
    const stats = stream.stats!;
    console.log(`after 1.5 s more: jitter buffer ${JSON.stringify(stats)}`);
    if (stats.maxJitterMs < 40) expect(stats.delayMs).to.be.lessThan(120);
    else expect(stats.delayMs - stats.targetDelayMs, 'delay held beyond the target').to.be.lessThan(60);
    expect(stats.packetsLate).to.equal(0);
  });

  it('reports lost packets to the playout side and keeps the media clock', async () => {
    const packets: EncodedMedia[] = [];
    const encoder = new AudioEncodePipeline({ frameMs: 20, onEncoded: (m) => packets.push(m) });
    cleanups.push(() => encoder.stop());
    encoder.start(audioData(mic));
    expect(await waitFor(() => packets.length >= 30, 3000)).to.equal(true);
    encoder.stop();
    const out: { timestamp: number; length: number; lost: number }[] = [];
    const decoder = new AudioDecodePipeline({
      onAudio: (pcm, timestamp, info) => out.push({ timestamp, length: pcm.length, lost: info.lost }),
    });
    cleanups.push(() => decoder.close());
    // Packets 10 and 11 are lost on the way.
    for (const media of packets.slice(0, 30)) {
      if (media.sequence !== 10 && media.sequence !== 11) decoder.push(media);
    }
    // All at once, like a burst after a network stall: nothing may be dropped for it.
    expect(await waitFor(() => out.length === 28, 2000)).to.equal(true);
    expect(decoder.stats.packetsLost).to.equal(2);
    expect(out[10]!.lost).to.equal(2);
    expect(out.every((o) => o.length === 960)).to.equal(true);
    // Timestamps in samples: contiguous, with the hole where the lost packets were.
    expect(out[9]!.timestamp + 960).to.equal(out[10]!.timestamp - 2 * 960);
    expect(out.slice(11).every((o, i) => o.timestamp === out[10]!.timestamp + 960 * (i + 1))).to.equal(true);
  });

  it('plays a pushed tone at its level and reports buffer stats', async () => {
    const playout = new AudioPlayout({ reportIntervalMs: 50 });
    cleanups.push(() => playout.close());
    await playout.ready;
    expect(playout.context.sampleRate).to.equal(48000);
    const stream = playout.createStream('tone');
    // 1.5 s of a 440 Hz sine at half scale, pushed in 20 ms packets at real pace: paced by
    // the clock, not by sleeps, which run late on a loaded machine and would starve the buffer.
    let t = 0;
    const start = performance.now();
    const levels: number[] = [];
    while (t < 75 * 960) {
      const due = ((performance.now() - start) / 1000) * 48000 + 960;
      for (; t < due && t < 75 * 960; t += 960) {
        const pcm = new Float32Array(960);
        for (let i = 0; i < 960; i++) pcm[i] = 0.5 * Math.sin((2 * Math.PI * 440 * (t + i)) / 48000);
        stream.push(pcm, t);
      }
      if (performance.now() - start > 750) levels.push(stream.level);
      await sleep(10);
    }
    // A sine of amplitude 0.5 has an RMS of 0.354 (median of the meter's reports over the steady part).
    levels.sort((a, b) => a - b);
    expect(levels[Math.floor(levels.length / 2)]).to.be.within(0.3, 0.4);
    expect(stream.peak).to.be.within(0.45, 0.55);
    expect(stream.stats!.playedSamples).to.be.greaterThan(48000);
    stream.volume = 0;
    await sleep(150);
    expect(stream.level).to.be.lessThan(0.4); // the gain is after the meter: volume does not hide activity
  });

  it('plays through the smallest output buffer, and steps up to the larger one without going quiet', async () => {
    const playout = new AudioPlayout({ reportIntervalMs: 50, lowLatency: true });
    cleanups.push(() => playout.close());
    await playout.ready;
    expect(playout.outputMode).to.equal('low-latency');
    const small = playout.context.baseLatency + playout.context.outputLatency;
    const changes: string[] = [];
    playout.onoutputchange = (mode) => changes.push(mode);
    const stream = playout.createStream('tone');
    // A 440 Hz sine at half scale, pushed in 20 ms packets at real pace, for 3 s.
    const start = performance.now();
    const before: number[] = [];
    const after: number[] = [];
    let t = 0;
    let stepped: Promise<void> | undefined;
    while (t < 150 * 960) {
      const due = ((performance.now() - start) / 1000) * 48000 + 960;
      for (; t < due && t < 150 * 960; t += 960) {
        const pcm = new Float32Array(960);
        for (let i = 0; i < 960; i++) pcm[i] = 0.5 * Math.sin((2 * Math.PI * 440 * (t + i)) / 48000);
        stream.push(pcm, t);
      }
      const elapsed = performance.now() - start;
      if (elapsed > 600 && elapsed < 1400) before.push(stream.level);
      if (elapsed > 1400 && !stepped) stepped = playout.stepUp();
      if (elapsed > 2200) after.push(stream.level);
      await sleep(10);
    }
    await stepped;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    expect(median(before), 'plays on the small buffer').to.be.within(0.3, 0.4);
    expect(median(after), 'plays on after stepping up').to.be.within(0.3, 0.4);
    expect(playout.outputMode).to.equal('interactive');
    expect(changes).to.deep.equal(['interactive']);
    expect(playout.context.baseLatency + playout.context.outputLatency).to.be.greaterThan(small);
    expect(playout.state).to.equal('running');
  });

  it('tells when autoplay policy (or anything) suspends the context, and resumes', async () => {
    const playout = new AudioPlayout();
    cleanups.push(() => playout.close());
    await waitFor(() => playout.state === 'running', 2000);
    const states: string[] = [];
    playout.onstatechange = () => states.push(playout.state);
    await playout.context.suspend();
    await waitFor(() => states.includes('suspended'), 1000);
    expect(playout.state).to.equal('suspended');
    await playout.resume();
    await waitFor(() => states.includes('running'), 1000);
    expect(playout.state).to.equal('running');
    expect(states.at(-1)).to.equal('running');
    expect(states.indexOf('suspended')).to.be.lessThan(states.indexOf('running'));
  });

  it('reads the microphone through the AudioWorklet fallback where there is no track processor', async () => {
    const reader = audioData(mic, { forceFallback: true }).getReader();
    cleanups.push(() => reader.cancel());
    let frames = 0;
    let peak = 0;
    let sampleRate = 0;
    const timestamps: number[] = [];
    const end = performance.now() + 1200;
    while (performance.now() < end) {
      const { value } = await reader.read();
      const data = value!;
      sampleRate = data.sampleRate;
      const pcm = new Float32Array(data.numberOfFrames);
      data.copyTo(pcm, { planeIndex: 0, format: 'f32-planar' });
      for (const s of pcm) peak = Math.max(peak, Math.abs(s));
      frames += data.numberOfFrames;
      timestamps.push(data.timestamp);
      data.close();
    }
    expect(sampleRate).to.equal(48000);
    expect(frames).to.be.greaterThan(40000); // about a second of audio
    expect(peak).to.be.greaterThan(0.1); // the beeps came through
    // 10 ms apart once the source runs (the very first chunk may straddle its start-up).
    const running = timestamps.slice(1);
    expect(running.every((t, i) => i === 0 || t - running[i - 1]! === 10_000)).to.equal(true);
  });

  it('hands nothing more to a fallback reader once it is cancelled, even chunks already on their way', async () => {
    const uncaught: string[] = [];
    const onError = (event: ErrorEvent) => uncaught.push(event.message);
    window.addEventListener('error', onError);
    try {
      const reader = audioData(mic, { forceFallback: true }).getReader();
      (await reader.read()).value!.close();
      // Busy for 60 ms: the worklet's next chunks wait on the port, then the reader goes.
      const until = performance.now() + 60;
      while (performance.now() < until) {
        // nothing runs on this thread meanwhile
      }
      await reader.cancel();
      await sleep(100);
    } finally {
      window.removeEventListener('error', onError);
    }
    expect(uncaught).to.deep.equal([]);
  });
});
