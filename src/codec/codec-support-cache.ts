/**
 * Remembers, per browser version, which video codecs this browser encodes and
 * decodes, so that joining a second time skips the probes. The first
 * `isConfigSupported` of a page can hold its main thread for a second or more
 * on a busy machine (bench/wt-join-steps.ts), and `Join` waits for the probes.
 * Kept in `localStorage` (per site); blocked or damaged storage means probing
 * every time, as before.
 */
import type { VideoCodecName } from './codec-names.js';

const STORAGE_KEY = 'videocall-room:codec-support';

/** What is stored: a browser's answers, valid for that browser (user agent) and that set of probes. */
interface StoredSupport {
  /** The user agent the answers came from: a browser update probes again. */
  browser: string;
  /** The probes asked (codec strings and their options): changed probes ask again. */
  probes: string;
  decoders?: VideoCodecName[];
  encoders?: VideoCodecName[];
}

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
  const stored = read();
  const browser = currentBrowser();
  const valid = stored && stored.browser === browser && stored.probes === probes ? stored : null;
  const known = valid?.[kind];
  if (known) return [...known];
  const found = await probe();
  // An empty answer may be a browser still starting its codecs: not worth remembering.
  if (found.length > 0) write({ browser, probes, ...(valid ?? {}), [kind]: found });
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

function read(): StoredSupport | null {
  try {
    const text = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (!text) return null;
    const value: unknown = JSON.parse(text);
    return isStoredSupport(value) ? value : null;
  } catch {
    return null; // blocked storage or damaged JSON: probe
  }
}

function write(value: StoredSupport): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(value));
  } catch {
    // Blocked or full storage: the next join probes again.
  }
}

const CODECS: readonly string[] = ['vp8', 'vp9', 'av1', 'h264'];

function isCodecList(value: unknown): value is VideoCodecName[] {
  return Array.isArray(value) && value.every((c) => typeof c === 'string' && CODECS.includes(c));
}

function isStoredSupport(value: unknown): value is StoredSupport {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.browser === 'string' &&
    typeof v.probes === 'string' &&
    (v.decoders === undefined || isCodecList(v.decoders)) &&
    (v.encoders === undefined || isCodecList(v.encoders))
  );
}
