/**
 * One room spread over 3 relays on a 3-node NATS cluster, against the same load
 * on one relay (the in-process bus). Simulated participants (Node WebSocket
 * clients in this process, speaking the real protocol) send video and audio at
 * real rates and sizes, as bench/relay-fanout.ts does: 360p VP8-sized frames at
 * 30 fps (keyframe every 5 s) and Opus-sized audio every 20 ms, each payload
 * starting with its send time on this process's clock.
 *
 * Each relay runs in a process of its own (test/nats/relay-process.ts), the NATS
 * servers are real `nats-server` processes, all on loopback. Prints and returns
 * delivered frames/s, the share of frames that arrived, latency p50/p99 (send to
 * receive, one clock), and the CPU of the relays and of the NATS servers (from
 * /proc, Linux). It prints; it never asserts.
 *
 *     npx tsx bench/nats-cluster.ts [--room-size 30] [--publishers 6] [--seconds 6]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { decodeEnvelope, encodeEnvelope, PROTOCOL_VERSION, TrackKind } from '../src/protocol/index.js';
import { startRelayProcess, type RelayProcess } from '../test/nats/helpers.js';
import { NatsCluster } from '../test/nats/nats-cluster.js';

export interface NatsClusterBenchOptions {
  /** Participants in the room. Default 30. */
  roomSize?: number;
  /** Participants sending 360p video and audio (the others only receive). Default 6. */
  publishers?: number;
  /** Measured seconds per setup, after warm-up. Default 6. */
  seconds?: number;
  /** Unmeasured seconds of traffic first. Default 2. */
  warmupSeconds?: number;
}

export interface NatsClusterBenchResult {
  setup: 'one relay' | '3 relays on 3-node NATS';
  roomSize: number;
  publishers: number;
  seconds: number;
  /** Media frames the clients sent, per second. */
  sentPerSecond: number;
  /** Media frames the clients received in the window, per second. */
  deliveredPerSecond: number;
  /** Of the frames sent in the window, the share that reached every other participant. */
  deliveryRatio: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** CPU of the relay processes together, and of the NATS servers together, % of one core. */
  relayCpuPercent: number;
  natsCpuPercent: number;
}

const VIDEO_FPS = 30;
const AUDIO_PER_SECOND = 50;
const KEYFRAME_EVERY = VIDEO_FPS * 5;
const BYTES = { delta: 2200, keyframe: 7000, audio: 80 };
const DRAIN_MS = 500;

export async function runNatsClusterBench(options: NatsClusterBenchOptions = {}): Promise<NatsClusterBenchResult[]> {
  const settings = {
    roomSize: options.roomSize ?? 30,
    publishers: Math.min(options.publishers ?? 6, options.roomSize ?? 30),
    seconds: options.seconds ?? 6,
    warmupSeconds: options.warmupSeconds ?? 2,
  };
  const results: NatsClusterBenchResult[] = [];

  const single = await startRelayProcess({ maxRoomSize: settings.roomSize + 10 });
  try {
    results.push(await measure('one relay', [single], [], settings));
  } finally {
    await single.stop();
  }
  console.log(describe(results[0]));

  const nats = await NatsCluster.start({ size: 3 });
  const relays: RelayProcess[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const order = [nats.urls[i], ...nats.urls.filter((_, k) => k !== i)];
      relays.push(await startRelayProcess({ natsUrl: order, maxRoomSize: settings.roomSize + 10 }));
    }
    const natsPids = nats.servers.map((s) => s.process?.pid ?? 0);
    results.push(await measure('3 relays on 3-node NATS', relays, natsPids, settings));
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
    await nats.stop();
  }
  console.log(describe(results[1]));
  return results;
}

interface Settings {
  roomSize: number;
  publishers: number;
  seconds: number;
  warmupSeconds: number;
}

async function measure(
  setup: NatsClusterBenchResult['setup'],
  relays: RelayProcess[],
  natsPids: number[],
  s: Settings,
): Promise<NatsClusterBenchResult> {
  let start = Infinity;
  let end = Infinity;
  const inWindow = (t: number): boolean => t >= start && t < end;
  let sent = 0;
  let arrivedInWindow = 0; // by arrival time: throughput
  let deliveredOfWindow = 0; // by send time: loss
  const latencies: number[] = [];
  const sockets: WebSocket[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    // Participants round-robin over the relays, one at a time so every roster is settled.
    for (let i = 0; i < s.roomSize; i++) {
      const relay = relays[i % relays.length];
      const ws = new WebSocket(relay.wsUrl, { perMessageDeflate: false });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const welcomed = new Promise<void>((resolve) => ws.once('message', () => resolve()));
      ws.send(
        encodeEnvelope({
          join: {
            protocolVersion: PROTOCOL_VERSION,
            room: 'bench',
            name: `p${i}`,
            state: { camera: i < s.publishers },
          },
        }),
      );
      await welcomed;
      ws.on('message', (data: Buffer) => {
        const payload = decodeEnvelope(data).media?.payload;
        if (!payload) return;
        const now = performance.now();
        if (inWindow(now)) arrivedInWindow++;
        const sentAt = new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0, true);
        if (!inWindow(sentAt)) return;
        deliveredOfWindow++;
        latencies.push(now - sentAt);
      });
      sockets.push(ws);
    }

    for (let i = 0; i < s.publishers; i++) {
      const ws = sockets[i];
      let frame = Math.floor((i * KEYFRAME_EVERY) / s.publishers); // keyframes staggered
      let packet = 0;
      const send = (kind: number, size: number, keyframe: boolean, sequence: number): void => {
        const now = performance.now();
        const payload = new Uint8Array(size);
        new DataView(payload.buffer).setFloat64(0, now, true);
        ws.send(encodeEnvelope({ media: { kind, keyframe, sequence, timestamp: sequence, payload } }));
        if (inWindow(now)) sent++;
      };
      const offset = (i / s.publishers) * (1000 / VIDEO_FPS);
      timers.push(
        setTimeout(() => {
          timers.push(
            setInterval(() => {
              const keyframe = frame % KEYFRAME_EVERY === 0;
              const size = keyframe ? BYTES.keyframe : Math.round(BYTES.delta * (0.5 + Math.random()));
              send(TrackKind.VIDEO, size, keyframe, frame++);
            }, 1000 / VIDEO_FPS),
            setInterval(() => send(TrackKind.AUDIO, BYTES.audio, false, packet++), 1000 / AUDIO_PER_SECOND),
          );
        }, offset),
      );
    }
    // Heartbeats, so the relays keep the silent receivers.
    const ping = encodeEnvelope({ ping: { time: 1 } });
    timers.push(setInterval(() => sockets.forEach((ws) => ws.send(ping)), 4000));

    await sleep(s.warmupSeconds * 1000);
    const relayPids = relays.map((r) => r.child.pid ?? 0);
    const cpuBefore = [cpuTicks(relayPids), cpuTicks(natsPids)];
    start = performance.now();
    await sleep(s.seconds * 1000);
    end = performance.now();
    const cpuAfter = [cpuTicks(relayPids), cpuTicks(natsPids)];
    for (const t of timers) clearInterval(t);
    await sleep(DRAIN_MS);

    const seconds = (end - start) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number): number => latencies[Math.max(0, Math.ceil(p * latencies.length) - 1)] ?? NaN;
    const percentOfCore = (ticks: number): number => (ticks / TICKS_PER_SECOND / seconds) * 100;
    return {
      setup,
      roomSize: s.roomSize,
      publishers: s.publishers,
      seconds,
      sentPerSecond: sent / seconds,
      deliveredPerSecond: arrivedInWindow / seconds,
      deliveryRatio: deliveredOfWindow / Math.max(1, sent * (s.roomSize - 1)),
      latencyP50Ms: pct(0.5),
      latencyP99Ms: pct(0.99),
      relayCpuPercent: percentOfCore(cpuAfter[0] - cpuBefore[0]),
      natsCpuPercent: percentOfCore(cpuAfter[1] - cpuBefore[1]),
    };
  } finally {
    for (const t of timers) clearInterval(t);
    for (const ws of sockets) ws.terminate();
  }
}

/** Linux clock ticks per second (`getconf CLK_TCK`), 100 on every common kernel. */
const TICKS_PER_SECOND = 100;

/** User + system CPU ticks of `pids` together, from /proc/<pid>/stat; 0 where unreadable. */
function cpuTicks(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces), 1-based: utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      // not Linux, or the process is gone
    }
  }
  return total;
}

export function describe(r: NatsClusterBenchResult): string {
  const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
  return (
    `${r.setup.padEnd(24)} room ${r.roomSize} (${r.publishers} publishers): sent ${f(r.sentPerSecond, 0)} frames/s, ` +
    `delivered ${f(r.deliveredPerSecond, 0)} frames/s (${f(r.deliveryRatio * 100)} %), ` +
    `p50 ${f(r.latencyP50Ms, 2)} ms, p99 ${f(r.latencyP99Ms, 2)} ms, relays CPU ${f(r.relayCpuPercent)} %` +
    (r.setup === 'one relay' ? '' : `, NATS CPU ${f(r.natsCpuPercent)} %`)
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function argument(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runNatsClusterBench({
    roomSize: argument('--room-size'),
    publishers: argument('--publishers'),
    seconds: argument('--seconds'),
  });
}
