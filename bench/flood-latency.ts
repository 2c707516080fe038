/**
 * A real call's frame latency with and without a flood from one address, in the
 * same run. Three processes, so the flooder's own CPU is not the call's: a relay
 * with its production limits (WebSocket; its own process), the call (two honest
 * participants exchanging audio- and video-sized frames, this process, from
 * 127.0.0.2), and the flooder (its own process, from 127.0.0.1): a connection
 * flood (connections opened and never joined, joins beyond the per-address
 * rate), a control flood (joined connections sending large Subscriptions until
 * closed for it) and malformed messages (random bytes, mutated envelopes).
 *
 * The call: each participant sends a 160-byte audio frame every 20 ms and a
 * video frame every 40 ms (12 KB, a 60 KB keyframe every 2 s); each frame
 * carries its send time, and latency is the other participant's receive time
 * minus it (one clock, one process). The result: p50/p99 calm, p99 flooded,
 * and their ratio.
 *
 *     npx tsx bench/flood-latency.ts [--seconds 10] [--flooder-nice 19]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { decodeEnvelope, encodeEnvelope, PROTOCOL_VERSION, TrackKind } from '../src/protocol/index.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;
const HONEST_ADDRESS = '127.0.0.2';
const FLOOD_ADDRESS = '127.0.0.1';

export interface FloodLatencyOptions {
  /** Seconds of each phase (calm, then flooded). Default 10. */
  seconds?: number;
  /**
   * The flooder's niceness. On one machine the flooder's own CPU competes with the
   * relay and the call, which a remote attacker's would not: at 19 it takes only
   * what is left over. Default 0 (the worst case).
   */
  flooderNice?: number;
}

export interface FloodPhase {
  frames: number;
  lost: number;
  p50Ms: number;
  p99Ms: number;
}

export interface FloodLatencyResult {
  calm: FloodPhase;
  flooded: FloodPhase;
  /** Flooded p99 over calm p99. */
  p99Ratio: number;
  flooderNice: number;
  /** What the flooder did and how it was answered. */
  flood: FloodCounts;
}

interface FloodCounts {
  connections: number;
  refusedOrClosed: number;
  malformedSent: number;
  controlSent: number;
}

export async function runFloodLatency(options: FloodLatencyOptions = {}): Promise<FloodLatencyResult> {
  const seconds = options.seconds ?? 10;
  const relay = spawn(TSX, [SELF, '--role', 'relay'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await firstLine(relay, 'RELAY ');
    const call = await Call.start(url);
    await sleep(1000); // warm-up
    call.reset();
    await sleep(seconds * 1000);
    const calm = call.phase();
    const flooder = spawn(
      'nice',
      ['-n', String(options.flooderNice ?? 0), TSX, SELF, '--role', 'flood', url, String(seconds)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const counts = firstLine(flooder, 'FLOOD ');
    await sleep(300); // the flood ramps up
    call.reset();
    await sleep(seconds * 1000);
    const flooded = call.phase();
    const flood = JSON.parse(await counts) as FloodCounts;
    call.stop();
    const result = {
      calm,
      flooded,
      p99Ratio: flooded.p99Ms / Math.max(calm.p99Ms, 0.001),
      flooderNice: options.flooderNice ?? 0,
      flood,
    };
    console.log(describeFloodLatency(result));
    return result;
  } finally {
    relay.kill('SIGTERM');
  }
}

/** One line for the report. */
export function describeFloodLatency(r: FloodLatencyResult): string {
  const phase = (name: string, p: FloodPhase) =>
    `${name}: ${p.frames} frames, ${p.lost} lost, p50 ${p.p50Ms.toFixed(2)} ms, p99 ${p.p99Ms.toFixed(2)} ms`;
  return (
    `${phase('calm', r.calm)}; ${phase('flooded', r.flooded)}; p99 flooded/calm ${r.p99Ratio.toFixed(2)}x ` +
    `(flooder at nice ${r.flooderNice}) ` +
    `(flood: ${r.flood.connections} connections, ${r.flood.refusedOrClosed} refused or closed, ` +
    `${r.flood.controlSent} control and ${r.flood.malformedSent} malformed messages)`
  );
}

/** Two honest participants exchanging audio and video frames. */
class Call {
  private latencies: number[] = [];
  private sent = 0;
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(private readonly sockets: WebSocket[]) {}

  static async start(url: string): Promise<Call> {
    const sockets: WebSocket[] = [];
    for (const name of ['alice', 'bob']) sockets.push(await joined(url, 'call', name, HONEST_ADDRESS));
    const call = new Call(sockets);
    for (const ws of sockets) {
      ws.on('message', (data: Buffer) => {
        const env = decodeEnvelope(data);
        const payload = env.media?.payload;
        if (!payload || payload.length < 8) return;
        const sentAt = new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0);
        call.latencies.push(performance.now() - sentAt);
      });
    }
    let seq = 0;
    call.timers.push(
      setInterval(() => {
        seq++;
        for (const ws of sockets) call.send(ws, TrackKind.AUDIO, seq, 160, false);
        if (seq % 2 === 0) {
          const keyframe = seq % 100 === 0;
          for (const ws of sockets) call.send(ws, TrackKind.VIDEO, seq, keyframe ? 60_000 : 12_000, keyframe);
        }
      }, 20),
    );
    return call;
  }

  reset(): void {
    this.latencies = [];
    this.sent = 0;
  }

  phase(): FloodPhase {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
    return { frames: sorted.length, lost: Math.max(0, this.sent - sorted.length), p50Ms: at(0.5), p99Ms: at(0.99) };
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    for (const ws of this.sockets) ws.close();
  }

  private send(ws: WebSocket, kind: number, sequence: number, size: number, keyframe: boolean): void {
    const payload = new Uint8Array(size);
    new DataView(payload.buffer).setFloat64(0, performance.now());
    ws.send(encodeEnvelope({ media: { kind, sequence, keyframe, timestamp: sequence * 20_000, payload } }));
    this.sent++;
  }
}

async function joined(url: string, room: string, name: string, localAddress: string): Promise<WebSocket> {
  const ws = await open(url, localAddress);
  const welcomed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no Welcome`)), 10_000);
    ws.on('message', (data: Buffer) => {
      const env = decodeEnvelope(data);
      if (env.welcome) {
        clearTimeout(timer);
        resolve();
      }
      if (env.error?.fatal) reject(new Error(`${name}: ${env.error.code}`));
    });
  });
  ws.send(encodeEnvelope({ join: { protocolVersion: PROTOCOL_VERSION, room, name } }));
  await welcomed;
  return ws;
}

function open(url: string, localAddress: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false, localAddress });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The flooder's process: everything from one address for `seconds`, then its counts on stdout. */
async function flood(url: string, seconds: number): Promise<void> {
  const counts: FloodCounts = { connections: 0, refusedOrClosed: 0, malformedSent: 0, controlSent: 0 };
  const until = Date.now() + seconds * 1000 + 500;
  const tracks = Array.from({ length: 120 }, (_, i) => ({ publisher: `p-${i}-${'x'.repeat(20)}`, kind: 2 }));
  const big = encodeEnvelope({ subscription: { tracks } });
  const valid = encodeEnvelope({ mediaState: { mic: true, camera: true } });
  const worker = async (role: number): Promise<void> => {
    while (Date.now() < until) {
      let ws: WebSocket;
      try {
        ws = await open(url, FLOOD_ADDRESS);
        counts.connections++;
      } catch {
        counts.refusedOrClosed++;
        await sleep(5);
        continue;
      }
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      ws.on('error', () => undefined);
      ws.on('close', () => counts.refusedOrClosed++);
      if (role === 0) {
        // Connection flood: opened and held, never joined (the join deadline closes them).
        await Promise.race([closed, sleep(2000)]);
      } else {
        ws.send(encodeEnvelope({ join: { protocolVersion: PROTOCOL_VERSION, room: 'call', name: `flood${role}` } }));
        for (let i = 0; i < 2000 && ws.readyState === WebSocket.OPEN && Date.now() < until; i++) {
          if (role === 1) {
            ws.send(big);
            counts.controlSent++;
          } else {
            const bad = i % 2 === 0 ? randomBytes(1 + (i % 700)) : Buffer.from(valid).fill(0xff, i % valid.length);
            ws.send(bad);
            counts.malformedSent++;
          }
          if (i % 20 === 19) await sleep(1);
        }
      }
      ws.terminate();
      await Promise.race([closed, sleep(100)]);
    }
  };
  await Promise.all([0, 0, 0, 0, 1, 1, 2, 2].map((role) => worker(role)));
  console.log(`FLOOD ${JSON.stringify(counts)}`);
}

async function relayProcess(): Promise<void> {
  const { startRelay } = await import('../server/relay.js');
  const { setLogLevel } = await import('../server/log.js');
  setLogLevel('silent');
  const relay = await startRelay({ port: 0, host: '127.0.0.1', webTransport: { enabled: false } });
  console.log(`RELAY ${relay.wsUrl}`);
  process.on('SIGTERM', () => void relay.close().then(() => process.exit(0)));
}

function firstLine(child: ChildProcess, mark: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.startsWith(mark));
      if (line) resolve(line.slice(mark.length).trim());
    });
    child.once('exit', (code) => reject(new Error(`${mark.trim()} process exited (${code}) before its line`)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const role = argument('--role');
  if (role === 'relay') await relayProcess();
  else if (role === 'flood') {
    await flood(process.argv[4]!, Number(process.argv[5]));
    process.exit(0);
  } else {
    await runFloodLatency({
      seconds: Number(argument('--seconds') ?? 10),
      flooderNice: Number(argument('--flooder-nice') ?? 0),
    });
    process.exit(0);
  }
}
