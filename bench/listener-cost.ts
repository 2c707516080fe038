/**
 * `npm run bench -- listener`: what hearing others costs the listening page's
 * main thread. Two talkers (microphone only, Chromium's fake one: a beep every
 * second, and packets all the time) and one listener with no devices, each in
 * a Chromium of its own, in a room on a relay in this process. After the call
 * has run 4 s, the listener's main-thread time over 10 s is read with the
 * DevTools protocol (`Performance.getMetrics`: `ScriptDuration`, the page's
 * JavaScript; `TaskDuration`, everything its main thread ran). With the media
 * worker the voices are decoded and played off the page; what the page still
 * does is keep count of each packet.
 *
 * With `--baseline-dist <dir>` another build runs in alternation, and the
 * ratios compare the medians.
 *
 *     npx tsx bench/listener-cost.ts [--baseline-dist /tmp/before/dist] [--rounds 3]
 */
import { fileURLToPath } from 'node:url';
import { launchBenchChromium, startBenchSite, type BenchBrowser } from './chromium.js';

export interface ListenerCostOptions {
  baselineDist?: string;
  rounds?: number;
  talkers?: number;
  seconds?: number;
}

export interface ListenerCostRow {
  build: string;
  round: number;
  /** The listener page's JavaScript, ms per second. */
  scriptMsPerS: number;
  /** Everything the listener's main thread ran, ms per second. */
  taskMsPerS: number;
}

export interface ListenerCostResult {
  markdown: string;
  rows: ListenerCostRow[];
}

async function oneCall(distDir: string | undefined, talkers: number, seconds: number) {
  const site = await startBenchSite({}, distDir ? { distDir } : {});
  const browsers: BenchBrowser[] = [];
  try {
    const room = `listener-${Date.now().toString(36)}`;
    for (let i = 0; i < talkers; i++) {
      const browser = await launchBenchChromium();
      browsers.push(browser);
      await browser.newPage(`${site.url}/?room=${room}&name=Talker${i + 1}&camera=off`);
    }
    const listener = await launchBenchChromium();
    browsers.push(listener);
    const page = await listener.newPage(`${site.url}/?room=${room}&name=Listener&camera=off&mic=off`);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const cdp = await listener.context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const read = async (): Promise<Record<string, number>> =>
      Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    const before = await read();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const after = await read();
    const perSecond = (name: string) => ((after[name]! - before[name]!) * 1000) / seconds;
    return { scriptMsPerS: perSecond('ScriptDuration'), taskMsPerS: perSecond('TaskDuration') };
  } finally {
    for (const browser of browsers) await browser.close();
    await site.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function runListenerCost(options: ListenerCostOptions = {}): Promise<ListenerCostResult> {
  const rounds = options.rounds ?? 3;
  const talkers = options.talkers ?? 2;
  const seconds = options.seconds ?? 10;
  const builds: { name: string; dist?: string }[] = [
    ...(options.baselineDist ? [{ name: 'baseline', dist: options.baselineDist }] : []),
    { name: 'this build' },
  ];
  const rows: ListenerCostRow[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const build of builds) {
      const cost = await oneCall(build.dist, talkers, seconds);
      const row = { build: build.name, round, ...cost };
      rows.push(row);
      console.log(
        `${build.name}, round ${round}: script ${cost.scriptMsPerS.toFixed(1)} ms/s, main thread ${cost.taskMsPerS.toFixed(1)} ms/s`,
      );
    }
  }
  const lines = [
    `The listener's main thread while ${talkers} others talk (microphones only), ms per second, median of ${rounds} rounds` +
      (options.baselineDist ? ' (alternating with the baseline)' : '') +
      ':',
    '',
    '| build | script ms/s | main-thread tasks ms/s |',
    '| --- | --- | --- |',
  ];
  const medians = new Map<string, { script: number; task: number }>();
  for (const build of builds) {
    const mine = rows.filter((r) => r.build === build.name);
    const m = { script: median(mine.map((r) => r.scriptMsPerS)), task: median(mine.map((r) => r.taskMsPerS)) };
    medians.set(build.name, m);
    lines.push(`| ${build.name} | ${m.script.toFixed(1)} | ${m.task.toFixed(1)} |`);
  }
  const base = medians.get('baseline');
  const now = medians.get('this build')!;
  if (base)
    lines.push(
      '',
      `this build ÷ baseline: script ×${(now.script / base.script).toFixed(2)}, main-thread tasks ×${(now.task / base.task).toFixed(2)}.`,
    );
  return { markdown: lines.join('\n'), rows };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const result = await runListenerCost({
    ...(arg('--baseline-dist') ? { baselineDist: arg('--baseline-dist')! } : {}),
    ...(arg('--rounds') ? { rounds: Number(arg('--rounds')) } : {}),
  });
  console.log(result.markdown);
  process.exit(0);
}
