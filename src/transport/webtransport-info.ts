/**
 * Where a relay's WebTransport endpoint is (`webtransport.json`): fetched and
 * checked, and remembered per relay so that a later join can start its
 * handshake at once instead of after a round trip on a page that is busy
 * joining (the fetch's answer reached a joining page 60–100 ms after the
 * network had it; bench `join`).
 */
import { WEBTRANSPORT_PATH, type WebTransportInfo } from '../protocol/endpoints.js';
import { TransportError } from './errors.js';
import { WEBTRANSPORT_INFO_STORAGE_KEY } from './webtransport-info-key.js';
import { untilAborted } from '../shared/until-aborted.js';

/** Relays remembered; the least recently saved is forgotten first. */
const MAX_RELAYS = 8;
/**
 * How long a remembered description is used. A development relay generates a
 * new certificate at each start, so an old one is often stale: trying it costs
 * one failed handshake, and the fetched one is used then.
 */
const REMEMBER_MS = 24 * 60 * 60 * 1000;

/** Where descriptions are remembered: the page's `localStorage`, or what a worker (which has none) is given. */
export type WebTransportInfoStorage = Pick<Storage, 'getItem' | 'setItem'>;

let storage: WebTransportInfoStorage | undefined;

/**
 * Remembers descriptions in `store` instead of `localStorage`: a worker has no
 * `localStorage`, so the page hands it the entry ({@link WEBTRANSPORT_INFO_STORAGE_KEY})
 * and writes back what the worker saves.
 */
export function useWebTransportInfoStorage(store: WebTransportInfoStorage): void {
  storage = store;
}

export { WEBTRANSPORT_INFO_STORAGE_KEY };
const STORAGE_KEY = WEBTRANSPORT_INFO_STORAGE_KEY;

interface Remembered {
  info: WebTransportInfo;
  savedAt: number;
}

/**
 * The description last fetched from `url`, if it is recent and its pinned
 * certificate has not expired; undefined otherwise (also where storage is blocked).
 */
export function rememberedWebTransportInfo(url: string, now: number = Date.now()): WebTransportInfo | undefined {
  const entry = readAll()[url];
  if (!entry || !(now - entry.savedAt < REMEMBER_MS) || entry.savedAt > now) return undefined;
  const expires = entry.info.expires === undefined ? Number.POSITIVE_INFINITY : Date.parse(entry.info.expires);
  return expires > now ? entry.info : undefined;
}

/** Remembers what `url` answered, for the next connect. */
export function rememberWebTransportInfo(url: string, info: WebTransportInfo, now: number = Date.now()): void {
  const all = readAll();
  all[url] = { info, savedAt: now };
  const kept = Object.entries(all)
    .sort((a, b) => b[1].savedAt - a[1].savedAt)
    .slice(0, MAX_RELAYS);
  write(Object.fromEntries(kept));
}

/** Forgets what `url` answered (asking it again failed: the relay no longer describes it). */
export function forgetWebTransportInfo(url: string): void {
  const all = readAll();
  delete all[url];
  write(all);
}

/** Whether two descriptions lead to the same session (same port, path and pinned hashes, in order). */
export function sameWebTransportInfo(a: WebTransportInfo, b: WebTransportInfo): boolean {
  const key = (info: WebTransportInfo) => JSON.stringify([info.port, info.path, info.serverCertificateHashes]);
  return key(a) === key(b);
}

/**
 * Fetches and checks `webtransport.json` at `url`. Rejects with a
 * `webtransport-unavailable` {@link TransportError} saying why (no answer, 404:
 * the relay runs no WebTransport, not JSON, malformed).
 */
export async function fetchWebTransportInfo(
  url: string,
  signal: AbortSignal,
  why: () => string,
): Promise<WebTransportInfo> {
  let response: Response;
  try {
    response = await fetch(url, { signal, cache: 'no-store', credentials: 'omit' });
  } catch (cause) {
    throw unavailable(
      `Cannot ask the relay about WebTransport at ${url} (${signal.aborted ? why() : messageOf(cause)}).`,
      cause,
    );
  }
  if (response.status === 404) {
    throw unavailable(
      `The relay does not offer WebTransport (${url} answered 404); use transport="auto" or "websocket".`,
    );
  }
  if (!response.ok) throw unavailable(`The relay's WebTransport description ${url} answered ${response.status}.`);
  let info: unknown;
  try {
    info = await untilAborted(response.json() as Promise<unknown>, signal);
  } catch (cause) {
    throw unavailable(`The relay's WebTransport description at ${url} is not JSON (${messageOf(cause)}).`, cause);
  }
  const checked = checkWebTransportInfo(info);
  if (!checked) throw unavailable(`The relay's WebTransport description at ${url} is malformed.`);
  return checked;
}

/** `value` as a {@link WebTransportInfo}, or undefined when it is not one. */
export function checkWebTransportInfo(value: unknown): WebTransportInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const port = v.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const path = typeof v.path === 'string' && v.path ? v.path : WEBTRANSPORT_PATH;
  const list = Array.isArray(v.serverCertificateHashes) ? (v.serverCertificateHashes as unknown[]) : [];
  const hashes: WebTransportInfo['serverCertificateHashes'] = [];
  for (const item of list) {
    const h = item as { algorithm?: unknown; value?: unknown } | null;
    if (typeof h?.algorithm !== 'string' || typeof h.value !== 'string') return undefined;
    hashes.push({ algorithm: h.algorithm, value: h.value });
  }
  return {
    port,
    path,
    serverCertificateHashes: hashes,
    ...(typeof v.expires === 'string' ? { expires: v.expires } : {}),
  };
}

export function unavailable(message: string, cause?: unknown): TransportError {
  return new TransportError('webtransport-unavailable', message, { cause });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function readAll(): Record<string, Remembered> {
  try {
    const text = (storage ?? globalThis.localStorage)?.getItem(STORAGE_KEY);
    if (!text) return {};
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return {};
    const all: Record<string, Remembered> = {};
    for (const [url, entry] of Object.entries(value as Record<string, unknown>)) {
      const e = entry as { info?: unknown; savedAt?: unknown } | null;
      const info = checkWebTransportInfo(e?.info);
      // NaN or a string fails the age check anyway; only a number is kept.
      if (info && typeof e?.savedAt === 'number') all[url] = { info, savedAt: e.savedAt };
    }
    return all;
  } catch {
    return {}; // blocked storage or damaged JSON: fetch
  }
}

function write(all: Record<string, Remembered>): void {
  try {
    (storage ?? globalThis.localStorage)?.setItem(STORAGE_KEY, JSON.stringify(all));
  } catch {
    // Blocked or full storage: the next connect fetches first.
  }
}
