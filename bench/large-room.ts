/**
 * A large room over 3 relays on a 3-node NATS cluster, all on this machine:
 * `publishers` participants send camera (three simulcast layers) and microphone,
 * everyone watches a page of 9 tiles plus the active speaker's large tile, as
 * the element does (cli/sim: simulated participants speaking the real protocol,
 * in this process; each relay and NATS server in a process of its own).
 *
 * Then the same room under today's broadcast-everything (no Subscription, one
 * 360p layer per camera, every microphone), as the baseline of the same run.
 * Broadcast needs publishers × participants frames a second: far beyond this
 * machine at 1000, so its room is `--baseline-participants` (default 200) and
 * the ratio is per participant.
 *
 * Prints delivered frames/s, relay CPU and memory per participant, p50/p99
 * latency (capture to arrival at probe receivers, one machine's clock), video
 * frames lost (sequence gaps at the probes) and the relays' drop counters, NATS
 * messages/s (from the servers' /varz), and the CPU of this (client) process,
 * which saturates first on two cores. It prints; it never asserts.
 *
 *     npx tsx bench/large-room.ts [--participants 1000] [--publishers 30] [--seconds 8] [--baseline-participants 200]
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LAYERS, SimParticipant, type PageView } from '../cli/sim/index.js';
import { startRelayProcess, type RelayProcess } from '../test/nats/helpers.js';
import { NatsCluster } from '../test/nats/nats-cluster.js';

export interface LargeRoomOptions {
  participants?: number;
  publishers?: number;
  /** Measured seconds, after warm-up. Default 8. */
  seconds?: number;
  warmupSeconds?: number;
  /** Participants of the broadcast-everything baseline. Default min(participants, 200). */
  baselineParticipants?: number;
  /** Receivers that decode every frame for latency and loss. Default 40. */
  probes?: number;
}

export interface LargeRoomResult {
  mode: 'selective' | 'broadcast';
  participants: number;
  publishers: number;
  seconds: number;
  /** Seconds it took everyone to join. */
  joinSeconds: number;
  sentPerSecond: number;
  /** What the publishers' timers would send per second on an idle machine (audio, and the layers asked for). */
  scheduledPerSecond: number;
  deliveredPerSecond: number;
  deliveredMBps: number;
  /** Frames a receiver got per second, on average. */
  perReceiverPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Video frames missing at the probes (sequence gaps within a publisher-layer). */
  videoLost: number;
  /** The relays' drop counters over the window, by reason (by design: `audio-not-audible`, `layer-awaiting-keyframe`). */
  relayDrops: Record<string, number>;
  /** The relays together: % of one core, and per participant. */
  relayCpuPercent: number;
  relayCpuPerParticipant: number;
  /** Relay CPU per frame delivered to a receiver, µs (all relays together). */
  relayMicrosPerDelivered: number;
  /**
   * The relays' CPU (% of one core) if the publishers sent all they schedule:
   * this run's per-frame cost times the scheduled load (deliveries scale with sends).
   */
  relayCpuAtScheduledPercent: number;
  relayRssMiB: number;
  /** Relay memory the participants added (RSS now minus before they joined), per participant. */
  relayKiBPerParticipant: number;
  natsMsgsInPerSecond: number;
  natsMsgsOutPerSecond: number;
  natsCpuPercent: number;
  /** This process (every simulated participant): % of one core, and its event loop's p99 delay. */
  clientsCpuPercent: number;
  clientsLoopDelayP99Ms: number;
}

const VIEW: PageView = {
  tiles: 9,
  page: 0,
  tileSize: { width: 320, height: 180 },
  speakerSize: { width: 1280, height: 720 },
};
/** Drop reasons that are the design working, not loss. */
const BY_DESIGN = new Set(['audio-not-audible', 'layer-awaiting-keyframe']);
const JOIN_BATCH = 25;

export async function runLargeRoomBench(options: LargeRoomOptions = {}): Promise<LargeRoomResult[]> {
  const participants = options.participants ?? 1000;
  const settings = {
    participants,
    publishers: Math.min(options.publishers ?? 30, participants),
    seconds: options.seconds ?? 8,
    warmupSeconds: options.warmupSeconds ?? 4,
    probes: options.probes ?? 40,
  };
  const baseline = options.baselineParticipants ?? Math.min(participants, 200);
  const results: LargeRoomResult[] = [];
  results.push(await inCluster('selective', settings));
  console.log(`  ${describeLargeRoom(results[0]!)}`);
  results.push(await inCluster('broadcast', { ...settings, participants: baseline }));
  console.log(`  ${describeLargeRoom(results[1]!)}`);
  console.log(`  ${describeRatio(results[0]!, results[1]!)}`);
  return results;
}

interface Settings {
  participants: number;
  publishers: number;
  seconds: number;
  warmupSeconds: number;
  probes: number;
}

async function inCluster(mode: LargeRoomResult['mode'], s: Settings): Promise<LargeRoomResult> {
  const nats = await NatsCluster.start({ size: 3 });
  const relays: RelayProcess[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const order = [nats.urls[i]!, ...nats.urls.filter((_, k) => k !== i)];
      relays.push(
        await startRelayProcess({
          natsUrl: order,
          maxRoomSize: s.participants + 10,
          maxConnectionsPerAddress: 100_000,
          joinsPerAddressPerMinute: 100_000,
          rosterSyncTimeoutMs: 2000,
          // Today's relay forwards every microphone.
          ...(mode === 'broadcast' ? { maxAudible: 0 } : {}),
        }),
      );
    }
    return await measure(mode, relays, nats, s);
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
    await nats.stop();
  }
}

async function measure(
  mode: LargeRoomResult['mode'],
  relays: RelayProcess[],
  nats: NatsCluster,
  s: Settings,
): Promise<LargeRoomResult> {
  const sims: SimParticipant[] = [];
  const selective = mode === 'selective';
  try {
    // What the relays hold with nobody connected, so memory per participant is what participants add.
    const idleRss = relays.reduce((sum, r) => sum + rssBytes(r.child.pid ?? 0), 0);
    const joinStart = performance.now();
    for (let i = 0; i < s.participants; i += JOIN_BATCH) {
      const batch: SimParticipant[] = [];
      for (let k = i; k < Math.min(i + JOIN_BATCH, s.participants); k++) {
        const publisher = k < s.publishers;
        // Two publishers speak at a time, a new pair every 4 s, overlapping.
        const speaking = (ms: number): boolean => {
          const turn = Math.floor(ms / 4000);
          return k === turn % s.publishers || k === (turn + 1) % s.publishers;
        };
        batch.push(
          new SimParticipant({
            url: relays[k % relays.length]!.wsUrl,
            room: 'large',
            name: `p${k}`,
            camera: publisher,
            mic: publisher,
            speaking,
            // Today: one 360p layer, no Subscription (so layer 0 of everyone).
            layers: selective ? DEFAULT_LAYERS : [DEFAULT_LAYERS[1]!],
            // Viewers spread over the pages of tiles.
            view: selective ? { ...VIEW, page: k % Math.ceil(s.publishers / VIEW.tiles) } : undefined,
            probe: k >= s.publishers && k < s.publishers + s.probes,
          }),
        );
      }
      await Promise.all(batch.map((sim) => sim.join(60_000)));
      sims.push(...batch);
    }
    const joinSeconds = (performance.now() - joinStart) / 1000;
    for (const sim of sims) sim.start();
    await sleep(s.warmupSeconds * 1000);

    for (const sim of sims) sim.resetCounts();
    const relayPids = relays.map((r) => r.child.pid ?? 0);
    const natsPids = nats.servers.map((n) => n.process?.pid ?? 0);
    const dropsBefore = await relayDrops(relays);
    const varzBefore = await natsVarz(nats);
    const cpuBefore = [cpuTicks(relayPids), cpuTicks(natsPids), process.cpuUsage()] as const;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const start = performance.now();
    await sleep(s.seconds * 1000);
    loop.disable();
    const seconds = (performance.now() - start) / 1000;
    const relayCpu = cpuTicks(relayPids) - cpuBefore[0];
    const natsCpu = cpuTicks(natsPids) - cpuBefore[1];
    const clientCpu = process.cpuUsage(cpuBefore[2]);
    const varzAfter = await natsVarz(nats);
    const dropsAfter = await relayDrops(relays);
    const relayRss = relayPids.reduce((sum, pid) => sum + rssBytes(pid), 0);

    let scheduled = 0;
    for (const sim of sims.slice(0, s.publishers)) {
      const layers = selective ? DEFAULT_LAYERS : [DEFAULT_LAYERS[1]!];
      scheduled += 1000 / 20 + sim.stats.demanded.reduce((sum, l) => sum + (layers[l]?.fps ?? 0), 0);
    }
    let sent = 0;
    let delivered = 0;
    let bytes = 0;
    let lost = 0;
    const latencies: number[] = [];
    for (const sim of sims) {
      sent += sim.stats.framesOut;
      delivered += sim.stats.framesIn;
      bytes += sim.stats.bytesIn;
      lost += sim.stats.videoLost;
      latencies.push(...sim.stats.latencyMs);
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number): number => latencies[Math.max(0, Math.ceil(p * latencies.length) - 1)] ?? NaN;
    const drops: Record<string, number> = {};
    for (const [reason, n] of Object.entries(dropsAfter)) {
      const d = n - (dropsBefore[reason] ?? 0);
      if (d > 0) drops[reason] = d;
    }
    const core = (ticks: number): number => (ticks / TICKS_PER_SECOND / seconds) * 100;
    return {
      mode,
      participants: s.participants,
      publishers: s.publishers,
      seconds,
      joinSeconds,
      sentPerSecond: sent / seconds,
      scheduledPerSecond: scheduled,
      deliveredPerSecond: delivered / seconds,
      deliveredMBps: bytes / seconds / 1e6,
      perReceiverPerSecond: delivered / seconds / s.participants,
      latencyP50Ms: pct(0.5),
      latencyP99Ms: pct(0.99),
      videoLost: lost,
      relayDrops: drops,
      relayCpuPercent: core(relayCpu),
      relayCpuPerParticipant: core(relayCpu) / s.participants,
      relayMicrosPerDelivered: ((relayCpu / TICKS_PER_SECOND) * 1e6) / Math.max(1, delivered),
      relayCpuAtScheduledPercent: (core(relayCpu) * scheduled) / Math.max(1, sent / seconds),
      relayRssMiB: relayRss / 2 ** 20,
      relayKiBPerParticipant: (relayRss - idleRss) / 1024 / s.participants,
      natsMsgsInPerSecond: (varzAfter.inMsgs - varzBefore.inMsgs) / seconds,
      natsMsgsOutPerSecond: (varzAfter.outMsgs - varzBefore.outMsgs) / seconds,
      natsCpuPercent: core(natsCpu),
      clientsCpuPercent: ((clientCpu.user + clientCpu.system) / 1e6 / seconds) * 100,
      clientsLoopDelayP99Ms: loop.percentile(99) / 1e6,
    };
  } finally {
    for (const sim of sims) sim.close();
    await sleep(200);
  }
}

export function describeLargeRoom(r: LargeRoomResult): string {
  const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
  const loss = Object.entries(r.relayDrops)
    .map(([reason, n]) => `${reason} ${n}${BY_DESIGN.has(reason) ? ' (by design)' : ''}`)
    .join(', ');
  return (
    `${r.mode.padEnd(9)} ${r.participants} participants (${r.publishers} publishing), joined in ${f(r.joinSeconds)} s: ` +
    `sent ${f(r.sentPerSecond, 0)} frames/s (of ${f(r.scheduledPerSecond, 0)} scheduled), delivered ${f(r.deliveredPerSecond, 0)} frames/s ` +
    `(${f(r.perReceiverPerSecond)} per receiver, ${f(r.deliveredMBps)} MB/s), p50 ${f(r.latencyP50Ms, 2)} ms, ` +
    `p99 ${f(r.latencyP99Ms, 2)} ms, video lost at probes ${r.videoLost}, relay drops: ${loss || 'none'}; ` +
    `relays CPU ${f(r.relayCpuPercent)} % (${f(r.relayCpuPerParticipant, 3)} % per participant, ` +
    `${f(r.relayMicrosPerDelivered, 2)} µs per delivered frame; ${f(r.relayCpuAtScheduledPercent, 0)} % at the scheduled load), ` +
    `RSS ${f(r.relayRssMiB)} MiB (${f(r.relayKiBPerParticipant)} KiB per participant); ` +
    `NATS (3 servers, routes included) ${f(r.natsMsgsInPerSecond, 0)} msgs/s in, ${f(r.natsMsgsOutPerSecond, 0)} out, CPU ${f(r.natsCpuPercent)} %; ` +
    `clients CPU ${f(r.clientsCpuPercent)} %, event loop delay p99 ${f(r.clientsLoopDelayP99Ms)} ms`
  );
}

function describeRatio(sel: LargeRoomResult, all: LargeRoomResult): string {
  const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-');
  return (
    `selective / broadcast: frames per receiver ×${f(sel.perReceiverPerSecond / all.perReceiverPerSecond)}, ` +
    `relay CPU per participant ×${f(sel.relayCpuPerParticipant / all.relayCpuPerParticipant)}, ` +
    `NATS msgs out per participant ×${f(sel.natsMsgsOutPerSecond / sel.participants / (all.natsMsgsOutPerSecond / all.participants))}`
  );
}

/** Linux clock ticks per second (`getconf CLK_TCK`), 100 on every common kernel. */
const TICKS_PER_SECOND = 100;

function cpuTicks(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      // not Linux, or gone
    }
  }
  return total;
}

function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The relays' `videocall_dropped_messages_total` by reason, summed. */
async function relayDrops(relays: RelayProcess[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const relay of relays) {
    const text = await (await fetch(`${relay.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    for (const m of text.matchAll(/^videocall_dropped_messages_total\{reason="([^"]+)"\} (\d+)/gm)) {
      out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
    }
  }
  return out;
}

/** Messages in and out of every NATS server together (`/varz`). */
async function natsVarz(nats: NatsCluster): Promise<{ inMsgs: number; outMsgs: number }> {
  let inMsgs = 0;
  let outMsgs = 0;
  for (const server of nats.servers) {
    const varz = (await (
      await fetch(`http://127.0.0.1:${server.httpPort}/varz`, { signal: AbortSignal.timeout(5000) })
    ).json()) as { in_msgs: number; out_msgs: number };
    inMsgs += varz.in_msgs;
    outMsgs += varz.out_msgs;
  }
  return { inMsgs, outMsgs };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function argument(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runLargeRoomBench({
    participants: argument('--participants'),
    publishers: argument('--publishers'),
    seconds: argument('--seconds'),
    baselineParticipants: argument('--baseline-participants'),
    probes: argument('--probes'),
  });
  process.exit(0);
}
