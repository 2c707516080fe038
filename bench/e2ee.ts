/**
 * E2EE cost per media frame: SFrame (AES_128_GCM_SHA256_128) encrypt and
 * decrypt through the whole path the Room uses (`E2eeContext.encryptFrame` /
 * `decryptFrame`: metadata, SFrame header, AES-GCM, replay window, in-order
 * delivery), at frame sizes like ours:
 *
 * - audio: an Opus packet (~120 B)
 * - 360p: a VP8 delta frame at ~600 kbit/s (~15 kB)
 * - 720p: a delta frame at ~2.5 Mbit/s with generous headroom (~60 kB)
 * - keyframe: a 720p keyframe (~150 kB)
 *
 * with each AES-GCM provider of `src/e2ee/aead.ts`: `noble` (`@noble/ciphers`,
 * pure JavaScript), `webcrypto` (the default: `crypto.subtle`, native; here
 * Node's, OpenSSL on libuv's thread pool) and `hybrid` (WebCrypto from 2 KiB up,
 * noble below). For each it prints wall time per frame awaited one at a time,
 * process CPU time per frame (all threads: the honest cost), frames per second
 * one core can sustain, the noble/WebCrypto ratio, and the CPU share of a call
 * with 10 remote 720p tiles at 30 fps. Then the one-off costs: the passphrase
 * KDF, a key exchange with one peer, a key rotation.
 *
 * `--browser` runs the same measurements in headless Chromium too (BoringSSL on
 * WebCrypto's worker threads), where only wall time and throughput can be
 * measured, plus the main-thread time of issuing one WebCrypto call.
 * It prints; it never asserts.
 *
 *     npx tsx bench/e2ee.ts [--seconds 1] [--browser]
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hybridAesGcm, nobleAesGcm, webCryptoAesGcm, type AeadProvider } from '../src/e2ee/aead.js';
import { E2eeContext } from '../src/e2ee/e2ee-context.js';
import { deriveRoomSecret, PairHandshake } from '../src/e2ee/key-exchange.js';
import type { KeyExchangeMessage } from '../src/e2ee/key-messages.js';
import type { MediaFrameFields } from '../src/e2ee/media-metadata.js';

export const FRAME_SIZES = {
  audio: 120,
  '360p': 15_000,
  '720p': 60_000,
  keyframe: 150_000,
} as const;
export type FrameSizeName = keyof typeof FRAME_SIZES;

export interface E2eeBenchOptions {
  /** Measuring time per (cipher, size) case, seconds. Default 1. */
  secondsPerCase?: number;
  /** Which AES-GCM implementations. Default all three. */
  ciphers?: CipherName[];
  /** Which sizes. Default all. */
  sizes?: FrameSizeName[];
  /** Called with each row as it is measured. */
  onRow?: (row: E2eeBenchRow) => void;
  /** Also measure in headless Chromium (wall time and throughput; no CPU time there). */
  browser?: boolean;
  /** Called with each Chromium row. */
  onBrowserRow?: (row: BrowserBenchRow) => void;
}

/** `webcrypto` is the default; `hybrid` is WebCrypto from 2 KiB up, noble below. */
export type CipherName = 'noble' | 'webcrypto' | 'hybrid';

export interface BrowserBenchRow {
  cipher: CipherName;
  size: FrameSizeName;
  bytes: number;
  /** Wall time of one encrypt and one decrypt awaited one at a time, µs (mean over many). */
  wallEncryptMicros: number;
  wallDecryptMicros: number;
  /** Encrypt+decrypt round trips per second with 4 frames in flight: what the page can sustain. */
  framesPerSecond: number;
  /** Main-thread time to issue one raw WebCrypto AES-GCM encryption of this size, µs; null for noble. */
  dispatchMicros: number | null;
}

export interface E2eeBenchRow {
  cipher: CipherName;
  size: FrameSizeName;
  bytes: number;
  frames: number;
  /** Wall time of one encrypt, then one decrypt, awaited one at a time, µs (median). */
  wallEncryptMicros: number;
  wallDecryptMicros: number;
  /** Process CPU time (every thread) per encrypt and per decrypt, µs (mean). */
  cpuEncryptMicros: number;
  cpuDecryptMicros: number;
  /** Encrypt + decrypt CPU per frame, µs. */
  cpuRoundTripMicros: number;
  /** Frames one core could encrypt and decrypt per second: 10^6 / cpuRoundTripMicros. */
  framesPerSecondPerCore: number;
}

export interface E2eeBenchResult {
  rows: E2eeBenchRow[];
  /** noble CPU / WebCrypto CPU per encrypt+decrypt, by size. */
  nobleToWebCrypto: Partial<Record<FrameSizeName, number>>;
  /**
   * CPU share of one core, %, for decrypting 10 remote 720p tiles at 30 fps plus
   * encrypting our own 720p at 30 fps (and 50 audio packets/s each way per person).
   */
  tenTiles720pCpuPercent: Partial<Record<CipherName, number>>;
  /** scrypt of the passphrase, once per join, ms. */
  passphraseKdfMs: number;
  /** One pairwise handshake, both sides' work (3 X25519 ops each side, HKDF, hashes), ms. */
  handshakeMs: number;
  /** One key rotation when one of 10 participants leaves: a new key, wrapped for the 8 others, ms. */
  rotation10Ms: number;
  loadAverage: number[];
  /** Chromium figures, when asked for. */
  browser?: { userAgent: string; rows: BrowserBenchRow[] };
}

const VIDEO: MediaFrameFields = {
  kind: 2,
  codec: 2,
  keyframe: false,
  sequence: 1,
  timestamp: 0,
  width: 1280,
  height: 720,
};
const AUDIO: MediaFrameFields = { kind: 1, codec: 1, keyframe: true, audioLevel: 40, sequence: 1, timestamp: 0 };

/** Two E2EE contexts that have exchanged keys, with a synchronous in-process "relay". */
async function connectedPair(aead: AeadProvider): Promise<[E2eeContext, E2eeContext]> {
  const queue: [string, KeyExchangeMessage][] = [];
  const contexts = new Map<string, E2eeContext>();
  for (const id of ['alice', 'bob']) {
    contexts.set(id, new E2eeContext({ room: 'bench', sessionId: id, aead, send: (m) => queue.push([id, m]) }));
  }
  const [a, b] = [contexts.get('alice')!, contexts.get('bob')!];
  a.onPeerJoined('bob');
  b.onPeerJoined('alice');
  while (queue.length) {
    const [from, message] = queue.shift()!;
    contexts.get(message.target)?.receiveKeyExchange(from, message);
  }
  return [a, b];
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

const PROVIDERS: Record<CipherName, () => AeadProvider> = {
  noble: () => nobleAesGcm,
  webcrypto: () => webCryptoAesGcm(),
  hybrid: () => hybridAesGcm(),
};

async function measureCase(cipher: CipherName, size: FrameSizeName, seconds: number): Promise<E2eeBenchRow> {
  const aead = PROVIDERS[cipher]();
  const [sender, receiver] = await connectedPair(aead);
  const header = size === 'audio' ? AUDIO : VIDEO;
  const bytes = FRAME_SIZES[size];
  const plaintext = new Uint8Array(bytes).map((_, i) => (i * 131) & 0xff);

  // Warm up (JIT, key import).
  for (let i = 0; i < 3; i++)
    await receiver.decryptFrame('alice', header, await sender.encryptFrame(header, plaintext));

  // Wall time, one frame at a time.
  const wallEnc: number[] = [];
  const wallDec: number[] = [];
  const until = performance.now() + seconds * 500;
  while (performance.now() < until || wallEnc.length < 5) {
    let t = performance.now();
    const ct = await sender.encryptFrame(header, plaintext);
    wallEnc.push(performance.now() - t);
    t = performance.now();
    await receiver.decryptFrame('alice', header, ct);
    wallDec.push(performance.now() - t);
  }

  // CPU time, in batches as a call would have them in flight (a few frames at a time).
  const frames = Math.max(5, wallEnc.length);
  const batch = 4;
  let cpuEnc = 0;
  let cpuDec = 0;
  for (let done = 0; done < frames; done += batch) {
    const n = Math.min(batch, frames - done);
    let c = cpuMicros();
    const cts = await Promise.all(Array.from({ length: n }, () => sender.encryptFrame(header, plaintext)));
    cpuEnc += cpuMicros() - c;
    c = cpuMicros();
    await Promise.all(cts.map((ct) => receiver.decryptFrame('alice', header, ct)));
    cpuDec += cpuMicros() - c;
  }
  const cpuEncryptMicros = cpuEnc / frames;
  const cpuDecryptMicros = cpuDec / frames;
  const cpuRoundTripMicros = cpuEncryptMicros + cpuDecryptMicros;
  return {
    cipher,
    size,
    bytes,
    frames,
    wallEncryptMicros: median(wallEnc) * 1000,
    wallDecryptMicros: median(wallDec) * 1000,
    cpuEncryptMicros,
    cpuDecryptMicros,
    cpuRoundTripMicros,
    framesPerSecondPerCore: 1e6 / cpuRoundTripMicros,
  };
}

async function timeMs(work: () => unknown, runs = 1): Promise<number> {
  await work();
  const started = performance.now();
  for (let i = 0; i < runs; i++) await work();
  return (performance.now() - started) / runs;
}

/** Time for one of 10 participants to replace its key when another leaves: a new key wrapped for the 8 left. */
async function rotationMs(): Promise<number> {
  const queue: [string, KeyExchangeMessage][] = [];
  const ids = Array.from({ length: 10 }, (_, i) => `p${i}`);
  const contexts = new Map(
    ids.map((id) => [id, new E2eeContext({ room: 'bench', sessionId: id, send: (m) => queue.push([id, m]) })]),
  );
  for (const s of contexts.values()) for (const id of ids) s.onPeerJoined(id);
  while (queue.length) {
    const [from, m] = queue.shift()!;
    contexts.get(m.target)?.receiveKeyExchange(from, m);
  }
  const p0 = contexts.get('p0')!;
  await p0.encryptFrame(VIDEO, new Uint8Array(10));
  const started = performance.now();
  p0.onPeerLeft('p9');
  return performance.now() - started;
}

/** Runs every case and the one-off costs; returns the figures. */
export async function runE2eeBench(options: E2eeBenchOptions = {}): Promise<E2eeBenchResult> {
  const seconds = options.secondsPerCase ?? 1;
  const ciphers = options.ciphers ?? (['noble', 'webcrypto', 'hybrid'] as CipherName[]);
  const sizes = options.sizes ?? (Object.keys(FRAME_SIZES) as FrameSizeName[]);
  const rows: E2eeBenchRow[] = [];
  for (const size of sizes) {
    for (const cipher of ciphers) {
      const row = await measureCase(cipher, size, seconds);
      rows.push(row);
      options.onRow?.(row);
    }
  }
  const find = (cipher: string, size: FrameSizeName) => rows.find((r) => r.cipher === cipher && r.size === size);

  const nobleToWebCrypto: E2eeBenchResult['nobleToWebCrypto'] = {};
  for (const size of sizes) {
    const [n, w] = [find('noble', size), find('webcrypto', size)];
    if (n && w) nobleToWebCrypto[size] = n.cpuRoundTripMicros / w.cpuRoundTripMicros;
  }

  const tenTiles720pCpuPercent: E2eeBenchResult['tenTiles720pCpuPercent'] = {};
  for (const cipher of ciphers) {
    const [video, audio] = [find(cipher, '720p'), find(cipher, 'audio')];
    if (!video) continue;
    const audioMicros = audio ? (50 * 11 * (audio.cpuEncryptMicros + audio.cpuDecryptMicros)) / 2 : 0;
    const perSecond = 30 * video.cpuEncryptMicros + 10 * 30 * video.cpuDecryptMicros + audioMicros;
    tenTiles720pCpuPercent[cipher] = perSecond / 1e4;
  }

  const passphraseKdfMs = await timeMs(() => deriveRoomSecret('correct horse battery', 'bench'));
  const handshakeMs = await timeMs(() => {
    const a = new PairHandshake({ room: 'bench', selfId: 'a', peerId: 'b' });
    const b = new PairHandshake({ room: 'bench', selfId: 'b', peerId: 'a' });
    const reveal = b.receive(a.start()!).reply!;
    b.receive(a.receive(reveal).reply!);
  }, 50);
  const rotation10Ms = await rotationMs();

  const browser = options.browser ? await runInChromium(sizes, ciphers, seconds, options.onBrowserRow) : undefined;

  return {
    browser,
    rows,
    nobleToWebCrypto,
    tenTiles720pCpuPercent,
    passphraseKdfMs,
    handshakeMs,
    rotation10Ms,
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

/**
 * The same measurements in headless Chromium: `src/e2ee` bundled with rollup (the
 * TypeScript only transpiled), served from loopback (a secure context, so
 * `crypto.subtle` exists), measured by a script in the page.
 */
async function runInChromium(
  sizes: FrameSizeName[],
  ciphers: CipherName[],
  seconds: number,
  onRow?: (row: BrowserBenchRow) => void,
): Promise<{ userAgent: string; rows: BrowserBenchRow[] }> {
  const { chromium } = await import('playwright-core');
  const { chromiumArgs, CHROMIUM_PATH } = await import('../test/chromium.mjs');
  const bundle = await bundleE2ee();
  const server = createServer((_, res) => res.end('<!doctype html><title>e2ee bench</title>'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: chromiumArgs() });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.addScriptTag({ content: bundle });
    const userAgent = await page.evaluate('navigator.userAgent');
    const rows: BrowserBenchRow[] = [];
    for (const size of sizes) {
      for (const cipher of ciphers) {
        const args = JSON.stringify({ cipher, size, bytes: FRAME_SIZES[size], seconds });
        // A string, not a function: tsx's transform would add helpers the page does not have.
        const row = (await page.evaluate(`(${PAGE_CASE})(${args})`)) as BrowserBenchRow;
        rows.push(row);
        onRow?.(row);
      }
    }
    return { userAgent: String(userAgent), rows };
  } finally {
    await browser.close();
    server.close();
  }
}

/** `src/e2ee/index.ts` as one script that sets `globalThis.E2EE`. */
async function bundleE2ee(): Promise<string> {
  const { rollup } = await import('rollup');
  const { nodeResolve } = await import('@rollup/plugin-node-resolve');
  const ts = (await import('typescript')).default;
  const transpile = {
    name: 'transpile-ts',
    resolveId(source: string, importer?: string) {
      if (!importer?.endsWith('.ts') || !source.startsWith('.') || !source.endsWith('.js')) return null;
      const file = resolvePath(dirname(importer), source.replace(/\.js$/, '.ts'));
      return existsSync(file) ? file : null;
    },
    transform(code: string, id: string) {
      if (!id.endsWith('.ts')) return null;
      const options = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, useDefineForClassFields: false };
      return { code: ts.transpileModule(code, { fileName: id, compilerOptions: options }).outputText, map: null };
    },
  };
  const build = await rollup({
    input: fileURLToPath(new URL('../src/e2ee/index.ts', import.meta.url)),
    plugins: [transpile, nodeResolve({ browser: true })],
  });
  const { output } = await build.generate({ format: 'iife', name: 'E2EE' });
  await build.close();
  return output[0].code;
}

/** One case in the page: plain JavaScript, run as `(PAGE_CASE)(args)`. */
const PAGE_CASE = `async function ({ cipher, size, bytes, seconds }) {
  const { E2eeContext, nobleAesGcm, webCryptoAesGcm, hybridAesGcm } = globalThis.E2EE;
  const aead = { noble: () => nobleAesGcm, webcrypto: () => webCryptoAesGcm(), hybrid: () => hybridAesGcm() }[cipher]();
  const queue = [];
  const contexts = new Map();
  for (const id of ['alice', 'bob']) {
    contexts.set(id, new E2eeContext({ room: 'bench', sessionId: id, aead, send: (m) => queue.push([id, m]) }));
  }
  const a = contexts.get('alice'), b = contexts.get('bob');
  a.onPeerJoined('bob');
  b.onPeerJoined('alice');
  while (queue.length) {
    const [from, m] = queue.shift();
    contexts.get(m.target).receiveKeyExchange(from, m);
  }
  const header = size === 'audio'
    ? { kind: 1, codec: 1, keyframe: true, audioLevel: 40, sequence: 1, timestamp: 0 }
    : { kind: 2, codec: 2, keyframe: false, sequence: 1, timestamp: 0, width: 1280, height: 720 };
  const pt = new Uint8Array(bytes).map((_, i) => (i * 131) & 255);
  for (let i = 0; i < 3; i++) await b.decryptFrame('alice', header, await a.encryptFrame(header, pt));
  // Chromium rounds performance.now() to 100 µs here (no cross-origin isolation): time many frames, not one.
  const cts = [];
  let started = performance.now();
  let until = started + seconds * 300;
  while (performance.now() < until || cts.length < 8) cts.push(await a.encryptFrame(header, pt));
  const encryptMicros = ((performance.now() - started) * 1000) / cts.length;
  started = performance.now();
  for (const ct of cts) await b.decryptFrame('alice', header, ct);
  const decryptMicros = ((performance.now() - started) * 1000) / cts.length;
  // Main-thread share of a WebCrypto call: issuing 64 encryptions without waiting (the copy of the
  // input and the dispatch to WebCrypto's threads happen in the call; the cipher runs elsewhere).
  let dispatchMicros = null;
  if (cipher !== 'noble') {
    const key = await crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['encrypt']);
    const iv = new Uint8Array(12);
    const t = performance.now();
    const pending = [];
    for (let i = 0; i < 64; i++) pending.push(crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: iv }, key, pt));
    dispatchMicros = ((performance.now() - t) * 1000) / 64;
    await Promise.all(pending);
  }
  let frames = 0;
  started = performance.now();
  until = started + seconds * 400;
  while (performance.now() < until || frames < 8) {
    const batch = await Promise.all([0, 1, 2, 3].map(() => a.encryptFrame(header, pt)));
    await Promise.all(batch.map((ct) => b.decryptFrame('alice', header, ct)));
    frames += 4;
  }
  const framesPerSecond = frames / ((performance.now() - started) / 1000);
  return { cipher, size, bytes, wallEncryptMicros: encryptMicros, wallDecryptMicros: decryptMicros, framesPerSecond, dispatchMicros };
}`;

/** One line per Chromium row. */
export function describeBrowserRow(r: BrowserBenchRow): string {
  const f = (n: number, d = 0) => n.toFixed(d).padStart(7);
  return (
    `${r.cipher.padEnd(9)} ${r.size.padEnd(8)} ${String(r.bytes).padStart(7)} B | ` +
    `wall enc ${f(r.wallEncryptMicros)} µs dec ${f(r.wallDecryptMicros)} µs | ` +
    `${f(r.framesPerSecond)} enc+dec/s with 4 in flight` +
    (r.dispatchMicros === null ? '' : ` | main thread per WebCrypto call ${f(r.dispatchMicros, 1)} µs`)
  );
}

/** One line per row. */
export function describeRow(r: E2eeBenchRow): string {
  const f = (n: number, d = 0) => n.toFixed(d).padStart(7);
  return (
    `${r.cipher.padEnd(9)} ${r.size.padEnd(8)} ${String(r.bytes).padStart(7)} B | ` +
    `wall enc ${f(r.wallEncryptMicros)} µs dec ${f(r.wallDecryptMicros)} µs | ` +
    `CPU enc ${f(r.cpuEncryptMicros)} µs dec ${f(r.cpuDecryptMicros)} µs enc+dec ${f(r.cpuRoundTripMicros)} µs | ` +
    `${f(r.framesPerSecondPerCore)} frames/s/core (${r.frames} frames)`
  );
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const seconds = argument('--seconds');
  const inBrowser = process.argv.includes('--browser');
  console.log(
    `E2EE per frame (SFrame AES_128_GCM_SHA256_128), Node ${process.version}, load ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  const result = await runE2eeBench({
    secondsPerCase: seconds ? Number(seconds) : undefined,
    onRow: (row) => console.log(`node      ${describeRow(row)}`),
    browser: inBrowser,
    onBrowserRow: (row) => console.log(`chromium  ${describeBrowserRow(row)}`),
  });
  for (const [size, ratio] of Object.entries(result.nobleToWebCrypto)) {
    console.log(`noble / WebCrypto CPU at ${size}: ${ratio.toFixed(1)}×`);
  }
  for (const [cipher, percent] of Object.entries(result.tenTiles720pCpuPercent)) {
    console.log(`10 remote 720p tiles at 30 fps + own 720p + audio, ${cipher}: ${percent.toFixed(1)} % of one core`);
  }
  console.log(
    `one-off: passphrase scrypt ${result.passphraseKdfMs.toFixed(0)} ms, handshake (both sides) ${result.handshakeMs.toFixed(2)} ms, ` +
      `rotation when 1 of 10 leaves ${result.rotation10Ms.toFixed(2)} ms; load after ${result.loadAverage.join(' ')}`,
  );
}
