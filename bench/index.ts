/**
 * `npm run bench`: runs every benchmark, or the ones named
 * (`npm run bench -- relay join`), printing figures as they come; stores the raw
 * results in bench/results/latest.json and renders BENCHMARKS.md and the charts
 * in bench/results/ from it, so a partial run updates only its own sections.
 *
 * Options: `--list` (names), `--no-build` (use dist/ as it is), `--quiet-wait <s>`
 * (wait at most this long before each benchmark for other work on the machine
 * to calm down; default 20), `--report-only` (re-render from latest.json).
 *
 * Benchmarks print; they never fail the test suite, and this command exits 0
 * unless it was called wrongly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { BUNDLE_PATH, describeBundleSize, describeComposition, runBundleSize } from './bundle-size.js';
import { describeBusyCallRow, runBusyCallSection } from './busy-call.js';
import { describeCapacity, describeCapacityStep, runClientCapacity } from './client-capacity.js';
import { describeGlassToGlass } from './glass-to-glass.js';
import { runLatencyMatrix } from './latency-matrix.js';
import { describeJoinTime, runJoinTime } from './join-time.js';
import { describeReplayRow, runJitterReplay } from './jitter-buffer-replay.js';
import { describeTransportLatency, describeTransportRow, runTransportLatency } from './transport-latency.js';
import { codeVersion, loadAverage, machineInfo, waitForQuiet, type MachineInfo } from './machine.js';
import { describeFanout, fanoutWarnings, medians, runRelayFanout } from './relay-fanout.js';
import { describeIdleMemory, runIdleMemory } from './idle-memory.js';
import { describeSimulcastRow, runSimulcastEncode, simulcastVerdict } from './simulcast-encode.js';
import { runListenerCost } from './listener-cost.js';
import { describePlainCallCode, runPlainCallCode } from './plain-call-code.js';
import { renderReport, type BenchRecord, type RelayRecordResult, type StoredResults } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const LATEST = `${RESULTS_DIR}latest.json`;
const REPORT = `${ROOT}BENCHMARKS.md`;

/** A benchmark that chose not to run, and why (shown in its section). */
class Skip {
  constructor(readonly reason: string) {}
}

interface Benchmark {
  name: string;
  title: string;
  /** How to run it alone. */
  standalone: string;
  /** Needs dist/videocall-room.js. */
  needsBundle: boolean;
  /** Longest it may take before it is abandoned and reported as failed. */
  timeoutSeconds: number;
  run(): Promise<unknown>;
}

/**
 * An optional benchmark another issue adds in its own file: imported only if
 * the file exists, so this registry runs with or without it.
 */
function optional(file: string, exportName: string, call: (fn: (...args: unknown[]) => unknown) => unknown) {
  return async (): Promise<unknown> => {
    const url = new URL(`./${file}`, import.meta.url);
    if (!existsSync(url)) return new Skip(`bench/${file} is not in this tree yet`);
    const module = (await import(url.href)) as Record<string, unknown>;
    const fn = module[exportName];
    if (typeof fn !== 'function') return new Skip(`bench/${file} does not export ${exportName}()`);
    const result = await call(fn as (...args: unknown[]) => unknown);
    console.log(inspect(result, { depth: 3, colors: false, breakLength: 160, compact: 3 }));
    return result;
  };
}

const BENCHMARKS: Benchmark[] = [
  {
    name: 'relay',
    title: 'Relay fan-out',
    standalone: 'npx tsx bench/relay-fanout.ts',
    needsBundle: false,
    timeoutSeconds: 420,
    async run() {
      const durationSeconds = 5;
      const rounds = 3;
      const raw = await runRelayFanout({
        durationSeconds,
        rounds,
        onResult: (r) => console.log(`  ${describeFanout(r)}`),
        onRetry: (r) =>
          console.log(
            `  ${describeFanout(r)}\n    other processes used ${r.othersCpuPercent.toFixed(0)} % of a core: running it again`,
          ),
      });
      const results = medians(raw);
      console.log('  medians:');
      for (const r of results) console.log(`  ${describeFanout(r)}`);
      const warnings = fanoutWarnings(results);
      for (const w of warnings) console.warn(`  WARNING: ${w}`);
      return { results, raw, durationSeconds, rounds, warnings } satisfies RelayRecordResult;
    },
  },
  {
    name: 'idle-memory',
    title: 'Relay memory per idle participant',
    standalone: 'npx tsx bench/idle-memory.ts',
    needsBundle: false,
    timeoutSeconds: 600,
    async run() {
      return runIdleMemory({ onResult: (r) => console.log(`  ${describeIdleMemory(r)}`) });
    },
  },
  {
    name: 'latency',
    title: 'Glass-to-glass latency: both transports, 360p and 720p, with and without E2EE',
    standalone: 'npx tsx bench/latency-matrix.ts',
    needsBundle: true,
    timeoutSeconds: 900,
    async run() {
      const result = await runLatencyMatrix({ onRow: (row) => console.log(`  ${describeGlassToGlass(row)}`) });
      for (const failure of result.failures) console.warn(`  FAILED ${failure}`);
      return result;
    },
  },
  {
    name: 'jitter',
    title: 'Audio jitter buffer: target policies replayed on recorded calls',
    standalone: 'npx tsx bench/jitter-buffer-replay.ts',
    needsBundle: false,
    timeoutSeconds: 120,
    async run() {
      const rows = runJitterReplay();
      for (const row of rows) console.log(`  ${describeReplayRow(row)}`);
      return rows;
    },
  },
  {
    name: 'transport',
    title: 'Glass-to-glass latency: WebTransport vs WebSocket, clean and with 2% loss',
    standalone: 'npx tsx bench/transport-latency.ts',
    needsBundle: true,
    timeoutSeconds: 900,
    async run() {
      const result = await runTransportLatency({ onRow: (r) => console.log(`  ${describeTransportRow(r)}`) });
      console.log(`  ${describeTransportLatency(result)}`);
      return result;
    },
  },
  {
    name: 'join',
    title: 'Join time',
    standalone: 'npx tsx bench/join-time.ts',
    needsBundle: true,
    timeoutSeconds: 240,
    async run() {
      const result = await runJoinTime();
      console.log(`  ${describeJoinTime(result)}`);
      return result;
    },
  },
  {
    name: 'busy-call',
    title: "Two people on this machine: a two-page call at the element's defaults",
    standalone: 'npx tsx bench/busy-call.ts',
    needsBundle: true,
    timeoutSeconds: 600,
    async run() {
      return runBusyCallSection((row) => console.log(`  ${describeBusyCallRow(row)}`));
    },
  },
  {
    name: 'capacity',
    title: 'Client capacity',
    standalone: 'npx tsx bench/client-capacity.ts',
    needsBundle: true,
    timeoutSeconds: 900,
    async run() {
      // The baseline first (every tile 360p, as before simulcast), then simulcast, in the same run.
      const baseline = await runClientCapacity({
        simulcast: false,
        onStep: (s) => console.log(describeCapacityStep(s)),
      });
      console.log(`  ${describeCapacity(baseline)}`);
      const result = await runClientCapacity({ onStep: (s) => console.log(describeCapacityStep(s)) });
      console.log(`  ${describeCapacity(result)}`);
      const ratio = baseline.capacity > 0 ? result.capacity / baseline.capacity : NaN;
      console.log(`  simulcast / single-layer capacity: ×${ratio.toFixed(2)}`);
      // The same page on WebSocket (the default, `auto`, ends on WebTransport here): what the transport costs.
      const websocket = await runClientCapacity({
        transport: 'websocket',
        steps: [16, 20, 24, 25, 28, 32, 40, 48],
        onStep: (s) => console.log(`  websocket ${describeCapacityStep(s)}`),
      });
      console.log(`  over WebSocket: ${describeCapacity(websocket)}`);
      return { ...result, baseline, ratio, websocket };
    },
  },
  {
    name: 'simulcast',
    title: 'Simulcast encode cost',
    standalone: 'npx tsx bench/simulcast-encode.ts',
    needsBundle: false,
    timeoutSeconds: 600,
    async run() {
      const rows = await runSimulcastEncode({ onRow: (r, all) => console.log(describeSimulcastRow(r, all)) });
      const choice = simulcastVerdict(rows);
      for (const line of choice) console.log(`  choice: ${line}`);
      return { rows, choice };
    },
  },
  {
    name: 'bundle',
    title: 'Bundle size',
    standalone: 'npm run build && npx tsx bench/bundle-size.ts [--modules N]',
    needsBundle: true,
    timeoutSeconds: 30,
    async run() {
      const result = runBundleSize();
      console.log(`  ${describeBundleSize(result)}`);
      console.log(describeComposition(result));
      return result;
    },
  },
  {
    name: 'plain-call-code',
    title: 'Code a plain call runs',
    standalone: 'npm run build && npx tsx bench/plain-call-code.ts [--modules N]',
    needsBundle: true,
    timeoutSeconds: 120,
    async run() {
      const result = await runPlainCallCode();
      console.log(describePlainCallCode(result));
      return result;
    },
  },
  {
    name: 'e2ee',
    title: 'End-to-end encryption cost per frame',
    standalone: 'npx tsx bench/e2ee.ts',
    needsBundle: false,
    timeoutSeconds: 240,
    run: optional('e2ee.ts', 'runE2eeBench', (fn) => fn()),
  },
  {
    name: 'nats',
    title: 'NATS cluster throughput',
    standalone: 'npx tsx bench/nats-cluster.ts',
    needsBundle: false,
    timeoutSeconds: 300,
    run: optional('nats-cluster.ts', 'runNatsClusterBench', (fn) => fn({})),
  },
  {
    name: 'large-room',
    title: 'Large room: 3 relays on 3-node NATS, simulcast and subscriptions vs broadcast-everything',
    standalone: 'npx tsx bench/large-room.ts',
    needsBundle: false,
    timeoutSeconds: 600,
    run: optional('large-room.ts', 'runLargeRoomBench', (fn) => fn({})),
  },
  {
    name: 'cli-stream',
    title: 'videocall-cli stream: CPU per source',
    standalone: 'npm run build && npx tsx bench/cli-stream-cpu.ts',
    needsBundle: true,
    timeoutSeconds: 400,
    run: optional('cli-stream-cpu.ts', 'runCliStreamCpu', (fn) => fn({})),
  },
  {
    name: 'listener',
    title: 'What hearing others costs the listening page',
    standalone: 'npm run build && npx tsx bench/listener-cost.ts',
    needsBundle: true,
    timeoutSeconds: 300,
    run: () => runListenerCost(),
  },
  {
    name: 'flood',
    title: 'Call latency under a flood from one address',
    standalone: 'npx tsx bench/flood-latency.ts',
    needsBundle: false,
    timeoutSeconds: 180,
    run: optional('flood-latency.ts', 'runFloodLatency', (fn) => fn({})),
  },
];

function readStored(): StoredResults {
  try {
    const stored = JSON.parse(readFileSync(LATEST, 'utf8')) as StoredResults;
    if (stored.version === 1 && stored.benchmarks) return stored;
  } catch {
    // none yet, or unreadable: start over
  }
  return { version: 1, benchmarks: {} };
}

function writeReport(stored: StoredResults): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(LATEST, JSON.stringify(stored, null, 2) + '\n');
  const { markdown, charts } = renderReport(stored, BENCHMARKS);
  writeFileSync(REPORT, markdown);
  for (const [name, svg] of Object.entries(charts)) writeFileSync(`${RESULTS_DIR}${name}`, svg);
}

/** `npm run build`, once, for the benchmarks that load the bundle. False when it failed. */
function build(): boolean {
  console.log('building the bundle (npm run build)…');
  const started = performance.now();
  const run = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (run.status === 0) {
    console.log(`  built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    return true;
  }
  console.error(
    `  the build failed (exit ${run.status}):\n${(run.stderr || run.stdout).split('\n').slice(-15).join('\n')}`,
  );
  return false;
}

function withTimeout<T>(promise: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const wanted = [...args];
  if (args.includes('--list')) {
    for (const b of BENCHMARKS) console.log(`${b.name.padEnd(9)} ${b.title}  (alone: ${b.standalone})`);
    return;
  }
  if (args.includes('--report-only')) {
    writeReport(readStored());
    console.log('rewrote BENCHMARKS.md and bench/results/*.svg from bench/results/latest.json');
    return;
  }
  const noBuild = args.includes('--no-build');
  const quietWait = Number(option(wanted, '--quiet-wait') ?? 20);
  const names = wanted.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length) {
    console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const selected = names.length ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS;
  const command =
    process.env.npm_lifecycle_event === 'bench'
      ? `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`
      : `npx tsx bench/index.ts${args.length ? ` ${args.join(' ')}` : ''}`;

  const machine: MachineInfo = await machineInfo();
  console.log(
    `${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, ${machine.chromium}; ` +
      `load average ${loadAverage().join(' ')}`,
  );
  let bundleNote = '';
  if (selected.some((b) => b.needsBundle) && !noBuild && !build()) {
    bundleNote = existsSync(BUNDLE_PATH) ? ' (the build failed: this used the dist/ already there)' : '';
  }

  const stored = readStored();
  const started = performance.now();
  for (const bench of selected) {
    console.log(`\n▶ ${bench.name}: ${bench.title}`);
    const load = await waitForQuiet(quietWait);
    console.log(`  load average ${load.loadAverage.join(' ')}, machine ${load.busyPercent.toFixed(0)} % busy`);
    const record: BenchRecord = {
      name: bench.name,
      title: bench.title,
      date: new Date().toISOString(),
      command,
      standalone: bench.standalone,
      machine,
      code: codeVersion(ROOT),
      load,
      loadAfter: load.loadAverage,
      seconds: 0,
    };
    const t0 = performance.now();
    try {
      if (bench.needsBundle && !existsSync(BUNDLE_PATH))
        throw new Error('dist/videocall-room.js is missing: run npm run build');
      const result = await withTimeout(bench.run(), bench.timeoutSeconds);
      if (result instanceof Skip) {
        record.skipped = result.reason;
        console.log(`  skipped: ${result.reason}`);
      } else record.result = result;
      if (bundleNote && bench.needsBundle) record.command += bundleNote;
    } catch (error) {
      record.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`  ${bench.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    record.seconds = (performance.now() - t0) / 1000;
    record.loadAfter = loadAverage();
    // A benchmark that has never run, or that was only skipped, does not replace a real earlier result.
    if (!record.skipped || !stored.benchmarks[bench.name]?.result) stored.benchmarks[bench.name] = record;
    writeReport(stored); // after each one, so an interrupted run keeps what it measured
  }
  console.log(
    `\ndone in ${((performance.now() - started) / 1000).toFixed(0)} s: BENCHMARKS.md, bench/results/latest.json, bench/results/*.svg`,
  );
}

const entry = process.argv[1] ? pathToFileURL(process.argv[1]).href : '';
if (entry === import.meta.url) {
  await main().catch((error: unknown) => {
    // Benchmarks print; a crash here is reported, never a failed build.
    console.error(error);
  });
  // Playwright, sockets or timers a failed benchmark left behind must not keep the process alive.
  process.exit(process.exitCode ?? 0);
}
