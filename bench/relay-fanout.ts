/**
 * Relay fan-out: rooms of simulated participants (Node WebSocket clients
 * speaking the real protocol) sending video and audio at real rates and sizes,
 * through our relay and, under the same load, through a naive `ws` broadcast
 * server (every message to every other socket, nothing else). Each server runs
 * in a child process of its own, so its CPU and memory are measured apart from
 * the clients (this process).
 *
 * Load model ({@link loadModelFor}): rooms of 10 have every camera and microphone
 * on; rooms of 50 a gallery of 10 cameras and 4 microphones; rooms of 200 (a town
 * hall) 4 cameras and 2 microphones. One camera sends 720p (the active speaker),
 * the others 360p; everyone else only subscribes and sends a Ping every 5 s, as a
 * muted element with its camera off does. Frame sizes are VP8 as the element sends
 * it (constant bitrate: 530 kbps at 360p30, 1.3 Mbps at 720p30, a keyframe every
 * 5 s), measured from Chromium encoding a camera-like canvas; audio is Opus at
 * 32 kbps in 20 ms packets.
 *
 * Latency and loss come from "probe" receivers (the publishers and at least 20
 * others) that decode every message; the rest count messages without decoding
 * (bench/counting-socket.ts), so the clients stay cheaper than the server.
 *
 * Prints delivered messages/s, relay latency p50/p99 (send time in the payload,
 * one process clock), server CPU, memory per participant, and ours/naive ratios.
 * It prints; it never asserts.
 *
 *     npx tsx bench/relay-fanout.ts [--room-sizes 10,50,200] [--seconds 5] [--rounds 3] [--profile <dir>]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { decodeEnvelope, encodeEnvelope, PROTOCOL_VERSION, TrackKind } from '../src/protocol/index.js';
import { CountingSocket } from './counting-socket.js';
import { cpuShare } from './machine.js';
import type { ServerKind, UsageReply } from './fanout-server.js';

/** Encoded sizes in bytes (see the module comment for where they come from). */
export const FRAME_BYTES = {
  '360p': { delta: 2200, keyframe: 7000 },
  '720p': { delta: 5400, keyframe: 9000 },
  audio: 80,
} as const;

export const VIDEO_FPS = 30;
export const AUDIO_PACKETS_PER_SECOND = 50;
export const KEYFRAME_INTERVAL_SECONDS = 5;
export const PING_INTERVAL_SECONDS = 5;

/** Who sends what in a room. Participants 0.. publish, in this order: 720p, then 360p; 0.. send audio. */
export interface LoadModel {
  roomSize: number;
  /** Publishers of 720p video (the active speaker). */
  video720: number;
  /** Publishers of 360p video (the rest of the visible gallery). */
  video360: number;
  /** Participants with their microphone on. */
  audio: number;
}

/**
 * The load of a room of `roomSize`:
 *
 * - up to 10: everyone has camera and microphone on (1 × 720p, the rest 360p);
 * - up to 50: a gallery of 10 cameras (1 × 720p + 9 × 360p), 4 microphones on;
 * - larger (a town hall or webinar): 4 cameras (1 × 720p + 3 × 360p), 2 microphones on.
 *
 * Everyone else subscribes and sends only heartbeats. The largest room is scaled
 * to what this kind of machine can drive: with 10 cameras, 200 participants
 * receive ~96k messages/s (150 MB/s), and the simulated clients alone then need
 * a whole core on loopback, as much as the relay, so neither figure would mean much.
 */
export function loadModelFor(roomSize: number): LoadModel {
  const [cameras, mics] = roomSize <= 10 ? [roomSize, roomSize] : roomSize <= 50 ? [10, 4] : [4, 2];
  return { roomSize, video720: Math.min(1, cameras), video360: Math.max(0, cameras - 1), audio: mics };
}

/** What the clients offer per second: media messages in, media messages and bytes the room should deliver. */
export function offeredLoad(model: LoadModel): {
  inPerSecond: number;
  outPerSecond: number;
  outBytesPerSecond: number;
} {
  const receivers = model.roomSize - 1;
  const keyShare = 1 / (VIDEO_FPS * KEYFRAME_INTERVAL_SECONDS);
  const mean = (s: { delta: number; keyframe: number }): number => s.delta * (1 - keyShare) + s.keyframe * keyShare;
  const videoIn = (model.video720 + model.video360) * VIDEO_FPS;
  const audioIn = model.audio * AUDIO_PACKETS_PER_SECOND;
  const bytesIn =
    VIDEO_FPS * (model.video720 * mean(FRAME_BYTES['720p']) + model.video360 * mean(FRAME_BYTES['360p'])) +
    audioIn * FRAME_BYTES.audio;
  return {
    inPerSecond: videoIn + audioIn,
    outPerSecond: (videoIn + audioIn) * receivers,
    outBytesPerSecond: bytesIn * receivers,
  };
}

export interface FanoutOptions {
  /** Room sizes to run. Default 10, 50 and 200. */
  roomSizes?: number[];
  /** Measured seconds per server and room, after warm-up. Default 5. */
  durationSeconds?: number;
  /**
   * Times each (room, server) pair runs, interleaved (ours, naive, naive, ours, …)
   * so that other work on the machine hits both alike. Default 3.
   */
  rounds?: number;
  /** Unmeasured seconds of traffic before measuring. Default 2. */
  warmupSeconds?: number;
  /** Which servers to run. Default both. */
  servers?: ServerKind[];
  /** Re-runs allowed in all for windows disturbed by other processes. Default 6. */
  maxRetries?: number;
  /** When set, each server process writes a V8 CPU profile (`.cpuprofile`) into this directory. */
  profileDir?: string;
  /** Called with each result as it comes. */
  onResult?: (result: FanoutResult) => void;
  /** Called with a run that is being repeated because other processes disturbed it. */
  onRetry?: (result: FanoutResult) => void;
}

export interface FanoutResult {
  server: ServerKind;
  roomSize: number;
  model: LoadModel;
  seconds: number;
  /** Media messages published by the clients, per second. */
  sentMessagesPerSecond: number;
  /** Media messages the load model should deliver per second (sent × receivers). */
  offeredMessagesPerSecond: number;
  /** Messages and bytes that reached the clients in the window, per second (media; heartbeat answers excluded). */
  deliveredMessagesPerSecond: number;
  deliveredBytesPerSecond: number;
  /** Of the frames sent in the window, the share the probe receivers got (1 = nothing lost). */
  deliveryRatio: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Server process CPU over the measured window (as the server timed it), % of one core. */
  serverCpuPercent: number;
  /** Server CPU per delivered message, µs. */
  cpuMicrosPerDelivered: number;
  /** Relay only: WebSocket frames per socket write in the window (what batching a receiver's frames per event-loop turn found). */
  framesPerWrite?: number;
  /** Server RSS before any client connected, and at the end of the measured window. */
  serverBaselineRssMiB: number;
  serverRssMiB: number;
  /** (RSS with everyone joined, before any media − baseline) / participants; both after a full GC. */
  idleKiBPerParticipant: number;
  /** (JS heap used with everyone joined − baseline) / participants, both after a full GC: state the server keeps. */
  idleHeapKiBPerParticipant: number;
  /** (RSS at the end of the measured window − baseline) / participants. */
  loadedKiBPerParticipant: number;
  /** The clients' process CPU, % of one core: near 100 would mean the clients were the limit. */
  clientCpuPercent: number;
  /** Other processes on the machine during the window, % of one core: what disturbed the measurement. */
  othersCpuPercent: number;
  /** Receivers that decoded every message (latency and loss come from them). */
  probes: number;
  /** Relay only: messages the relay dropped, by reason (summed over rounds in {@link medians}). */
  dropped?: Record<string, number>;
  /** Other processes used more than {@link DISTURBED_PERCENT} of a core during the window (kept: no better run within the retries). */
  disturbed?: boolean;
  /** Set by {@link medians}: rounds merged, and the lowest and highest p99 and CPU per message among them. */
  rounds?: number;
  latencyP99Range?: [number, number];
  cpuMicrosPerDeliveredRange?: [number, number];
}

/** Other processes using more than this (% of one core) during a window disturb it: the run is repeated. */
export const DISTURBED_PERCENT = 30;

/** Runs every room size against each server, `rounds` times, and returns every run (see {@link medians}). */
export async function runRelayFanout(options: FanoutOptions = {}): Promise<FanoutResult[]> {
  const roomSizes = options.roomSizes ?? [10, 50, 200];
  const servers = options.servers ?? ['relay', 'naive'];
  const rounds = options.rounds ?? 3;
  const results: FanoutResult[] = [];
  let retriesLeft = options.maxRetries ?? 6;
  for (const roomSize of roomSizes) {
    for (let round = 0; round < rounds; round++) {
      for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
        const settings = {
          durationSeconds: options.durationSeconds ?? 5,
          warmupSeconds: options.warmupSeconds ?? 2,
          profileDir: options.profileDir,
        };
        let result = await runOne(server, loadModelFor(roomSize), settings);
        // Another engineer's test suite on the machine spoils a window: run it again (a few times
        // in all), keeping the least disturbed run.
        while (result.othersCpuPercent > DISTURBED_PERCENT && retriesLeft > 0) {
          retriesLeft--;
          options.onRetry?.(result);
          const again = await runOne(server, loadModelFor(roomSize), settings);
          if (again.othersCpuPercent < result.othersCpuPercent) result = again;
        }
        result.disturbed = result.othersCpuPercent > DISTURBED_PERCENT;
        results.push(result);
        options.onResult?.(result);
      }
    }
  }
  return results;
}

/** One result per (room, server): the median of each figure over its rounds. */
export function medians(results: FanoutResult[]): FanoutResult[] {
  const out: FanoutResult[] = [];
  const keys = [...new Set(results.map((r) => `${r.roomSize}/${r.server}`))];
  for (const key of keys) {
    const runs = results.filter((r) => `${r.roomSize}/${r.server}` === key);
    const first = runs[0]!;
    const median = (f: (r: FanoutResult) => number): number => {
      const v = runs.map(f).sort((a, b) => a - b);
      return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
    };
    const merged: FanoutResult = { ...first, rounds: runs.length };
    for (const [name, value] of Object.entries(first)) {
      if (typeof value === 'number' && name !== 'roomSize' && name !== 'probes')
        (merged as unknown as Record<string, number>)[name] = median(
          (r) => (r as unknown as Record<string, number>)[name]!,
        );
    }
    const dropped: Record<string, number> = {};
    for (const r of runs)
      for (const [reason, n] of Object.entries(r.dropped ?? {})) dropped[reason] = (dropped[reason] ?? 0) + n;
    merged.dropped = dropped;
    merged.disturbed = runs.some((r) => r.disturbed);
    merged.latencyP99Range = [
      Math.min(...runs.map((r) => r.latencyP99Ms)),
      Math.max(...runs.map((r) => r.latencyP99Ms)),
    ];
    merged.cpuMicrosPerDeliveredRange = [
      Math.min(...runs.map((r) => r.cpuMicrosPerDelivered)),
      Math.max(...runs.map((r) => r.cpuMicrosPerDelivered)),
    ];
    out.push(merged);
  }
  return out;
}

/** Wait after the window for in-flight frames; a frame later than this counts as lost. */
const DRAIN_MS = 500;

/**
 * Receivers that decode every message (for latency and loss): the publishers and
 * at least this many. The others count messages without decoding (`CountingSocket`).
 */
const PROBES = 20;

/** One server (ours or naive) in a child process of its own (bench/fanout-server.ts). */
export class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** `env` adds to the server's environment (`PRESENCE_BATCH_MS`: see bench/fanout-server.ts). */
  static async start(
    kind: ServerKind,
    maxRoomSize: number,
    profileDir?: string,
    env: Record<string, string> = {},
  ): Promise<ServerProcess> {
    const entry = fileURLToPath(new URL('./fanout-server.ts', import.meta.url));
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = fork(entry, [kind, String(maxRoomSize)], {
      execArgv: ['--import', 'tsx', '--expose-gc', ...profile],
      env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
      stdio: 'inherit',
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind} server did not start in 15 s`)), 15_000);
      child.once('error', reject);
      child.on('message', (m: { type: string; port?: number }) => {
        if (m.type !== 'ready') return;
        clearTimeout(timer);
        resolve(m.port!);
      });
    });
    return new ServerProcess(child, port);
  }

  /** `gc`: collect garbage first (memory samples only: it takes CPU time). */
  usage(gc = false): Promise<UsageReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not report usage in 15 s')), 15_000);
      const onMessage = (m: UsageReply): void => {
        if (m.type !== 'usage') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(m);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'usage', gc });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

async function connect(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

/** A media envelope whose payload starts with the send time `now` (float64 ms, performance.now()). */
function mediaEnvelope(now: number, kind: number, size: number, keyframe: boolean, sequence: number): Uint8Array {
  const payload = new Uint8Array(size);
  new DataView(payload.buffer).setFloat64(0, now, true);
  return encodeEnvelope({ media: { kind, keyframe, sequence, timestamp: sequence, payload } });
}

interface RunSettings {
  durationSeconds: number;
  warmupSeconds: number;
  profileDir: string | undefined;
}

async function runOne(kind: ServerKind, model: LoadModel, s: RunSettings): Promise<FanoutResult> {
  const server = await ServerProcess.start(kind, model.roomSize + 10, s.profileDir);
  const path = kind === 'relay' ? '/ws' : '/';
  const url = `ws://127.0.0.1:${server.port}${path}`;
  const publishers = model.video720 + model.video360;
  const probes = Math.min(model.roomSize, Math.max(PROBES, publishers, model.audio));
  // Only messages sent inside [start, end) count for loss and latency; throughput
  // counts what arrives inside it.
  let start = Infinity;
  let end = Infinity;
  const sentBy: number[] = new Array<number>(model.roomSize).fill(0);
  let probeDelivered = 0; // by send time, for loss
  let probeArrived = 0; // by arrival time, for throughput
  let probeBytes = 0;
  const latencies: number[] = [];
  const inWindow = (t: number): boolean => t >= start && t < end;
  const probeSockets: WebSocket[] = [];
  const counters: CountingSocket[] = [];
  const timers: NodeJS.Timeout[] = [];
  const join = (i: number): Uint8Array =>
    encodeEnvelope({
      join: {
        protocolVersion: PROTOCOL_VERSION,
        room: 'bench',
        name: `p${i}`,
        state: { camera: i < publishers, mic: i < model.audio, screen: false },
      },
    });
  try {
    await sleep(300);
    const baseline = await server.usage(true);
    for (let i = 0; i < model.roomSize; i++) {
      if (i < probes) {
        const ws = await connect(url);
        probeSockets.push(ws);
        if (kind === 'relay') {
          const welcomed = new Promise<void>((resolve) => ws.once('message', () => resolve()));
          ws.send(join(i));
          await welcomed;
        }
        ws.on('message', (data: Buffer) => {
          const payload = decodeEnvelope(data).media?.payload;
          if (!payload) return;
          const now = performance.now();
          if (inWindow(now)) {
            probeArrived++;
            probeBytes += data.length;
          }
          const sentAt = new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0, true);
          if (!inWindow(sentAt)) return;
          probeDelivered++;
          latencies.push(now - sentAt);
        });
      } else {
        const socket = await CountingSocket.connect('127.0.0.1', server.port, path);
        counters.push(socket);
        if (kind === 'relay') {
          const welcomed = new Promise<void>((resolve) => (socket.onMessage = () => resolve()));
          socket.send(join(i));
          await welcomed;
          socket.onMessage = null;
        }
      }
    }
    await sleep(300);
    const joined = await server.usage(true);

    const framesPerKeyframe = VIDEO_FPS * KEYFRAME_INTERVAL_SECONDS;
    const ping = encodeEnvelope({ ping: { time: Date.now() } });
    let pingsInWindow = 0;
    for (let i = 0; i < model.roomSize; i++) {
      const ws = probeSockets[i];
      const counter = counters[i - probes];
      const sizes = i < model.video720 ? FRAME_BYTES['720p'] : FRAME_BYTES['360p'];
      // Stagger publishers so their ticks and keyframes do not coincide.
      let frame = Math.floor((i * framesPerKeyframe) / Math.max(1, publishers));
      let packet = 0;
      const send = (bytes: Uint8Array, now: number): void => {
        if (!ws || ws.readyState !== WebSocket.OPEN) return;
        ws.send(bytes);
        if (inWindow(now)) sentBy[i]!++;
      };
      const sendVideo = (): void => {
        const keyframe = frame % framesPerKeyframe === 0;
        const size = keyframe ? sizes.keyframe : Math.round(sizes.delta * (0.5 + Math.random()));
        const now = performance.now();
        send(mediaEnvelope(now, TrackKind.VIDEO, size, keyframe, frame++), now);
      };
      const sendAudio = (): void => {
        const now = performance.now();
        send(mediaEnvelope(now, TrackKind.AUDIO, FRAME_BYTES.audio, false, packet++), now);
      };
      const sendPing = (): void => {
        if (ws?.readyState === WebSocket.OPEN) ws.send(ping);
        else if (counter) {
          counter.send(ping);
          if (inWindow(performance.now())) pingsInWindow++; // each brings a Pong the counter counts
        }
      };
      const offset = (i / model.roomSize) * (1000 / VIDEO_FPS);
      timers.push(
        setTimeout(() => {
          if (i < publishers) timers.push(setInterval(sendVideo, 1000 / VIDEO_FPS));
          if (i < model.audio) timers.push(setInterval(sendAudio, 1000 / AUDIO_PACKETS_PER_SECOND));
          // The relay drops a participant silent for 15 s; the naive server knows no heartbeat.
          if (kind === 'relay') timers.push(setInterval(sendPing, PING_INTERVAL_SECONDS * 1000));
        }, offset),
      );
    }

    await sleep(s.warmupSeconds * 1000);
    const before = await server.usage();
    const clientBefore = process.cpuUsage();
    const share = cpuShare();
    const countedBefore = counters.reduce((sum, c) => sum + c.messages, 0);
    const bytesBefore = counters.reduce((sum, c) => sum + c.bytes, 0);
    start = performance.now();
    await sleep(s.durationSeconds * 1000);
    end = performance.now();
    const clientCpu = process.cpuUsage(clientBefore);
    const cpu = share.stop();
    const countedAfter = counters.reduce((sum, c) => sum + c.messages, 0);
    const bytesAfter = counters.reduce((sum, c) => sum + c.bytes, 0);
    const seconds = (end - start) / 1000;
    const after = await server.usage();
    for (const t of timers) clearTimeout(t);
    await sleep(DRAIN_MS); // let frames sent just before the end arrive

    const sent = sentBy.reduce((a, b) => a + b, 0);
    let expectedAtProbes = 0;
    for (let j = 0; j < probes; j++) expectedAtProbes += sent - sentBy[j]!;
    const delivered = probeArrived + Math.max(0, countedAfter - countedBefore - pingsInWindow);
    latencies.sort((a, b) => a - b);
    const pct = (p: number): number =>
      latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(p * latencies.length) - 1))] ?? NaN;
    const cpuMicros = after.cpuMicros - before.cpuMicros;
    const MiB = 2 ** 20;
    return {
      server: kind,
      roomSize: model.roomSize,
      model,
      seconds,
      sentMessagesPerSecond: sent / seconds,
      offeredMessagesPerSecond: offeredLoad(model).outPerSecond,
      deliveredMessagesPerSecond: delivered / seconds,
      deliveredBytesPerSecond: (probeBytes + bytesAfter - bytesBefore) / seconds,
      deliveryRatio: probeDelivered / Math.max(1, expectedAtProbes),
      latencyP50Ms: pct(0.5),
      latencyP99Ms: pct(0.99),
      latencyMaxMs: latencies.at(-1) ?? NaN,
      serverCpuPercent: (cpuMicros / 1e3 / (after.at - before.at)) * 100,
      cpuMicrosPerDelivered: cpuMicros / Math.max(1, delivered),
      framesPerWrite:
        after.wsWrites && before.wsWrites
          ? (after.wsWrites.frames - before.wsWrites.frames) /
            Math.max(1, after.wsWrites.writes - before.wsWrites.writes)
          : undefined,
      serverBaselineRssMiB: baseline.rssBytes / MiB,
      serverRssMiB: after.rssBytes / MiB,
      idleKiBPerParticipant: (joined.rssBytes - baseline.rssBytes) / 1024 / model.roomSize,
      idleHeapKiBPerParticipant:
        (joined.heapUsedBytes + joined.externalBytes - baseline.heapUsedBytes - baseline.externalBytes) /
        1024 /
        model.roomSize,
      loadedKiBPerParticipant: (after.rssBytes - baseline.rssBytes) / 1024 / model.roomSize,
      clientCpuPercent: ((clientCpu.user + clientCpu.system) / 1e6 / seconds) * 100,
      othersCpuPercent: cpu.others,
      probes,
      dropped: after.stats?.dropped,
    };
  } finally {
    for (const t of timers) clearTimeout(t);
    for (const ws of probeSockets) ws.terminate();
    for (const c of counters) c.terminate();
    await server.stop();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** "ours / naive" of a figure, or NaN when either is missing. */
export function ratio(results: FanoutResult[], roomSize: number, figure: (r: FanoutResult) => number): number {
  const ours = results.find((r) => r.server === 'relay' && r.roomSize === roomSize);
  const naive = results.find((r) => r.server === 'naive' && r.roomSize === roomSize);
  return ours && naive ? figure(ours) / figure(naive) : NaN;
}

/** Results whose figures cannot be taken at face value: a server that lost much of what was sent. */
export function fanoutWarnings(results: FanoutResult[]): string[] {
  return results
    .filter((r) => r.deliveryRatio < 0.9)
    .map(
      (r) =>
        `${r.server === 'relay' ? 'our relay' : 'the naive server'} lost ${((1 - r.deliveryRatio) * 100).toFixed(0)} % of the frames ` +
        `in room ${r.roomSize}${r.rounds ? ' (median of rounds)' : ''}: overloaded, or broken (is server/ being edited?). Its figures mean little.`,
    );
}

/** One line per result, as it comes. */
export function describeFanout(r: FanoutResult): string {
  const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
  return (
    `${r.server.padEnd(5)} room ${String(r.roomSize).padStart(3)}: delivered ${f(r.deliveredMessagesPerSecond, 0)} msg/s ` +
    `(${f(r.deliveryRatio * 100)} % of sent × receivers, ${f(r.deliveredBytesPerSecond / 1e6)} MB/s), ` +
    `p50 ${f(r.latencyP50Ms, 2)} ms, p99 ${f(r.latencyP99Ms, 2)} ms, server CPU ${f(r.serverCpuPercent)} % ` +
    `(${f(r.cpuMicrosPerDelivered, 2)} µs/msg${r.cpuMicrosPerDeliveredRange ? `, ${f(r.cpuMicrosPerDeliveredRange[0], 2)}–${f(r.cpuMicrosPerDeliveredRange[1], 2)}` : ''}` +
    `${r.framesPerWrite !== undefined ? `, ${f(r.framesPerWrite, 2)} frames/write` : ''}), ${f(r.idleKiBPerParticipant, 0)} KiB RSS/participant idle ` +
    `(${f(r.idleHeapKiBPerParticipant, 1)} KiB heap), ` +
    `${f(r.loadedKiBPerParticipant, 0)} loaded, clients CPU ${f(r.clientCpuPercent)} %, others ${f(r.othersCpuPercent)} %` +
    (r.disturbed ? ' [disturbed]' : '') +
    (r.dropped && Object.keys(r.dropped).length > 0 ? `, drops ${JSON.stringify(r.dropped)}` : '')
  );
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = argument('--room-sizes');
  const seconds = argument('--seconds');
  const rounds = argument('--rounds');
  const raw = await runRelayFanout({
    roomSizes: sizes ? sizes.split(',').map(Number) : undefined,
    durationSeconds: seconds ? Number(seconds) : undefined,
    rounds: rounds ? Number(rounds) : undefined,
    profileDir: argument('--profile'),
    onResult: (r) => console.log(describeFanout(r)),
    onRetry: (r) =>
      console.log(`${describeFanout(r)}\n  (other processes used ${r.othersCpuPercent.toFixed(0)} % of a core: again)`),
  });
  console.log('medians:');
  for (const r of medians(raw)) console.log(describeFanout(r));
}
