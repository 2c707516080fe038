/**
 * The relay as a library: {@link startRelay} starts one node (HTTP server,
 * WebSocket endpoint, rooms, bus) and returns a handle to stop it. `main.ts`
 * runs it from the environment; tests, benchmarks and end-to-end tests start it
 * in-process on port 0.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { PROTOCOL_VERSION } from '../src/protocol/index.js';
import { resolveOptions, type RelayOptions } from './config.js';
import type { RelayContext } from './context.js';
import { createRequestHandler } from './http-routes.js';
import { createLogger } from './log.js';
import { Metrics, type MetricsGauges } from './metrics.js';
import { Rooms } from './rooms.js';
import { WS_PATH, WsEndpoint } from './ws-endpoint.js';

export type { BackpressureLimits, RelayOptions } from './config.js';
export type { Bus, BusHandler, BusSubscription } from './bus/bus.js';
export { LocalBus } from './bus/local-bus.js';

const log = createLogger('relay');

/** A snapshot of one relay's counters (what `/metrics` shows, as numbers). */
export interface RelayStats {
  /** WebSocket connections open now. */
  connections: number;
  /** Rooms and participants on this node now. */
  rooms: number;
  participants: number;
  connectionsTotal: number;
  joinsTotal: number;
  /** Envelopes received from clients, by type (proto field name, e.g. `media`). */
  messagesIn: Record<string, number>;
  /** Envelopes sent to clients, by type. */
  messagesOut: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  /** Messages not delivered, by reason (`video-congested`, `audio-congested`, ...). */
  dropped: Record<string, number>;
  /** Errors sent or connections closed, by error code. */
  errors: Record<string, number>;
  uptimeSeconds: number;
}

/** A running relay. */
export interface Relay {
  /** Base HTTP(S) URL, e.g. `http://127.0.0.1:8080` (a wildcard host is shown as loopback). */
  readonly url: string;
  /** WebSocket URL clients connect to, e.g. `ws://127.0.0.1:8080/ws`. */
  readonly wsUrl: string;
  /** The port listened on (the one chosen when `port` was 0). */
  readonly port: number;
  readonly host: string;
  stats(): RelayStats;
  /**
   * Stops the relay: no new connections, every client gets `Error{server-shutdown}`
   * and close 1001, then the server stops. Bounded by `shutdownTimeoutMs`; idempotent.
   */
  close(): Promise<void>;
}

/**
 * Starts a relay node and resolves once it listens.
 *
 * @example
 * ```ts
 * const relay = await startRelay({ port: 0, host: '127.0.0.1' });
 * const ws = new WebSocket(relay.wsUrl);
 * // ...
 * await relay.close();
 * ```
 */
export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const opts = resolveOptions(options);
  const metrics = new Metrics(opts.version, PROTOCOL_VERSION);
  const rooms = new Rooms(opts.bus, opts.maxRoomSize);
  const ctx: RelayContext = { options: opts, metrics, bus: opts.bus, rooms, startedAt: performance.now() };
  const endpoint = new WsEndpoint(ctx);
  let closing: Promise<void> | undefined;

  const gauges = (): MetricsGauges => ({
    connections: endpoint.connections,
    rooms: rooms.count,
    participants: rooms.participants,
    uptimeSeconds: Math.round((performance.now() - ctx.startedAt) / 1000),
  });
  const handler = createRequestHandler({ ctx, gauges, shuttingDown: () => closing !== undefined });
  const server: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, handler)
    : createHttpServer(handler);
  server.on('upgrade', (req, socket, head) => {
    try {
      endpoint.handleUpgrade(req, socket, head);
    } catch (err) {
      log.error('upgrade failed', { err });
      socket.destroy();
    }
  });
  server.on('clientError', (err, socket) => {
    log.debug('bad HTTP request', { err: (err as Error).message });
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await endpoint.shutdown(0);
    if (opts.ownsBus) await opts.bus.close();
    throw err;
  }
  server.on('error', (err) => log.error('server error', { err }));

  const address = server.address() as AddressInfo;
  const shownHost = displayHost(opts.host);
  const scheme = opts.tls ? 'https' : 'http';
  const url = `${scheme}://${shownHost}:${address.port}`;

  const close = async (): Promise<void> => {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    await endpoint.shutdown(opts.shutdownTimeoutMs);
    server.closeAllConnections();
    await stopped;
    if (opts.ownsBus) await opts.bus.close();
    log.info('relay stopped');
  };

  return {
    url,
    wsUrl: `${opts.tls ? 'wss' : 'ws'}://${shownHost}:${address.port}${WS_PATH}`,
    port: address.port,
    host: opts.host,
    stats: () => ({
      ...gauges(),
      connectionsTotal: metrics.connectionsTotal,
      joinsTotal: metrics.joinsTotal,
      messagesIn: metrics.messagesIn(),
      messagesOut: metrics.messagesOut(),
      bytesIn: metrics.bytesIn,
      bytesOut: metrics.bytesOut,
      dropped: metrics.dropped.toObject(),
      errors: metrics.errors.toObject(),
    }),
    close: () => (closing ??= close()),
  };
}

/** A host a client can connect to: wildcard addresses become loopback; IPv6 gets brackets. */
function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
