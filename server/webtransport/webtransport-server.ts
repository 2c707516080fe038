/**
 * WebTransport over HTTP/3 for the relay: {@link startWebTransportServer} binds
 * a UDP port, runs QUIC (quiche, through `@matrixai/quic`'s native binding) and
 * HTTP/3 on it, and hands each accepted WebTransport session to `onsession`.
 *
 * @example
 * ```ts
 * const server = await startWebTransportServer({ host: '127.0.0.1', port: 0, path: '/wt' });
 * server.onsession = (session) => {
 *   session.ondatagram = (data) => session.sendDatagram(data); // echo
 * };
 * // Browser: new WebTransport(`https://127.0.0.1:${server.port}/wt`,
 * //   { serverCertificateHashes: [{ algorithm: 'sha-256', value: server.certificateHash }] })
 * await server.close();
 * ```
 */
import { certificateSha256, generateDevCertificate } from './dev-certificate.js';
import { WebTransportError } from './errors.js';
import { H3Connection, type WebTransportRequest } from './h3-connection.js';
import { silentLoggers, type LoggerFactory } from './logger.js';
import { loadQuiche, type QuicheLoad } from './quic-binding.js';
import { QuicEndpoint, type QuicEndpointStats, type QuicLimits } from './quic-endpoint.js';
import type { WebTransportSession } from './webtransport-session.js';

export interface WebTransportServerOptions {
  /** Interface to bind. Default `0.0.0.0`. */
  host?: string;
  /** UDP port; 0 picks a free one. */
  port: number;
  /**
   * PEM certificate chain and key. Without them a development certificate is
   * generated (ECDSA P-256, valid under 14 days) for `serverCertificateHashes`.
   */
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
  /** Where sessions are accepted. Default `/wt`. */
  path?: string;
  /** Sessions at once on one QUIC connection. Default 4. */
  maxSessionsPerConnection?: number;
  /** Largest request header section, bytes. Default 16 KiB. */
  maxFieldSectionSize?: number;
  /** QUIC limits (connections, streams, windows, idle timeout). */
  limits?: Partial<QuicLimits>;
  /** Accept (200) or refuse (another status) a CONNECT; default accepts every one on `path`. */
  authorize?(request: WebTransportRequest): number;
  /** Receives each new session; can also be set later on the server. */
  onsession?: (session: WebTransportSession) => void;
  /** Where the server, its connections and sessions log (`quic`, `h3`, `webtransport`). Default silent. */
  logger?: LoggerFactory;
  /** Loads the QUIC binding; tests replace it to act out a missing one. @internal */
  loadBinding?: () => Promise<QuicheLoad>;
}

export interface WebTransportServerStats extends QuicEndpointStats {
  sessions: number;
  sessionsTotal: number;
}

/** A running WebTransport server. */
export interface WebTransportServer {
  readonly host: string;
  /** The UDP port bound. */
  readonly port: number;
  readonly path: string;
  /** SHA-256 of the certificate (DER): the `value` for `serverCertificateHashes`. */
  readonly certificateHash: Uint8Array;
  /** When the certificate expires (a generated one lasts under 14 days). */
  readonly certificateExpires: Date | undefined;
  /** True when the certificate was generated here (so clients must pin its hash). */
  readonly generatedCertificate: boolean;
  /** Receives each new session. */
  onsession: ((session: WebTransportSession) => void) | undefined;
  stats(): WebTransportServerStats;
  /** Graceful wind-down: GOAWAY on every connection and DRAIN to every session; nothing is closed. */
  goaway(): void;
  /** Closes every connection and the socket. Idempotent. */
  close(): Promise<void>;
}

/** Whether WebTransport can run here: the optional native QUIC binding loads. */
export async function webTransportAvailability(): Promise<{ available: true } | { available: false; reason: string }> {
  const load = await loadQuiche();
  return load.ok ? { available: true } : { available: false, reason: load.reason };
}

/**
 * Starts a WebTransport server.
 *
 * @throws {@link WebTransportError} `quic-unavailable` when the native binding is missing,
 *   `bad-certificate`, or `bind-failed`.
 */
export async function startWebTransportServer(options: WebTransportServerOptions): Promise<WebTransportServer> {
  const load = await (options.loadBinding ?? loadQuiche)();
  if (!load.ok) throw new WebTransportError('quic-unavailable', load.reason);
  const path = options.path ?? '/wt';
  const host = options.host ?? '0.0.0.0';

  let cert: string | Uint8Array;
  let key: string | Uint8Array;
  let certificateHash: Uint8Array;
  let certificateExpires: Date | undefined;
  const generated = options.cert === undefined || options.key === undefined;
  if (generated) {
    const dev = generateDevCertificate({ ips: host.includes(':') ? ['::1', '127.0.0.1'] : ['127.0.0.1', '::1'] });
    ({ cert, key } = dev);
    certificateHash = dev.sha256;
    certificateExpires = dev.notAfter;
  } else {
    cert = options.cert!;
    key = options.key!;
    try {
      certificateHash = certificateSha256(cert);
    } catch (err) {
      throw new WebTransportError('bad-certificate', `the certificate does not parse: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  const h3Options = {
    path,
    maxSessions: options.maxSessionsPerConnection ?? 4,
    maxFieldSectionSize: options.maxFieldSectionSize ?? 16 * 1024,
    authorize: options.authorize,
  };
  const connections = new Set<H3Connection>();
  let sessionsTotal = 0;

  const server: WebTransportServer = {
    host: '',
    port: 0,
    path,
    certificateHash,
    certificateExpires,
    generatedCertificate: generated,
    onsession: options.onsession,
    stats: () => ({
      ...endpoint.stats,
      sessions: [...connections].reduce((n, c) => n + c.sessionCount, 0),
      sessionsTotal,
    }),
    goaway: () => {
      for (const connection of connections) connection.goaway();
    },
    close: async () => {
      await endpoint.close();
      connections.clear();
    },
  };

  const endpoint = await QuicEndpoint.start(load.quiche, {
    host,
    port: options.port,
    cert,
    key,
    alpn: ['h3'],
    limits: options.limits,
    logger: options.logger,
    onConnection: (quic) => {
      const h3 = new H3Connection(quic, {
        ...h3Options,
        logger: options.logger,
        onSession: (session) => {
          sessionsTotal++;
          if (!server.onsession) return session.close(0, 'no handler');
          server.onsession(session);
        },
      });
      connections.add(h3);
      const onClosed = h3.onClosed.bind(h3);
      h3.onClosed = (info) => {
        connections.delete(h3);
        onClosed(info);
      };
      return h3;
    },
  });
  Object.assign(server, { host: endpoint.host, port: endpoint.port });
  (options.logger ?? silentLoggers)('webtransport').info('WebTransport listening', {
    udp: `${endpoint.host}:${endpoint.port}`,
    path,
    certificate: generated ? 'generated (development)' : 'configured',
    sha256: Buffer.from(certificateHash).toString('hex'),
  });
  return server;
}
