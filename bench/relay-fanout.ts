/**
 * Fan-out benchmark: one room of N WebSocket clients, each publishing video at
 * 30 fps (4–12 kB deltas, a 25 kB keyframe every 2 s) and audio at 50 packets/s
 * (80 bytes), through our relay and through a naive `ws` broadcast server, each
 * in its own child process so its CPU is measured apart from the clients'.
 *
 * Prints delivered messages/s and bytes/s, relay latency p50/p99 (send time in
 * the payload, one process clock), server CPU % (of one core) and RSS, and the
 * ratio ours/naive. It prints; it never asserts.
 *
 *     npx tsx bench/relay-fanout.ts [--room-size 10] [--seconds 8] [--profile <dir>]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { decodeEnvelope, encodeEnvelope, PROTOCOL_VERSION, TrackKind } from '../src/protocol/index.js';
import type { ServerKind, UsageReply } from './fanout-server.js';

export interface FanoutOptions {
  /** Participants in the room. Default 10. */
  roomSize?: number;
  /** Measured seconds per server, after warm-up. Default 8. */
  durationSeconds?: number;
  /** Unmeasured seconds before measuring. Default 1. */
  warmupSeconds?: number;
  videoFps?: number;
  audioPacketsPerSecond?: number;
  keyframeIntervalSeconds?: number;
  /** Which servers to run. Default both. */
  servers?: ServerKind[];
  /** When set, each server process writes a V8 CPU profile (`.cpuprofile`) into this directory. */
  profileDir?: string;
}

export interface FanoutResult {
  server: ServerKind;
  roomSize: number;
  seconds: number;
  /** Messages and bytes published by the clients, per second. */
  sentMessagesPerSecond: number;
  /** Messages and bytes delivered to the clients, per second. */
  deliveredMessagesPerSecond: number;
  deliveredBytesPerSecond: number;
  /** Delivered / (sent × (roomSize − 1)). */
  deliveryRatio: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Server process CPU over the measured window, % of one core. */
  serverCpuPercent: number;
  serverRssMiB: number;
  /** The benchmark (clients) process CPU, % of one core: if near 100, the clients were the limit. */
  clientCpuPercent: number;
  /** Relay only: messages the relay dropped, by reason. */
  dropped?: Record<string, number>;
}

const DEFAULTS = {
  roomSize: 10,
  durationSeconds: 8,
  warmupSeconds: 1,
  videoFps: 30,
  audioPacketsPerSecond: 50,
  keyframeIntervalSeconds: 2,
  servers: ['relay', 'naive'] as ServerKind[],
  profileDir: undefined as string | undefined,
};

/** Runs the load against each server in turn and returns one result per server. */
export async function runRelayFanout(options: FanoutOptions = {}): Promise<FanoutResult[]> {
  const o: Resolved = { ...DEFAULTS };
  // Only options actually given replace defaults (an explicit `undefined` does not).
  for (const [key, value] of Object.entries(options)) if (value !== undefined) Object.assign(o, { [key]: value });
  const results: FanoutResult[] = [];
  for (const server of o.servers) results.push(await runOne(server, o));
  return results;
}

type Resolved = typeof DEFAULTS;

/** Wait after the window for in-flight frames; a frame later than this counts as lost. */
const DRAIN_MS = 500;

class Server {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(kind: ServerKind, profileDir?: string): Promise<Server> {
    const entry = fileURLToPath(new URL('./fanout-server.ts', import.meta.url));
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = fork(entry, [kind], {
      execArgv: ['--import', 'tsx', ...profile],
      env: { ...process.env, LOG_LEVEL: 'warn' },
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
    return new Server(child, port);
  }

  usage(): Promise<UsageReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not report usage')), 5000);
      const onMessage = (m: UsageReply): void => {
        if (m.type !== 'usage') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(m);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'usage' });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** Only messages sent inside [start, end) count, sent or delivered: no edge effects. */
interface Counters {
  start: number;
  end: number;
  sent: number;
  delivered: number;
  deliveredBytes: number;
  latencies: number[];
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
function frame(now: number, kind: number, size: number, keyframe: boolean, sequence: number): Uint8Array {
  const payload = new Uint8Array(size);
  new DataView(payload.buffer).setFloat64(0, now, true);
  return encodeEnvelope({ media: { kind, keyframe, sequence, timestamp: sequence, payload } });
}

async function runOne(kind: ServerKind, o: Resolved): Promise<FanoutResult> {
  const server = await Server.start(kind, o.profileDir);
  const url = kind === 'relay' ? `ws://127.0.0.1:${server.port}/ws` : `ws://127.0.0.1:${server.port}`;
  const c: Counters = { start: Infinity, end: Infinity, sent: 0, delivered: 0, deliveredBytes: 0, latencies: [] };
  const inWindow = (t: number): boolean => t >= c.start && t < c.end;
  const sockets: WebSocket[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    for (let i = 0; i < o.roomSize; i++) {
      const ws = await connect(url);
      sockets.push(ws);
      if (kind === 'relay') {
        const welcomed = new Promise<void>((resolve) => ws.once('message', () => resolve()));
        ws.send(encodeEnvelope({ join: { protocolVersion: PROTOCOL_VERSION, room: 'bench', name: `p${i}` } }));
        await welcomed;
      }
      ws.on('message', (data: Buffer) => {
        const envelope = decodeEnvelope(data);
        const payload = envelope.media?.payload;
        if (!payload) return;
        const sentAt = new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0, true);
        if (!inWindow(sentAt)) return;
        c.delivered++;
        c.deliveredBytes += data.length;
        c.latencies.push(performance.now() - sentAt);
      });
    }

    const framesPerKeyframe = Math.round(o.videoFps * o.keyframeIntervalSeconds);
    sockets.forEach((ws, i) => {
      let video = 0;
      let audio = 0;
      const sendVideo = (): void => {
        const keyframe = video % framesPerKeyframe === 0;
        const size = keyframe ? 25_000 : 4_000 + Math.floor(Math.random() * 8_000);
        const now = performance.now();
        ws.send(frame(now, TrackKind.VIDEO, size, keyframe, video++));
        if (inWindow(now)) c.sent++;
      };
      const sendAudio = (): void => {
        const now = performance.now();
        ws.send(frame(now, TrackKind.AUDIO, 80, false, audio++));
        if (inWindow(now)) c.sent++;
      };
      // Stagger publishers so keyframes and ticks do not all coincide.
      const offset = (i / o.roomSize) * (1000 / o.videoFps);
      timers.push(
        setTimeout(() => {
          timers.push(
            setInterval(sendVideo, 1000 / o.videoFps),
            setInterval(sendAudio, 1000 / o.audioPacketsPerSecond),
          );
        }, offset),
      );
    });

    await sleep(o.warmupSeconds * 1000);
    const before = await server.usage();
    const clientBefore = process.cpuUsage();
    c.start = performance.now();
    await sleep(o.durationSeconds * 1000);
    c.end = performance.now();
    const seconds = (c.end - c.start) / 1000;
    const after = await server.usage();
    const clientCpu = process.cpuUsage(clientBefore);
    for (const t of timers) clearTimeout(t);
    await sleep(DRAIN_MS); // let frames sent just before the end arrive

    c.latencies.sort((a, b) => a - b);
    const pct = (p: number): number =>
      c.latencies[Math.min(c.latencies.length - 1, Math.floor(p * c.latencies.length))] ?? NaN;
    return {
      server: kind,
      roomSize: o.roomSize,
      seconds,
      sentMessagesPerSecond: c.sent / seconds,
      deliveredMessagesPerSecond: c.delivered / seconds,
      deliveredBytesPerSecond: c.deliveredBytes / seconds,
      deliveryRatio: c.delivered / Math.max(1, c.sent * (o.roomSize - 1)),
      latencyP50Ms: pct(0.5),
      latencyP99Ms: pct(0.99),
      latencyMaxMs: c.latencies.at(-1) ?? NaN,
      serverCpuPercent: ((after.cpuMicros - before.cpuMicros) / 1000 / (seconds * 1000)) * 100,
      serverRssMiB: after.rssBytes / 2 ** 20,
      clientCpuPercent: ((clientCpu.user + clientCpu.system) / 1000 / (seconds * 1000)) * 100,
      dropped: after.stats?.dropped,
    };
  } finally {
    for (const t of timers) clearTimeout(t);
    for (const ws of sockets) ws.terminate();
    await server.stop();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Prints results as a table, with ours/naive ratios when both ran. */
export function printFanout(results: FanoutResult[]): void {
  const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
  const first = results[0];
  if (!first) return;
  console.log(
    `relay fan-out: ${first.roomSize} participants, video ${DEFAULTS.videoFps} fps + audio ${DEFAULTS.audioPacketsPerSecond}/s each, ${f(first.seconds)} s measured`,
  );
  const rows = results.map((r) => ({
    server: r.server,
    'sent msg/s': f(r.sentMessagesPerSecond, 0),
    'delivered msg/s': f(r.deliveredMessagesPerSecond, 0),
    'delivered MB/s': f(r.deliveredBytesPerSecond / 1e6, 2),
    delivered: `${f(r.deliveryRatio * 100)} %`,
    'p50 ms': f(r.latencyP50Ms, 2),
    'p99 ms': f(r.latencyP99Ms, 2),
    'max ms': f(r.latencyMaxMs, 1),
    'server CPU %': f(r.serverCpuPercent),
    'server RSS MiB': f(r.serverRssMiB),
    'clients CPU %': f(r.clientCpuPercent),
  }));
  console.table(rows);
  const ours = results.find((r) => r.server === 'relay');
  const naive = results.find((r) => r.server === 'naive');
  if (ours?.dropped && Object.keys(ours.dropped).length > 0) console.log('relay drops:', ours.dropped);
  if (ours && naive) {
    console.log(
      `ours/naive: delivered msg/s ${f(ours.deliveredMessagesPerSecond / naive.deliveredMessagesPerSecond, 2)}, ` +
        `p50 ${f(ours.latencyP50Ms / naive.latencyP50Ms, 2)}, p99 ${f(ours.latencyP99Ms / naive.latencyP99Ms, 2)}, ` +
        `CPU ${f(ours.serverCpuPercent / naive.serverCpuPercent, 2)}, RSS ${f(ours.serverRssMiB / naive.serverRssMiB, 2)}`,
    );
  }
}

function argument(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const profileAt = process.argv.indexOf('--profile');
  const results = await runRelayFanout({
    roomSize: argument('--room-size'),
    durationSeconds: argument('--seconds'),
    profileDir: profileAt >= 0 ? process.argv[profileAt + 1] : undefined,
  });
  printFanout(results);
}
