/**
 * A QUIC server endpoint over quiche's native binding: one UDP socket, a map
 * from connection IDs to connections, each connection's timer, the send loop,
 * close, and limits. QUIC and TLS are quiche's; this module only moves packets
 * and stream bytes between the socket, quiche and a per-connection handler
 * (the HTTP/3 layer).
 *
 * Every call into a handler is guarded: an exception closes that connection
 * (H3_INTERNAL_ERROR) and never reaches the socket loop or other connections.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { H3ErrorCode, WebTransportError } from './errors.js';
import { silentLoggers, type LoggerFactory, type WebTransportLogger } from './logger.js';
import type { HostPort, Quiche, QuicheConfig, QuicheConnection, QuicheHeader } from './quic-binding.js';
import {
  MAX_SEND_UDP_PAYLOAD,
  QuicConnection,
  type ConnectionOwner,
  type QuicConnectionHandler,
} from './quic-connection.js';
import { DEFAULT_RETRY_TOKEN_LIFETIME_MS, RetryTokens, type RetryTokenRefusal } from './retry-tokens.js';

export type { QuicCloseInfo, QuicConnectionHandler } from './quic-connection.js';
export { QuicConnection } from './quic-connection.js';

/** QUIC transport error CONNECTION_REFUSED (RFC 9000 §20.1). */
const CONNECTION_REFUSED = 0x02;

/** Largest UDP payload accepted. */
const MAX_RECV_UDP_PAYLOAD = 1500;

/** Kernel buffer sizes asked for the UDP socket. */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/** Read buffer for stream data. */
const STREAM_READ_BUFFER = 64 * 1024;

/** Limits and transport parameters; every field has a default. */
export interface QuicLimits {
  /** Connections at once; more are refused with CONNECTION_REFUSED. Default 1000. */
  maxConnections: number;
  /** Idle timeout advertised and enforced, ms. Default 30000. */
  idleTimeoutMs: number;
  /** Concurrent bidirectional streams the peer may open. Default 100. */
  maxStreamsBidi: number;
  /** Concurrent unidirectional streams the peer may open. Default 100. */
  maxStreamsUni: number;
  /** Connection flow-control window, bytes. Default 16 MiB. */
  maxData: number;
  /** Per-stream flow-control window, bytes. Default 2 MiB. */
  maxStreamData: number;
  /** Datagrams queued by quiche in each direction. Default 1024. */
  datagramQueueLength: number;
  /** Bytes an application may queue on one connection's streams before writes are refused. Default 16 MiB. */
  maxBufferedBytes: number;
  /**
   * Retry-based address validation (RFC 9000 §8.1.2): an Initial without a token is
   * answered with a Retry, and a connection opens only for an Initial that returns a
   * valid token, so spoofed source addresses cannot hold connection slots. It costs
   * an honest client one round trip. `auto` (default): only while at least
   * {@link retryThreshold} connections are still handshaking; `always`; `never`.
   */
  retry: QuicRetryMode;
  /** Handshaking (half-open) connections from which `auto` sends Retries. Default 64. */
  retryThreshold: number;
  /** How long a Retry token is accepted, ms. Default 10000. */
  retryTokenLifetimeMs: number;
}

/** {@link QuicLimits.retry}. */
export type QuicRetryMode = 'auto' | 'always' | 'never';

export const QUIC_RETRY_MODES: readonly QuicRetryMode[] = ['auto', 'always', 'never'];

export const DEFAULT_QUIC_LIMITS: QuicLimits = {
  maxConnections: 1000,
  idleTimeoutMs: 30_000,
  maxStreamsBidi: 100,
  maxStreamsUni: 100,
  maxData: 16 * 1024 * 1024,
  maxStreamData: 2 * 1024 * 1024,
  datagramQueueLength: 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
  retry: 'auto',
  retryThreshold: 64,
  retryTokenLifetimeMs: DEFAULT_RETRY_TOKEN_LIFETIME_MS,
};

/** Counters of one endpoint. */
export interface QuicEndpointStats {
  connections: number;
  connectionsTotal: number;
  refused: number;
  packetsIn: number;
  packetsOut: number;
  packetsDropped: number;
  bytesIn: number;
  bytesOut: number;
  handlerErrors: number;
  /** Connections accepted and not yet through their handshake. */
  handshaking: number;
  /** Retry packets sent. */
  retriesSent: number;
  /** Initials dropped for their token, by reason. */
  invalidTokens: Record<RetryTokenRefusal, number>;
}

export interface QuicEndpointOptions {
  /** Interface to bind. */
  host: string;
  /** UDP port; 0 picks a free one. */
  port: number;
  /** PEM certificate chain and private key. */
  cert: string | Uint8Array;
  key: string | Uint8Array;
  /** ALPN protocols offered, e.g. `['h3']`. */
  alpn: string[];
  limits?: Partial<QuicLimits>;
  /** Where the endpoint and its connections log (as `quic`). Default silent. */
  logger?: LoggerFactory;
  /** Called for each new connection; returns the handler that receives its events. */
  onConnection(connection: QuicConnection): QuicConnectionHandler;
}

const hex = (id: Uint8Array): string => Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');

/**
 * A listening QUIC endpoint. Create with {@link QuicEndpoint.start}.
 */
export class QuicEndpoint implements ConnectionOwner {
  readonly stats: QuicEndpointStats = {
    connections: 0,
    connectionsTotal: 0,
    refused: 0,
    packetsIn: 0,
    packetsOut: 0,
    packetsDropped: 0,
    bytesIn: 0,
    bytesOut: 0,
    handlerErrors: 0,
    handshaking: 0,
    retriesSent: 0,
    invalidTokens: { malformed: 0, unauthentic: 0, expired: 0 },
  };
  /** @internal Shared stream read buffer (the loop is single-threaded). */
  readonly readBuffer = Buffer.allocUnsafe(STREAM_READ_BUFFER);
  private readonly byId = new Map<string, QuicConnection>();
  private readonly connections = new Set<QuicConnection>();
  private readonly dirty = new Set<QuicConnection>();
  /** Accepted connections whose handshake has not completed: what a spoofed flood would fill. */
  private readonly handshaking = new Set<QuicConnection>();
  private readonly retryTokens: RetryTokens;
  private flushScheduled = false;
  /** UDP sends handed to the socket and not yet done: close waits for them. */
  private sending = 0;
  private closed = false;
  private local: HostPort = { host: '', port: 0 };

  private constructor(
    /** @internal */ readonly quiche: Quiche,
    private readonly socket: Socket,
    private readonly config: QuicheConfig,
    private readonly limits: QuicLimits,
    private readonly onConnection: (connection: QuicConnection) => QuicConnectionHandler,
    /** @internal Where the endpoint and its connections log. */
    readonly log: WebTransportLogger,
  ) {
    this.retryTokens = new RetryTokens({ lifetimeMs: limits.retryTokenLifetimeMs });
  }

  /**
   * Binds the UDP socket and starts accepting.
   *
   * @throws {@link WebTransportError} `bad-certificate` when quiche rejects the PEM pair,
   *   `bind-failed` when the socket cannot bind.
   */
  static async start(quiche: Quiche, options: QuicEndpointOptions): Promise<QuicEndpoint> {
    const limits = { ...DEFAULT_QUIC_LIMITS, ...options.limits };
    if (!QUIC_RETRY_MODES.includes(limits.retry)) {
      throw new WebTransportError(
        'invalid-argument',
        `QUIC retry mode must be auto, always or never, not ${JSON.stringify(limits.retry)}`,
      );
    }
    const log = (options.logger ?? silentLoggers)('quic');
    let config: QuicheConfig;
    try {
      config = quiche.Config.withBoringSslCtx(
        false,
        false,
        null,
        [Buffer.from(options.key)],
        [Buffer.from(options.cert)],
        null,
      );
    } catch (err) {
      throw new WebTransportError(
        'bad-certificate',
        `quiche rejected the certificate or key: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    config.setApplicationProtos(options.alpn);
    config.setMaxIdleTimeout(limits.idleTimeoutMs);
    config.setMaxRecvUdpPayloadSize(MAX_RECV_UDP_PAYLOAD);
    config.setMaxSendUdpPayloadSize(MAX_SEND_UDP_PAYLOAD);
    config.setInitialMaxData(limits.maxData);
    config.setInitialMaxStreamDataBidiLocal(limits.maxStreamData);
    config.setInitialMaxStreamDataBidiRemote(limits.maxStreamData);
    config.setInitialMaxStreamDataUni(limits.maxStreamData);
    config.setInitialMaxStreamsBidi(limits.maxStreamsBidi);
    config.setInitialMaxStreamsUni(limits.maxStreamsUni);
    config.setDisableActiveMigration(true);
    config.enableDgram(true, limits.datagramQueueLength, limits.datagramQueueLength);

    const socket = createSocket({ type: options.host.includes(':') ? 'udp6' : 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(options.port, options.host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      socket.close();
      throw new WebTransportError(
        'bind-failed',
        `cannot bind UDP ${options.host}:${options.port}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    // One socket carries every client: larger kernel buffers absorb bursts (capped by net.core.*mem_max).
    try {
      socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
      socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
    } catch (err) {
      log.debug('socket buffer sizes not set', { err: (err as Error).message });
    }
    const endpoint = new QuicEndpoint(quiche, socket, config, limits, options.onConnection, log);
    const address = socket.address();
    endpoint.local = { host: address.address, port: address.port };
    socket.on('message', (packet, rinfo) => endpoint.onPacket(packet, rinfo));
    socket.on('error', (err) => log.error('UDP socket error', { err }));
    return endpoint;
  }

  /** The bound UDP port. */
  get port(): number {
    return this.local.port;
  }

  get host(): string {
    return this.local.host;
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Closes every connection (application code `code`, default H3_NO_ERROR), gives
   * them up to `timeoutMs` to send their CONNECTION_CLOSE, then closes the socket.
   * Idempotent.
   */
  async close(code: number = H3ErrorCode.NoError, reason = 'server shutting down', timeoutMs = 500): Promise<void> {
    if (this.closed) return;
    for (const connection of this.connections) connection.close(code, reason);
    this.flushAll();
    // Wait for the CONNECTION_CLOSE packets to leave; draining (3 PTO) is not worth waiting for.
    const deadline = Date.now() + timeoutMs;
    while ((this.dirty.size > 0 || this.sending > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2));
    }
    this.closed = true;
    for (const connection of [...this.connections]) this.finish(connection);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  /** @internal */
  sendPacket(packet: Buffer, to: HostPort): void {
    this.sending++;
    this.socket.send(packet, to.port, to.host, (err) => {
      this.sending--;
      if (err) this.log.debug('UDP send failed', { err: err.message });
    });
  }

  /** @internal Schedules a flush of this connection on the next turn of the event loop. */
  markDirty(connection: QuicConnection): void {
    this.dirty.add(connection);
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushAll());
  }

  /** @internal */
  onTimer(connection: QuicConnection): void {
    connection.guard(() => connection.onTimer());
    this.flushAll();
  }

  /** @internal Removes a closed connection and tells its handler. */
  finish(connection: QuicConnection): void {
    const info = connection.dispose();
    this.dirty.delete(connection);
    if (!info) return;
    for (const id of connection.ids) this.byId.delete(id);
    this.connections.delete(connection);
    this.stats.connections = this.connections.size;
    this.handshaking.delete(connection);
    this.stats.handshaking = this.handshaking.size;
    this.log.debug('connection closed', { conn: connection.traceId, ...info });
    connection.guard(() => connection.handler.onClosed?.(info));
  }

  /** @internal The connection's handshake completed: it no longer counts as half-open. */
  handshakeDone(connection: QuicConnection): void {
    this.handshaking.delete(connection);
    this.stats.handshaking = this.handshaking.size;
  }

  private flushAll(): void {
    this.flushScheduled = false;
    const batch = [...this.dirty];
    this.dirty.clear();
    for (const connection of batch) {
      let more = false;
      try {
        more = connection.flush();
      } catch (err) {
        this.log.error('flush failed', { conn: connection.traceId, err });
        connection.close(H3ErrorCode.InternalError, 'internal error');
      }
      if (more) this.markDirty(connection);
    }
  }

  private onPacket(packet: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    this.stats.packetsIn++;
    this.stats.bytesIn += packet.length;
    const { quiche } = this;
    let header;
    try {
      header = quiche.Header.fromSlice(packet, quiche.MAX_CONN_ID_LEN);
    } catch {
      this.stats.packetsDropped++;
      return;
    }
    const remote = { host: rinfo.address, port: rinfo.port };
    const existing = this.byId.get(hex(header.dcid));
    if (existing) {
      existing.receive(packet, remote, this.local);
      return;
    }
    if (header.ty !== quiche.Type.Initial) {
      // A packet for a connection we don't know (gone, or never ours).
      this.stats.packetsDropped++;
      return;
    }
    if (!quiche.versionIsSupported(header.version)) {
      const out = Buffer.allocUnsafe(MAX_SEND_UDP_PAYLOAD);
      try {
        const length = quiche.negotiateVersion(header.scid, header.dcid, out);
        this.sendPacket(out.subarray(0, length), remote);
      } catch (err) {
        this.log.debug('version negotiation failed', { err: (err as Error).message });
      }
      return;
    }
    // RFC 9000 §14.1: a client Initial is padded to 1200 bytes; anything shorter is dropped.
    if (packet.length < quiche.MIN_CLIENT_INITIAL_LEN) {
      this.stats.packetsDropped++;
      return;
    }
    const token = header.token;
    if (token && token.length > 0) {
      // Checked whatever the mode: a client may bring back a token from a Retry sent under load.
      const check = this.retryTokens.check(token, remote, header.dcid);
      if (!check.ok) {
        // Dropped rather than closed with INVALID_TOKEN: answering would make us a reflector.
        this.stats.invalidTokens[check.reason]++;
        this.stats.packetsDropped++;
        this.log.debug('Initial with an invalid token dropped', { reason: check.reason, remote });
        return;
      }
      this.accept(packet, header.dcid, remote, check.originalDcid);
      return;
    }
    if (this.retryNeeded()) {
      this.sendRetry(header, remote);
      return;
    }
    this.accept(packet, header.dcid, remote);
  }

  private retryNeeded(): boolean {
    const { retry, retryThreshold } = this.limits;
    if (retry === 'auto') return this.handshaking.size >= retryThreshold;
    return retry === 'always';
  }

  /** Answers an Initial with a Retry: no state is kept, the token carries it. */
  private sendRetry(header: QuicheHeader, remote: HostPort): void {
    const retryScid = randomBytes(this.quiche.MAX_CONN_ID_LEN);
    const out = Buffer.allocUnsafe(MAX_SEND_UDP_PAYLOAD);
    try {
      const token = this.retryTokens.mint(remote, header.dcid, retryScid);
      const length = this.quiche.retry(header.scid, header.dcid, retryScid, token, header.version, out);
      this.sendPacket(out.subarray(0, length), remote);
      this.stats.retriesSent++;
      this.stats.packetsOut++;
      this.stats.bytesOut += length;
    } catch (err) {
      this.stats.packetsDropped++;
      this.log.debug('retry failed', { err: (err as Error).message });
    }
  }

  /**
   * Opens a connection for a client Initial. With `validatedOdcid` (from a valid Retry
   * token) the Initial's DCID is the ID our Retry chose, and quiche echoes both in its
   * transport parameters so the client can tell the Retry was ours.
   */
  private accept(packet: Buffer, dcid: Uint8Array, remote: HostPort, validatedOdcid?: Uint8Array): void {
    const refuse = this.connections.size >= this.limits.maxConnections;
    // Refusals also hold state until their close is sent; cap those too so a flood costs little.
    if (refuse && this.connections.size >= this.limits.maxConnections + 64) {
      this.stats.packetsDropped++;
      return;
    }
    const scid = validatedOdcid ? dcid : randomBytes(this.quiche.MAX_CONN_ID_LEN);
    let conn: QuicheConnection;
    try {
      conn = this.quiche.Connection.accept(scid, validatedOdcid ?? null, this.local, remote, this.config);
    } catch (err) {
      this.log.debug('accept failed', { err: (err as Error).message });
      this.stats.packetsDropped++;
      return;
    }
    const connection = new QuicConnection(conn, this, remote, this.limits.maxBufferedBytes);
    // Both IDs: the client keeps using its original destination ID until it sees ours,
    // and a second Initial under it must not open a duplicate connection. After a
    // Retry the client already uses ours.
    connection.ids.push(...(validatedOdcid ? [hex(scid)] : [hex(dcid), hex(scid)]));
    for (const id of connection.ids) this.byId.set(id, connection);
    this.connections.add(connection);
    this.stats.connections = this.connections.size;
    this.handshaking.add(connection);
    this.stats.handshaking = this.handshaking.size;
    if (refuse) {
      this.stats.refused++;
      this.log.warn('connection refused: at the connection limit', { limit: this.limits.maxConnections });
      connection.receive(packet, remote, this.local);
      // The first flight first: a close sent before it would be in keys the client does not have yet.
      connection.flush();
      connection.close(CONNECTION_REFUSED, 'too many connections', true);
      return;
    }
    this.stats.connectionsTotal++;
    try {
      connection.handler = this.onConnection(connection);
    } catch (err) {
      this.log.error('connection setup failed', { err });
      connection.close(H3ErrorCode.InternalError, 'internal error');
    }
    this.log.debug('connection accepted', { conn: connection.traceId, remote });
    connection.receive(packet, remote, this.local);
  }
}
