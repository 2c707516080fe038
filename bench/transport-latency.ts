/**
 * Glass-to-glass latency on WebTransport against WebSocket, on loopback, clean
 * and with random packet loss: bench/glass-to-glass.ts run with each
 * `transport`, each measurement in its own process (relay and Chromium).
 *
 * Networks: the host's loopback (64 KiB MTU), then a network namespace whose
 * loopback has a 1500-byte MTU, without loss and then with it, so that loss is the
 * only difference between the last two. Loss: that namespace's loopback drops
 * `--loss` % of packets at random, every packet, both directions, both hops
 * (sender → relay → receiver): an iptables `statistic` rule on input (this VM's
 * kernel has no sch_netem; Debian: `apt-get install iptables ethtool`), else
 * `tc qdisc … netem loss`. The loopback gets a 1500-byte MTU and no offloads.
 * The whole measuring process runs under `ip netns exec`, so the relay and
 * Chromium both live in the namespace. Without root, `ip`, or either way to
 * drop packets, the lossy rows are skipped and say why.
 *
 *     npx tsx bench/transport-latency.ts [--frames 300] [--loss 2] [--rounds 2]
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { percentile } from './chromium.js';
import { describeGlassToGlass, runGlassToGlass, type GlassToGlassResult } from './glass-to-glass.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const TSX = `${ROOT}node_modules/.bin/tsx`;
const RESULT_MARK = 'TRANSPORT_LATENCY_RESULT ';

type TransportName = 'websocket' | 'webtransport';

export interface TransportLatencyOptions {
  /** Pictures per measurement. Default 300 (10 s at 30 fps). */
  frames?: number;
  /** Random packet loss for the lossy rows, %. Default 2. */
  lossPercent?: number;
  /** Measurements per transport and network, pooled. Default 2. */
  rounds?: number;
  /** Printed as each row comes in. */
  onRow?: (row: TransportLatencyRow) => void;
}

/** One measurement: glass-to-glass on one transport, on one network. */
export interface TransportLatencyRow {
  network: string;
  transport: TransportName;
  /** What the sender's page actually used (a mismatch means the run is not what it says). */
  used?: string;
  codec?: string;
  p50Ms?: number;
  p95Ms?: number;
  minMs?: number;
  maxMs?: number;
  pictures?: number;
  receivedFps?: number;
  /** Each round's own p50, to show how much rounds differ. */
  roundP50Ms?: number[];
  skipped?: string;
  error?: string;
}

export interface TransportLatencyResult {
  frames: number;
  lossPercent: number;
  /** Per network namespace: how it was made (MTU, loss rule, packets dropped), or why its rows were skipped. */
  lossMethod: string;
  rows: TransportLatencyRow[];
  /** WebTransport ÷ WebSocket, per network, from this run. */
  ratios: Array<{ network: string; p50: number; p95: number; max: number }>;
  /** The section for BENCHMARKS.md. */
  markdown: string;
}

/** A network namespace whose loopback drops packets at random. */
interface LossyNamespace {
  name: string;
  method: string;
  /** Packets the loss rule saw and dropped so far (iptables only). */
  counters(): { packets: number; dropped: number } | undefined;
  close(): void;
}

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 15_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.trim();
  return { ok: result.status === 0, output };
}

/**
 * Makes the lossy namespace, or returns why it can't. Its loopback gets a
 * 1500-byte MTU and no segmentation offloads, so TCP and QUIC both put
 * wire-sized packets on it (a 64 KiB loopback segment would otherwise meet the
 * dice once for what a real path carries in 45 packets).
 */
function lossyNamespace(lossPercent: number): LossyNamespace | string {
  if (process.getuid?.() !== 0) return 'needs root (ip netns)';
  const name = `vcbench${process.pid}-${lossPercent}`;
  const added = run('ip', ['netns', 'add', name]);
  if (!added.ok) return `ip netns add failed: ${added.output || 'no ip command?'}`;
  const close = () => void run('ip', ['netns', 'del', name]);
  const inNs = (...args: string[]) => run('ip', ['netns', 'exec', name, ...args]);
  if (!inNs('ip', 'link', 'set', 'lo', 'mtu', '1500', 'up').ok) {
    close();
    return 'could not bring up loopback in the namespace';
  }
  const offloads = inNs('ethtool', '-K', 'lo', 'tso', 'off', 'gso', 'off', 'tx-udp-segmentation', 'off');
  const note = offloads.ok ? 'MTU 1500, offloads off' : `MTU 1500, offloads left on (ethtool: ${offloads.output})`;
  if (lossPercent === 0) return { name, method: note, counters: () => undefined, close };
  // Dropped on the way in, where the loopback has cut any leftover super-packet into wire-sized ones.
  const probability = String(lossPercent / 100);
  for (const iptables of ['iptables-legacy', 'iptables']) {
    const count = inNs(iptables, '-A', 'INPUT', '-i', 'lo');
    const rule =
      count.ok &&
      inNs(
        iptables,
        ...[
          '-A',
          'INPUT',
          '-i',
          'lo',
          '-m',
          'statistic',
          '--mode',
          'random',
          '--probability',
          probability,
          '-j',
          'DROP',
        ],
      ).ok;
    if (rule) {
      const counters = () => {
        const listed = inNs(iptables, '-L', 'INPUT', '-v', '-n', '-x');
        const numbers = listed.output
          .split('\n')
          .filter((l) => /^\s*\d+/.test(l))
          .map((l) => Number(l.trim().split(/\s+/)[0]));
        return numbers.length >= 2 ? { packets: numbers[0]!, dropped: numbers[1]! } : undefined;
      };
      return { name, method: `${iptables} statistic random ${lossPercent}% DROP on input; ${note}`, counters, close };
    }
  }
  const netem = inNs('tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'loss', `${lossPercent}%`);
  if (netem.ok) return { name, method: `tc netem loss ${lossPercent}%; ${note}`, counters: () => undefined, close };
  close();
  return `neither an iptables statistic rule nor tc netem (${netem.output}) works here`;
}

/** Runs one glass-to-glass measurement in a child process, in `namespace` when given. */
function measure(transport: TransportName, frames: number, namespace?: string): Promise<GlassToGlassResult> {
  const args = [SELF, '--child', transport, '--frames', String(frames)];
  const [command, argv] = namespace ? ['ip', ['netns', 'exec', namespace, TSX, ...args]] : [TSX, args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (line) resolve(JSON.parse(line.slice(RESULT_MARK.length)) as GlassToGlassResult);
      else
        reject(new Error(`measurement exited ${code}: ${(stderr || stdout).trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/** One row from a transport's rounds on one network: percentiles over every picture of every round. */
function row(network: string, transport: TransportName, runs: GlassToGlassResult[]): TransportLatencyRow {
  const samples = runs.flatMap((r) => r.samplesMs).sort((a, b) => a - b);
  const used = [...new Set(runs.map((r) => r.transport))].join('+');
  return {
    network,
    transport,
    used,
    codec: runs[0]!.codec,
    p50Ms: round(percentile(samples, 0.5)),
    p95Ms: round(percentile(samples, 0.95)),
    minMs: round(samples[0]!),
    maxMs: round(samples.at(-1)!),
    pictures: samples.length,
    receivedFps: round(runs.reduce((sum, r) => sum + r.receivedFps, 0) / runs.length),
    roundP50Ms: runs.map((r) => round(r.p50Ms)),
  };
}

const round = (n: number): number => Math.round(n * 10) / 10;

export async function runTransportLatency(options: TransportLatencyOptions = {}): Promise<TransportLatencyResult> {
  const frames = options.frames ?? 300;
  const lossPercent = options.lossPercent ?? 2;
  const rounds = options.rounds ?? 2;
  const rows: TransportLatencyRow[] = [];
  const add = (r: TransportLatencyRow) => {
    rows.push(r);
    options.onRow?.(r);
  };
  const pair = async (network: string, namespace?: string) => {
    // Each measurement in a fresh process; the order alternates per round so neither
    // transport always runs on the machine's busier or quieter moments.
    const results: Record<TransportName, GlassToGlassResult[]> = { websocket: [], webtransport: [] };
    const errors: Partial<Record<TransportName, string>> = {};
    for (let i = 0; i < rounds; i++) {
      const order: TransportName[] = i % 2 === 0 ? ['websocket', 'webtransport'] : ['webtransport', 'websocket'];
      for (const transport of order) {
        try {
          results[transport].push(await measure(transport, frames, namespace));
        } catch (error) {
          errors[transport] = error instanceof Error ? error.message : String(error);
        }
      }
    }
    for (const transport of ['websocket', 'webtransport'] as const) {
      if (results[transport].length) add(row(network, transport, results[transport]));
      else add({ network, transport, error: errors[transport] ?? 'no result' });
    }
  };

  await pair('loopback');
  // The same loopback cut to a 1500-byte MTU, without and with loss: the loss is then the only difference.
  const methods: string[] = [];
  for (const loss of [0, lossPercent]) {
    const network = loss === 0 ? 'loopback, MTU 1500' : `loopback, MTU 1500, ${loss}% loss`;
    const ns = lossyNamespace(loss);
    if (typeof ns === 'string') {
      methods.push(`${network}: skipped (${ns})`);
      console.log(`  ${network}: skipped: ${ns}`);
      for (const transport of ['websocket', 'webtransport'] as const) add({ network, transport, skipped: ns });
      continue;
    }
    try {
      await pair(network, ns.name);
      const seen = ns.counters();
      const dropped = seen?.packets
        ? `; dropped ${seen.dropped} of ${seen.packets} packets (${((100 * seen.dropped) / seen.packets).toFixed(2)} %)`
        : '';
      methods.push(`${network}: ${ns.method}${dropped}`);
    } finally {
      ns.close();
    }
  }
  const lossMethod = methods.join('; ');

  const ratios: TransportLatencyResult['ratios'] = [];
  for (const network of new Set(rows.map((r) => r.network))) {
    const ws = rows.find((r) => r.network === network && r.transport === 'websocket');
    const wt = rows.find((r) => r.network === network && r.transport === 'webtransport');
    if (ws?.p50Ms === undefined || wt?.p50Ms === undefined) continue;
    ratios.push({
      network,
      p50: round2(wt.p50Ms / ws.p50Ms),
      p95: round2(wt.p95Ms! / ws.p95Ms!),
      max: round2(wt.maxMs! / ws.maxMs!),
    });
  }
  return {
    frames,
    lossPercent,
    lossMethod,
    rows,
    ratios,
    markdown: markdown(frames, rounds, lossMethod, rows, ratios),
  };
}

function markdown(
  frames: number,
  rounds: number,
  lossMethod: string,
  rows: TransportLatencyRow[],
  ratios: TransportLatencyResult['ratios'],
): string {
  const ms = (n: number | undefined) => (n === undefined ? '' : n.toFixed(1));
  const lines = [
    `Glass-to-glass (bench/glass-to-glass.ts: 1280×720 synthetic camera), ${rounds} rounds of ${frames} pictures per row, pooled;`,
    'each round in a fresh process with its own relay and Chromium, sender and receiver on the same transport,',
    'the two transports alternating. The machine is shared: compare rounds before trusting a small difference.',
    `Networks: ${lossMethod}.`,
    '',
    '| network | transport | p50 ms | p95 ms | max ms | pictures | p50 of each round, ms | pictures/s seen | codec |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    if (r.skipped || r.error) {
      lines.push(
        `| ${r.network} | ${r.transport} | ${r.skipped ? `skipped: ${r.skipped}` : `failed: ${r.error}`} | | | | | | |`,
      );
      continue;
    }
    const used = r.used && r.used !== r.transport ? ` (used ${r.used})` : '';
    lines.push(
      `| ${r.network} | ${r.transport}${used} | ${ms(r.p50Ms)} | ${ms(r.p95Ms)} | ${ms(r.maxMs)} | ${r.pictures} | ${r.roundP50Ms?.join(', ')} | ${ms(r.receivedFps)} | ${r.codec} |`,
    );
  }
  if (ratios.length) {
    lines.push('', '| network | WT ÷ WS p50 | p95 | max |', '| --- | --- | --- | --- |');
    for (const r of ratios)
      lines.push(`| ${r.network} | ×${r.p50.toFixed(2)} | ×${r.p95.toFixed(2)} | ×${r.max.toFixed(2)} |`);
  }
  return lines.join('\n');
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

export function describeTransportRow(r: TransportLatencyRow): string {
  const head = `${r.network.padEnd(20)} ${r.transport.padEnd(12)}`;
  if (r.skipped) return `${head} skipped: ${r.skipped}`;
  if (r.error) return `${head} failed: ${r.error}`;
  const mismatch = r.used && r.used !== r.transport ? ` (USED ${r.used}!)` : '';
  return (
    `${head} p50 ${r.p50Ms!.toFixed(1)} ms, p95 ${r.p95Ms!.toFixed(1)} ms, max ${r.maxMs!.toFixed(1)} ms ` +
    `over ${r.pictures} pictures (round p50s ${r.roundP50Ms?.join(', ')}), ${r.receivedFps!.toFixed(1)} pictures/s, ${r.codec}${mismatch}`
  );
}

export function describeTransportLatency(result: TransportLatencyResult): string {
  const ratios = result.ratios.map(
    (r) => `${r.network}: WT/WS p50 ×${r.p50.toFixed(2)}, p95 ×${r.p95.toFixed(2)}, max ×${r.max.toFixed(2)}`,
  );
  return [`networks: ${result.lossMethod}`, ...ratios].join('\n  ');
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const frames = Number(argument('--frames') ?? 300);
  const child = argument('--child');
  if (child === 'websocket' || child === 'webtransport') {
    // One measurement, reported on stdout for the parent (possibly from inside a namespace).
    const result = await runGlassToGlass({ frames, transport: child });
    console.error(describeGlassToGlass(result));
    console.log(RESULT_MARK + JSON.stringify(result));
    process.exit(0);
  }
  const result = await runTransportLatency({
    frames,
    rounds: Number(argument('--rounds') ?? 2),
    lossPercent: Number(argument('--loss') ?? 2),
    onRow: (r) => console.log(describeTransportRow(r)),
  });
  console.log(describeTransportLatency(result));
  process.exit(0);
}
