/**
 * The WebSocket endpoint at `/ws`: accepts upgrades, makes a `Connection` per
 * connection, runs the heartbeat sweep, and closes everyone on shutdown.
 * Each event handler is wrapped so a bug triggered by one connection is logged
 * and ends that connection, never the process.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type ServerOptions, type WebSocket } from 'ws';
import { ErrorCode, WEBSOCKET_PATH } from '../src/protocol/index.js';
import type { RelayContext } from './context.js';
import { HeartbeatSweep } from './heartbeat-sweep.js';
import { createLogger } from './log.js';
import { guardConnection } from './connection-guard.js';
import { Connection } from './connection.js';
import { WsLink } from './ws-link.js';
import { addressKey } from './address-limits.js';

const log = createLogger('ws');

/** How long a closing connection may take to finish the closing handshake before it is cut. */
const CLOSE_TIMEOUT_MS = 2000;

export class WsEndpoint {
  private readonly wss: WebSocketServer;
  private readonly open = new Set<Connection>();
  private readonly sockets = new Set<WebSocket>();
  private readonly sweep: HeartbeatSweep;
  private closing = false;

  constructor(private readonly ctx: RelayContext) {
    // `closeTimeout` exists in ws 8.23 but not yet in @types/ws, hence the wider type.
    const serverOptions: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      maxPayload: ctx.options.maxMessageBytes,
      perMessageDeflate: false, // frames are already compressed (codecs) or ciphertext
      clientTracking: false,
      closeTimeout: CLOSE_TIMEOUT_MS,
    };
    this.wss = new WebSocketServer(serverOptions);
    this.sweep = new HeartbeatSweep(ctx.options.heartbeatIntervalMs, this.open, log);
  }

  /** Open WebSocket connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /** The HTTP server's `upgrade` event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => log.debug('upgrade socket error', { err }));
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== WEBSOCKET_PATH) return rejectUpgrade(socket, 404, 'Not Found');
    if (this.closing) return rejectUpgrade(socket, 503, 'Service Unavailable');
    if (!this.ctx.origins.allows(req.headers.origin, req.headers.host)) {
      this.ctx.metrics.refused.inc('origin');
      log.debug('upgrade from a foreign origin refused', { origin: req.headers.origin });
      return rejectUpgrade(socket, 403, 'Forbidden');
    }
    const address = addressKey(req.socket.remoteAddress);
    const refused = this.ctx.addressLimits.connect(address);
    if (refused) {
      this.ctx.metrics.refused.inc(refused);
      log.debug('upgrade over the connection limit refused', { address, refused });
      // 503 with Retry-After: the client's reconnect backs off, and another relay may have room.
      return rejectUpgrade(socket, 503, 'Service Unavailable', 'Retry-After: 10\r\n');
    }
    // The slot is given back when the socket goes, whether or not the upgrade completes.
    socket.once('close', () => this.ctx.addressLimits.release(address));
    // Closures here share one scope, which the socket's close listener keeps for the connection's
    // life: they must not capture `req` (the request and its headers, about half a KiB per client).
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, remote, address));
  }

  /**
   * Tells every client the relay is going away (`server-shutdown`, close 1001)
   * and waits, at most `timeoutMs`, for the connections to close; then cuts the rest.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.sweep.stop();
    for (const connection of this.open) guard(connection, () => connection.shutdown());
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size > 0 && Date.now() < deadline) await delay(20);
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }

  private onConnection(ws: WebSocket, remote: string, address: string): void {
    const connection = new Connection(new WsLink(ws), this.ctx, remote, address);
    this.open.add(connection);
    this.sockets.add(ws);
    this.ctx.metrics.connectionsTotal++;
    log.debug('connected', { session: connection.sessionId, remote });

    ws.on('message', (data: RawData, isBinary: boolean) => {
      // With the default binaryType every message arrives as one Buffer.
      guard(connection, () => connection.onMessage(data as Buffer, isBinary));
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // ws has already started closing (1009 for an oversized message, 1002/1007 for bad frames).
      const code = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? ErrorCode.TooLarge : ErrorCode.Malformed;
      this.ctx.metrics.errors.inc(code);
      log.debug('websocket error', { session: connection.sessionId, code, err: err.message });
    });
    ws.on('close', (code: number) => {
      this.sockets.delete(ws);
      this.open.delete(connection);
      guard(connection, () => connection.onClose());
      log.debug('closed', { session: connection.sessionId, code });
    });
  }
}

/** Runs `fn`; an exception is logged and ends that connection, never the process. */
function guard(connection: Connection, fn: () => void): void {
  guardConnection(connection, log, fn);
}

function rejectUpgrade(socket: Duplex, status: number, text: string, headers = ''): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${headers}Content-Length: 0\r\n\r\n`);
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
