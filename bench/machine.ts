/**
 * What a figure depends on besides our code: the machine (cores, CPU, memory,
 * Node and Chromium versions) and how busy it was — the load average and the
 * share of CPU time in use, read from /proc/stat — so each figure can be printed
 * next to the load it was measured under.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { chromiumVersion } from './chromium.js';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  chromium: string;
  os: string;
}

export async function machineInfo(): Promise<MachineInfo> {
  const list = cpus();
  let os = `${process.platform} ${process.arch}`;
  try {
    const release = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m);
    if (release) os = `${release[1]}, ${process.arch}`;
  } catch {
    // not Linux: platform and arch will do
  }
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    chromium: await chromiumVersion(),
    os,
  };
}

/**
 * The code measured: the commit, and how many files differ from it (the tree is
 * shared with other work in progress), e.g. `ac007eb + 3 uncommitted files (1 outside bench/)`.
 */
export function codeVersion(cwd: string): string {
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, { cwd, encoding: 'utf8', timeout: 10_000 }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const changed = git('status', '--porcelain', '--untracked-files=all')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3));
    // The benchmarks' own files and outputs say nothing about the product measured.
    const product = changed.filter((path) => !path.startsWith('bench/') && path !== 'BENCHMARKS.md');
    if (changed.length === 0) return commit;
    return `${commit} + ${changed.length} uncommitted files (${product.length} outside bench/)`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** The load averages (1, 5, 15 minutes), rounded to hundredths. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = loadavg().map((n) => Math.round(n * 100) / 100);
  return [a!, b!, c!];
}

/** Busy and total jiffies of all CPUs, from the first line of /proc/stat. */
function cpuTimes(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Starts measuring; `stop()` returns the share of all CPU time that was busy meanwhile, in %. */
export function machineBusy(): { stop(): number } {
  const start = cpuTimes();
  return {
    stop() {
      const end = cpuTimes();
      if (!start || !end || end.total === start.total) return NaN;
      return ((end.busy - start.busy) / (end.total - start.total)) * 100;
    },
  };
}

/** Busy % of the whole machine over the next `ms`. */
export async function sampleBusy(ms = 2000): Promise<number> {
  const busy = machineBusy();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return busy.stop();
}

/** What the machine was doing just before a benchmark started. */
export interface LoadSnapshot {
  /** 1, 5 and 15 minute load averages. */
  loadAverage: [number, number, number];
  /** Share of all CPU time busy over the 2 s before the start, %: other work on the machine. */
  busyPercent: number;
  /** Seconds spent waiting for the machine to quieten down first. */
  waitedSeconds: number;
}

/**
 * Waits (at most `maxWaitSeconds`) until the machine is quiet — under `busyBelow` %
 * CPU over 2 s — and reports the load it starts under. Our own previous benchmark
 * keeps the 1-minute load average up for a while, so quiet is judged by current
 * CPU use, and the load average is recorded as it is.
 */
export async function waitForQuiet(maxWaitSeconds: number, busyBelow = 35): Promise<LoadSnapshot> {
  const started = performance.now();
  let busy = await sampleBusy();
  let told = false;
  while (busy >= busyBelow && (performance.now() - started) / 1000 < maxWaitSeconds) {
    if (!told) {
      console.log(
        `  machine ${busy.toFixed(0)} % busy (load ${loadAverage().join(' ')}): waiting up to ${maxWaitSeconds} s for it to quieten`,
      );
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    busy = await sampleBusy();
  }
  return {
    loadAverage: loadAverage(),
    busyPercent: Math.round(busy * 10) / 10,
    waitedSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

/** Clock ticks per second of /proc times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) used so far by every live descendant of this
 * process — for the browser benchmarks, Chromium's browser, GPU, renderer and
 * utility processes. 0 where /proc is missing.
 */
export function descendantsCpuSeconds(): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
      ticks.set(Number(name), Number(fields[11]) + Number(fields[12]));
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        total += t;
        break;
      }
    }
  }
  return total / TICKS_PER_SECOND;
}

/** CPU use over a window, in % of one core: the whole machine, this process tree, and everything else. */
export interface CpuShare {
  machine: number;
  ours: number;
  /** Other processes on the machine (other engineers' tests): what disturbs a measurement. */
  others: number;
}

/**
 * Starts measuring CPU use; `stop()` splits the machine's busy time over the
 * window between this process with its descendants (servers, Chromium) and
 * every other process.
 */
export function cpuShare(): { stop(): CpuShare } {
  const machine = machineBusy();
  const own = process.cpuUsage();
  const children = descendantsCpuSeconds();
  const started = performance.now();
  return {
    stop() {
      const seconds = (performance.now() - started) / 1000;
      const self = process.cpuUsage(own);
      const ours = ((self.user + self.system) / 1e6 + descendantsCpuSeconds() - children) / seconds;
      const all = (machine.stop() / 100) * cpus().length;
      const round = (n: number): number => Math.round(n * 1000) / 10;
      return { machine: round(all), ours: round(ours), others: round(Math.max(0, all - ours)) };
    },
  };
}
