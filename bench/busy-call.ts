/**
 * Two people on this machine: two demo pages in a call, each in a Chromium of
 * its own (as two people's browsers are), both sending and receiving at the
 * element's defaults — camera 1280×720, microphone on (Chromium's fake one),
 * `transport="auto"`, the default codec — on this 2-core machine. This is the
 * overload issue 17 describes: two software encoders, two decoders, a relay and
 * the bench on two cores.
 *
 * Each page's camera is the synthetic one (bench/synthetic-camera.ts) at
 * 1280×720 with the time-code barcode, and each page reads the other's tile on
 * every animation frame, so both directions get glass-to-glass latency. Per
 * side: frames per second the page decoded and drew of the other, pictures
 * per second it saw, glass-to-glass p50/p95/max, and what the other's encoder
 * chose to send (size, frame rate, and why it stepped down).
 *
 * With `--baseline-dist <dir>` the same call runs first on another build of
 * the bundle (a `dist/` made from an older commit, served by the same relay),
 * in the same process: before and after in one run. The README of the section
 * names the commit.
 *
 *     npx tsx bench/busy-call.ts [--seconds 15] [--warmup 6] [--baseline-dist /tmp/vc-before/dist] [--baseline-label …] [--codecs vp9,h264] [--fake-camera] [--record-arrivals out.json]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import {
  cameraSizeScript,
  clockOffset,
  launchBenchChromium,
  percentile,
  poll,
  sleep,
  startBenchSite,
  type BenchBrowser,
} from './chromium.js';
import { cpuShare, type CpuShare } from './machine.js';
import { arrivalsOf } from './jitter-buffer-replay.js';
import { collectTimeline, pathBreakdown, startTimelines, type PathBreakdown } from './path-breakdown.js';
import { barcodeReaderScript, syntheticCameraScript, type ReadTile } from './synthetic-camera.js';

export interface BusyCallOptions {
  /** Seconds measured. Default 15. */
  seconds?: number;
  /** Seconds of call before measuring (the adaptation settles). Default 6. */
  warmupSeconds?: number;
  /** A `dist/` directory of another build to run first, as the baseline. */
  baselineDist?: string;
  /** What to call the baseline in the table. Default "baseline". */
  baselineLabel?: string;
  /** Codecs to run this build with, each a call of its own (the page's `codec` attribute); default: the element's choice only. */
  codecs?: string[];
  /**
   * Chromium's fake camera at 1280×720 instead of the synthetic one: far cheaper
   * to produce (as a real camera is), but it carries no barcode, so no glass-to-glass.
   */
  fakeCamera?: boolean;
  /**
   * The synthetic camera painted on each page's main thread every frame (the
   * source before it was prerendered in a worker): for comparing the two sources.
   */
  paintedCamera?: boolean;
  /** Also runs this build with the camera painted on the page ({@link paintedCamera}), as a row of its own. */
  paintedCameraRow?: boolean;
  /** Writes Grace's arrivals of Ada's voice (of the last call run) here, as a trace for `bench/jitter-buffer-replay.ts`. */
  recordArrivals?: string;
  onRow?: (row: BusyCallRow) => void;
}

/** One direction of one call: what `viewer` saw of `sender`. */
export interface BusyCallRow {
  build: string;
  direction: string;
  codec: string;
  transport: string;
  /** What the sender's encoder sent at the end, e.g. "360p30 (cpu)". */
  sent: string;
  /** Frames of the other the viewer decoded per second. */
  decodedFps: number;
  /** Distinct pictures per second the viewer's tile showed on its animation frames. */
  seenFps: number;
  g2gP50Ms: number;
  g2gP95Ms: number;
  g2gMaxMs: number;
  pictures: number;
}

export interface BusyCallResult {
  markdown: string;
  rows: BusyCallRow[];
  cpu: Record<string, CpuShare>;
  /** Per call: CPU in % of one core by process kind (both browsers together). */
  cpuByKind: Record<string, Record<string, number>>;
  /** Per call, per direction: the product's per-stage timeline figures. */
  breakdown?: Record<string, Record<string, PathBreakdown>>;
  /** Per call: Ada's page clock minus Grace's, ms (only "sent → received" spans both). */
  clockSkewMs?: Record<string, number>;
}

/** What a page records while it reads the other's tile. */
interface PageReading {
  samples: number[];
  unreadable: number;
  seconds: number;
  framesDecoded: number;
  sent: { height: number; framerate: number; limitedBy: string | null } | null;
  codec: string;
  transport: string;
}

/** Linux clock ticks per second (`getconf CLK_TCK`), 100 on every common kernel. */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds so far of this process and each of its descendants, by kind: Chromium's
 * processes by their `--type` (gpu-process, renderer, utility; the browser has none),
 * this process (the relay and the bench) as "relay + bench".
 */
function cpuByKind(): Map<string, number> {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  const kind = new Map<number, string>();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
      ticks.set(Number(name), Number(fields[11]) + Number(fields[12]));
      // Chromium rewrites its children's command lines into one string: match, don't split.
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const type = /--type=([\w-]+)/.exec(args)?.[1];
      const utility = /--utility-sub-type=([\w.-]+)/.exec(args)?.[1]?.split('.').at(-1);
      kind.set(
        Number(name),
        /chrom/.test(args.split(/[\0 ]/)[0] ?? '') ? `chromium ${utility ?? type ?? 'browser'}` : 'other',
      );
    } catch {
      // ended meanwhile, or not Linux
    }
  }
  const out = new Map<string, number>();
  for (const [pid, t] of ticks) {
    let ours = pid === process.pid;
    for (let p = parent.get(pid); !ours && p !== undefined && p > 1; p = parent.get(p)) ours = p === process.pid;
    if (!ours) continue;
    const k = pid === process.pid ? 'relay + bench' : kind.get(pid)!;
    out.set(k, (out.get(k) ?? 0) + t / TICKS_PER_SECOND);
  }
  return out;
}

/** Reads the remote tile's barcode on every animation frame for `seconds`, and what the element reports. */
function readRemoteTile(page: Page, seconds: number, read: boolean): Promise<PageReading> {
  return page.evaluate(
    ({ seconds, read }) =>
      new Promise<PageReading>((resolve) => {
        const el = document.querySelector('videocall-room');
        const readTile = (globalThis as unknown as { vcReadTile: ReadTile }).vcReadTile;
        const decoded = (): number => el?.participants[0]?.framesDecoded ?? 0;
        const samples: number[] = [];
        let unreadable = 0;
        let last = -1;
        const decodedBefore = decoded();
        const started = performance.now();
        const step = async (): Promise<void> => {
          const tile = el?.shadowRoot?.querySelector<HTMLCanvasElement | HTMLVideoElement>(
            '[part~="tile-remote"] [part~="video"]',
          );
          const width = !read ? 0 : tile instanceof HTMLVideoElement ? tile.videoWidth : (tile?.width ?? 0);
          const height = tile instanceof HTMLVideoElement ? tile.videoHeight : (tile?.height ?? 0);
          if (tile && width > 0 && height > 0) {
            const picture = await readTile(tile, width, height);
            if (!picture) unreadable++;
            else if (picture.painted !== last) {
              last = picture.painted;
              samples.push(picture.ageMs);
            }
          }
          const elapsed = (performance.now() - started) / 1000;
          if (elapsed >= seconds || !read) {
            const room = el?.roomClient;
            const q = el?.sendQuality;
            resolve({
              samples,
              unreadable,
              seconds: elapsed,
              framesDecoded: decoded() - decodedBefore,
              sent: q ? { height: q.height, framerate: q.framerate, limitedBy: q.limitedBy ?? null } : null,
              codec: String(room?.videoCodec ?? '?'),
              transport: String(room?.transportKind ?? '?'),
            });
          } else requestAnimationFrame(() => void step());
        };
        // Nothing to read (no barcode): no animation-frame loop either, which would cost the page what a person's does not.
        if (read) requestAnimationFrame(() => void step());
        else setTimeout(step, seconds * 1000);
      }),
    { seconds, read },
  );
}

async function oneCall(
  build: string,
  distDir: string | undefined,
  codec: string | undefined,
  options: BusyCallOptions,
): Promise<{
  rows: BusyCallRow[];
  cpu: CpuShare;
  byKind: Record<string, number>;
  breakdown: Record<string, PathBreakdown>;
  clockSkewMs: number;
}> {
  const seconds = options.seconds ?? 15;
  const site = await startBenchSite({}, distDir ? { distDir } : {});
  const browsers: BenchBrowser[] = [];
  try {
    const room = `busy-${Date.now().toString(36)}`;
    const camera = options.fakeCamera
      ? cameraSizeScript(1280, 720)
      : syntheticCameraScript({ width: 1280, height: 720, barcode: true, prerendered: !options.paintedCamera }) +
        `\n;${barcodeReaderScript()}`;
    const pages: Page[] = [];
    for (const name of ['Ada', 'Grace']) {
      const browser = await launchBenchChromium();
      browsers.push(browser);
      // The element's defaults: only the room and a name are given (and a codec, when one is compared).
      pages.push(
        await browser.newPage(`${site.url}/?room=${room}&name=${name}${codec ? `&codec=${codec}` : ''}`, camera),
      );
    }
    const [a, b] = pages as [Page, Page];
    for (const page of pages) {
      const live = await poll(
        () =>
          page.evaluate(() =>
            document.querySelector('videocall-room')?.participants.some((p) => p.framesDecoded > 10) ? true : undefined,
          ),
        30_000,
        250,
      );
      if (!live) throw new Error(`${build}: a page decoded no video from the other in 30 s`);
    }
    await sleep((options.warmupSeconds ?? 6) * 1000);
    const [offA, offB] = [await clockOffset(a), await clockOffset(b)];
    await startTimelines(pages);
    const share = cpuShare();
    const kindsBefore = cpuByKind();
    const windowStart = performance.now();
    const [ra, rb] = await Promise.all([
      readRemoteTile(a, seconds, !options.fakeCamera),
      readRemoteTile(b, seconds, !options.fakeCamera),
    ]);
    const cpu = share.stop();
    const windowSeconds = (performance.now() - windowStart) / 1000;
    const byKind: Record<string, number> = {};
    for (const [k, v] of cpuByKind()) byKind[k] = (100 * (v - (kindsBefore.get(k) ?? 0))) / windowSeconds;
    const row = (direction: string, viewer: PageReading, sender: PageReading, correction: number): BusyCallRow => {
      // Painted on the sender's page clock, read on the viewer's: bring both to the system clock.
      const ages = viewer.samples.map((s) => s - correction).sort((x, y) => x - y);
      const q = sender.sent;
      return {
        build,
        direction,
        codec: sender.codec,
        transport: `${sender.transport} → ${viewer.transport}`,
        sent: q ? `${q.height}p${q.framerate}${q.limitedBy ? ` (${q.limitedBy})` : ''}` : '?',
        decodedFps: viewer.framesDecoded / viewer.seconds,
        seenFps: viewer.samples.length / viewer.seconds,
        g2gP50Ms: percentile(ages, 0.5),
        g2gP95Ms: percentile(ages, 0.95),
        g2gMaxMs: ages.at(-1) ?? NaN,
        pictures: ages.length,
      };
    };
    const rows = [row('Ada → Grace', rb, ra, offB - offA), row('Grace → Ada', ra, rb, offA - offB)];
    for (const r of rows) options.onRow?.(r);
    // The product's own per-frame timeline, per direction. Each page stamps its wall clock; the two
    // browsers' clocks differ by offA − offB (printed), which only the transport stage spans.
    const [ta, tb] = [await collectTimeline(a), await collectTimeline(b)];
    if (options.recordArrivals) {
      const trace = arrivalsOf(tb.records);
      writeFileSync(options.recordArrivals, JSON.stringify(trace));
      console.log(`${trace.length} audio arrivals (Grace hears Ada) → ${options.recordArrivals}`);
    }
    const idOf = (page: Page) =>
      page.evaluate(() => document.querySelector('videocall-room')?.participants[0]?.id ?? '');
    const [aSeesId, bSeesId] = [await idOf(a), await idOf(b)];
    const breakdown: Record<string, PathBreakdown> = {
      'Ada → Grace': pathBreakdown(ta.records, tb.records, tb.playout, bSeesId),
      'Grace → Ada': pathBreakdown(tb.records, ta.records, ta.playout, aSeesId),
    };
    const clockSkewMs = offA - offB;
    return { rows, cpu, byKind, breakdown, clockSkewMs };
  } finally {
    for (const browser of browsers) await browser.close();
    await site.close();
  }
}

/** Prints one row. */
export function describeBusyCallRow(r: BusyCallRow): string {
  return (
    `${r.build}, ${r.direction}: ${r.codec} sent ${r.sent}, decoded ${r.decodedFps.toFixed(1)} fps, ` +
    `seen ${r.seenFps.toFixed(1)} pictures/s, g2g p50 ${r.g2gP50Ms.toFixed(1)} ms, p95 ${r.g2gP95Ms.toFixed(1)} ms, ` +
    `max ${r.g2gMaxMs.toFixed(1)} ms (${r.pictures} pictures, ${r.transport})`
  );
}

/** The row of this build with the synthetic camera painted on each page's main thread. */
const PAINTED_LABEL = 'this build, camera painted on the page';

/**
 * Each other call against "this build" at its defaults, mean of both directions:
 * a baseline build as this build ÷ it, a codec as it ÷ the default.
 */
function ratioLines(rows: BusyCallRow[]): string[] {
  const mean = (xs: BusyCallRow[], k: 'decodedFps' | 'g2gP50Ms' | 'g2gP95Ms'): number =>
    xs.reduce((sum, r) => sum + r[k], 0) / xs.length;
  const x = (a: number, b: number): string => (Number.isFinite(a / b) ? `×${(a / b).toFixed(2)}` : '–');
  const defaults = rows.filter((r) => r.build === 'this build');
  const out: string[] = [];
  for (const build of new Set(rows.map((r) => r.build))) {
    if (build === 'this build' || defaults.length === 0) continue;
    const other = rows.filter((r) => r.build === build);
    const [num, den, label] =
      build === PAINTED_LABEL
        ? [other, defaults, 'the camera painted on the page ÷ prerendered in a worker']
        : build.startsWith('this build')
          ? [other, defaults, `${build.replace('this build, ', '')} ÷ the default codec`]
          : [defaults, other, `this build ÷ ${build}`];
    const g2g =
      mean(num, 'g2gP50Ms') > 0
        ? `, g2g p50 ${x(mean(num, 'g2gP50Ms'), mean(den, 'g2gP50Ms'))}, p95 ${x(mean(num, 'g2gP95Ms'), mean(den, 'g2gP95Ms'))}`
        : '';
    out.push(
      '',
      `${label} (mean of both directions): decoded fps ${x(mean(num, 'decodedFps'), mean(den, 'decodedFps'))}${g2g}.`,
    );
  }
  return out;
}

/** The tables of one {@link runBusyCall}: rows, CPU, where it goes, ratios. */
export function callMarkdown(
  rows: BusyCallRow[],
  cpu: Record<string, CpuShare>,
  cpuByKindOf: Record<string, Record<string, number>>,
): string {
  const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–');
  const lines = [
    '| build | direction | codec | sent (at the end) | decoded fps | pictures/s seen | g2g p50 ms | g2g p95 ms | g2g max ms | transport |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.build} | ${r.direction} | ${r.codec} | ${r.sent} | ${f(r.decodedFps)} | ${f(r.seenFps)} | ` +
        `**${f(r.g2gP50Ms)}** | **${f(r.g2gP95Ms)}** | ${f(r.g2gMaxMs)} | ${r.transport} |`,
    ),
    '',
    `CPU during the window, % of one core (2 cores = 200 %): ${Object.entries(cpu)
      .map(([label, c]) => `${label}: ours ${c.ours.toFixed(0)}, others ${c.others.toFixed(0)}`)
      .join('; ')}.`,
    '',
    'Where it goes, % of one core, both browsers together:',
    '',
    ...Object.entries(cpuByKindOf).map(
      ([label, kinds]) =>
        `- ${label}: ${Object.entries(kinds)
          .filter(([, v]) => v >= 1)
          .sort((x, y) => y[1] - x[1])
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(', ')}`,
    ),
  ];
  lines.push(...ratioLines(rows));
  return lines.join('\n');
}

export async function runBusyCall(options: BusyCallOptions = {}): Promise<BusyCallResult> {
  const rows: BusyCallRow[] = [];
  const cpu: Record<string, CpuShare> = {};
  const cpuByKindOf: Record<string, Record<string, number>> = {};
  const breakdown: Record<string, Record<string, PathBreakdown>> = {};
  const clockSkewMs: Record<string, number> = {};
  const builds: [string, string | undefined, string | undefined, boolean][] = [];
  const painted = options.paintedCamera ?? false;
  if (options.baselineDist)
    builds.push([options.baselineLabel ?? 'baseline', options.baselineDist, undefined, painted]);
  builds.push(['this build', undefined, undefined, painted]);
  for (const codec of options.codecs ?? []) builds.push([`this build, codec="${codec}"`, undefined, codec, painted]);
  if (options.paintedCameraRow && !painted) builds.push([PAINTED_LABEL, undefined, undefined, true]);
  for (const [label, dist, codec, paintedCamera] of builds) {
    const call = await oneCall(label, dist, codec, { ...options, paintedCamera });
    rows.push(...call.rows);
    cpu[label] = call.cpu;
    cpuByKindOf[label] = call.byKind;
    breakdown[label] = call.breakdown;
    clockSkewMs[label] = call.clockSkewMs;
  }
  const result = { rows, cpu, cpuByKind: cpuByKindOf, breakdown, clockSkewMs };
  return { ...result, markdown: callMarkdown(rows, cpu, cpuByKindOf) + breakdownMarkdown(result) };
}

/** The per-stage table of this build at its defaults (both directions), p50 / p95 ms. */
export function breakdownMarkdown(result: Pick<BusyCallResult, 'breakdown' | 'clockSkewMs'>): string {
  const calls = result.breakdown?.['this build'];
  if (!calls) return '';
  const directions = Object.keys(calls);
  const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–');
  const rows: string[] = [];
  for (const path of ['video', 'audio'] as const)
    for (const stage of calls[directions[0]!]?.[path] ?? [])
      rows.push(
        `| ${path} | ${stage.stage} | ${directions
          .map((d) => calls[d]?.[path].find((x) => x.stage === stage.stage))
          .map((x) => (x ? `${f(x.p50Ms)} / ${f(x.p95Ms)}` : '–'))
          .join(' | ')} |`,
      );
  if (rows.length === 0) return '';
  return [
    '',
    '',
    `Where the milliseconds go, this build at its defaults (the product's per-frame timeline, p50 / p95 ms; the two ` +
      `browsers' clocks differ by ${f(result.clockSkewMs?.['this build'] ?? NaN)} ms, which only "sent → received" spans):`,
    '',
    `| path | stage | ${directions.join(' | ')} |`,
    `| --- | --- | ${directions.map(() => '---').join(' | ')} |`,
    ...rows,
  ].join('\n');
}

/** The benchmark as `npm run bench -- busy-call` runs it: both cameras, the default codec (H.264) and VP9 (the default before), with the method and the reading. */
export async function runBusyCallSection(
  onRow?: (row: BusyCallRow) => void,
): Promise<{ markdown: string; synthetic: BusyCallResult; fake: BusyCallResult }> {
  const synthetic = await runBusyCall({ codecs: ['vp9'], paintedCameraRow: true, onRow });
  const fake = await runBusyCall({ codecs: ['vp9'], fakeCamera: true, onRow });
  return { markdown: sectionMarkdown(synthetic, fake), synthetic, fake };
}

/** BENCHMARKS.md's section from both cameras' calls. */
export function sectionMarkdown(synthetic: BusyCallResult, fake: BusyCallResult): string {
  return [
    '**Synthetic camera** (camera-like content with the time-code barcode: glass-to-glass both ways):',
    '',
    callMarkdown(synthetic.rows, synthetic.cpu, synthetic.cpuByKind) + breakdownMarkdown(synthetic),
    '',
    "**Chromium's fake camera** at 1280×720 (cheap to produce, as a real camera is; no barcode, so frame rates only, and no animation-frame reading):",
    '',
    callMarkdown(fake.rows, fake.cpu, fake.cpuByKind) + breakdownMarkdown(fake),
    '',
    "**How it is measured.** Two demo pages in one room, each in a Chromium of its own (two process trees, as two people's " +
      'browsers are), on this 2-core machine with the relay; only `room` and `name` are given, so camera (1280×720), microphone ' +
      '(Chromium\'s fake one), transport and codec are the element\'s defaults; the rows with `codec="vp9"` set that attribute ' +
      "on both pages. After the call has run 6 s (the adaptation settles), each page reads the other's tile for 15 s: decoded fps " +
      "is the element's own `framesDecoded` count. The synthetic camera (bench/synthetic-camera.ts) is camera-like content " +
      'painted once in a worker and played from there at 30 fps into a track generator, each frame stamped with its time code ' +
      "as it goes out: like a camera's, its frames cost the page next to nothing. Each page reads the barcode from the other's " +
      "tile on every animation frame, from the current frame's own bytes (`VideoFrame.copyTo` of the band; glass-to-glass: " +
      "stamped on one page's clock, read on the other's, both brought to the system clock). " +
      '"sent" is what the sender\'s adaptation settled on (`sendQuality`). The issue this answers measured 6–12 fps each way and ' +
      'a median 0.5–0.75 s glass-to-glass at the time it was filed (before the adaptation). Alone: `npx tsx bench/busy-call.ts` ' +
      '(`--fake-camera`, `--painted-camera`, `--codecs vp9,av1`, `--baseline-dist <dist of another build>`).',
    '',
    "**The bench's own load.** Until 2026-12-04 the synthetic camera was painted on each page's main thread every frame " +
      '(a 1280×720 software canvas: the "camera painted on the page" row, same pictures) and the tile was read by drawing it ' +
      'into a canvas on every animation frame. Together they cost the two renderers about 25–30 % of a core more than a ' +
      "person's page spends and put the painting on the same main thread as the product's video: those runs measured 19–20 fps " +
      "and g2g p95 200–260 ms each way, figures of the bench more than of the product. Reading the frame's bytes instead of " +
      'drawing it took the renderers from 95 to 64–70 % of a core in the same call.',
    '',
    '**What limits it.** Video is held for lip sync until the voice captured with it plays ("decoded → shown"), so ' +
      "glass-to-glass follows the audio path: the microphone's 10 ms packets, transit, the jitter buffer and the output's own " +
      'latency. That last one is what Chromium reports for its output (`baseLatency + outputLatency`): this machine has no ' +
      'sound device, and one browser of the two sometimes reports 40 ms where the other reports 10.7, which puts that ' +
      'direction 30 ms higher. The rest is the shared CPU: the relay, both network services and both browsers run on 2 cores; ' +
      "when one of them stalls, audio arrives late, the receiver's jitter buffer grows to cover it and shrinks again at 40 ms a " +
      'second, and video waits with it. The GPU process is the largest single consumer after the renderers: headless ' +
      'Chromium here composites in software (SwiftShader), copying every new video frame, the self-view as well as the ' +
      "other's tile; a browser with a GPU does that for next to nothing. While the encoder is limited by CPU the self-view " +
      'shows the camera at most 360p and 15 fps (src/capture/self-view-track.ts). How often a stall shows: over 12 runs of ' +
      'this build at its defaults on 2026-12-04 (the bench as it is now), 22 of 24 directions held g2g p95 at 53–135 ms and ' +
      'every one decoded 29–30 fps. The two over 150 ms (178 and 183) both ran straight after the latency bench, one with ' +
      "a capture-time bug since fixed; in the other, both jitter buffers sat at 107–134 ms at p95 while the timeline's " +
      "audio transit stayed under 6 ms, so the late audio came from the audio stack's own threads (capture or playout) " +
      'rather than the network path.',
  ].join('\n');
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const number = (name: string) => (argument(name) ? Number(argument(name)) : undefined);
  const result = await runBusyCall({
    seconds: number('--seconds'),
    warmupSeconds: number('--warmup'),
    baselineDist: argument('--baseline-dist'),
    baselineLabel: argument('--baseline-label'),
    codecs: argument('--codecs')?.split(','),
    fakeCamera: process.argv.includes('--fake-camera'),
    paintedCamera: process.argv.includes('--painted-camera'),
    recordArrivals: argument('--record-arrivals'),
    onRow: (r) => console.log(describeBusyCallRow(r)),
  });
  console.log(result.markdown);
}
