/**
 * CPU per source streamed by `videocall-cli stream --test-pattern --tone`, at
 * 720p30 and 360p30 (VP8 and H.264), against a baseline measured in the same
 * process: ffmpeg alone running the very command lines the CLI runs (the
 * source, and the video encoder fed its raw frames by an OS pipe instead of by
 * Node), the coded output read and discarded. The difference is what the Node side costs (parsing the
 * pipes, framing, the protocol, sending); the total is what a streaming
 * machine needs. A simulated viewer watches, so the relay asks for the video.
 *
 * Run: `npm run build && npx tsx bench/cli-stream-cpu.ts [seconds] [transports] [heights]`
 * (default 15 s per measurement, after 4 s of warm-up; transports `websocket`,
 * `webtransport` or both comma-separated, default websocket; heights e.g. `360`,
 * default `720,360`). CPU is % of one core, from
 * /proc/<pid>/stat (user + system). The machine is shared: the load average
 * printed with each row says how disturbed it was.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SimParticipant } from '../cli/sim/index.js';
import { sourceArgs, videoEncoderArgs, type EncodeSettings } from '../cli/media/ffmpeg-args.js';
import { startRelay } from '../server/relay.js';
import { loadAverage } from './machine.js';

const CLI_BIN = fileURLToPath(new URL('../bin/videocall-cli.mjs', import.meta.url));
const WARMUP_MS = 4000;
/** Seconds per measurement (set by {@link runCliStreamCpu}). */
let SECONDS = 15;
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** User + system CPU seconds of `pid` so far; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return NaN; // gone: the row shows NaN rather than a wrong figure
  }
}

/** The ffmpeg processes the CLI `pid` started (source and video encoder, not its `ffmpeg -version` check). */
function encoderOf(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.map(Number).filter((c) => readFileSync(`/proc/${c}/cmdline`, 'utf8').includes('pipe:'));
  } catch {
    return [];
  }
}

/** Sums CPU per group of pids: the first is Node's, the rest are ffmpeg's. */
function sum(figures: number[]): number {
  return Math.round(figures.reduce((a, b) => a + b, 0) * 10) / 10;
}

/** CPU % of one core the processes `pids()` use over {@link SECONDS}, after the warm-up; `ready` first. */
async function measure(
  pids: () => number[],
  ready: () => boolean = () => true,
  onStart: () => void = () => undefined,
): Promise<number[]> {
  // Bounded: a loaded machine may take long to start Node and ffmpeg.
  for (let i = 0; i < 300 && !ready(); i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const ids = pids();
  const before = ids.map(cpuSeconds);
  onStart();
  const started = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const elapsed = (performance.now() - started) / 1000;
  return ids.map((id, i) => Math.round(((cpuSeconds(id) - before[i]!) / elapsed) * 1000) / 10);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('close', () => resolve());
    child.kill('SIGINT');
  });
}

async function baseline(settings: EncodeSettings): Promise<number> {
  const encoder = spawn('ffmpeg', videoEncoderArgs(settings), { stdio: ['pipe', 'pipe', 'ignore'] });
  encoder.stdout!.resume();
  // The source's raw video goes straight into the encoder's stdin: no Node on the path.
  const child = spawn('ffmpeg', sourceArgs(settings), {
    stdio: ['ignore', 'ignore', 'ignore', encoder.stdin!, 'pipe', 'pipe'],
  });
  // Only the source holds the pipe's write end now: its exit gives the encoder EOF (ffmpeg blocked
  // reading stdin does not act on a signal).
  encoder.stdin!.destroy();
  for (const fd of [4, 5]) (child.stdio[fd] as NodeJS.ReadableStream).resume();
  const cpu = await measure(() => [child.pid!, encoder.pid!]);
  await stop(child);
  await stop(encoder);
  return sum(cpu);
}

async function viaCli(
  url: string,
  room: string,
  s: EncodeSettings,
  transport: string,
  started: () => void,
): Promise<{ node: number; ffmpeg: number }> {
  const args = ['stream', '--server', url, '--room', room, '--test-pattern', '--tone', '--quiet'];
  args.push('--transport', transport);
  args.push('--size', `${s.width}x${s.height}`, '--fps', String(s.fps), '--codec', s.codec);
  args.push('--bitrate', String(s.bitrate), '--keyframe-interval', String(s.keyframeInterval / s.fps));
  const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: 'ignore' });
  const [node, ...ffmpeg] = await measure(
    () => [child.pid!, ...encoderOf(child.pid!)],
    () => encoderOf(child.pid!).length > 1,
    started,
  );
  await stop(child);
  return { node: node!, ffmpeg: sum(ffmpeg) };
}

export interface CliStreamCpuOptions {
  /** Seconds per measurement, after the warm-up. Default 15. */
  seconds?: number;
  transports?: string[];
  heights?: number[];
}

/** One source streamed: CPU in % of one core. */
export interface CliStreamCpuRow {
  source: string;
  codec: string;
  transport: string;
  ffmpegAlonePct: number;
  cliNodePct: number;
  cliFfmpegPct: number;
  cliTotalPct: number;
  /** Node's CPU over the baseline's. */
  nodeOverBaseline: number;
  viewerFps: number;
  loadAverage1m: number;
}

/** Runs every case; prints a line per row as it goes. */
export async function runCliStreamCpu(options: CliStreamCpuOptions = {}): Promise<CliStreamCpuRow[]> {
  SECONDS = options.seconds ?? 15;
  const transports = options.transports ?? ['websocket'];
  const heights = options.heights ?? [720, 360];
  const rows: CliStreamCpuRow[] = [];
  const relay = await startRelay({ host: '127.0.0.1', port: 0 });
  console.log(`videocall-cli stream CPU (% of one core), ${SECONDS} s each after ${WARMUP_MS / 1000} s warm-up`);
  console.log(
    'source              codec  transport     ffmpeg alone  CLI: node + ffmpeg = total  node/baseline  load (1 min), video a viewer got',
  );
  const cases = (
    [
      [1280, 720, 1_500_000],
      [640, 360, 600_000],
    ] as [number, number, number][]
  ).filter(([, height]) => heights.includes(height));
  let n = 0;
  for (const codec of ['vp8', 'h264'] as const) {
    for (const [width, height, bitrate] of cases) {
      for (const transport of transports) {
        const settings: EncodeSettings = {
          video: { kind: 'test-pattern' },
          audio: { kind: 'tone' },
          codec,
          width,
          height,
          fps: 30,
          bitrate,
          keyframeInterval: 60,
          audioBitrate: 32_000,
        };
        const room = `bench-${n++}`;
        const viewer = new SimParticipant({ url: relay.wsUrl, room, name: 'viewer', probe: true });
        await viewer.join();
        viewer.start();
        const alone = await baseline(settings);
        const cli = await viaCli(relay.url, room, settings, transport, () => viewer.resetCounts());
        const fps = Math.round(((viewer.stats.videoInByLayer[0] ?? 0) / SECONDS) * 10) / 10;
        viewer.close();
        const total = Math.round((cli.node + cli.ffmpeg) * 10) / 10;
        const ratio = alone > 0 ? Math.round((cli.node / alone) * 100) / 100 : NaN;
        const load = loadAverage()[0]!;
        rows.push({
          source: `${width}x${height}@30 + tone`,
          codec,
          transport,
          ffmpegAlonePct: alone,
          cliNodePct: cli.node,
          cliFfmpegPct: cli.ffmpeg,
          cliTotalPct: total,
          nodeOverBaseline: ratio,
          viewerFps: fps,
          loadAverage1m: load,
        });
        console.log(
          `${`${width}x${height}@30 + tone`.padEnd(20)}${codec.padEnd(7)}${transport.padEnd(14)}${`${alone}%`.padEnd(14)}` +
            `${`${cli.node}% + ${cli.ffmpeg}% = ${total}%`.padEnd(27)}${String(ratio).padEnd(15)}${load}` +
            `   viewer: ${fps} fps`,
        );
      }
    }
  }
  await relay.close();
  console.log('Figures disturbed: the machine is shared (see the load column); compare rows of one run.');
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runCliStreamCpu({
    seconds: Number(process.argv[2] ?? 15),
    transports: (process.argv[3] ?? 'websocket').split(','),
    heights: (process.argv[4] ?? '720,360').split(',').map(Number),
  });
}
