/**
 * WebTransport as the relay runs it, ready for `startRelay` to call: options
 * from the environment (`WEBTRANSPORT`, `WT_PORT`), a start that never fails the
 * relay (a missing native binding or a taken UDP port turns WebTransport off and
 * says why), a status for `/healthz`, and the small JSON document the element
 * fetches to learn the port and, for a generated certificate, its hash.
 */
import { WEBTRANSPORT_PATH, type WebTransportInfo } from '../src/protocol/index.js';
import { createLogger } from './log.js';
import {
  startWebTransportServer,
  WebTransportError,
  type QuicheLoad,
  type QuicLimits,
  type QuicRetryMode,
  type WebTransportServer,
  type WebTransportServerStats,
  type WebTransportRequest,
  type WebTransportSession,
} from './webtransport/index.js';

const log = createLogger('webtransport');

export interface RelayWebTransportOptions {
  /** False turns WebTransport off. Default on (when the binding loads). */
  enabled?: boolean;
  /** Interface to bind (the relay's `host`). */
  host: string;
  /** UDP port. Default: the relay's HTTP port (TCP and UDP ports are separate namespaces). */
  port: number;
  /** The relay's TLS certificate and key (`TLS_CERT`/`TLS_KEY`); without them one is generated. */
  tls?: { cert: string | Uint8Array; key: string | Uint8Array };
  limits?: Partial<QuicLimits>;
  onsession(session: WebTransportSession): void;
  /** Decides on each CONNECT (its Origin): 200 accepts, another status refuses. Default accepts. */
  authorize?(request: WebTransportRequest): number;
  /** @internal Tests act out a missing binding with it. */
  loadBinding?: () => Promise<QuicheLoad>;
}

/** What `/healthz` reports of WebTransport. */
export type WebTransportStatus =
  | { status: 'off' }
  | { status: 'unavailable'; reason: string }
  | { status: 'ok'; port: number; path: string; certificate: 'generated' | 'configured'; expires?: string };

export interface RelayWebTransport {
  readonly status: WebTransportStatus;
  /** The document for `/webtransport.json` (`WEBTRANSPORT_INFO_PATH`), or undefined when WebTransport is not running. */
  info(): WebTransportInfo | undefined;
  readonly server: WebTransportServer | undefined;
  /** Graceful wind-down (GOAWAY, DRAIN), for the start of a relay shutdown. */
  goaway(): void;
  close(): Promise<void>;
}

/** What {@link webTransportEnv} reads. */
export interface WebTransportEnv {
  enabled?: boolean;
  port?: number;
  retry?: QuicRetryMode;
  retryThreshold?: number;
}

/**
 * Reads `WEBTRANSPORT` (`off`/`0`/`false` turn it off), `WT_PORT` (a UDP port),
 * `QUIC_RETRY` (`auto`, `always`, `never`) and `QUIC_RETRY_THRESHOLD` (half-open connections).
 *
 * @throws {@link WebTransportError} `invalid-argument` for a malformed value.
 */
export function webTransportEnv(env: NodeJS.ProcessEnv): WebTransportEnv {
  const out: WebTransportEnv = {};
  const flag = env.WEBTRANSPORT?.trim().toLowerCase();
  if (flag) {
    if (['off', '0', 'false', 'no'].includes(flag)) out.enabled = false;
    else if (['on', '1', 'true', 'yes'].includes(flag)) out.enabled = true;
    else
      throw new WebTransportError(
        'invalid-argument',
        `WEBTRANSPORT must be on or off, not ${JSON.stringify(env.WEBTRANSPORT)}`,
      );
  }
  if (env.WT_PORT !== undefined && env.WT_PORT !== '') {
    const port = Number(env.WT_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new WebTransportError(
        'invalid-argument',
        `WT_PORT must be a UDP port (0-65535), not ${JSON.stringify(env.WT_PORT)}`,
      );
    }
    out.port = port;
  }
  const retry = env.QUIC_RETRY?.trim().toLowerCase();
  if (retry) {
    if (retry !== 'auto' && retry !== 'always' && retry !== 'never') {
      throw new WebTransportError(
        'invalid-argument',
        `QUIC_RETRY must be auto, always or never, not ${JSON.stringify(env.QUIC_RETRY)}`,
      );
    }
    out.retry = retry;
  }
  if (env.QUIC_RETRY_THRESHOLD !== undefined && env.QUIC_RETRY_THRESHOLD !== '') {
    const threshold = Number(env.QUIC_RETRY_THRESHOLD);
    if (!/^\d+$/.test(env.QUIC_RETRY_THRESHOLD.trim()) || threshold < 1) {
      throw new WebTransportError(
        'invalid-argument',
        `QUIC_RETRY_THRESHOLD must be a whole number of connections (1 or more), not ${JSON.stringify(env.QUIC_RETRY_THRESHOLD)}`,
      );
    }
    out.retryThreshold = threshold;
  }
  return out;
}

/** The QUIC figures `/metrics` shows, from the server's counters. */
export function quicGauges(stats: WebTransportServerStats): {
  quicConnections: number;
  quicHandshaking: number;
  quicRetries: number;
  quicInvalidTokens: Record<string, number>;
} {
  return {
    quicConnections: stats.connections,
    quicHandshaking: stats.handshaking,
    quicRetries: stats.retriesSent,
    quicInvalidTokens: { ...stats.invalidTokens },
  };
}

/** Starts WebTransport for a relay. Never rejects: failures leave it `unavailable`, logged. */
export async function startRelayWebTransport(options: RelayWebTransportOptions): Promise<RelayWebTransport> {
  const stopped = (status: WebTransportStatus): RelayWebTransport => ({
    status,
    info: () => undefined,
    server: undefined,
    goaway: () => {},
    close: async () => {},
  });
  if (options.enabled === false) {
    log.info('WebTransport off (WEBTRANSPORT=off)');
    return stopped({ status: 'off' });
  }
  let server: WebTransportServer;
  try {
    server = await startWebTransportServer({
      host: options.host,
      port: options.port,
      cert: options.tls?.cert,
      key: options.tls?.key,
      path: WEBTRANSPORT_PATH,
      limits: options.limits,
      onsession: options.onsession,
      ...(options.authorize ? { authorize: options.authorize } : {}),
      loadBinding: options.loadBinding,
      logger: createLogger,
    });
  } catch (err) {
    const reason = err instanceof WebTransportError ? `${err.code}: ${err.message}` : String(err);
    log.warn('WebTransport unavailable: clients will use WebSocket', { reason });
    return stopped({ status: 'unavailable', reason });
  }
  const expires = server.generatedCertificate ? server.certificateExpires?.toISOString() : undefined;
  const status: WebTransportStatus = {
    status: 'ok',
    port: server.port,
    path: server.path,
    certificate: server.generatedCertificate ? 'generated' : 'configured',
    ...(expires ? { expires } : {}),
  };
  return {
    status,
    server,
    info: () => ({
      port: server.port,
      path: server.path,
      serverCertificateHashes: server.generatedCertificate
        ? [{ algorithm: 'sha-256', value: Buffer.from(server.certificateHash).toString('base64') }]
        : [],
      ...(expires ? { expires } : {}),
    }),
    goaway: () => server.goaway(),
    close: () => server.close(),
  };
}
