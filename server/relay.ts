/**
 * The relay as a library: {@link startRelay} starts one node (HTTP server,
 * WebSocket endpoint, WebTransport endpoint, rooms, bus) and returns a handle to stop it. `main.ts`
 * runs it from the environment; tests, benchmarks and end-to-end tests start it
 * in-process on port 0.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  WEBSOCKET_PATH,
  type WebTransportInfo,
} from '../src/protocol/index.js';
import { AccessTokens } from './access-tokens.js';
import { AddressLimits } from './address-limits.js';
import type { Bus } from './bus/bus.js';
import { NatsBus } from './bus/nats-bus.js';
import { ClusterNode } from './cluster-node.js';
import { resolveOptions, type RelayOptions } from './config.js';
import type { RelayContext } from './context.js';
import { CompressedFiles } from './compressed-files.js';
import { createRequestHandler } from './http-routes.js';
import { contentTypeOf } from './static-files.js';
import { startMetricsServer, type MetricsAccess, type MetricsServer } from './metrics-endpoint.js';
import { createLogger } from './log.js';
import { Metrics, type MetricsGauges } from './metrics.js';
import { PrometheusExport } from './prometheus.js';
import { relayStats, type RelayStats } from './relay-stats.js';
import { ResumeTokens } from './resume-tokens.js';
import { RoomBans } from './room-bans.js';
import { decodeBan, encodeBan } from './room-control.js';
import { OriginPolicy } from './origins.js';
import { subjects } from './bus/subjects.js';
import { Rooms } from './rooms.js';
import { WsEndpoint } from './ws-endpoint.js';
import { quicGauges, startRelayWebTransport, type RelayWebTransport } from './wt-server.js';
import { WtEndpoint } from './wt-endpoint.js';

export type { BackpressureLimits, RelayOptions } from './config.js';
export type { AuthOptions } from './access-tokens.js';
export type { RelayStats } from './relay-stats.js';
export type { Bus, BusHandler, BusSubscription } from './bus/bus.js';
export { LocalBus } from './bus/local-bus.js';
export { NatsBus, type NatsBusOptions } from './bus/nats-bus.js';
export { WEBTRANSPORT_INFO_PATH, WEBTRANSPORT_PATH, type WebTransportInfo } from '../src/protocol/index.js';
export type { WebTransportStatus } from './wt-server.js';

const log = createLogger('relay');

/** A running relay. */
export interface Relay {
  /** Base HTTP(S) URL, e.g. `http://127.0.0.1:8080` (a wildcard host is shown as loopback). */
  readonly url: string;
  /** WebSocket URL clients connect to, e.g. `ws://127.0.0.1:8080/ws`. */
  readonly wsUrl: string;
  /** The port listened on (the one chosen when `port` was 0). */
  readonly port: number;
  readonly host: string;
  /** This relay's node id on the bus (new on every start). */
  readonly node: string;
  /** The bus it runs on (given in the options, or made from `natsUrl`, or in-process). */
  readonly bus: Bus;
  /** The WebTransport endpoint; absent when it does not run (`/healthz` says why). */
  readonly webTransport?: RelayWebTransportEndpoint;
  /** With `metricsPort`: where `/metrics` is served instead of on `url`. */
  readonly metricsUrl?: string;
  stats(): RelayStats;
  /**
   * Stops the relay: no new connections, every client gets `Error{server-shutdown}`
   * and close 1001, then the server stops. Bounded by `shutdownTimeoutMs`; idempotent.
   */
  close(): Promise<void>;
}

/** Where a relay's WebTransport endpoint is. */
export interface RelayWebTransportEndpoint {
  /** Session URL, e.g. `https://127.0.0.1:8080/wt` (UDP port). */
  readonly url: string;
  /** The UDP port. */
  readonly port: number;
  /** SHA-256 of the certificate (DER), base64: `serverCertificateHashes` for a generated one. */
  readonly certificateHash: string;
  /** What `GET /webtransport.json` serves. */
  readonly info: WebTransportInfo;
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
/**
 * Compressed copies are the same for every relay in a process (keyed by file and
 * version), so relays started side by side (tests, tools) make each copy once.
 */
const compressedFiles = new CompressedFiles();

export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const opts = resolveOptions(options);
  // Before anything starts: an unusable key is a configuration error.
  const accessTokens = AccessTokens.fromOptions(opts.auth);
  const { bus } = opts;
  // A NatsBus made from `natsUrl`; one passed in `bus` is the caller's to connect.
  if (opts.ownsBus && bus instanceof NatsBus) await bus.connect();
  const metrics = new Metrics(opts.version, PROTOCOL_VERSION);
  const node = new ClusterNode(bus, {
    heartbeatMs: opts.nodeHeartbeatMs,
    rosterSyncTimeoutMs: opts.rosterSyncTimeoutMs,
    // The local bus answers hellos inside `publish`; over NATS they take a round trip.
    discoveryMs: bus.kind === 'local' ? 0 : Math.min(250, opts.nodeHeartbeatMs),
  });
  // What receivers watch is repeated to the other relays as often as a relay says it is alive.
  const rooms = new Rooms(bus, metrics, node, opts.resumeGraceMs, {
    demandRefreshMs: opts.nodeHeartbeatMs,
    maxAudible: opts.maxAudible,
    speakerHoldMs: opts.speakerHoldMs,
    presenceBatchMs: opts.presenceBatchMs,
    presenceBatchFrom: opts.presenceBatchFrom,
  });
  node.attach(rooms);
  // Valid through the grace period after the last refresh (Welcome, then every Pong),
  // plus the 3 heartbeat intervals a dead connection may take to be noticed.
  const resumeTokens = new ResumeTokens(
    opts.resumeSecret,
    opts.resumeGraceMs + 3 * opts.heartbeatIntervalMs,
    Date.now,
    (id, cutoff) => bus.publish(subjects.resumeCutoff, encodeCutoff(id, cutoff)),
  );
  // Another relay's resume or leave spends that session's tokens here too.
  const cutoffs = bus.subscribe(subjects.resumeCutoff, (_subject, payload) => {
    const cutoff = decodeCutoff(payload);
    if (cutoff) resumeTokens.learn(cutoff.id, cutoff.cutoff);
    else metrics.refused.inc('bus-bad-cutoff');
  });
  const bans = new RoomBans(opts.removalBanMs, Date.now, (room, identity) =>
    bus.publish(subjects.bans, encodeBan(room, identity)),
  );
  // A removal on another relay holds here too (checked like client input).
  const banSubscription = bus.subscribe(subjects.bans, (_subject, payload) => {
    const ban = decodeBan(payload);
    if (ban) bans.learn(ban.room, ban.identity);
    else metrics.refused.inc('bus-bad-ban');
  });
  if (opts.lobby && !accessTokens.required) {
    log.warn('LOBBY is on in open mode: nobody has the admin grant, so nobody can be let in');
  }
  if (bus.kind === 'nats' && opts.resumeSecret === undefined) {
    log.warn('RESUME_SECRET is not set: participants can resume only on the relay they were on, not on another one');
  }
  if (!accessTokens.required) {
    log.warn(
      'OPEN MODE: no AUTH_SECRET or AUTH_PUBLIC_KEY, so access tokens are not checked: anyone can join any room under any name. For development only.',
    );
  } else {
    log.info('access tokens required', { key: accessTokens.keyKind });
  }
  const origins = new OriginPolicy(opts.allowedOrigins);
  const ctx: RelayContext = {
    options: opts,
    accessTokens,
    origins,
    addressLimits: new AddressLimits(opts),
    metrics,
    bus,
    node,
    rooms,
    resumeTokens,
    bans,
    startedAt: performance.now(),
  };
  try {
    await node.start();
  } catch (err) {
    await node.close();
    if (opts.ownsBus) await bus.close();
    throw err;
  }
  const endpoint = new WsEndpoint(ctx);
  const wtEndpoint = new WtEndpoint(ctx);
  // Before the HTTP server, so `/healthz` and `/webtransport.json` are right from the first request.
  // Never rejects: without the QUIC binding or the UDP port, the relay runs on WebSocket alone.
  const wt: RelayWebTransport = await startRelayWebTransport({
    enabled: opts.webTransport.enabled,
    host: opts.host,
    // TCP and UDP ports are separate: the same number by default; a free one when the TCP port is.
    port: opts.webTransport.port ?? opts.port,
    tls: opts.tls,
    limits: {
      // Outbound closes a slow consumer at `closeBytes`: QUIC must queue at least that much before refusing writes.
      maxBufferedBytes: Math.max(16 * 1024 * 1024, opts.backpressure.closeBytes + 2 * opts.maxMessageBytes),
      ...(opts.webTransport.retry ? { retry: opts.webTransport.retry } : {}),
      ...(opts.webTransport.retryThreshold ? { retryThreshold: opts.webTransport.retryThreshold } : {}),
    },
    // The CONNECT's Origin; the page's own host is this relay's HTTP port on the same host name.
    authorize: (request) => {
      const host = request.authority.replace(/:\d+$/, `:${httpPort}`);
      if (origins.allows(request.origin, host)) return 200;
      metrics.refused.inc('origin');
      log.debug('WebTransport CONNECT from a foreign origin refused', { origin: request.origin });
      return 403;
    },
    onsession: (wtSession) => {
      try {
        wtEndpoint.accept(wtSession);
      } catch (err) {
        log.error('accepting a WebTransport session failed', { err });
        wtSession.close(CloseCode.Internal, ErrorCode.Internal);
      }
    },
    ...(opts.webTransport.loadBinding ? { loadBinding: opts.webTransport.loadBinding } : {}),
  });
  let closing: Promise<void> | undefined;
  /** The TCP port, once listening: a WebTransport CONNECT from the relay's own pages names it in its Origin. */
  let httpPort = opts.port;

  const gauges = (): MetricsGauges => ({
    connections: endpoint.connections + wtEndpoint.connections,
    ...(wt.server ? { webTransport: { sessions: wtEndpoint.connections, ...quicGauges(wt.server.stats()) } } : {}),
    rooms: rooms.count,
    participants: rooms.participants,
    uptimeSeconds: Math.round((performance.now() - ctx.startedAt) / 1000),
    bus: {
      kind: bus.kind,
      connected: bus.connected,
      nodes: node.nodes,
      ...(bus instanceof NatsBus ? { nats: bus.stats() } : {}),
    },
  });
  const prometheus = new PrometheusExport(metrics);
  const metricsAccess: MetricsAccess = {
    token: opts.metricsToken,
    render: () => prometheus.render(gauges()),
    refused: () => metrics.refused.inc('metrics-token'),
  };
  const handler = createRequestHandler({
    ctx,
    gauges,
    metrics: opts.metricsPort === undefined ? metricsAccess : undefined,
    shuttingDown: () => closing !== undefined,
    compressed: compressedFiles,
    webTransport: () => ({ status: wt.status, info: wt.info() }),
  });
  // Slow headers (slowloris) are cut after headersTimeoutMs; Node checks every connectionsCheckingInterval.
  const timeouts = {
    headersTimeout: opts.headersTimeoutMs,
    requestTimeout: Math.max(opts.headersTimeoutMs, 30_000),
    connectionsCheckingInterval: Math.min(1000, opts.headersTimeoutMs),
  };
  const server: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, ...timeouts }, handler)
    : createHttpServer(timeouts, handler);
  server.on('upgrade', (req, socket, head) => {
    try {
      endpoint.handleUpgrade(req, socket, head);
    } catch (err) {
      log.error('upgrade failed', { err });
      socket.destroy();
    }
  });
  server.on('clientError', (err: Error & { code?: string }, socket) => {
    log.debug('bad HTTP request', { err: err.message });
    // Headers not complete within headersTimeoutMs (a slowloris): 408, counted.
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timedOut) metrics.refused.inc('headers-timeout');
    const status = timedOut ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });

  let metricsServer: MetricsServer | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (opts.metricsPort !== undefined) {
      metricsServer = await startMetricsServer(opts.metricsHost ?? opts.host, opts.metricsPort, metricsAccess);
    }
  } catch (err) {
    if (server.listening) server.close();
    await endpoint.shutdown(0);
    await wtEndpoint.shutdown(0);
    await wt.close();
    await node.close();
    if (opts.ownsBus) await bus.close();
    throw err;
  }
  server.on('error', (err) => log.error('server error', { err }));
  if (opts.precompressBundle) {
    const bundle = ['videocall-room.js', 'videocall-room.iife.js'].map((f) => join(opts.distDir, f));
    void compressedFiles.warm(bundle, contentTypeOf);
  }

  const address = server.address() as AddressInfo;
  httpPort = address.port;
  const shownHost = displayHost(opts.host);
  const scheme = opts.tls ? 'https' : 'http';
  const url = `${scheme}://${shownHost}:${address.port}`;

  const close = async (): Promise<void> => {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    // WebTransport: GOAWAY and DRAIN first (no new sessions), then every session its
    // server-shutdown and 1001 (with the WebSockets, one bound for both), then the QUIC endpoint.
    wt.goaway();
    await Promise.all([
      endpoint.shutdown(opts.shutdownTimeoutMs),
      wtEndpoint.shutdown(opts.shutdownTimeoutMs, () => wt.server?.stats().connections ?? 0),
    ]);
    await wt.close();
    server.closeAllConnections();
    await stopped;
    // The others hold this relay's participants on its goodbye, for them to resume there.
    rooms.closeAll();
    cutoffs.unsubscribe();
    banSubscription.unsubscribe();
    await node.close();
    if (opts.ownsBus) await bus.close();
    await metricsServer?.close();
    log.info('relay stopped', { node: node.id });
  };

  return {
    url,
    wsUrl: `${opts.tls ? 'wss' : 'ws'}://${shownHost}:${address.port}${WEBSOCKET_PATH}`,
    port: address.port,
    host: opts.host,
    node: node.id,
    bus,
    ...webTransportEndpoint(wt, shownHost),
    ...(metricsServer
      ? { metricsUrl: `http://${displayHost(opts.metricsHost ?? opts.host)}:${metricsServer.port}/metrics` }
      : {}),
    stats: () => relayStats(gauges(), metrics, wt.status.status),
    close: () => (closing ??= close()),
  };
}

/** The handle's `webTransport`, only when it runs (so `'webTransport' in relay` tells). */
function webTransportEndpoint(wt: RelayWebTransport, host: string): { webTransport?: RelayWebTransportEndpoint } {
  const info = wt.info();
  if (!wt.server || !info) return {};
  const webTransport = {
    url: `https://${host}:${info.port}${info.path}`,
    port: info.port,
    certificateHash: Buffer.from(wt.server.certificateHash).toString('base64'),
    info,
  };
  return { webTransport };
}

/** A host a client can connect to: wildcard addresses become loopback; IPv6 gets brackets. */
function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** A resume cutoff on the bus: `<session id> <cutoff ms>`, ASCII. */
function encodeCutoff(id: string, cutoff: number): Uint8Array {
  return Buffer.from(`${id} ${cutoff}`, 'latin1');
}

/** A cutoff from another relay, checked like client input (the bus is not trusted blindly); undefined if malformed. */
function decodeCutoff(payload: Uint8Array): { id: string; cutoff: number } | undefined {
  if (payload.length > 100) return undefined;
  const match = /^([A-Za-z0-9_-]{1,64}) (\d{1,16})$/.exec(Buffer.from(payload).toString('latin1'));
  if (!match) return undefined;
  const cutoff = Number(match[2]);
  return Number.isSafeInteger(cutoff) ? { id: match[1]!, cutoff } : undefined;
}
