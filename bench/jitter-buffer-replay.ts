/**
 * `npm run bench -- jitter`: replays recorded audio arrivals through the jitter
 * buffer under several target policies, and prints what each costs in delay and
 * what it conceals. The traces (bench/fixtures/audio-arrivals-*.json) are the
 * receiver page's hand-over of each decoded packet to its playout worklet in a
 * real two-page call (`[performance.now() ms, media timestamp in samples,
 * samples]`), recorded with `npx tsx bench/jitter-buffer-replay.ts --record
 * <out.json> [--size 640x360]` (a quiet call), or from the two-page call of two
 * browsers on this machine with `npx tsx bench/busy-call.ts --record-arrivals
 * <out.json>` (Grace's arrivals of Ada's voice). Replaying them is deterministic, so policies
 * compare on exactly the same arrivals whatever the machine is doing now.
 *
 * The audio played is speech-like (1.2 s of tone, 0.4 s of silence): the buffer
 * catches up for free in the pauses, as it would in a conversation.
 *
 *     npx tsx bench/jitter-buffer-replay.ts [fixture.json …]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FRAME_MS } from '../src/codec/audio-encode.js';
import { AudioJitterBuffer, type JitterBufferOptions } from '../src/playout/audio-jitter-buffer.js';
import type { TimelineRecord } from '../src/call/frame-timeline.js';
import { percentile } from './chromium.js';

const RATE = 48000;
const QUANTUM = 128;
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** `[arrival ms, timestamp samples, length samples]` per packet, in arrival order. */
export type ArrivalTrace = [number, number, number][];

export interface ReplayPolicy {
  name: string;
  options: JitterBufferOptions;
}

/** The policies compared: the previous default (cover the maximum) first, as the baseline. */
export const POLICIES: ReplayPolicy[] = [
  { name: 'max (before)', options: { jitterQuantile: 1, shrinkMsPerSecond: 20, slackMs: 15 } },
  { name: 'p97', options: { jitterQuantile: 0.97, slackMs: 15 } },
  { name: 'p95, 15 ms slack (before)', options: { slackMs: 15 } },
  { name: 'p95, 8 ms slack (default)', options: {} },
  { name: 'p90', options: { jitterQuantile: 0.9, slackMs: 15 } },
];

export interface ReplayRow {
  trace: string;
  policy: string;
  /** Buffering delay (`O − min T`) over the played quanta, ms. */
  delayP50Ms: number;
  delayP95Ms: number;
  /** Share of played time filled by concealment (loss and underruns), %. */
  concealedPercent: number;
  /** Share of the real audio skipped to catch up, %. */
  droppedPercent: number;
  underruns: number;
  /** Delay ratio to the baseline policy at p50 (< 1: less delay). */
  delayRatio: number;
}

/** Speech-like content: tone for 1.2 s, then 0.4 s of silence, repeating. */
function speechLike(ts: number, length: number): Float32Array {
  const pcm = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const t = ts + i;
    const talking = t % Math.round(1.6 * RATE) < 1.2 * RATE;
    pcm[i] = talking ? 0.3 * Math.sin((2 * Math.PI * 220 * t) / RATE) : 0;
  }
  return pcm;
}

/** Plays one trace through one buffer, pulling a quantum at a time like the worklet. */
export function replay(
  trace: ArrivalTrace,
  options: JitterBufferOptions,
): Omit<ReplayRow, 'trace' | 'policy' | 'delayRatio'> {
  const buffer = new AudioJitterBuffer(options);
  const t0 = trace[0]![0];
  const ts0 = trace[0]![1];
  const end = Math.round(((trace.at(-1)![0] - t0) / 1000) * RATE) + RATE / 2;
  const out = new Float32Array(QUANTUM);
  const delays: number[] = [];
  let next = 0;
  for (let clock = 0; clock < end; clock += QUANTUM) {
    while (next < trace.length && ((trace[next]![0] - t0) / 1000) * RATE <= clock) {
      const [, ts, length] = trace[next]!;
      buffer.push(speechLike(ts - ts0, length), ts - ts0);
      next++;
    }
    buffer.pull(out);
    if (buffer.playhead !== undefined) delays.push(buffer.stats.delayMs);
  }
  const stats = buffer.stats;
  const played = stats.playedSamples + stats.concealedSamples;
  delays.sort((a, b) => a - b);
  return {
    delayP50Ms: percentile(delays, 0.5),
    delayP95Ms: percentile(delays, 0.95),
    concealedPercent: (100 * stats.concealedSamples) / Math.max(1, played),
    droppedPercent: (100 * stats.droppedSamples) / Math.max(1, stats.playedSamples + stats.droppedSamples),
    underruns: stats.underruns,
  };
}

/** Every fixture (or the files named) under every policy. */
export function runJitterReplay(files?: string[]): ReplayRow[] {
  const paths = files?.length
    ? files
    : readdirSync(FIXTURES)
        .filter((f) => f.startsWith('audio-arrivals-') && f.endsWith('.json'))
        .map((f) => FIXTURES + f);
  const rows: ReplayRow[] = [];
  for (const path of paths) {
    const trace = JSON.parse(readFileSync(path, 'utf8')) as ArrivalTrace;
    const name = path.slice(path.lastIndexOf('/') + 1).replace(/^audio-arrivals-|\.json$/g, '');
    let baseline = NaN;
    for (const policy of POLICIES) {
      const result = replay(trace, policy.options);
      if (Number.isNaN(baseline)) baseline = result.delayP50Ms;
      rows.push({ trace: name, policy: policy.name, ...result, delayRatio: result.delayP50Ms / baseline });
    }
  }
  return rows;
}

export function describeReplayRow(r: ReplayRow): string {
  return (
    `${r.trace.padEnd(14)} ${r.policy.padEnd(14)} delay p50 ${r.delayP50Ms.toFixed(1).padStart(6)} ms ` +
    `p95 ${r.delayP95Ms.toFixed(1).padStart(6)} ms (×${r.delayRatio.toFixed(2)}), concealed ${r.concealedPercent.toFixed(2)} %, ` +
    `dropped ${r.droppedPercent.toFixed(2)} %, ${r.underruns} underruns`
  );
}

/** A receiver's timeline records as a trace: its hand-over of each remote audio packet to playout. */
export function arrivalsOf(records: readonly TimelineRecord[]): ArrivalTrace {
  const audio = records.filter((r) => r.kind === 'audio' && r.participant !== '' && r.marks.decoded !== undefined);
  audio.sort((a, b) => a.marks.decoded! - b.marks.decoded!);
  // Packets of the element's default length; the trace keeps samples at 48 kHz, as the worklet counts them.
  return audio.map((r) => [
    Math.round(r.marks.decoded! * 100) / 100,
    Math.round((r.timestamp * RATE) / 1e6),
    (RATE * DEFAULT_FRAME_MS) / 1000,
  ]);
}

/**
 * Records a trace from a real two-page call: the receiver's hand-over of each
 * decoded packet to playout, as its frame timeline marks it (`decoded`, on the page's
 * wall clock; a decode worker reports its hand-over times there too).
 */
async function record(out: string, width: number, height: number): Promise<void> {
  const { runGlassToGlass, describeGlassToGlass } = await import('./glass-to-glass.js');
  let arrivals: ArrivalTrace = [];
  const result = await runGlassToGlass({
    transport: 'webtransport',
    width,
    height,
    mic: true,
    frames: 900,
    onTimelines: (_sender, records) => {
      arrivals = arrivalsOf(records);
    },
  });
  console.log(describeGlassToGlass(result));
  writeFileSync(out, JSON.stringify(arrivals));
  console.log(`${arrivals.length} packets → ${out}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--record');
  if (at >= 0) {
    const sizeAt = process.argv.indexOf('--size');
    const size = (sizeAt >= 0 ? process.argv[sizeAt + 1]! : '640x360').split('x').map(Number);
    await record(process.argv[at + 1]!, size[0] ?? 640, size[1] ?? 360);
  } else {
    for (const row of runJitterReplay(process.argv.slice(2))) console.log(describeReplayRow(row));
  }
}
