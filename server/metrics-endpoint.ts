/**
 * Who may read `/metrics`, and where: on the relay's own port (default), or on
 * a port of its own (`METRICS_PORT`, e.g. reachable only from the monitoring
 * network), and optionally only with `Authorization: Bearer <METRICS_TOKEN>`.
 * The figures tell an outsider how busy the relay is and which limits bite; an
 * operator decides who sees them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from './log.js';

const log = createLogger('http');

export interface MetricsAccess {
  /** The bearer token a scrape must carry; undefined: no token needed. */
  token: string | undefined;
  /** Renders every family in Prometheus text format. */
  render(): Promise<string>;
  /** Counts a scrape refused for its token. */
  refused(): void;
}

/** Whether an `Authorization` header carries `token` as a bearer token (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  // Hashes have one length, so the comparison leaks neither the token nor its length.
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

/** Answers one `/metrics` request (GET or HEAD): 401 without the right token, else the families. */
export function serveMetrics(access: MetricsAccess, req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (access.token !== undefined && !bearerMatches(req.headers.authorization, access.token)) {
    access.refused();
    res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
    return end(req, res, 401, 'text/plain; charset=utf-8', 'Unauthorized: /metrics needs its bearer token\n');
  }
  void access.render().then(
    (body) => end(req, res, 200, 'text/plain; version=0.0.4; charset=utf-8', body),
    (err: unknown) => {
      log.error('rendering /metrics failed', { err });
      end(req, res, 500, 'text/plain; charset=utf-8', 'Internal Server Error\n');
    },
  );
}

/** A plain-HTTP server for `/metrics` alone, on its own port. */
export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the `/metrics` server on `host`:`port` (0 picks a free port). Rejects when it cannot listen. */
export async function startMetricsServer(host: string, port: number, access: MetricsAccess): Promise<MetricsServer> {
  // Scrapers send small requests: slow headers are cut early, as on the main port.
  const server: Server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return end(req, res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
    }
    if (path !== '/metrics')
      return end(req, res, 404, 'text/plain; charset=utf-8', 'Not Found: this port serves /metrics\n');
    serveMetrics(access, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error('metrics server error', { err }));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function end(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}
