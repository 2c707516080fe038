/**
 * Remembers, per browser version, which video codecs this browser encodes and
 * decodes, and which encoder configurations it accepts, so that joining a second
 * time skips the probes. The first
 * `isConfigSupported` of a page can hold its main thread for a second or more
 * on a busy machine (bench/wt-join-steps.ts), and `Join` waits for the probes.
 * Kept in `localStorage` (per site); blocked or damaged storage means probing
 * every time, as before.
 */
import type { VideoCodecName } from './codec-names.js';

const STORAGE_KEY = 'videocall-room:codec-support';

/** One kind's answers and the probes they answer: changed probes ask again. */
interface StoredAnswers {
  probes: string;
  codecs: VideoCodecName[];
}

/**
 * What is stored: a browser's answers, valid for that browser (user agent). Each
 * kind keeps its own probes (decoders and encoders are asked different questions),
 * so storing one kind's answer never makes the other's look stale.
 */
interface StoredSupport {
  /** The user agent the answers came from: a browser update probes again. */
  browser: string;
  decoders?: StoredAnswers;
  encoders?: StoredAnswers;
  /** Encoder configurations asked about (JSON without the bitrate) → the supported one (no bitrate) or null. */
  configs?: Record<string, VideoEncoderConfig | null>;
}

/**
 * Encoder configurations kept: a call asks about a few per codec (sizes of the
 * ladder × layers); beyond this the oldest go.
 */
const STORED_CONFIGS = 48;

type Kind = 'decoders' | 'encoders';

/**
 * The remembered answer for `kind` when there is one for this browser and
 * these `probes`; else `probe()`'s, which is remembered.
 */
export async function rememberedCodecs(
  kind: Kind,
  probes: string,
  probe: () => Promise<VideoCodecName[]>,
): Promise<VideoCodecName[]> {
  const known = read()?.[kind];
  if (known && known.probes === probes) return [...known.codecs];
  const found = await probe();
  // An empty answer may be a browser still starting its codecs: not worth remembering.
  // Read again: the other kind may have been stored while this one was probing.
  if (found.length > 0) write({ ...read(), [kind]: { probes, codecs: found } });
  return found;
}

/**
 * The remembered answer to "which of these does the encoder accept" for `key`
 * (an encoder configuration without its bitrate, as JSON) when this browser gave
 * one; else `probe()`'s, which is remembered. A join otherwise asks again for
 * each layer's configuration, and the first such question of a page held its
 * main thread 60–400 ms in a join on 2 cores (bench/join-time.ts profiles).
 */
export async function rememberedEncoderConfig(
  key: string,
  probe: () => Promise<VideoEncoderConfig | null>,
): Promise<VideoEncoderConfig | null> {
  const configs = read()?.configs;
  if (configs && Object.hasOwn(configs, key)) return configs[key] ?? null;
  const found = await probe();
  const stored = read();
  const entries = Object.entries(stored?.configs ?? {}).filter(([k]) => k !== key);
  // The bitrate is the caller's, not part of the answer (JSON leaves an undefined member out).
  entries.push([key, found && { ...found, bitrate: undefined }]);
  write({ ...stored, configs: Object.fromEntries(entries.slice(-STORED_CONFIGS)) });
  return found;
}

/** Forgets the stored answers (codec-support.ts's `forgetCodecSupport` forgets those in memory too). */
export function forgetRememberedCodecs(): void {
  try {
    globalThis.localStorage?.removeItem(STORAGE_KEY);
  } catch {
    // Storage blocked: there was nothing remembered.
  }
}

function currentBrowser(): string {
  return typeof navigator === 'undefined' ? '' : navigator.userAgent;
}

/** What is stored for this browser; null when nothing (or another browser's answers). */
function read(): StoredSupport | null {
  try {
    const text = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (!text) return null;
    const value: unknown = JSON.parse(text);
    return isStoredSupport(value) && value.browser === currentBrowser() ? value : null;
  } catch {
    return null; // blocked storage or damaged JSON: probe
  }
}

function write(value: Omit<StoredSupport, 'browser'>): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify({ ...value, browser: currentBrowser() }));
  } catch {
    // Blocked or full storage: the next join probes again.
  }
}

const CODECS: readonly string[] = ['vp8', 'vp9', 'av1', 'h264'];

function isCodecList(value: unknown): value is VideoCodecName[] {
  return Array.isArray(value) && value.every((c) => typeof c === 'string' && CODECS.includes(c));
}

function isStoredAnswers(value: unknown): value is StoredAnswers {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.probes === 'string' && isCodecList(v.codecs);
}

function isStoredConfigs(value: unknown): value is Record<string, VideoEncoderConfig | null> {
  // An answer the encoder later refuses makes video-encode.ts forget them all: checking the codec is enough here.
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every((c: { codec?: unknown } | null) => c === null || typeof c?.codec === 'string')
  );
}

function isStoredSupport(value: unknown): value is StoredSupport {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.browser === 'string' &&
    (v.decoders === undefined || isStoredAnswers(v.decoders)) &&
    (v.encoders === undefined || isStoredAnswers(v.encoders)) &&
    (v.configs === undefined || isStoredConfigs(v.configs))
  );
}
