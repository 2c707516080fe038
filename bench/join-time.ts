/**
 * Join time: from `<videocall-room>` being connected to the document to the
 * first remote frame drawn on its tile and to the first remote audio handed to
 * playout, over 10 joins of a fresh page into a room where one participant
 * publishes camera video and microphone audio.
 *
 * The publisher is the demo page with a camera-like canvas (bench/synthetic-camera.ts)
 * at 1280×720. Each joiner is a page of its own (bench page `join.html`): it loads
 * `/videocall-room.js` as a site does, waits for the element to be defined, then
 * appends `<videocall-room room=…>` with camera and microphone on (the fake
 * devices) and watches, on every animation frame, for its remote tile's canvas to
 * take the size of a decoded frame (a `<video>` once a frame is presented; a canvas once drawn).
 *
 *     npx tsx bench/join-time.ts [--joins 10] [--dist /tmp/vc-before/dist]
 *
 * `--dist` serves another build (every page of the run uses it): run it with the build
 * before a change, then without, to compare.
 */
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchBenchChromium, percentile, poll, sleep, startBenchSite } from './chromium.js';
import { cpuShare, type CpuShare } from './machine.js';
import { syntheticCameraScript } from './synthetic-camera.js';

export interface JoinTimeOptions {
  /** Default 10. */
  joins?: number;
  /** The build to serve; default this tree's dist/. */
  distDir?: string;
}

/** One join, in ms after navigation started (`performance.now()` of the joining page). */
export interface JoinMarks {
  /** The element was appended (the bundle has loaded and defined it). */
  connected: number;
  /** `vc-joined`. */
  joined: number;
  /** The remote tile first showed a decoded frame. */
  firstFrame: number;
  /** The element's `joinTimes.firstAudioMs` became known: the publisher's first audio went to playout. */
  firstAudio: number;
  /** The first remote frame's path, ms from `vc-joined` to each stage (see {@link FIRST_FRAME_STAGES}); absent when not recorded. */
  firstFrameAt?: Partial<Record<FirstFrameStage, number>>;
}

/**
 * The stages of the first remote frame, in order: the publisher's (captured, encoded, sent) and
 * the joining page's (received off the transport, decoded, released to the tile), from both
 * pages' frame timelines (`Room.startTimeline`; one browser, one clock), and the tile showing it.
 */
export const FIRST_FRAME_STAGES = ['capture', 'encoded', 'sent', 'received', 'decoded', 'shown', 'tile'] as const;
export type FirstFrameStage = (typeof FIRST_FRAME_STAGES)[number];

export interface JoinTimeResult {
  joins: JoinMarks[];
  /** Joins that showed no remote frame within 15 s. */
  failed: number;
  /** connected → first remote frame. */
  p50Ms: number;
  maxMs: number;
  /** connected → first remote audio handed to playout, p50 and max. */
  firstAudioP50Ms: number;
  firstAudioMaxMs: number;
  /** connected → vc-joined, and vc-joined → first remote frame, p50. */
  joinedP50Ms: number;
  firstFrameAfterJoinedP50Ms: number;
  /** Navigation start → element connected (loading and running the bundle), p50. */
  loadP50Ms: number;
  /** Other processes on the machine during the joins, % of one core. */
  othersCpuPercent: number;
  /** p50 of each step of the first frame's path, from `vc-joined` through {@link FIRST_FRAME_STAGES}. */
  firstFrameSteps: { from: string; to: FirstFrameStage; p50Ms: number; joins: number }[];
  /** The scripts the first joining page fetched from the relay up to its first remote frame and audio. */
  fetched?: FetchedScripts;
}

/** Scripts one page fetched, as Resource Timing saw them. */
export interface FetchedScripts {
  files: { path: string; encodedBytes: number; decodedBytes: number }[];
  /** Bytes on the wire (as the relay encoded them: Brotli for Chromium) and once decoded. */
  encodedBytes: number;
  decodedBytes: number;
}

/** The `.js` files `page` fetched from its own origin. Encoded sizes count even when a revalidation (304) served them from the cache. */
async function fetchedScripts(page: Page): Promise<FetchedScripts> {
  const files = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => e as PerformanceResourceTiming)
      .filter((e) => e.name.startsWith(location.origin) && new URL(e.name).pathname.endsWith('.js'))
      .map((e) => ({
        path: new URL(e.name).pathname,
        encodedBytes: e.encodedBodySize,
        decodedBytes: e.decodedBodySize,
      })),
  );
  return {
    files,
    encodedBytes: files.reduce((a, f) => a + f.encodedBytes, 0),
    decodedBytes: files.reduce((a, f) => a + f.decodedBytes, 0),
  };
}

/** The joining page, served by the relay as `join.html`. */
export const JOIN_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>join time</title>
    <script type="module" src="/videocall-room.js"></script>
    <style>body { margin: 0; height: 100vh; } videocall-room { display: block; height: 100vh; }</style>
  </head>
  <body>
    <script type="module">
      const room = new URLSearchParams(location.search).get('room');
      await customElements.whenDefined('videocall-room');
      const marks = { connected: 0, joined: 0, firstFrame: 0, firstAudio: 0, origin: performance.timeOrigin };
      window.joinMarks = marks;
      const el = document.createElement('videocall-room');
      el.setAttribute('room', room);
      el.setAttribute('name', 'Joiner');
      el.addEventListener('vc-joined', () => (marks.joined = performance.now()));
      el.addEventListener('vc-error', (e) => console.warn('vc-error', e.code, e.message));
      marks.connected = performance.now();
      document.body.append(el); // connectedCallback: the element starts joining
      const watch = () => {
        // The frame timeline, for where the first frame's time goes (before any media can arrive).
        if (!window.timelineStarted && el.roomClient) window.timelineStarted = !!el.roomClient.startTimeline();
        const tile = el.shadowRoot?.querySelector('[part~="tile-remote"] [part~="video"]');
        // A <video> has a size once a frame is presented; a canvas starts at 300×150 until one is drawn.
        const shown = tile instanceof HTMLVideoElement ? tile.videoWidth > 0 : tile && (tile.width !== 300 || tile.height !== 150);
        if (shown && !marks.firstFrame) marks.firstFrame = performance.now();
        if (el.joinTimes?.firstAudioMs != null && !marks.firstAudio) marks.firstAudio = performance.now();
        if (!marks.firstFrame || !marks.firstAudio) requestAnimationFrame(watch);
      };
      queueMicrotask(watch);
    </script>
  </body>
</html>
`;

export async function runJoinTime(options: JoinTimeOptions = {}): Promise<JoinTimeResult> {
  const count = options.joins ?? 10;
  const site = await startBenchSite({ 'join.html': JOIN_PAGE }, options.distDir ? { distDir: options.distDir } : {});
  const browser = await launchBenchChromium();
  const joins: JoinMarks[] = [];
  let failed = 0;
  let cpu: CpuShare | undefined;
  let fetched: FetchedScripts | undefined;
  try {
    const room = `join-${Date.now().toString(36)}`;
    const publisher = await browser.newPage(
      `${site.url}/?room=${room}&name=Publisher&mic=on`,
      syntheticCameraScript({ width: 1280, height: 720, barcode: false }),
    );
    await sleep(2000); // the publisher is in and its camera is running
    await publisher.evaluate(() => void document.querySelector('videocall-room')?.roomClient?.startTimeline());
    const share = cpuShare();
    for (let i = 0; i < count; i++) {
      const page = await browser.newPage(`${site.url}/join.html?room=${room}`);
      const marks = await poll(
        () =>
          page.evaluate(() => {
            const m = (window as unknown as { joinMarks?: JoinMarks }).joinMarks;
            return m && m.firstFrame > 0 && m.firstAudio > 0 ? { ...m } : undefined;
          }),
        15_000,
        50,
      );
      if (marks) joins.push({ ...marks, firstFrameAt: await firstFramePath(page, publisher, marks) });
      else failed++;
      fetched ??= marks ? await fetchedScripts(page) : undefined;
      await page.close();
      // The publisher's encoder spaces requested keyframes by 500 ms: don't measure that.
      await sleep(700);
    }
    cpu = share.stop();
  } finally {
    await browser.close();
    await site.close();
  }
  const sorted = (f: (m: JoinMarks) => number): number[] => joins.map(f).sort((a, b) => a - b);
  const total = sorted((m) => m.firstFrame - m.connected);
  const audio = sorted((m) => m.firstAudio - m.connected);
  return {
    joins,
    failed,
    p50Ms: percentile(total, 0.5),
    maxMs: total.at(-1) ?? NaN,
    firstAudioP50Ms: percentile(audio, 0.5),
    firstAudioMaxMs: audio.at(-1) ?? NaN,
    joinedP50Ms: percentile(
      sorted((m) => m.joined - m.connected),
      0.5,
    ),
    firstFrameAfterJoinedP50Ms: percentile(
      sorted((m) => m.firstFrame - m.joined),
      0.5,
    ),
    othersCpuPercent: cpu?.others ?? NaN,
    firstFrameSteps: FIRST_FRAME_STAGES.map((to, i) => {
      const from = i === 0 ? 'vc-joined' : FIRST_FRAME_STAGES[i - 1]!;
      const spans = joins.flatMap((m) => {
        const a = i === 0 ? 0 : m.firstFrameAt?.[from as FirstFrameStage];
        const b = m.firstFrameAt?.[to];
        return a === undefined || b === undefined ? [] : [b - a];
      });
      return {
        from,
        to,
        p50Ms: percentile(
          [...spans].sort((x, y) => x - y),
          0.5,
        ),
        joins: spans.length,
      };
    }),
    loadP50Ms: percentile(
      sorted((m) => m.connected),
      0.5,
    ),
    ...(fetched ? { fetched } : {}),
  };
}

/** The first remote frame the joining page showed: when it passed each stage, ms after `vc-joined`. */
async function firstFramePath(
  page: Page,
  publisher: Page,
  marks: JoinMarks & { origin?: number },
): Promise<JoinMarks['firstFrameAt']> {
  type Records = {
    participant: string;
    kind: string;
    timestamp: number;
    layer?: number;
    marks: Record<string, number>;
  }[];
  const joiner: Records = await page.evaluate(
    () => document.querySelector('videocall-room')?.roomClient?.stopTimeline()?.list() ?? [],
  );
  const published: Records = await publisher.evaluate(
    () => document.querySelector('videocall-room')?.roomClient?.startTimeline().list() ?? [],
  );
  const first = joiner
    .filter((r) => r.participant !== '' && r.kind === 'video' && r.marks.shown !== undefined)
    .sort((a, b) => a.marks.shown! - b.marks.shown!)[0];
  if (!first || marks.origin === undefined) return undefined;
  const own = published.find(
    (r) =>
      r.participant === '' &&
      r.kind === 'video' &&
      r.timestamp === first.timestamp &&
      (r.layer ?? 0) === (first.layer ?? 0),
  );
  const joined = marks.origin + marks.joined;
  const at = (t: number | undefined) => (t === undefined ? undefined : t - joined);
  return {
    capture: at(own?.marks.capture),
    encoded: at(own?.marks.encoded),
    sent: at(own?.marks.sent),
    received: at(first.marks.received),
    decoded: at(first.marks.decoded),
    shown: at(first.marks.shown),
    tile: marks.firstFrame - marks.joined,
  };
}

export function describeJoinTime(r: JoinTimeResult): string {
  return (
    `join → first remote frame: p50 ${r.p50Ms.toFixed(0)} ms, max ${r.maxMs.toFixed(0)} ms over ${r.joins.length} joins` +
    `${r.failed ? ` (${r.failed} failed)` : ''}; → first remote audio p50 ${r.firstAudioP50Ms.toFixed(0)} ms, max ${r.firstAudioMaxMs.toFixed(0)} ms; connected → vc-joined p50 ${r.joinedP50Ms.toFixed(0)} ms, ` +
    `vc-joined → first frame p50 ${r.firstFrameAfterJoinedP50Ms.toFixed(0)} ms; page load → element connected p50 ${r.loadP50Ms.toFixed(0)} ms; ` +
    `other processes ${r.othersCpuPercent.toFixed(0)} % of a core; first frame, p50 of each step: ` +
    r.firstFrameSteps.map((s) => `${s.from} → ${s.to} ${s.p50Ms.toFixed(0)} ms`).join(', ') +
    (r.fetched
      ? `; the first join fetched ${r.fetched.files.map((f) => f.path).join(', ')}: ` +
        `${(r.fetched.encodedBytes / 1000).toFixed(1)} kB on the wire, ${(r.fetched.decodedBytes / 1000).toFixed(1)} kB decoded`
      : '')
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argument = (name: string) => {
    const at = process.argv.indexOf(name);
    return at >= 0 ? process.argv[at + 1] : undefined;
  };
  const joins = argument('--joins');
  console.log(
    describeJoinTime(await runJoinTime({ joins: joins ? Number(joins) : undefined, distDir: argument('--dist') })),
  );
}
