/**
 * How many `videocall-cli bots` one Node process runs before it falls behind.
 * A relay runs in its own process (test/nats/relay-process.ts, limits raised for load);
 * this process runs fleets of growing size in one room, every bot publishing
 * (3 layers as demanded, microphone) and subscribing like a page of 9 tiles plus
 * the active speaker, and measures over a window after all joined:
 * - microphone packets sent / expected (50 per bot per second, whatever anyone
 *   watches): below 0.9 the bots' timers no longer keep real time (setInterval at 20 ms
 *   drifts a few per cent even on an idle machine);
 * - the event loop's delay (p50, p99): what every timer of every bot waits;
 * - this process's CPU, and its CPU per bot as a ratio to the smallest fleet's
 *   (the baseline, measured in the same run).
 *
 *     npx tsx bench/cli-bots-capacity.ts [--counts 5,10,20,40,80] [--seconds 8]
 *
 * The machine is shared with other work: figures are marked with its load.
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BotFleet, type FleetTotals } from '../cli/bots/bot-fleet.js';
import { startRelayProcess } from '../test/nats/helpers.js';

const AUDIO_PER_SECOND = 50;
/** Behind: fewer microphone packets than this share of real time, or timers this late. */
const KEEPS_UP_RATIO = 0.9;
const KEEPS_UP_P99_MS = 100;

export interface CapacityRow {
  bots: number;
  audioRatio: number;
  videoPerSecond: number;
  receivedPerSecond: number;
  loopP50Ms: number;
  loopP99Ms: number;
  cpuPercent: number;
  cpuPerBotRatio: number;
  keepsUp: boolean;
  load1: number;
}

async function measure(url: string, bots: number, seconds: number, room: string) {
  const fleet = new BotFleet({ url, room, count: bots, publish: bots });
  await fleet.start();
  if (fleet.joinFailures.length) throw new Error(`${fleet.joinFailures.length} bots could not join`);
  await new Promise((r) => setTimeout(r, 2000)); // subscriptions and demand settle
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const before: FleetTotals = fleet.totals();
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  loop.enable();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  loop.disable();
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const after = fleet.totals();
  await fleet.stop();
  return {
    audioRatio: (after.audioOut - before.audioOut) / (bots * AUDIO_PER_SECOND * elapsed),
    videoPerSecond: (after.videoOut - before.videoOut) / elapsed,
    receivedPerSecond: (after.framesIn - before.framesIn) / elapsed,
    loopP50Ms: loop.percentile(50) / 1e6,
    loopP99Ms: loop.percentile(99) / 1e6,
    cpuPercent: ((cpu.user + cpu.system) / 1e6 / elapsed) * 100,
  };
}

/** Runs each fleet size in turn; stops growing once a size falls behind. */
export async function runBotsCapacity(counts: number[], seconds: number): Promise<CapacityRow[]> {
  // The relay in a process of its own (the one the cluster tests use), limits raised for load.
  const relay = await startRelayProcess({
    maxConnectionsPerAddress: 100_000,
    joinsPerAddressPerMinute: 100_000,
    maxRoomSize: 10_000,
  });
  const rows: CapacityRow[] = [];
  try {
    let baselineCpuPerBot = 0;
    for (const bots of counts) {
      const m = await measure(relay.wsUrl, bots, seconds, `capacity-${bots}`);
      const cpuPerBot = m.cpuPercent / bots;
      if (!baselineCpuPerBot) baselineCpuPerBot = cpuPerBot;
      const row: CapacityRow = {
        bots,
        ...m,
        cpuPerBotRatio: cpuPerBot / baselineCpuPerBot,
        keepsUp: m.audioRatio >= KEEPS_UP_RATIO && m.loopP99Ms <= KEEPS_UP_P99_MS,
        load1: loadavg()[0]!,
      };
      rows.push(row);
      console.log(
        `${String(bots).padStart(4)} bots: mic packets ${(m.audioRatio * 100).toFixed(1)}% of real time, ` +
          `video ${Math.round(m.videoPerSecond)} fr/s sent, ${Math.round(m.receivedPerSecond)} fr/s received, ` +
          `loop delay p50 ${m.loopP50Ms.toFixed(1)} ms p99 ${m.loopP99Ms.toFixed(1)} ms, CPU ${m.cpuPercent.toFixed(0)}% ` +
          `(${row.cpuPerBotRatio.toFixed(2)}× the ${counts[0]}-bot fleet's per bot) ` +
          `${row.keepsUp ? 'keeps up' : 'FALLS BEHIND'} [disturbed: load ${row.load1.toFixed(1)} on ${cpus().length} shared cores]`,
      );
      if (!row.keepsUp) break;
    }
  } finally {
    await relay.stop();
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { counts: { type: 'string', default: '5,10,20,40,80,160' }, seconds: { type: 'string', default: '8' } },
  });
  const counts = values.counts!.split(',').map(Number);
  const rows = await runBotsCapacity(counts, Number(values.seconds));
  const last = rows.filter((r) => r.keepsUp).at(-1);
  console.log(
    last
      ? `one process keeps ${last.bots} publishing bots at real time${rows.at(-1)!.keepsUp ? ' (the largest fleet tried)' : `; ${rows.at(-1)!.bots} fall behind`}`
      : `even ${rows[0]?.bots} bots fall behind here`,
  );
}
