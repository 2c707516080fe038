/**
 * The relay's HTTP routes (everything but the WebSocket upgrade):
 *
 * - `/` and other paths: the demo page and its files, from `demoDir`
 * - `/videocall-room.js`, `/videocall-room.iife.js`, `/v<version>/…`: the client bundle, from `distDir` (bundle-files.ts)
 * - `/healthz`: JSON status for load balancers and people
 * - `/metrics`: Prometheus text format
 * - `/webtransport.json`: where the WebTransport endpoint is (404 when it isn't running)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  PROTOCOL_VERSION,
  WEBSOCKET_PATH,
  WEBTRANSPORT_INFO_PATH,
  type WebTransportInfo,
} from '../src/protocol/index.js';
import type { RelayContext } from './context.js';
import { createLogger } from './log.js';
import { serveMetrics, type MetricsAccess } from './metrics-endpoint.js';
import type { MetricsGauges } from './metrics.js';
import { bundleRequest } from './bundle-files.js';
import type { CompressedFiles } from './compressed-files.js';
import { addVary, resolveUnder, serveFile } from './static-files.js';
import type { WebTransportStatus } from './wt-server.js';

const log = createLogger('http');

/**
 * The `/healthz` body. `degraded` (still HTTP 200): the bus is reconnecting, so
 * this relay's own participants keep talking among themselves but not with the
 * other relays'. A load balancer that should send new joins elsewhere meanwhile
 * can read `status` (or `busConnected`); the HTTP status stays 200 because the
 * relay still serves, and a NATS-wide outage would otherwise refuse every call.
 */
export interface Health {
  status: 'ok' | 'degraded' | 'shutting-down';
  version: string;
  protocol: number;
  rooms: number;
  participants: number;
  uptimeSeconds: number;
  bus: string;
  /** With NATS: whether the bus reaches the other relays now. */
  busConnected?: boolean;
  /** With NATS: this relay's node id, and the relay nodes known alive (this one included). */
  node?: string;
  nodes?: number;
  /** WebTransport: `ok` (with its UDP port), `off`, or `unavailable` (with why); clients then use WebSocket. */
  webTransport: WebTransportStatus;
}

export interface RouteDeps {
  ctx: RelayContext;
  gauges(): MetricsGauges;
  /** `/metrics`: every family in Prometheus text format (prom-client); undefined when served on `METRICS_PORT` instead. */
  metrics: MetricsAccess | undefined;
  shuttingDown(): boolean;
  /** Compressed copies of the bundle and demo files, for clients that accept them. */
  compressed: CompressedFiles;
  /** WebTransport's status, and the document clients connect by (undefined when not running). */
  webTransport(): { status: WebTransportStatus; info: WebTransportInfo | undefined };
}

export function createRequestHandler(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(deps, req, res).catch((err: unknown) => {
      log.error('request failed', { url: req.url, err });
      if (!res.headersSent) text(res, 500, 'Internal Server Error\n');
      else res.destroy();
    });
  };
}

async function route(deps: RouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { ctx } = deps;
  const path = (req.url ?? '/').split('?', 1)[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return text(res, 405, 'Method Not Allowed\n');
  }

  if (path === '/healthz') {
    const g = deps.gauges();
    const health: Health = {
      status: deps.shuttingDown() ? 'shutting-down' : ctx.bus.connected ? 'ok' : 'degraded',
      version: ctx.options.version,
      protocol: PROTOCOL_VERSION,
      rooms: g.rooms,
      participants: g.participants,
      uptimeSeconds: g.uptimeSeconds,
      bus: ctx.bus.kind,
      webTransport: deps.webTransport().status,
    };
    // The single-relay body stays as it always was; a cluster node says more.
    if (ctx.bus.kind !== 'local') {
      health.busConnected = ctx.bus.connected;
      health.node = ctx.node.id;
      health.nodes = ctx.node.nodes;
    }
    res.setHeader('Cache-Control', 'no-store');
    return send(
      req,
      res,
      deps.shuttingDown() ? 503 : 200,
      'application/json; charset=utf-8',
      JSON.stringify(health) + '\n',
    );
  }

  if (path === '/metrics' && deps.metrics) return serveMetrics(deps.metrics, req, res);

  const bundle = bundleRequest(path, ctx.options.version);
  // Fetched by pages on other origins that embed the element: CORS for the allowed ones only.
  if (path === WEBTRANSPORT_INFO_PATH || bundle) {
    if (!cors(ctx, req, res)) return text(res, 403, 'Forbidden: this origin may not use this relay\n');
  }

  if (path === WEBTRANSPORT_INFO_PATH) {
    // It changes with every restart.
    res.setHeader('Cache-Control', 'no-store');
    const { status, info } = deps.webTransport();
    const json = 'application/json; charset=utf-8';
    if (info) return send(req, res, 200, json, JSON.stringify(info) + '\n');
    const error =
      status.status === 'unavailable'
        ? `WebTransport is unavailable on this relay (${status.reason}): use WebSocket at ${WEBSOCKET_PATH}`
        : `WebTransport is off on this relay: use WebSocket at ${WEBSOCKET_PATH}`;
    return send(req, res, 404, json, JSON.stringify({ error }) + '\n');
  }

  if (path === WEBSOCKET_PATH) {
    res.setHeader('Upgrade', 'websocket');
    return text(res, 426, `Upgrade Required: ${WEBSOCKET_PATH} is the relay's WebSocket endpoint\n`);
  }

  if (bundle?.kind === 'other-version') {
    res.setHeader('Cache-Control', 'no-store');
    return text(res, 404, `This relay serves videocall-room ${ctx.options.version}, not ${bundle.requested}.\n`);
  }
  if (bundle) {
    const { distDir } = ctx.options;
    const served = await serveFile(req, res, distDir, join(distDir, bundle.file), {
      cacheControl: bundle.cacheControl,
      compressed: deps.compressed,
    });
    if (served === 'not-found') {
      res.setHeader('Cache-Control', 'no-store');
      text(res, 503, `The client bundle ${path} is not built: run \`npm run build\`, then reload.\n`);
    }
    return;
  }

  const { demoDir } = ctx.options;
  // `/` is demo/index.html; `?room=&name=` are read by the page itself.
  const file = path === '/' ? join(demoDir, 'index.html') : resolveUnder(demoDir, path);
  if (file && (await serveFile(req, res, demoDir, file, { compressed: deps.compressed })) === 'served') return;
  text(res, 404, path === '/' ? 'The demo page (demo/index.html) is missing.\n' : 'Not Found\n');
}

/** Sets the CORS headers for `req`'s Origin; false (counted) when that origin is not allowed. */
function cors(ctx: RelayContext, req: IncomingMessage, res: ServerResponse): boolean {
  const { origin, host } = req.headers;
  if (ctx.origins.open) {
    res.setHeader('Access-Control-Allow-Origin', '*');
    return true;
  }
  // No Origin: not a cross-origin fetch by a page (a same-origin script, curl); nothing to allow.
  if (origin === undefined) return true;
  const allowed = ctx.origins.corsOrigin(origin, host);
  if (allowed === undefined) {
    ctx.metrics.refused.inc('origin');
    return false;
  }
  res.setHeader('Access-Control-Allow-Origin', allowed);
  addVary(res, 'Origin');
  return true;
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(req.method === 'HEAD' ? undefined : body);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
