/**
 * Simulcast encode cost: what it costs a sender's CPU to publish 1280×720 +
 * 640×360 + 320×180 in headless Chromium (WebCodecs, software) as three
 * separate `VideoEncoder`s fed the same camera frame, against one encoder with a
 * spatial scalability mode (`L3T3`, `L2T3`, `S3T3`, where `isConfigSupported`
 * says yes), for VP8, VP9, AV1 and H.264. The baseline in the same run:
 * one 720p encoder (`L1T2`, what the element sent before simulcast).
 *
 * The input is 60 webcam-like 1280×720 I420 frames made in the page before any
 * measurement (a panning texture, a moving subject, sensor noise; the camera
 * path's own cost is the same for every setup and left out). Each setup encodes
 * them flat out (at most two frames queued per encoder, realtime mode, 30 fps
 * timestamps) while the CPU time of every Chromium process is read from /proc:
 * CPU per camera frame is the figure, robust to other work on the machine in a
 * way wall time is not. Ratios compare with one 720p encoder.
 *
 * It also checks what the separate encoders rely on: an encoder configured
 * smaller than the `VideoFrame` it is given scales the frame (its first
 * keyframe is decoded and its size printed).
 *
 *     npx tsx bench/simulcast-encode.ts [--frames 240] [--rounds 3] [--codecs vp8,vp9]
 */
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchBenchChromium, startBenchSite } from './chromium.js';
import { descendantsCpuSeconds } from './machine.js';

export interface SimulcastEncodeOptions {
  /** Camera frames encoded per configuration. Default 240 (8 s of 30 fps video). */
  frames?: number;
  codecs?: string[];
  /** Rounds per setup; the median round is kept. Default 3. */
  rounds?: number;
  onRow?: (row: SimulcastEncodeRow, rows: readonly SimulcastEncodeRow[]) => void;
}

export interface SimulcastEncodeRow {
  codec: string;
  /** `single-720p` (the baseline), `3-encoders`, or a scalability mode of one encoder. */
  setup: string;
  supported: boolean;
  /** CPU time of all Chromium processes per camera frame (all layers of it), ms. */
  cpuMsPerFrame: number;
  /** Wall time per camera frame, encoding flat out, ms. */
  wallMsPerFrame: number;
  /** Encoded output per camera frame, all layers, kbit. */
  kbitPerFrame: number;
  /** Encoded chunks per camera frame (3 for three encoders; one per spatial layer or per superframe with SVC). */
  chunksPerFrame: number;
  /** Size each encoder's first keyframe decodes to (`3-encoders`: the scaling check). */
  decodedSizes: string[];
}

const CODECS: Record<string, string> = {
  vp8: 'vp8',
  vp9: 'vp09.00.10.08',
  av1: 'av01.0.04M.08',
  h264: 'avc1.42E01F',
};

const LAYERS = [
  { width: 1280, height: 720 },
  { width: 640, height: 360 },
  { width: 320, height: 180 },
];

/** The same scaling as src/codec/video-bitrate.ts (duplicated: the page cannot import it). */
function bitrate(width: number, height: number): number {
  const ratio = (width * height * 30) / (1280 * 720 * 30);
  return Math.round(Math.min(4_000_000, Math.max(80_000, 1_300_000 * Math.pow(ratio, 0.65))) / 1000) * 1000;
}

interface PageSetup {
  codec: string;
  /** One entry per encoder. */
  encoders: VideoEncoderConfig[];
}

interface PageResult {
  framesIn: number;
  framesOut: number;
  bytes: number;
  decodedSizes: string[];
  seconds: number;
}

/**
 * Makes `count` webcam-like 1280×720 I420 frames in the page (a panning
 * textured background, a moving subject, sensor noise on every frame), kept as
 * `window.benchFrames`. Made once, before any window is measured. Runs in the page.
 */
function makeFramesInPage(count: number): void {
  const W = 1280;
  const H = 720;
  const texture = new OffscreenCanvas(2 * W, 2 * H);
  const t = texture.getContext('2d')!;
  let seed = 12345;
  const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  t.fillStyle = '#556';
  t.fillRect(0, 0, 2 * W, 2 * H);
  for (let i = 0; i < 900; i++) {
    const x = random() * 2 * W;
    const y = random() * 2 * H;
    const r = (0.01 + random() * 0.08) * W;
    const g = t.createRadialGradient(x, y, 0, x, y, r);
    const c = `rgba(${Math.floor(random() * 255)},${Math.floor(random() * 255)},${Math.floor(random() * 255)}`;
    g.addColorStop(0, c + ',0.9)');
    g.addColorStop(1, c + ',0)');
    t.fillStyle = g;
    t.fillRect(x - r, y - r, 2 * r, 2 * r);
  }
  const canvas = new OffscreenCanvas(W, H);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const frames: VideoFrame[] = [];
  for (let n = 0; n < count; n++) {
    ctx.drawImage(texture, (n * 7) % W, (n * 3) % H, W, H, 0, 0, W, H);
    ctx.fillStyle = '#c96';
    ctx.beginPath();
    ctx.arc(W / 2 + 200 * Math.sin(n / 9), H / 2 + 80 * Math.cos(n / 7), 150, 0, 2 * Math.PI);
    ctx.fill();
    const rgba = ctx.getImageData(0, 0, W, H).data;
    // RGBA → I420 (BT.601), with noise on luma, as a camera's sensor adds.
    const i420 = new Uint8Array((W * H * 3) / 2);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = 4 * (y * W + x);
        const luma = 0.257 * rgba[i]! + 0.504 * rgba[i + 1]! + 0.098 * rgba[i + 2]! + 16 + (random() - 0.5) * 12;
        i420[y * W + x] = Math.max(0, Math.min(255, luma));
      }
    const u0 = W * H;
    const v0 = u0 + (W * H) / 4;
    for (let y = 0; y < H / 2; y++)
      for (let x = 0; x < W / 2; x++) {
        const i = 4 * (2 * y * W + 2 * x);
        const r = rgba[i]!;
        const g = rgba[i + 1]!;
        const b = rgba[i + 2]!;
        i420[u0 + y * (W / 2) + x] = -0.148 * r - 0.291 * g + 0.439 * b + 128;
        i420[v0 + y * (W / 2) + x] = 0.439 * r - 0.368 * g - 0.071 * b + 128;
      }
    frames.push(new VideoFrame(i420, { format: 'I420', codedWidth: W, codedHeight: H, timestamp: 0 }));
  }
  (window as unknown as { benchFrames: VideoFrame[] }).benchFrames = frames;
}

/**
 * Encodes `total` frames (the made ones, over and over, 30 fps timestamps) flat
 * out through `setup`'s encoders, each frame to every encoder, at most two
 * queued per encoder. Runs in the page.
 */
async function encodeInPage(args: { setup: PageSetup; total: number }): Promise<PageResult | null> {
  const { setup, total } = args;
  const frames = (window as unknown as { benchFrames: VideoFrame[] }).benchFrames;
  for (const [i, config] of setup.encoders.entries()) {
    if ((await VideoEncoder.isConfigSupported(config)).supported) continue;
    // Some encoders lack constant bitrate: the mode without it counts as supported too.
    const variable: VideoEncoderConfig = { ...config, bitrateMode: 'variable' };
    if (!(await VideoEncoder.isConfigSupported(variable)).supported) return null;
    setup.encoders[i] = variable;
  }
  const counters = { framesIn: 0, framesOut: 0, bytes: 0 };
  const decodedSizes: string[] = [];
  const decoding: Promise<void>[] = [];
  const encoders = setup.encoders.map((config, index) => {
    let first = true;
    const encoder = new VideoEncoder({
      output: (chunk, metadata) => {
        counters.framesOut++;
        counters.bytes += chunk.byteLength;
        if (!first || chunk.type !== 'key') return;
        first = false;
        // Decode the first keyframe: the size it comes out at shows whether the encoder scaled.
        const data = new Uint8Array(chunk.byteLength);
        chunk.copyTo(data);
        const decoderConfig = metadata?.decoderConfig ?? { codec: config.codec };
        decoding.push(
          new Promise<void>((resolve) => {
            const decoder = new VideoDecoder({
              output: (frame) => {
                decodedSizes[index] = `${frame.displayWidth}x${frame.displayHeight}`;
                frame.close();
                resolve();
              },
              error: (e) => {
                decodedSizes[index] = `error: ${e.message}`;
                resolve();
              },
            });
            decoder.configure(decoderConfig);
            decoder.decode(new EncodedVideoChunk({ type: 'key', timestamp: chunk.timestamp, data }));
            void decoder.flush().then(
              () => decoder.close(),
              () => undefined,
            );
          }),
        );
      },
      error: (e) => console.error(`encoder ${index}: ${e.message}`),
    });
    encoder.configure(config);
    return encoder;
  });
  const room = (encoder: VideoEncoder): Promise<void> =>
    encoder.encodeQueueSize <= 2
      ? Promise.resolve()
      : new Promise((resolve) => encoder.addEventListener('dequeue', () => resolve(), { once: true }));
  const started = performance.now();
  for (let n = 0; n < total; n++) {
    const frame = new VideoFrame(frames[n % frames.length]!, { timestamp: Math.round((n * 1e6) / 30) });
    for (const encoder of encoders) {
      while (encoder.encodeQueueSize > 2) await room(encoder);
      encoder.encode(frame, { keyFrame: n % 150 === 0 });
    }
    frame.close();
    counters.framesIn++;
  }
  await Promise.all(encoders.map((e) => e.flush()));
  const seconds = (performance.now() - started) / 1000;
  await Promise.race([Promise.all(decoding), new Promise((r) => setTimeout(r, 2000))]);
  for (const e of encoders) if (e.state !== 'closed') e.close();
  return { ...counters, decodedSizes, seconds };
}

async function measure(
  page: Page,
  setup: PageSetup,
  total: number,
): Promise<(PageResult & { cpuSeconds: number }) | null> {
  const before = descendantsCpuSeconds();
  const result = await page.evaluate(encodeInPage, { setup, total });
  if (!result) return null;
  return { ...result, cpuSeconds: descendantsCpuSeconds() - before };
}

/** The round with the median CPU per frame; null when there is none (unsupported). */
function median<T extends PageResult & { cpuSeconds: number }>(results: T[]): T | null {
  const sorted = [...results].sort((a, b) => a.cpuSeconds / a.framesIn - b.cpuSeconds / b.framesIn);
  return sorted[Math.floor(sorted.length / 2)] ?? null;
}

function encoderConfig(
  codec: string,
  size: { width: number; height: number },
  mode: string,
  bps: number,
): VideoEncoderConfig {
  const config: VideoEncoderConfig = {
    codec: CODECS[codec]!,
    width: size.width,
    height: size.height,
    bitrate: bps,
    framerate: 30,
    bitrateMode: 'constant',
    latencyMode: 'realtime',
    hardwareAcceleration: 'no-preference',
    scalabilityMode: mode,
  };
  if (codec === 'h264') config.avc = { format: 'annexb' };
  return config;
}

export async function runSimulcastEncode(options: SimulcastEncodeOptions = {}): Promise<SimulcastEncodeRow[]> {
  const total = options.frames ?? 240;
  const rounds = options.rounds ?? 3;
  const codecs = options.codecs ?? Object.keys(CODECS);
  const site = await startBenchSite({ 'simulcast.html': '<!doctype html><title>simulcast encode</title>' });
  const browser = await launchBenchChromium();
  const rows: SimulcastEncodeRow[] = [];
  try {
    const page = await browser.newPage(`${site.url}/simulcast.html`);
    await page.evaluate(makeFramesInPage, 60);
    const row = (codec: string, setup: string, r: (PageResult & { cpuSeconds: number }) | null): void => {
      const out: SimulcastEncodeRow = r
        ? {
            codec,
            setup,
            supported: true,
            cpuMsPerFrame: (r.cpuSeconds * 1000) / r.framesIn,
            wallMsPerFrame: (r.seconds * 1000) / r.framesIn,
            kbitPerFrame: (r.bytes * 8) / 1000 / r.framesIn,
            chunksPerFrame: r.framesOut / r.framesIn,
            decodedSizes: r.decodedSizes,
          }
        : {
            codec,
            setup,
            supported: false,
            cpuMsPerFrame: NaN,
            wallMsPerFrame: NaN,
            kbitPerFrame: 0,
            chunksPerFrame: 0,
            decodedSizes: [],
          };
      rows.push(out);
      options.onRow?.(out, rows);
    };
    for (const codec of codecs) {
      const single = [encoderConfig(codec, LAYERS[0]!, 'L1T2', bitrate(1280, 720))];
      const separate = LAYERS.map((l) => encoderConfig(codec, l, 'L1T2', bitrate(l.width, l.height)));
      // Interleaved rounds, the median kept: other work on the machine comes and goes.
      const singles: (PageResult & { cpuSeconds: number })[] = [];
      const separates: (PageResult & { cpuSeconds: number })[] = [];
      for (let round = 0; round < rounds; round++) {
        const a = await measure(page, { codec, encoders: single }, total);
        const b = await measure(page, { codec, encoders: separate }, total);
        if (a) singles.push(a);
        if (b) separates.push(b);
      }
      row(codec, 'single-720p', median(singles));
      row(codec, '3-encoders', median(separates));
      const sum = LAYERS.reduce((s, l) => s + bitrate(l.width, l.height), 0);
      for (const mode of ['L3T3', 'L2T3', 'S3T3']) {
        const one = [encoderConfig(codec, LAYERS[0]!, mode, sum)];
        const results: (PageResult & { cpuSeconds: number })[] = [];
        for (let round = 0; round < rounds; round++) {
          const r = await measure(page, { codec, encoders: one }, total);
          if (!r) break;
          results.push(r);
        }
        row(codec, mode, median(results));
      }
    }
  } finally {
    await browser.close();
    await site.close();
  }
  return rows;
}

/** One row as a line, with its ratio to the same codec's single 720p encoder. */
export function describeSimulcastRow(r: SimulcastEncodeRow, rows: readonly SimulcastEncodeRow[]): string {
  if (!r.supported) return `  ${r.codec.padEnd(5)} ${r.setup.padEnd(12)} not supported (isConfigSupported)`;
  const single = rows.find((x) => x.codec === r.codec && x.setup === 'single-720p');
  const ratio =
    single && r !== single ? ` (×${(r.cpuMsPerFrame / single.cpuMsPerFrame).toFixed(2)} of one 720p encoder)` : '';
  const sizes = r.decodedSizes.length ? `, first keyframes decode to ${r.decodedSizes.join(' ')}` : '';
  return (
    `  ${r.codec.padEnd(5)} ${r.setup.padEnd(12)} ${r.cpuMsPerFrame.toFixed(1).padStart(5)} CPU ms per camera frame${ratio}, ` +
    `${r.wallMsPerFrame.toFixed(1)} ms wall, ${r.kbitPerFrame.toFixed(1)} kbit and ${r.chunksPerFrame.toFixed(2)} chunks per frame${sizes}`
  );
}

/** The cheaper way to send three layers for each codec, by the measured figure. */
export function simulcastVerdict(rows: readonly SimulcastEncodeRow[]): string[] {
  const out: string[] = [];
  for (const codec of new Set(rows.map((r) => r.codec))) {
    const separate = rows.find((r) => r.codec === codec && r.setup === '3-encoders');
    const svc = rows
      .filter(
        (r) =>
          r.codec === codec && r.supported && /^[LS]\dT\d$/.test(r.setup) && r.setup.match(/^[LS](\d)/)![1] === '3',
      )
      .sort((a, b) => a.cpuMsPerFrame - b.cpuMsPerFrame)[0];
    if (!separate?.supported) continue;
    if (!svc) out.push(`${codec}: three encoders (no three-layer scalability mode supported)`);
    else
      out.push(
        `${codec}: ${svc.cpuMsPerFrame < separate.cpuMsPerFrame ? svc.setup : 'three encoders'} ` +
          `(three encoders ${separate.cpuMsPerFrame.toFixed(1)} ms, ${svc.setup} ${svc.cpuMsPerFrame.toFixed(1)} ms CPU per frame, ` +
          `×${(svc.cpuMsPerFrame / separate.cpuMsPerFrame).toFixed(2)})`,
      );
  }
  return out;
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const frames = argument('--frames');
  const rows = await runSimulcastEncode({
    frames: frames ? Number(frames) : undefined,
    codecs: argument('--codecs')?.split(','),
    rounds: argument('--rounds') ? Number(argument('--rounds')) : undefined,
    onRow: (r, all) => console.log(describeSimulcastRow(r, all)),
  });
  for (const line of simulcastVerdict(rows)) console.log(`  choice: ${line}`);
}
