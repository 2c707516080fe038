/**
 * Glass-to-glass latency in Chromium over loopback: the time from a picture
 * being painted in the sender's "camera" to it being on the receiver's tile.
 *
 * The sender is the demo page (the element as a site embeds it) whose camera is
 * a canvas (bench/synthetic-camera.ts) that paints `performance.timeOrigin +
 * performance.now()` as a barcode on camera-like content; both pages belong to
 * one browser, so that clock is shared. The receiver, another demo page, reads
 * its remote tile (`[part~="video"]`, a `<video>` or `<canvas>`, in the element's shadow
 * root) on every animation frame, decodes the barcode, and records now − painted
 * time for each new picture. The path measured: canvas capture → VideoEncoder →
 * WebSocket → relay → WebSocket → VideoDecoder → canvas → next animation frame.
 *
 *     npx tsx bench/glass-to-glass.ts [--frames 300] [--size 1280x720] [--transport websocket|webtransport]
 *       [--sender-transport …] [--receiver-transport …] [--codec vp8|vp9|h264|av1] [--mic] [--e2ee] [--dist <dist of another build>]
 */
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { clockOffset, launchBenchChromium, percentile, poll, sleep, startBenchSite } from './chromium.js';
import type { TimelineRecord } from '../src/call/frame-timeline.js';
import { cpuShare } from './machine.js';
import { barcodeReaderScript, syntheticCameraScript, type ReadTile } from './synthetic-camera.js';
import {
  collectTimeline,
  describeBreakdown,
  pathBreakdown,
  startTimelines,
  type PathBreakdown,
} from './path-breakdown.js';
import { mouthToEarDelays, outputOnsetDetectorScript, syntheticMicrophoneScript } from './synthetic-microphone.js';

export interface GlassToGlassOptions {
  /** Pictures to measure. Default 300 (10 s at 30 fps). */
  frames?: number;
  /** Camera size. Default 1280×720 (what the element asks a camera for). */
  width?: number;
  height?: number;
  /** Seconds of call before measuring (encoder and decoder settle). Default 3. */
  warmupSeconds?: number;
  /** The pages' `transport` attribute. Default: the element's (`auto`). */
  transport?: 'auto' | 'websocket' | 'webtransport';
  /** A script run in both pages before their own (instrumentation for a diagnosis). */
  initScript?: string;
  /** Called with both pages just before they close (to read what an {@link initScript} recorded). */
  inspect?: (pages: { sender: Page; receiver: Page }) => Promise<void>;
  /** The bundle served (another build's `dist`, to compare builds); default the repository's. */
  distDir?: string;
  /** Called with both pages' frame timelines (the sender's own frames, what the receiver got) once read. */
  onTimelines?: (sender: TimelineRecord[], receiver: TimelineRecord[]) => void;
  /** The sender's page's own `transport`, overriding {@link transport} (e.g. WebTransport in, WebSocket out). */
  senderTransport?: 'auto' | 'websocket' | 'webtransport';
  /** The receiver's page's own `transport`, overriding {@link transport}. */
  receiverTransport?: 'auto' | 'websocket' | 'webtransport';
  /** The sender's `codec` attribute (e.g. `h264`), to compare codecs in one build. Default: the element's choice. */
  codec?: string;
  /** End-to-end encryption with a shared passphrase on both pages. Default false. */
  e2ee?: boolean;
  /**
   * The sender's microphone on, for the audio figures: a synthetic one playing a
   * tone burst every 500 ms, detected at the receiver's output (mouth-to-ear).
   * Default false.
   */
  mic?: boolean;
  /**
   * Overrides the `latencyHint` of the receiver's `AudioContext`s (seconds, or a
   * category), to compare output buffer sizes in one build. Default: the product's.
   */
  audioLatencyHint?: number | 'interactive' | 'balanced' | 'playback';
}

/** The product's own figures for the sender, read from the receiver's `participants` every 100 ms. */
export interface ProductEstimates {
  /** `videoDelayMs` (capture → shown, from the capture time in each frame). */
  videoDelayP50Ms: number;
  videoDelayP95Ms: number;
  /** `audioDelayMs` (microphone → speaker: arrival, jitter buffer, output), when the sender's mic is on. */
  audioDelayP50Ms: number;
  audioDelayP95Ms: number;
  /** Video delay − audio delay at the same moment: > 0 when the face comes after the voice. */
  avOffsetP50Ms: number;
  avOffsetP95AbsMs: number;
  samples: number;
  /** `getStats()`'s `glassToGlassMs` for the sender, read every 500 ms over the same window (what host pages see). */
  getStatsP50Ms?: number;
  getStatsP95Ms?: number;
  getStatsSamples?: number;
}

export interface GlassToGlassResult {
  width: number;
  height: number;
  /** Codec the sender chose. */
  codec: string;
  /** The transport the sender's page used (`websocket` or `webtransport`). */
  transport?: string;
  /** The transport the receiver's page used. */
  receiverTransport?: string;
  /** Each page's transport counters at the end (WebTransport's: streams, drops, aborts, reordering). */
  transportStats?: { sender: unknown; receiver: unknown };
  /** Latency of each picture seen, ms, in arrival order. */
  samplesMs: number[];
  p50Ms: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
  /** New pictures per second seen on the receiver's tile. */
  receivedFps: number;
  /** Animation frames whose barcode failed its check (compression damage, a tile being resized). */
  unreadable: number;
  /** During the measurement, % of one core: Chromium and the relay (ours), and every other process. */
  chromiumCpuPercent: number;
  othersCpuPercent: number;
  /** Receiver clock − sender clock (`timeOrigin + now` against `Date.now()` in each page), ms: ~0 means the clock is shared. */
  clockSkewMs: number;
  e2ee: boolean;
  /** Whether the sender's microphone was on (video then waits for its audio: lip sync). Absent in older records: on. */
  mic?: boolean;
  /** What the sender's encoder settled on (it steps down when it cannot keep up). */
  sendQuality?: { height: number; framerate: number; limitedBy: string | null } | null;
  /** The product's own delay estimates, over the same window. */
  estimates?: ProductEstimates;
  /** Measured mouth-to-ear delays (tone burst in at the sender's microphone → heard at the receiver's output), ms. */
  mouthToEarMs?: number[];
  mouthToEarP50Ms?: number;
  mouthToEarP95Ms?: number;
  /** Each stage of the path, from the product's own timeline (`Room.startTimeline`). */
  breakdown?: PathBreakdown;
  /** The receiver's audio output, from its `AudioContext` (Chromium's `playbackStats` where present). */
  audioOutput?: AudioOutputFigures;
}

/** What the receiver's audio output did over the measurement. */
export interface AudioOutputFigures {
  latencyHint: string;
  baseLatencyMs: number;
  outputLatencyMs: number;
  /** Glitches: the audio thread did not deliver in time (`playbackStats.underrunEvents`), per minute. */
  underrunsPerMinute: number | null;
  /** Share of the time filled by those glitches, %. */
  underrunPercent: number | null;
}

/**
 * An init script that keeps every `AudioContext` the page makes (to read its
 * latency and playback stats) and, given a hint, makes them with it.
 */
function audioContextProbeScript(hint: number | string | undefined): string {
  return `(() => {
    const Original = window.AudioContext;
    const hint = ${JSON.stringify(hint ?? null)};
    window.vcAudioContexts = [];
    window.AudioContext = class extends Original {
      constructor(options) {
        super(hint === null ? options : { ...(options || {}), latencyHint: hint });
        window.vcAudioContexts.push(this);
      }
    };
  })();`;
}

export async function runGlassToGlass(options: GlassToGlassOptions = {}): Promise<GlassToGlassResult> {
  const frames = options.frames ?? 300;
  const width = options.width ?? 1280;
  const height = options.height ?? 720;
  const site = await startBenchSite({}, options.distDir ? { distDir: options.distDir } : {});
  const browser = await launchBenchChromium();
  try {
    const room = `g2g-${Date.now().toString(36)}`;
    const param = (t: string | undefined) => (t ? `&transport=${t}` : '');
    // The passphrase goes in the fragment, as a person would share it (never sent to the relay).
    const secret = options.e2ee ? '&e2ee#vc-key=bench%20passphrase' : '';
    const sender = await browser.newPage(
      `${site.url}/?room=${room}&name=Sender&mic=${options.mic ? 'on' : 'off'}${param(options.senderTransport ?? options.transport)}${options.codec ? `&codec=${options.codec}` : ''}${secret}`,
      syntheticCameraScript({ width, height, barcode: true }) +
        (options.mic ? `\n;${syntheticMicrophoneScript()}` : '') +
        (options.initScript ? `\n;${options.initScript}` : ''),
    );
    const receiver = await browser.newPage(
      `${site.url}/?room=${room}&name=Receiver&camera=off&mic=off${param(options.receiverTransport ?? options.transport)}${secret}`,
      audioContextProbeScript(options.audioLatencyHint) +
        `\n;${barcodeReaderScript()}` +
        (options.mic ? `\n;${outputOnsetDetectorScript()}` : '') +
        (options.initScript ? `\n;${options.initScript}` : ''),
    );
    const live = await poll(
      () =>
        receiver.evaluate(() => {
          const el = document.querySelector('videocall-room');
          return el && el.participants.some((p) => p.framesDecoded > 10) ? true : undefined;
        }),
      30_000,
      250,
    );
    if (!live) throw new Error('the receiver decoded no video from the sender in 30 s');
    await sleep((options.warmupSeconds ?? 3) * 1000);
    const codec = await sender.evaluate(() => document.querySelector('videocall-room')?.roomClient?.videoCodec ?? '?');
    const transportInUse = await sender.evaluate(
      () => document.querySelector('videocall-room')?.roomClient?.transportKind ?? '?',
    );
    const receiverTransportInUse = await receiver.evaluate(
      () => document.querySelector('videocall-room')?.roomClient?.transportKind ?? '?',
    );
    const [senderOffset, receiverOffset] = [await clockOffset(sender), await clockOffset(receiver)];

    await startTimelines([sender, receiver]);
    const audioBefore = await playbackStatsOf(receiver);
    const share = cpuShare();
    const measureFrom = Date.now();
    // The product's own estimates, sampled while the barcode is read.
    await receiver.evaluate(() => {
      const w = window as unknown as { benchEstimates?: [number | null, number | null][]; benchTimer?: number };
      w.benchEstimates = [];
      w.benchTimer = window.setInterval(() => {
        const p = document.querySelector('videocall-room')?.participants[0];
        if (p) w.benchEstimates!.push([p.videoDelayMs, p.audioDelayMs]);
      }, 100);
      // The same figure as host pages read it, through getStats(), where the build has it.
      const s = window as unknown as { benchStats?: number[]; benchStatsTimer?: number };
      s.benchStats = [];
      s.benchStatsTimer = window.setInterval(() => {
        const el = document.querySelector('videocall-room') as
          | (Element & {
              getStats?: () => Promise<{ participants: { video: { glassToGlassMs: number | null } | null }[] }>;
            })
          | null;
        void el
          ?.getStats?.()
          .then((stats) => {
            const g2g = stats.participants[0]?.video?.glassToGlassMs;
            if (typeof g2g === 'number') s.benchStats!.push(g2g);
          })
          .catch(() => undefined);
      }, 500);
    });
    const read = await receiver.evaluate(
      (frames) =>
        new Promise<{ samples: number[]; unreadable: number; seconds: number }>((resolve) => {
          const el = document.querySelector('videocall-room');
          const readTile = (globalThis as unknown as { vcReadTile: ReadTile }).vcReadTile;
          const samples: number[] = [];
          let unreadable = 0;
          let last = -1;
          const started = performance.now();
          const deadline = started + (frames / 10) * 1000; // even at 10 fps
          const step = async (): Promise<void> => {
            // The remote tile: a <video> fed by a track generator (Chromium), or a <canvas>.
            const tile = el?.shadowRoot?.querySelector<HTMLCanvasElement | HTMLVideoElement>(
              '[part~="tile-remote"] [part~="video"]',
            );
            const width = tile instanceof HTMLVideoElement ? tile.videoWidth : (tile?.width ?? 0);
            const height = tile instanceof HTMLVideoElement ? tile.videoHeight : (tile?.height ?? 0);
            if (tile && width > 0 && height > 0) {
              const read = await readTile(tile, width, height);
              if (!read) unreadable++;
              else if (read.painted !== last) {
                last = read.painted;
                samples.push(read.ageMs);
              }
            }
            if (samples.length >= frames || performance.now() > deadline)
              resolve({ samples, unreadable, seconds: (performance.now() - started) / 1000 });
            else requestAnimationFrame(() => void step());
          };
          requestAnimationFrame(() => void step());
        }),
      frames,
    );
    const cpu = share.stop();
    const audioAfter = await playbackStatsOf(receiver);
    const statsOf = (page: Page) =>
      page.evaluate(() => {
        // The transport is internal to the room; its counters are read here for diagnosis only.
        const room = document.querySelector('videocall-room')?.roomClient as unknown as
          { transport?: { stats?: unknown } } | undefined;
        return room?.transport?.stats ?? null;
      });
    const transportStats = { sender: await statsOf(sender), receiver: await statsOf(receiver) };
    const estimateSamples = await receiver.evaluate(() => {
      const w = window as unknown as { benchEstimates?: [number | null, number | null][]; benchTimer?: number };
      clearInterval(w.benchTimer);
      return w.benchEstimates ?? [];
    });
    const getStatsSamples = await receiver.evaluate(() => {
      const s = window as unknown as { benchStats?: number[]; benchStatsTimer?: number };
      clearInterval(s.benchStatsTimer);
      return s.benchStats ?? [];
    });
    const sendQuality = await sender.evaluate(() => document.querySelector('videocall-room')?.sendQuality ?? null);
    const senderId = await receiver.evaluate(() => document.querySelector('videocall-room')?.participants[0]?.id ?? '');
    const senderTimeline = await collectTimeline(sender);
    const receiverTimeline = await collectTimeline(receiver);
    options.onTimelines?.(senderTimeline.records, receiverTimeline.records);
    const breakdown = pathBreakdown(
      senderTimeline.records,
      receiverTimeline.records,
      receiverTimeline.playout,
      senderId,
    );
    let mouthToEar: number[] | undefined;
    if (options.mic) {
      type Marks = { vcBursts?: number[]; vcOnsets?: number[] };
      const bursts = await sender.evaluate(() => (window as unknown as Marks).vcBursts ?? []);
      const onsets = await receiver.evaluate(() => (window as unknown as Marks).vcOnsets ?? []);
      // Only what was heard during the measurement (the join's first seconds settle first).
      mouthToEar = mouthToEarDelays(
        bursts,
        onsets.filter((t) => t >= measureFrom),
      );
    }
    await options.inspect?.({ sender, receiver });
    const m2e = mouthToEar ? [...mouthToEar].sort((a, b) => a - b) : undefined;
    const sorted = [...read.samples].sort((a, b) => a - b);
    return {
      width,
      height,
      codec,
      transport: transportInUse,
      receiverTransport: receiverTransportInUse,
      transportStats,
      samplesMs: read.samples.map((s) => Math.round(s * 10) / 10),
      p50Ms: percentile(sorted, 0.5),
      p95Ms: percentile(sorted, 0.95),
      minMs: sorted[0] ?? NaN,
      maxMs: sorted.at(-1) ?? NaN,
      receivedFps: read.samples.length / read.seconds,
      unreadable: read.unreadable,
      clockSkewMs: receiverOffset - senderOffset,
      e2ee: !!options.e2ee,
      mic: !!options.mic,
      sendQuality,
      estimates: withGetStats(estimatesOf(estimateSamples), getStatsSamples),
      breakdown,
      mouthToEarMs: mouthToEar?.map((s) => Math.round(s * 10) / 10),
      mouthToEarP50Ms: m2e ? percentile(m2e, 0.5) : undefined,
      mouthToEarP95Ms: m2e ? percentile(m2e, 0.95) : undefined,
      chromiumCpuPercent: cpu.ours,
      othersCpuPercent: cpu.others,
      audioOutput: audioAfter ? audioOutputFigures(options.audioLatencyHint, audioBefore, audioAfter) : undefined,
    };
  } finally {
    await browser.close();
    await site.close();
  }
}

interface PlaybackSnapshot {
  /** Which context (its index among the page's contexts): the product may replace it mid-run. */
  context: number;
  baseLatency: number;
  outputLatency: number;
  /** Chromium's AudioPlaybackStats, seconds and counts since the context started; null where absent. */
  underrunEvents: number | null;
  underrunDuration: number | null;
  totalDuration: number | null;
}

/** The receiver's playout context (the one with the most audio rendered), or null before there is one. */
function playbackStatsOf(page: Page): Promise<PlaybackSnapshot | null> {
  return page.evaluate(() => {
    type Stats = { underrunEvents: number; underrunDuration: number; totalDuration: number };
    const contexts = (window as unknown as { vcAudioContexts?: (AudioContext & { playbackStats?: Stats })[] })
      .vcAudioContexts;
    const all = [...(contexts ?? [])];
    const ctx = all.filter((c) => c.state !== 'closed').sort((a, b) => b.currentTime - a.currentTime)[0];
    if (!ctx) return null;
    const stats = ctx.playbackStats;
    return {
      context: all.indexOf(ctx),
      baseLatency: ctx.baseLatency,
      outputLatency: ctx.outputLatency,
      underrunEvents: stats?.underrunEvents ?? null,
      underrunDuration: stats?.underrunDuration ?? null,
      totalDuration: stats?.totalDuration ?? null,
    };
  });
}

function audioOutputFigures(
  hint: number | string | undefined,
  before: PlaybackSnapshot | null,
  after: PlaybackSnapshot,
): AudioOutputFigures {
  // A context made during the run (the product stepped its output up) counts from zero: comparing its
  // counters with the old context's gave negative rates.
  const replaced = before !== null && before.context !== after.context;
  const delta = (k: 'underrunEvents' | 'underrunDuration' | 'totalDuration') =>
    after[k] === null ? null : after[k]! - (replaced ? 0 : (before?.[k] ?? 0));
  const total = delta('totalDuration');
  const events = delta('underrunEvents');
  const duration = delta('underrunDuration');
  return {
    latencyHint: hint === undefined ? 'product default' : String(hint),
    baseLatencyMs: after.baseLatency * 1000,
    outputLatencyMs: after.outputLatency * 1000,
    underrunsPerMinute: total && events !== null ? (events / total) * 60 : null,
    underrunPercent: total && duration !== null ? (duration / total) * 100 : null,
  };
}

/** Adds the percentiles of `getStats()`'s glass-to-glass figure, when the page had it. */
function withGetStats(estimates: ProductEstimates, samples: number[]): ProductEstimates {
  if (samples.length === 0) return estimates;
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    ...estimates,
    getStatsP50Ms: percentile(sorted, 0.5),
    getStatsP95Ms: percentile(sorted, 0.95),
    getStatsSamples: sorted.length,
  };
}

/** Percentiles of the product's estimates (video, audio, and their difference where both are known). */
function estimatesOf(samples: [number | null, number | null][]): ProductEstimates {
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const video = sorted(samples.flatMap(([v]) => (v === null ? [] : [v])));
  const audio = sorted(samples.flatMap(([, a]) => (a === null ? [] : [a])));
  const offsets = samples.flatMap(([v, a]) => (v === null || a === null ? [] : [v - a]));
  return {
    videoDelayP50Ms: percentile(video, 0.5),
    videoDelayP95Ms: percentile(video, 0.95),
    audioDelayP50Ms: percentile(audio, 0.5),
    audioDelayP95Ms: percentile(audio, 0.95),
    avOffsetP50Ms: percentile(sorted(offsets), 0.5),
    avOffsetP95AbsMs: percentile(sorted(offsets.map(Math.abs)), 0.95),
    samples: samples.length,
  };
}

export function describeGlassToGlass(r: GlassToGlassResult): string {
  const est = r.estimates;
  const q = r.sendQuality;
  return (
    `glass-to-glass ${r.width}×${r.height} ${r.codec}${r.e2ee ? ' e2ee' : ''}${r.transport ? ` ${r.transport}→${r.receiverTransport ?? '?'}` : ''}: p50 ${r.p50Ms.toFixed(1)} ms, p95 ${r.p95Ms.toFixed(1)} ms ` +
    (q ? `[sent ${q.height}p${q.framerate}${q.limitedBy ? ` limited by ${q.limitedBy}` : ''}] ` : '') +
    (r.mouthToEarMs
      ? `[mouth-to-ear p50 ${r.mouthToEarP50Ms?.toFixed(1)} ms, p95 ${r.mouthToEarP95Ms?.toFixed(1)} ms over ${r.mouthToEarMs.length} bursts] `
      : '') +
    (est
      ? `[product: video ${est.videoDelayP50Ms.toFixed(0)}/${est.videoDelayP95Ms.toFixed(0)} ms, audio ${est.audioDelayP50Ms.toFixed(0)}/${est.audioDelayP95Ms.toFixed(0)} ms, ` +
        `A/V offset p50 ${est.avOffsetP50Ms.toFixed(0)} ms |p95| ${est.avOffsetP95AbsMs.toFixed(0)} ms] ` +
        (est.getStatsP50Ms !== undefined
          ? `[getStats() glassToGlassMs ${est.getStatsP50Ms.toFixed(0)}/${est.getStatsP95Ms!.toFixed(0)} ms over ${est.getStatsSamples} reads, vs measured ${r.p50Ms.toFixed(0)}/${r.p95Ms.toFixed(0)}] `
          : '')
      : '') +
    `(min ${r.minMs.toFixed(1)}, max ${r.maxMs.toFixed(1)}) over ${r.samplesMs.length} pictures, ` +
    `${r.receivedFps.toFixed(1)} pictures/s seen, ${r.unreadable} unreadable reads, clock skew ${r.clockSkewMs.toFixed(2)} ms; ` +
    `CPU: ours ${r.chromiumCpuPercent.toFixed(0)} %, other processes ${r.othersCpuPercent.toFixed(0)} % of a core` +
    (r.audioOutput
      ? `\n  audio output (latencyHint ${r.audioOutput.latencyHint}): base ${r.audioOutput.baseLatencyMs.toFixed(1)} ms + output ${r.audioOutput.outputLatencyMs.toFixed(1)} ms; ` +
        `underruns ${r.audioOutput.underrunsPerMinute?.toFixed(1) ?? 'n/a'}/min (${r.audioOutput.underrunPercent?.toFixed(2) ?? 'n/a'} % of the time)`
      : '') +
    (r.breakdown ? `\n${describeBreakdown(r.breakdown)}` : '')
  );
}

function latencyHintArgument(value: string | undefined): GlassToGlassOptions['audioLatencyHint'] {
  if (value === undefined) return undefined;
  if (value === 'interactive' || value === 'balanced' || value === 'playback') return value;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new Error(`--audio-latency-hint: seconds or a category, not ${value}`);
  return seconds;
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const size = argument('--size')?.split('x').map(Number);
  const frames = argument('--frames');
  const transport = (name: string) => argument(name) as GlassToGlassOptions['transport'];
  const result = await runGlassToGlass({
    frames: frames ? Number(frames) : undefined,
    transport: transport('--transport'),
    senderTransport: transport('--sender-transport'),
    receiverTransport: transport('--receiver-transport'),
    width: size?.[0],
    height: size?.[1],
    e2ee: process.argv.includes('--e2ee'),
    mic: process.argv.includes('--mic'),
    codec: argument('--codec'),
    audioLatencyHint: latencyHintArgument(argument('--audio-latency-hint')),
    distDir: argument('--dist'),
  });
  console.log(describeGlassToGlass(result));
}
