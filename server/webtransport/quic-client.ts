/**
 * The client side of QUIC over quiche: one UDP socket and one
 * {@link QuicConnection} to a server. It does for a single outgoing connection
 * what {@link QuicEndpoint} does for a server's many: moves packets between the
 * socket and quiche, runs the connection's timer and send loop, and tells the
 * handler when the connection is established and when it is gone.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { H3ErrorCode, WebTransportError } from './errors.js';
import { silentLoggers, type LoggerFactory, type WebTransportLogger } from './logger.js';
import type { HostPort, Quiche, QuicheConfig } from './quic-binding.js';
import {
  MAX_SEND_UDP_PAYLOAD,
  QuicConnection,
  type ConnectionOwner,
  type QuicConnectionHandler,
} from './quic-connection.js';

/** Largest UDP payload accepted. */
const MAX_RECV_UDP_PAYLOAD = 1500;
/** Read buffer for stream data. */
const STREAM_READ_BUFFER = 64 * 1024;

/** Transport parameters of a client connection; every field has a default. */
export interface QuicClientLimits {
  /** Idle timeout advertised, ms. Default 30000. */
  idleTimeoutMs: number;
  /** Streams the server may open at once, per direction. Default 100. */
  maxStreams: number;
  /** Connection flow-control window, bytes. Default 16 MiB. */
  maxData: number;
  /** Per-stream flow-control window, bytes. Default 2 MiB. */
  maxStreamData: number;
  /** Datagrams queued by quiche in each direction. Default 1024. */
  datagramQueueLength: number;
  /** Bytes the application may queue on the connection's streams before writes are refused. Default 16 MiB. */
  maxBufferedBytes: number;
}

export const DEFAULT_QUIC_CLIENT_LIMITS: QuicClientLimits = {
  idleTimeoutMs: 30_000,
  maxStreams: 100,
  maxData: 16 * 1024 * 1024,
  maxStreamData: 2 * 1024 * 1024,
  datagramQueueLength: 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
};

/** Options of {@link QuicClient.connect}. */
export interface QuicClientOptions {
  /** The server's IP address (resolve names first). */
  host: string;
  port: number;
  /** Sent as SNI and, with {@link verifyPeer}, checked against the certificate. */
  serverName: string;
  /** ALPN protocols offered, e.g. `['h3']`. */
  alpn: string[];
  /**
   * Verify the server's certificate chain against {@link ca} (and its name against
   * {@link serverName}). Off, any certificate is accepted by TLS: the caller must
   * then check the certificate itself (e.g. pin its hash, as WebTransport's
   * `serverCertificateHashes` does) before trusting the connection.
   */
  verifyPeer: boolean;
  /** Trusted CA certificates, PEM (with {@link verifyPeer}). */
  ca?: string;
  limits?: Partial<QuicClientLimits>;
  /** Where the client logs (as `quic`). Default silent. */
  logger?: LoggerFactory;
  /** Returns the handler of the connection's events (called once, before any packet). */
  handler(connection: QuicConnection): QuicConnectionHandler;
}

/**
 * quiche's configuration of a client connection: TLS (see {@link QuicClientOptions.verifyPeer}),
 * ALPN, the transport parameters of `limits`, datagrams on. Shared with the tests' raw client.
 *
 * @throws {@link WebTransportError} `invalid-argument` when quiche refuses the TLS setup.
 */
export function createClientConfig(
  quiche: Quiche,
  options: Pick<QuicClientOptions, 'alpn' | 'verifyPeer' | 'ca'>,
  limits: QuicClientLimits = DEFAULT_QUIC_CLIENT_LIMITS,
): QuicheConfig {
  let config: QuicheConfig;
  try {
    config = quiche.Config.withBoringSslCtx(
      options.verifyPeer,
      false,
      options.verifyPeer && options.ca ? Buffer.from(options.ca) : null,
      null,
      null,
      null,
    );
  } catch (err) {
    throw new WebTransportError('invalid-argument', `quiche refused the TLS setup: ${(err as Error).message}`, {
      cause: err,
    });
  }
  config.setApplicationProtos(options.alpn);
  config.setMaxIdleTimeout(limits.idleTimeoutMs);
  config.setMaxRecvUdpPayloadSize(MAX_RECV_UDP_PAYLOAD);
  config.setMaxSendUdpPayloadSize(MAX_SEND_UDP_PAYLOAD);
  config.setInitialMaxData(limits.maxData);
  config.setInitialMaxStreamDataBidiLocal(limits.maxStreamData);
  config.setInitialMaxStreamDataBidiRemote(limits.maxStreamData);
  config.setInitialMaxStreamDataUni(limits.maxStreamData);
  config.setInitialMaxStreamsBidi(limits.maxStreams);
  config.setInitialMaxStreamsUni(limits.maxStreams);
  config.setDisableActiveMigration(true);
  config.enableDgram(true, limits.datagramQueueLength, limits.datagramQueueLength);
  return config;
}

/** One QUIC client connection and its socket. Create with {@link QuicClient.connect}. */
export class QuicClient implements ConnectionOwner {
  /** @internal */
  readonly stats = { packetsOut: 0, bytesOut: 0, handlerErrors: 0, packetsIn: 0, bytesIn: 0 };
  /** @internal Shared stream read buffer. */
  readonly readBuffer = Buffer.allocUnsafe(STREAM_READ_BUFFER);
  /** The connection (its handler is set). */
  readonly connection: QuicConnection;
  /** True when the server's UDP port answered "unreachable" during the handshake. */
  refused = false;
  private flushScheduled = false;
  private sending = 0;
  private socketClosed = false;
  private readonly socketGone: Promise<void>;
  private resolveSocketGone!: () => void;

  private constructor(
    /** @internal */ readonly quiche: Quiche,
    private readonly socket: Socket,
    config: QuicheConfig,
    private readonly local: HostPort,
    private readonly remote: HostPort,
    options: QuicClientOptions,
    limits: QuicClientLimits,
    /** @internal */ readonly log: WebTransportLogger,
  ) {
    this.socketGone = new Promise((resolve) => (this.resolveSocketGone = resolve));
    const conn = quiche.Connection.connect(
      options.serverName,
      randomBytes(quiche.MAX_CONN_ID_LEN),
      local,
      remote,
      config,
    );
    this.connection = new QuicConnection(conn, this, remote, limits.maxBufferedBytes, 'client');
    this.connection.handler = options.handler(this.connection);
  }

  /**
   * Binds a UDP socket and sends the first flight of the handshake; the handler's
   * `onEstablished` follows when it completes, `onClosed` if it never does (the
   * idle timeout bounds that; a refused UDP port ends it at once).
   *
   * @throws {@link WebTransportError} `invalid-argument` for a host that is not an IP
   *   address or a TLS setup quiche refuses; `bind-failed` when no socket can be bound.
   */
  static async connect(quiche: Quiche, options: QuicClientOptions): Promise<QuicClient> {
    const family = isIP(options.host);
    if (family === 0) {
      throw new WebTransportError('invalid-argument', `${options.host} is not an IP address (resolve it first)`);
    }
    const limits = { ...DEFAULT_QUIC_CLIENT_LIMITS, ...options.limits };
    const log = (options.logger ?? silentLoggers)('quic');
    const config = createClientConfig(quiche, options, limits);
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    const remote = { host: options.host, port: options.port };
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        // Connected: the kernel then reports an ICMP "port unreachable" as ECONNREFUSED.
        socket.bind(0, family === 6 ? '::' : '0.0.0.0', () =>
          socket.connect(remote.port, remote.host, () => {
            socket.off('error', reject);
            resolve();
          }),
        );
      });
    } catch (err) {
      socket.close();
      throw new WebTransportError('bind-failed', `cannot open a UDP socket to ${remote.host}:${remote.port}`, {
        cause: err,
      });
    }
    const address = socket.address();
    const local = { host: address.address, port: address.port };
    const client = new QuicClient(quiche, socket, config, local, remote, options, limits, log);
    socket.on('message', (packet) => client.onPacket(packet));
    socket.on('error', (err) => client.onSocketError(err));
    client.markDirty(client.connection);
    return client;
  }

  /** Our UDP address. */
  get localAddress(): HostPort {
    return this.local;
  }

  /**
   * Closes the connection (application code `code`, default H3_NO_ERROR), waits up
   * to `timeoutMs` for its CONNECTION_CLOSE to leave, then closes the socket.
   * Idempotent; resolves once the socket is closed.
   */
  async close(code: number = H3ErrorCode.NoError, reason = '', timeoutMs = 200): Promise<void> {
    if (!this.socketClosed) {
      this.connection.close(code, reason);
      this.flushNow();
      const deadline = Date.now() + timeoutMs;
      while ((this.flushScheduled || this.sending > 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 2));
      }
      this.finish(this.connection);
    }
    await this.socketGone;
  }

  /** @internal */
  sendPacket(packet: Buffer): void {
    if (this.socketClosed) return;
    this.sending++;
    this.stats.packetsOut++;
    this.stats.bytesOut += packet.length;
    // Connected socket: no address.
    this.socket.send(packet, (err) => {
      this.sending--;
      if (err) this.log.debug('UDP send failed', { err: err.message });
    });
  }

  /** @internal */
  markDirty(_connection: QuicConnection): void {
    if (this.flushScheduled || this.socketClosed) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushNow());
  }

  /** @internal */
  onTimer(connection: QuicConnection): void {
    connection.guard(() => connection.onTimer());
    this.flushNow();
  }

  /** @internal The connection is gone: tell the handler, close the socket. */
  finish(connection: QuicConnection): void {
    const info = connection.dispose();
    if (info) {
      this.log.debug('connection closed', { conn: connection.traceId, ...info });
      connection.guard(() => connection.handler.onClosed?.(info));
    }
    if (this.socketClosed) return;
    this.socketClosed = true;
    this.socket.close(() => this.resolveSocketGone());
  }

  private flushNow(): void {
    this.flushScheduled = false;
    let more = false;
    try {
      more = this.connection.flush();
    } catch (err) {
      this.log.error('flush failed', { conn: this.connection.traceId, err });
      this.connection.close(H3ErrorCode.InternalError, 'internal error');
    }
    if (more) this.markDirty(this.connection);
  }

  private onPacket(packet: Buffer): void {
    if (this.socketClosed) return;
    this.stats.packetsIn++;
    this.stats.bytesIn += packet.length;
    this.connection.receive(packet, this.remote, this.local);
  }

  /**
   * A socket error: ECONNREFUSED (nothing listens on the server's UDP port) ends
   * the connection now rather than at the idle timeout; others are logged.
   */
  private onSocketError(err: NodeJS.ErrnoException): void {
    this.log.debug('UDP socket error', { err: err.message, code: err.code });
    if (err.code !== 'ECONNREFUSED' || this.connection.established) return;
    this.refused = true;
    this.finish(this.connection);
  }
}
