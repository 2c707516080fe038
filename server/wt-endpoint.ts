/**
 * The WebTransport endpoint: takes each WebTransport session the server accepts
 * at `/wt` into a `Connection` (the same protocol handling as a WebSocket's),
 * runs the heartbeat sweep, and closes everyone on shutdown. Each event handler
 * is guarded: a bug one session triggers ends that connection, never the process.
 */
import { CloseCode, ErrorCode } from '../src/protocol/index.js';
import type { RelayContext } from './context.js';
import { HeartbeatSweep } from './heartbeat-sweep.js';
import { createLogger } from './log.js';
import { guardConnection } from './connection-guard.js';
import { Connection } from './connection.js';
import type { WebTransportSession } from './webtransport/index.js';
import { WtInbound } from './wt-inbound.js';
import { WtLink } from './wt-link.js';
import { addressKey } from './address-limits.js';

const log = createLogger('wt');

/**
 * How long (plus two round trips) a closing session waits for the client to
 * close it after the `Error` and the control stream's end; see {@link WtLink}.
 * Chromium 156 lost the `Error` every time the close followed at once (2 of 2
 * runs of test/e2e/relay-webtransport.test.ts), and read it with this linger.
 */
export const CLOSE_LINGER_MS = 250;

/**
 * On shutdown, how long the closed sessions' connections are left open for the
 * close capsules to arrive: closing the QUIC endpoint discards stream data not
 * sent yet, and a client that sees only CONNECTION_CLOSE reports a lost
 * connection instead of the close code. Clients close their connection once
 * their session closed, which ends the wait sooner.
 */
export const CLOSE_SETTLE_MS = 200;

export class WtEndpoint {
  private readonly open = new Set<Connection>();
  private readonly links = new Set<WtLink>();
  private readonly sweep: HeartbeatSweep;
  private closing = false;

  constructor(
    private readonly ctx: RelayContext,
    private readonly closeLingerMs = CLOSE_LINGER_MS,
  ) {
    this.sweep = new HeartbeatSweep(ctx.options.heartbeatIntervalMs, this.open, log);
  }

  /** WebTransport sessions open now (one connection each). */
  get connections(): number {
    return this.open.size;
  }

  /** The WebTransport server's `onsession`. */
  accept(wt: WebTransportSession): void {
    if (this.closing) return wt.close(CloseCode.GoingAway, ErrorCode.ServerShutdown);
    const remote = `${wt.remote.host}:${wt.remote.port}`;
    const address = addressKey(wt.remote.host);
    const refused = this.ctx.addressLimits.connect(address);
    if (refused) {
      this.ctx.metrics.refused.inc(refused);
      this.ctx.metrics.errors.inc(ErrorCode.TooManyConnections);
      return wt.close(CloseCode.TooManyConnections, ErrorCode.TooManyConnections);
    }
    const link = new WtLink(wt, this.ctx.metrics, { closeLingerMs: this.closeLingerMs });
    const connection = new Connection(link, this.ctx, remote, address);
    this.open.add(connection);
    this.links.add(link);
    this.ctx.metrics.connectionsTotal++;
    this.ctx.metrics.webTransportSessionsTotal++;
    log.debug('connected', { session: connection.sessionId, remote });

    const guard = (fn: () => void): void => guardConnection(connection, log, fn);
    new WtInbound(wt, link, connection, this.ctx.options, this.ctx.metrics, guard);
    wt.onclose = (info) => {
      this.ctx.addressLimits.release(address);
      this.open.delete(connection);
      this.links.delete(link);
      link.sessionClosed();
      guard(() => connection.onClose());
      log.debug('closed', { session: connection.sessionId, by: info.by, code: info.code, reason: info.reason });
    };
  }

  /**
   * Tells every client the relay is going away (`server-shutdown`, close 1001)
   * and waits, at most `timeoutMs`, for the sessions to close; then closes the
   * rest, and gives the closes {@link CLOSE_SETTLE_MS} (within `timeoutMs`) to
   * reach the clients, or until `openConnections()` (QUIC's) is 0.
   */
  async shutdown(timeoutMs: number, openConnections: () => number = () => 0): Promise<void> {
    this.closing = true;
    this.sweep.stop();
    const closed = this.open.size;
    for (const connection of this.open) guardConnection(connection, log, () => connection.shutdown());
    const deadline = Date.now() + timeoutMs;
    while (this.open.size > 0 && Date.now() < deadline) await delay(10);
    for (const link of this.links) link.terminate();
    if (closed === 0) return;
    const settled = Math.min(deadline, Date.now() + CLOSE_SETTLE_MS);
    while (openConnections() > 0 && Date.now() < settled) await delay(10);
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
