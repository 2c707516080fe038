/**
 * How much of the module a plain call runs. Two demo pages (camera and
 * microphone on: Chromium's fake devices) meet in a room; V8's block coverage
 * of the second page's module, from before it loads until 8 s into the call,
 * says which bytes ran at least once. What ran, gzipped on its own, is a floor
 * for any way of splitting the bundle that keeps these features: a first load
 * carrying exactly the code a plain call runs would weigh that much.
 *
 * The media worker's and the audio worklets' sources are string literals in the
 * module: they count as run whole (the worker's own coverage is not measured),
 * so the floor is on the high side by what of them never runs.
 *
 *     npm run build && npx tsx bench/plain-call-code.ts [--modules N]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { areaOf, sourcePerByte } from './bundle-size.js';
import { launchBenchChromium, poll, sleep, startBenchSite } from './chromium.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
/** How long the call runs after the first remote frame: periodic work (stats, adaptation) gets to run. */
const CALL_MS = 8000;

export interface CodeSize {
  minifiedBytes: number;
  gzipBytes: number;
  brotliBytes: number;
}

export interface SourceCoverage {
  /** A source module, or an area (bundle-size.ts's `areaOf`). */
  source: string;
  minifiedBytes: number;
  neverRanBytes: number;
}

export interface PlainCallCodeResult {
  module: CodeSize;
  ran: CodeSize;
  /** What ran, without the inlined worker and worklet sources: the page's own code. */
  ranOnPage: CodeSize;
  neverRan: CodeSize;
  /** The inlined worker and worklet sources, counted in `ran` whole. */
  inlinedWorkers: CodeSize;
  /** Whether the second page showed the first one's camera before coverage stopped. */
  sawRemoteVideo: boolean;
  areas: SourceCoverage[];
  /** The modules with the most bytes that never ran, most first. */
  modules: SourceCoverage[];
}

function sizeOf(text: string): CodeSize {
  const bytes = Buffer.from(text);
  return {
    minifiedBytes: bytes.length,
    gzipBytes: gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length,
    brotliBytes: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

interface CoverageRange {
  startOffset: number;
  endOffset: number;
  count: number;
}

/** 1 where a byte of `length` ran: the innermost range containing it decides. */
function ranMask(length: number, ranges: CoverageRange[]): Uint8Array {
  const ran = new Uint8Array(length).fill(1);
  // Outer ranges first, inner ones override them (V8 nests block ranges in function ranges).
  const ordered = [...ranges].sort((a, b) => b.endOffset - b.startOffset - (a.endOffset - a.startOffset));
  for (const r of ordered) ran.fill(r.count > 0 ? 1 : 0, r.startOffset, Math.min(r.endOffset, length));
  return ran;
}

function bySource(
  code: string,
  ran: Uint8Array,
  sources: (string | undefined)[],
  keyOf: (s: string) => string,
): SourceCoverage[] {
  const rows = new Map<string, SourceCoverage>();
  for (let i = 0; i < code.length; i++) {
    const source = keyOf(sources[i] ?? '(unmapped)');
    const row = rows.get(source) ?? { source, minifiedBytes: 0, neverRanBytes: 0 };
    row.minifiedBytes++;
    if (!ran[i]) row.neverRanBytes++;
    rows.set(source, row);
  }
  return [...rows.values()].sort((a, b) => b.neverRanBytes - a.neverRanBytes);
}

export async function runPlainCallCode(options: { modules?: number } = {}): Promise<PlainCallCodeResult> {
  const code = readFileSync(`${DIST}videocall-room.js`, 'utf8');
  const sources = sourcePerByte(code, readFileSync(`${DIST}videocall-room.js.map`, 'utf8'));
  const site = await startBenchSite();
  const browser = await launchBenchChromium();
  let ranges: CoverageRange[];
  let sawRemoteVideo: boolean;
  try {
    const room = `code-${Date.now().toString(36)}`;
    await browser.newPage(`${site.url}/?room=${room}&name=Ada&mic=on`);
    const page = await browser.context.newPage();
    await page.coverage.startJSCoverage({ resetOnNavigation: false });
    await page.goto(`${site.url}/?room=${room}&name=Grace&mic=on`);
    sawRemoteVideo =
      (await poll(
        () =>
          page.evaluate(() => {
            const video = document
              .querySelector('videocall-room')
              ?.shadowRoot?.querySelector('[part~="tile-remote"] [part~="video"]');
            return video instanceof HTMLVideoElement && video.videoWidth > 0 ? true : undefined;
          }),
        15_000,
      )) ?? false;
    await sleep(CALL_MS);
    const coverage = await page.coverage.stopJSCoverage();
    const entry = coverage.find((c) => new URL(c.url).pathname === '/videocall-room.js');
    if (!entry) throw new Error('no coverage of /videocall-room.js');
    ranges = entry.functions.flatMap((f) => f.ranges);
  } finally {
    await browser.close();
    await site.close();
  }
  const ran = ranMask(code.length, ranges);
  let ranText = '';
  let neverText = '';
  let inlined = '';
  let ranOnPage = '';
  for (let i = 0; i < code.length; i++) {
    const worker = sources[i]?.includes('?worklet') ?? false;
    if (ran[i]) ranText += code[i];
    else neverText += code[i];
    if (worker) inlined += code[i];
    else if (ran[i]) ranOnPage += code[i];
  }
  return {
    module: sizeOf(code),
    ran: sizeOf(ranText),
    ranOnPage: sizeOf(ranOnPage),
    neverRan: sizeOf(neverText),
    inlinedWorkers: sizeOf(inlined),
    sawRemoteVideo,
    areas: bySource(code, ran, sources, areaOf),
    modules: bySource(code, ran, sources, (s) => s).slice(0, options.modules ?? 20),
  };
}

const kB = (n: number): string => `${(n / 1000).toFixed(1)} kB`;

export function describePlainCallCode(r: PlainCallCodeResult): string {
  const size = (s: CodeSize) => `${kB(s.minifiedBytes)} minified, ${kB(s.gzipBytes)} gzip, ${kB(s.brotliBytes)} Brotli`;
  return [
    `module: ${size(r.module)}`,
    `ran in a plain call: ${size(r.ran)} (gzipped alone: the floor for any split)`,
    `  of which the page's own code: ${size(r.ranOnPage)}`,
    `never ran: ${size(r.neverRan)}`,
    `of which inlined worker/worklet sources (counted as run): ${size(r.inlinedWorkers)}`,
    r.sawRemoteVideo ? 'the second page showed the first one’s camera' : 'WARNING: no remote video was seen',
    'never ran, by module:',
    ...r.modules.map(
      (m) =>
        `  ${m.source.padEnd(58)} ${kB(m.neverRanBytes).padStart(9)} of ${kB(m.minifiedBytes).padStart(9)}` +
        ` ${String(Math.round((m.neverRanBytes / m.minifiedBytes) * 100)).padStart(4)} %`,
    ),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--modules');
  const result = await runPlainCallCode({ modules: at > 0 ? Number(process.argv[at + 1]) : 20 });
  console.log(describePlainCallCode(result));
}
