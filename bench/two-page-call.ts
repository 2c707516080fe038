/**
 * A two-page call, diagnosed: two demo pages in one Chromium, both sending and
 * receiving (the element's defaults unless told otherwise), each with the
 * timestamped synthetic camera of bench/synthetic-camera.ts. Prints, for each
 * direction, glass-to-glass latency and frame rates, and where the time goes
 * per stage (capture → encoder in → encoder out → decoder in → decoder out →
 * drawn → seen on an animation frame), joined per picture by the barcode and
 * the frame timestamp; also the queues (encodeQueueSize, decodeQueueSize,
 * WebSocket bufferedAmount, WebTransport write time, the relay's outbound
 * bufferedAmount), the main thread's timer lag and long tasks, and CPU per
 * process (and its busiest threads). Instrumentation is an init script that
 * wraps the WebCodecs, canvas and transport globals the element uses. It is not
 * free: reading the barcode of every 4th frame at encode time costs each page
 * ~80–90 ms of main thread per second on a 2-core machine (it is a
 * drawImage of a VideoFrame, as the element's tile drawing is), and the remote
 * tile is read back on every animation frame, as bench/glass-to-glass.ts does.
 *
 *     npx tsx bench/two-page-call.ts [--seconds 15] [--size 1280x720] [--transport auto|websocket|webtransport]
 *       [--encode-size 640x360] [--encode-fps 15] [--codec vp8|vp9|h264|av1] [--one-sender]
 *       [--fake-camera] [--no-draw] [--video-render] [--profile] [--warmup 5]
 *
 * `--encode-size` and `--encode-fps` override what the element's encoder is
 * configured with (in-page, by wrapping `VideoEncoder`), to try a cheaper call
 * without changing the element. `--fake-camera` uses Chromium's fake camera
 * at `--size` (as a user would; no barcode, so no glass-to-glass: rates, and
 * encode() → drawn per frame by timestamp). `--no-draw` skips drawing decoded
 * frames; `--video-render` shows them in a `<video>` fed by a
 * MediaStreamTrackGenerator instead of the tile's canvas (latency then to the
 * `<video>`'s requestVideoFrameCallback). `--profile` samples both main threads.
 *
 * In headless Chromium the first page's animation frames (and video frame
 * callbacks) run at only ~1–2 Hz while the second's run at 60 Hz, although both
 * say they are visible: the "seen" figures of A's view are sparse for that
 * reason; decoded and drawn rates are not affected.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { Outbound } from '../server/outbound.js';
import {
  cameraSizeScript,
  launchBenchChromium,
  percentile,
  poll,
  sleep,
  startBenchSite,
  type BenchBrowser,
} from './chromium.js';
import { BARCODE, syntheticCameraScript } from './synthetic-camera.js';

export interface TwoPageCallOptions {
  seconds?: number;
  warmupSeconds?: number;
  width?: number;
  height?: number;
  transport?: 'auto' | 'websocket' | 'webtransport';
  codec?: string;
  /** Encoder configuration overrides, applied in-page. */
  encodeWidth?: number;
  encodeHeight?: number;
  encodeFps?: number;
  /** Only page A sends video (B's camera off). */
  oneSender?: boolean;
  /** Chromium's fake camera instead of the synthetic one (no glass-to-glass then). */
  fakeCamera?: boolean;
  /** Sample each page's main thread with the V8 CPU profiler and print where its time goes. */
  profile?: boolean;
  /** Experiment: skip drawing decoded frames (what the canvas draw costs; no glass-to-glass then). */
  noDraw?: boolean;
  /** Experiment: show decoded frames in a <video> fed by a MediaStreamTrackGenerator instead of drawing them on the tile's canvas. */
  videoRender?: boolean;
}

/** What each page records (see {@link instrumentScript}). */
interface PageRecord {
  /** Per encode() call: frame timestamp, call time, painted time read from the frame (or -1), encodeQueueSize before. */
  encIn: [number, number, number, number][];
  /** Per encoder output: timestamp, time, bytes. */
  encOut: [number, number, number][];
  /** Per decode() call: timestamp, time, decodeQueueSize before. */
  decIn: [number, number, number][];
  decOut: [number, number][];
  draw: [number, number][];
  /** Per new picture seen on the remote tile: painted time, seen time. */
  seen: [number, number][];
  unreadable: number;
  /** WebSocket bufferedAmount before each send. */
  wsBuffered: number[];
  /** WebTransport writes: ms from write() to its promise settling. */
  wtWriteMs: number[];
  /** With `videoRender`: frames presented by the <video> (timestamp from mediaTime, time). */
  presented: [number, number][];
  /** Main-thread ms in drawImage (and the bench's readbacks), by what is drawn. */
  drawMs: Record<string, number>;
  /** Timer lateness of a 50 ms interval, ms. */
  lagMs: number[];
  longTasks: number;
  longTaskMs: number;
  seconds: number;
  encoderStats: unknown;
  decoderStats: unknown;
  transport: string;
  codec: string;
}

/**
 * The in-page instrumentation: wraps VideoEncoder, VideoDecoder, WebSocket.send,
 * WritableStreamDefaultWriter.write and drawImage of VideoFrames; reads the remote
 * tile's barcode on each animation frame; probes timer lag. `window.__diag`.
 */
function instrumentScript(o: {
  encodeWidth?: number;
  encodeHeight?: number;
  encodeFps?: number;
  noDraw?: boolean;
  videoRender?: boolean;
  probe?: boolean;
}): string {
  return `(() => {
  const B = ${JSON.stringify(BARCODE)};
  const O = ${JSON.stringify(o)};
  const now = () => performance.timeOrigin + performance.now();
  const d = {};
  const reset = () => Object.assign(d, { encIn: [], encOut: [], decIn: [], decOut: [], draw: [], seen: [], unreadable: 0,
    wsBuffered: [], wtWriteMs: [], lagMs: [], drawMs: {}, presented: [], longTasks: 0, longTaskMs: 0, started: performance.now() });
  reset();
  d.reset = reset;
  window.__diag = d;
  const bits = (data, width) => {
    let value = 0;
    for (let i = 0; i < B.columns * B.rows; i++) {
      const x = (i % B.columns) * 4 + 2, y = Math.floor(i / B.columns) * 4 + 2, p = (y * width + x) * 4;
      const bit = 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2] > 128 ? 1 : 0;
      if (i < 32) value += bit * 2 ** i;
      else if (bit === Math.floor(value / 2 ** (i - 32)) % 2) return -1;
    }
    return value;
  };
  let probe = null;
  const readFrame = (frame) => {
    try {
      probe ??= new OffscreenCanvas(B.columns * 4, B.rows * 4).getContext('2d', { willReadFrequently: true });
      const band = Math.round(frame.displayHeight * B.bandFraction);
      const t = performance.now();
      probe.drawImage(frame, 0, 0, frame.displayWidth, band, 0, 0, B.columns * 4, B.rows * 4);
      const value = bits(probe.getImageData(0, 0, B.columns * 4, B.rows * 4).data, B.columns * 4);
      d.drawMs['bench encoder-input read'] = (d.drawMs['bench encoder-input read'] ?? 0) + performance.now() - t;
      return value;
    } catch { return -1; }
  };
  const NativeEncoder = window.VideoEncoder;
  if (NativeEncoder) {
    window.VideoEncoder = class extends NativeEncoder {
      constructor(init) {
        super({ ...init, output: (chunk, meta) => { d.encOut.push([chunk.timestamp, now(), chunk.byteLength]); init.output(chunk, meta); } });
        this.__last = -Infinity;
      }
      configure(config) {
        const c = { ...config };
        if (O.encodeWidth) { c.width = O.encodeWidth; c.height = O.encodeHeight; c.bitrate = Math.round(config.bitrate * Math.pow((O.encodeWidth * O.encodeHeight) / (config.width * config.height), 0.65)); }
        if (O.encodeFps) c.framerate = O.encodeFps;
        return super.configure(c);
      }
      encode(frame, options) {
        if (O.encodeFps && frame.timestamp - this.__last < 0.9e6 / O.encodeFps && !(options && options.keyFrame)) return;
        this.__last = frame.timestamp;
        // The barcode is read from every 4th frame only: each read is a readback that costs the main thread.
        this.__n = (this.__n ?? 0) + 1;
        d.encIn.push([frame.timestamp, now(), O.probe && this.__n % 4 === 0 ? readFrame(frame) : -1, this.encodeQueueSize]);
        return super.encode(frame, options);
      }
    };
    window.VideoEncoder.isConfigSupported = (c) => NativeEncoder.isConfigSupported(c);
  }
  const NativeDecoder = window.VideoDecoder;
  if (NativeDecoder) {
    window.VideoDecoder = class extends NativeDecoder {
      constructor(init) {
        super({ ...init, output: (frame) => { d.decOut.push([frame.timestamp, now()]); init.output(frame); } });
      }
      decode(chunk) {
        d.decIn.push([chunk.timestamp, now(), this.decodeQueueSize]);
        return super.decode(chunk);
      }
    };
    window.VideoDecoder.isConfigSupported = (c) => NativeDecoder.isConfigSupported(c);
  }
  const drawImage = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (source, ...rest) {
    const isFrame = typeof VideoFrame !== 'undefined' && source instanceof VideoFrame;
    const ts = isFrame ? source.timestamp : 0;
    if (isFrame && O.noDraw && this.canvas.width > 64) { d.draw.push([ts, now()]); return; }
    if (isFrame && O.videoRender && this.canvas.width > 64) {
      // Experiment: hand the frame to a <video> through a track generator instead of drawing it on the main thread.
      if (!d.writer) {
        const generator = new MediaStreamTrackGenerator({ kind: 'video' });
        d.writer = generator.writable.getWriter();
        const video = document.createElement('video');
        video.muted = true;
        video.srcObject = new MediaStream([generator]);
        video.style.cssText = 'position:fixed;left:0;top:0;width:640px;height:360px;z-index:99999';
        document.body.append(video);
        void video.play().catch(() => {});
        const presented = (_t, meta) => { d.presented.push([Math.round(meta.mediaTime * 1e6), now()]); video.requestVideoFrameCallback(presented); };
        video.requestVideoFrameCallback(presented);
      }
      if (d.writer.desiredSize > 0) d.writer.write(source.clone()).catch(() => {});
      d.draw.push([ts, now()]);
      return;
    }
    const t = performance.now();
    const result = drawImage.call(this, source, ...rest);
    const took = performance.now() - t;
    // Main-thread time in drawImage, by what is drawn: decoded frames (the element's tiles), the bench's own readbacks, the rest (the synthetic camera's painting).
    const bucket = isFrame ? 'VideoFrame → tile' : this.canvas.width <= 64 ? 'bench tile read' : 'synthetic camera paint';
    d.drawMs[bucket] = (d.drawMs[bucket] ?? 0) + took;
    if (isFrame) d.draw.push([ts, now()]);
    return result;
  };
  const wsSend = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    d.wsBuffered.push(this.bufferedAmount);
    return wsSend.call(this, data);
  };
  const write = WritableStreamDefaultWriter.prototype.write;
  WritableStreamDefaultWriter.prototype.write = function (chunk) {
    const t = performance.now();
    const p = write.call(this, chunk);
    p.then(() => d.wtWriteMs.push(performance.now() - t), () => {});
    return p;
  };
  let expected = performance.now() + 50;
  setInterval(() => { const t = performance.now(); d.lagMs.push(Math.max(0, t - expected)); expected = t + 50; }, 50);
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) { d.longTasks++; d.longTaskMs += e.duration; } })
      .observe({ entryTypes: ['longtask'] });
  } catch {}
  // The remote tile's barcode, on every animation frame.
  let copy = null, last = -1;
  const step = () => {
    const el = document.querySelector('videocall-room');
    // The remote tile: a <video> fed by a track generator, or a <canvas>.
    const tile = el && el.shadowRoot && el.shadowRoot.querySelector('[part~="tile-remote"] [part~="video"]');
    const tw = tile ? (tile.videoWidth ?? tile.width) : 0, th = tile ? (tile.videoHeight ?? tile.height) : 0;
    if (tile && tw > 0 && th > 0) {
      copy ??= document.createElement('canvas').getContext('2d', { willReadFrequently: true });
      copy.canvas.width = B.columns * 4; copy.canvas.height = B.rows * 4;
      const band = Math.round(th * B.bandFraction);
      copy.drawImage(tile, 0, 0, tw, band, 0, 0, B.columns * 4, B.rows * 4);
      const t = now();
      const value = bits(copy.getImageData(0, 0, B.columns * 4, B.rows * 4).data, B.columns * 4);
      if (value < 0) d.unreadable++;
      else if (value !== last) { last = value; d.seen.push([value, t]); }
    }
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
})();`;
}

/** utime + stime of a /proc stat line, in clock ticks. */
function statTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU ticks of each thread of `pid`, by thread name (threads of one name summed). */
function threadTicks(pid: number): Map<string, number> {
  const result = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      result.set(name, (result.get(name) ?? 0) + statTicks(stat));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return result;
}

/** CPU ticks (utime + stime) of every process, by pid, with a label from its command line, and its threads'. */
function processTicks(): Map<number, { label: string; ticks: number; threads: Map<string, number> }> {
  const result = new Map<number, { label: string; ticks: number; threads: Map<string, number> }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ticks = statTicks(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      // Chromium rewrites its command line as one space-separated string.
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split(/[\0 ]/);
      let label = cmd[0]?.split('/').at(-1) ?? '?';
      if (label.includes('chrom')) {
        const type = cmd.find((a) => a.startsWith('--type='))?.slice(7);
        const sub = cmd.find((a) => a.startsWith('--utility-sub-type='))?.slice(19);
        label = `chromium ${type ?? 'browser'}${sub ? ` (${sub.split('.').at(-1)})` : ''}`;
      }
      if (Number(entry) === process.pid) label = 'node (relay + bench driver)';
      const threads = label.startsWith('chromium') || label.startsWith('node') ? threadTicks(Number(entry)) : new Map();
      result.set(Number(entry), { label, ticks, threads });
    } catch {
      // The process ended meanwhile.
    }
  }
  return result;
}

interface CpuRow {
  label: string;
  pid: number;
  percent: number;
  /** The busiest threads: name and % of a core. */
  threads: [string, number][];
}

function cpuSampler(): () => CpuRow[] {
  const start = processTicks();
  const startedAt = performance.now();
  return () => {
    const end = processTicks();
    const seconds = (performance.now() - startedAt) / 1000;
    const toPercent = (ticks: number) => (ticks / 100 / seconds) * 100;
    const rows: CpuRow[] = [];
    for (const [pid, { label, ticks, threads }] of end) {
      const before = start.get(pid);
      const percent = toPercent(ticks - (before?.ticks ?? 0));
      const busy = [...threads]
        .map(([name, t]) => [name, toPercent(t - (before?.threads.get(name) ?? 0))] as [string, number])
        .filter(([, p]) => p >= 3)
        .sort((x, y) => y[1] - x[1]);
      if (percent >= 1) rows.push({ label, pid, percent, threads: busy });
    }
    return rows.sort((a, b) => b.percent - a.percent);
  };
}

const stats = (values: number[]): string => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return 'n/a';
  const f = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  return `p50 ${f(percentile(sorted, 0.5))} p95 ${f(percentile(sorted, 0.95))} max ${f(sorted.at(-1)!)} (n=${sorted.length})`;
};

/** Per-picture stages of one direction, joined by painted time (barcode) and frame timestamp. */
function direction(from: PageRecord, to: PageRecord): string[] {
  const M = 2 ** 32;
  const age = (later: number, painted: number) => (((Math.round(later) - painted) % M) + M) % M;
  const encByPaint = new Map<number, [number, number, number, number]>();
  for (const e of from.encIn) if (e[2] >= 0) encByPaint.set(e[2], e);
  const byTs = (rows: [number, number, ...number[]][]) => new Map(rows.map((r) => [r[0], r] as const));
  const encOut = byTs(from.encOut);
  const decIn = byTs(to.decIn);
  const decOut = byTs(to.decOut);
  const draw = byTs(to.draw);
  const stage: Record<string, number[]> = {
    'capture (painted → encode())': [],
    'encode (encode() → output)': [],
    'network+relay+main thread (output → decode())': [],
    'decode (decode() → output)': [],
    'draw (output → drawImage returned)': [],
    'display (drawImage → seen on rAF)': [],
  };
  const glass: number[] = [];
  for (const [painted, seenAt] of to.seen) {
    glass.push(age(seenAt, painted));
    const e = encByPaint.get(painted);
    if (!e) continue;
    const ts = e[0];
    const eo = encOut.get(ts)?.[1];
    const di = decIn.get(ts)?.[1];
    const dout = decOut.get(ts)?.[1];
    const dr = draw.get(ts)?.[1];
    stage['capture (painted → encode())']!.push(age(e[1], painted) + (e[1] - Math.round(e[1])));
    if (eo) stage['encode (encode() → output)']!.push(eo - e[1]);
    if (eo && di) stage['network+relay+main thread (output → decode())']!.push(di - eo);
    if (di && dout) stage['decode (decode() → output)']!.push(dout - di);
    if (dout && dr) stage['draw (output → drawImage returned)']!.push(dr - dout);
    if (dr) stage['display (drawImage → seen on rAF)']!.push(seenAt - dr);
  }
  const lines = [
    `  glass-to-glass: ${stats(glass)} ms; ${(to.seen.length / to.seconds).toFixed(1)} new pictures/s seen, ` +
      `${(to.decOut.length / to.seconds).toFixed(1)} decoded/s, ${(to.draw.length / to.seconds).toFixed(1)} drawn/s, ` +
      `${(from.encIn.length / from.seconds).toFixed(1)} encode()/s and ${(from.encOut.length / from.seconds).toFixed(1)} encoded/s at the sender ` +
      `(${((from.encOut.reduce((s, r) => s + r[2], 0) * 8) / from.seconds / 1000).toFixed(0)} kbps)`,
  ];
  for (const [name, values] of Object.entries(stage)) lines.push(`    ${name.padEnd(48)} ${stats(values)} ms`);
  // Without the tile's barcode (frames not drawn, or drawn by a <video>): painted → decoder output, and → presented.
  const presented = byTs(to.presented);
  const toDecoded: number[] = [];
  const toPresented: number[] = [];
  for (const [ts, , painted] of from.encIn) {
    if (painted < 0) continue;
    const dout = decOut.get(ts)?.[1];
    if (dout) toDecoded.push(age(dout, painted));
    const shown = presented.get(ts)?.[1];
    if (shown) toPresented.push(age(shown, painted));
  }
  lines.push(`    ${'painted → decoder output (every 4th frame)'.padEnd(48)} ${stats(toDecoded)} ms`);
  // Every frame, joined by timestamp alone (works with any camera): encode() → shown on the tile (drawn or handed to the <video>).
  const encInByTs = byTs(from.encIn);
  const captureLag = from.encIn.map((r) => r[1] - r[0] / 1000);
  const lagFloor = Math.min(...captureLag);
  const pipeline: number[] = [];
  for (const [ts, drawnAt] of to.draw) {
    const e = encInByTs.get(ts)?.[1];
    if (e) pipeline.push(drawnAt - e);
  }
  lines.push(
    `    ${'all frames: encode() → drawn / handed to <video>'.padEnd(48)} ${stats(pipeline)} ms; ` +
      `capture wait above its minimum (encode() time − frame timestamp) ${stats(captureLag.map((v) => v - lagFloor))} ms`,
  );
  if (to.presented.length)
    lines.push(
      `    ${'painted → <video> presented (rVFC)'.padEnd(48)} ${stats(toPresented)} ms; ${(to.presented.length / to.seconds).toFixed(1)} presented/s`,
    );
  lines.push(
    `    encodeQueueSize at encode(): ${stats(from.encIn.map((r) => r[3]))}; decodeQueueSize at decode(): ${stats(to.decIn.map((r) => r[2]))}`,
  );
  return lines;
}

export async function runTwoPageCall(options: TwoPageCallOptions = {}): Promise<string> {
  const width = options.width ?? 1280;
  const height = options.height ?? 720;
  const seconds = options.seconds ?? 15;
  // The relay's outbound queue: bufferedAmount of the receiver's link at each media send, and drops.
  const relayBuffered: number[] = [];
  const relayDropped: number[] = [0];
  const media = Outbound.prototype.media;
  Outbound.prototype.media = function (this: Outbound, ...args: Parameters<Outbound['media']>) {
    const link = (this as unknown as { link: { bufferedAmount: number } }).link;
    relayBuffered.push(link.bufferedAmount);
    const sent = media.apply(this, args);
    if (!sent) relayDropped[0]!++;
    return sent;
  };
  const site = await startBenchSite();
  const browser = await launchBenchChromium();
  const out: string[] = [];
  try {
    const room = `diag-${Date.now().toString(36)}`;
    const query = (name: string, camera: boolean) =>
      `${site.url}/?room=${room}&name=${name}&mic=off${camera ? '' : '&camera=off'}` +
      `${options.transport ? `&transport=${options.transport}` : ''}${options.codec ? `&codec=${options.codec}` : ''}`;
    // The fake camera carries no barcode: no readbacks then, and its size is asked of getUserMedia.
    const camera = options.fakeCamera
      ? cameraSizeScript(width, height)
      : syntheticCameraScript({ width, height, barcode: true });
    const init = camera + '\n;' + instrumentScript({ ...options, probe: !options.fakeCamera });
    const a = await browser.newPage(query('A', true), init);
    const b = await browser.newPage(query('B', !options.oneSender), init);
    const live = await poll(
      () =>
        b.evaluate(() => {
          const el = document.querySelector('videocall-room');
          return el && el.participants.some((p) => p.framesDecoded > 10) ? true : undefined;
        }),
      30_000,
      250,
    );
    if (!live) throw new Error('B decoded no video from A in 30 s');
    await sleep((options.warmupSeconds ?? 5) * 1000);
    const reset = (page: Page) =>
      page.evaluate(() => (window as unknown as { __diag: { reset(): void } }).__diag.reset());
    await Promise.all([reset(a), reset(b)]);
    relayBuffered.length = 0;
    relayDropped[0] = 0;
    const cpu = cpuSampler();
    const load0 = loadavg()[0]!;
    const profilers = options.profile ? await Promise.all([a, b].map((page) => startProfile(browser, page))) : [];
    await sleep(seconds * 1000);
    const profiles = await Promise.all(profilers.map((stop) => stop()));
    const cpuRows = cpu();
    const collect = (page: Page) =>
      page.evaluate(() => {
        const d = (window as unknown as { __diag: PageRecord & { started: number } }).__diag;
        const el = document.querySelector('videocall-room');
        const room = el?.roomClient as unknown as Record<string, unknown> | null | undefined;
        const local = room?.local as { video?: { stats: unknown } } | undefined;
        const remote = room?.remote as { receivers?: Map<unknown, { video?: { stats: unknown } | null }> } | undefined;
        return {
          ...d,
          seconds: (performance.now() - d.started) / 1000,
          encoderStats: local?.video?.stats ?? null,
          decoderStats: [...(remote?.receivers?.values() ?? [])].map((r) => r.video?.stats ?? null),
          transport: `${String(room?.transportKind ?? '?')} (page ${document.visibilityState}${document.hasFocus() ? ', focused' : ''})`,
          codec: String(room?.videoCodec ?? '?'),
        } as PageRecord;
      });
    const [ra, rb] = [await collect(a), await collect(b)];
    const load1 = loadavg()[0]!;
    out.push(
      `two-page call, camera ${options.fakeCamera ? 'Chromium fake' : 'synthetic'} ${width}×${height}` +
        `${options.encodeWidth ? `, encoder at ${options.encodeWidth}×${options.encodeHeight}` : ''}` +
        `${options.encodeFps ? `, encoder at ${options.encodeFps} fps` : ''}${options.oneSender ? ', only A sends' : ''}` +
        `${options.noDraw ? ', decoded frames not drawn' : ''}${options.videoRender ? ', decoded frames shown by a <video> (track generator)' : ''}; ` +
        `codec ${ra.codec}, transport A ${ra.transport} / B ${rb.transport}; ${seconds} s measured; load average 1 min ${load0.toFixed(2)} → ${load1.toFixed(2)}`,
    );
    out.push(`A → B (B's view of A):`, ...direction(ra, rb));
    if (!options.oneSender) out.push(`B → A (A's view of B):`, ...direction(rb, ra));
    for (const [name, r] of [
      ['A', ra],
      ['B', rb],
    ] as const) {
      out.push(
        `page ${name}: main-thread timer lag ${stats(r.lagMs)} ms; long tasks ${r.longTasks} (${r.longTaskMs.toFixed(0)} ms); ` +
          `WebSocket bufferedAmount at send ${stats(r.wsBuffered)} B; WebTransport write() settle ${stats(r.wtWriteMs)} ms; ` +
          `unreadable tile reads ${r.unreadable}`,
      );
      out.push(
        `  main thread in drawImage, ms per s: ${Object.entries(r.drawMs)
          .map(([k, v]) => `${k} ${(v / r.seconds).toFixed(0)}`)
          .join(
            ', ',
          )}; per decoded frame drawn: ${stats(r.draw.length ? [(r.drawMs['VideoFrame → tile'] ?? 0) / r.draw.length] : [])} ms`,
      );
      out.push(`  encoder ${JSON.stringify(r.encoderStats)}`);
      out.push(`  decoder ${JSON.stringify(r.decoderStats)}`);
    }
    profiles.forEach((lines, i) =>
      out.push(`page ${i === 0 ? 'A' : 'B'} main thread (V8 sampling profiler, % of wall time):`, ...lines),
    );
    out.push(
      `relay outbound bufferedAmount at each media send: ${stats(relayBuffered)} B; media not sent ${relayDropped[0]}`,
    );
    out.push(`CPU (% of one core, 2 cores = 200 %):`);
    for (const row of cpuRows)
      out.push(
        `  ${row.percent.toFixed(0).padStart(4)} %  ${row.label} [${row.pid}]` +
          (row.threads.length ? `: ${row.threads.map(([n, p]) => `${n} ${p.toFixed(0)}`).join(', ')}` : ''),
      );
    out.push(`  total ${cpuRows.reduce((s, r) => s + r.percent, 0).toFixed(0)} %`);
  } finally {
    Outbound.prototype.media = media;
    await browser.close();
    await site.close();
  }
  return out.join('\n');
}

/** Starts the V8 sampling profiler on `page`; the returned function stops it and summarizes self time by function. */
async function startProfile(browser: BenchBrowser, page: Page): Promise<() => Promise<string[]>> {
  const session = await browser.context.newCDPSession(page);
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 1000 });
  await session.send('Profiler.start');
  const started = performance.now();
  return async () => {
    const { profile } = await session.send('Profiler.stop');
    const wallMs = performance.now() - started;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n] as const));
    const parents = new Map<number, number>();
    for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);
    const describe = (id: number | undefined): string => {
      const frame = id === undefined ? undefined : nodes.get(id)?.callFrame;
      if (!frame) return '?';
      const file = frame.url.split('/').at(-1) ?? '';
      return `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}:${frame.columnNumber + 1}` : ''}`;
    };
    const selfMs = new Map<string, number>();
    const deltas = profile.timeDeltas ?? [];
    (profile.samples ?? []).forEach((id, i) => {
      let name = describe(id);
      // A native function (no script of its own) is named with its caller: which drawImage it is matters.
      if (!nodes.get(id)?.callFrame.url && !name.startsWith('(')) name += ` ← ${describe(parents.get(id))}`;
      selfMs.set(name, (selfMs.get(name) ?? 0) + (deltas[i + 1] ?? 0) / 1000);
    });
    await session.detach().catch(() => undefined);
    return [...selfMs]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 14)
      .map(([name, ms]) => `    ${((ms / wallMs) * 100).toFixed(1).padStart(5)} %  ${name}`);
  };
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const size = argument('--size')?.split('x').map(Number);
  const encodeSize = argument('--encode-size')?.split('x').map(Number);
  const number = (name: string) => (argument(name) ? Number(argument(name)) : undefined);
  console.log(
    await runTwoPageCall({
      seconds: number('--seconds'),
      warmupSeconds: number('--warmup'),
      width: size?.[0],
      height: size?.[1],
      transport: argument('--transport') as TwoPageCallOptions['transport'],
      codec: argument('--codec'),
      encodeWidth: encodeSize?.[0],
      encodeHeight: encodeSize?.[1],
      encodeFps: number('--encode-fps'),
      oneSender: process.argv.includes('--one-sender'),
      fakeCamera: process.argv.includes('--fake-camera'),
      profile: process.argv.includes('--profile'),
      noDraw: process.argv.includes('--no-draw'),
      videoRender: process.argv.includes('--video-render'),
    }),
  );
}
