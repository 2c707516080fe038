/**
 * Which web origins may use this relay (`ALLOWED_ORIGINS`): checked on the
 * WebSocket upgrade, on the WebTransport CONNECT, and for CORS on what pages on
 * other origins fetch (`/webtransport.json` and the bundle).
 *
 * Browsers always send `Origin` on those requests, and a page can't forge it, so
 * the check stops other sites' pages from using the relay with their visitors'
 * browsers. A request without `Origin` is not from a page (a CLI, a server, a
 * test) and is let through: such a client could send any `Origin` it liked.
 * Pages served by the relay itself (the demo) are always allowed.
 */
import { ConfigError } from './errors.js';

export class OriginPolicy {
  private readonly allowed: ReadonlySet<string> | undefined;

  /** @param allowed origins as `https://host[:port]`; undefined or containing `*`: any origin. */
  constructor(allowed: readonly string[] | undefined) {
    this.allowed = allowed === undefined || allowed.includes('*') ? undefined : new Set(allowed);
  }

  /** True when any origin may use the relay (no allow-list). */
  get open(): boolean {
    return this.allowed === undefined;
  }

  /**
   * Whether a request with `origin` (its `Origin` header) may go on. `host` is
   * the `host:port` the relay was reached at over HTTP, so its own pages pass.
   */
  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined || this.allowed === undefined) return true;
    if (this.allowed.has(origin)) return true;
    return host !== undefined && sameHost(origin, host);
  }

  /** `Access-Control-Allow-Origin` for a request from `origin`: `*` when open, the origin when allowed, else none. */
  corsOrigin(origin: string | undefined, host: string | undefined): string | undefined {
    if (this.allowed === undefined) return '*';
    if (origin !== undefined && this.allows(origin, host)) return origin;
    return undefined;
  }
}

/** True when `origin` is `http(s)://<host>` exactly (host with its port, as a `Host` header has it). */
function sameHost(origin: string, host: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  const [hostname, port = defaultPort] = splitHost(host.toLowerCase());
  return url.hostname === hostname && (url.port || defaultPort) === port;
}

function splitHost(host: string): [string, string?] {
  // `[::1]:8080` keeps its brackets, as URL.hostname does.
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  return match ? [match[1]!, match[2]] : [host];
}

/**
 * `ALLOWED_ORIGINS`: origins separated by commas or spaces, each `http(s)://host[:port]`
 * (no path), or `*` for any. Throws {@link ConfigError}.
 */
export function parseAllowedOrigins(value: string): string[] {
  const list = value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw new ConfigError('ALLOWED_ORIGINS lists no origin; e.g. https://app.example.com');
  return list.map((entry) => {
    if (entry === '*') return entry;
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== entry.replace(/\/$/, '')) {
      throw new ConfigError(
        `ALLOWED_ORIGINS: "${entry}" is not an origin; write scheme, host and port only, e.g. https://app.example.com`,
      );
    }
    return url.origin;
  });
}
