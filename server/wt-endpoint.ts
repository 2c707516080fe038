/**
 * The WebTransport endpoint: takes each WebTransport session the server accepts
 * at `/wt` into a `Session` (the same protocol handling as a WebSocket's),
 * runs the heartbeat sweep, and closes everyone on shutdown. Each event handler
 * is guarded: a bug one session triggers ends that session, never the process.
 */
import { CloseCode, ErrorCode } from '../src/protocol/index.js';
import type { RelayContext } from './context.js';
import { HeartbeatSweep } from './heartbeat-sweep.js';
import { createLogger } from './log.js';
import { guardSession } from './session-guard.js';
import { Session } from './session.js';
import type { WebTransportSession } from './webtransport/webtransport-session.js';
import { WtInbound } from './webtransport/wt-inbound.js';
import { WtLink } from './webtransport/wt-link.js';

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
  private readonly sessions = new Set<Session>();
  private readonly links = new Set<WtLink>();
  private readonly sweep: HeartbeatSweep;
  private closing = false;

  constructor(
    private readonly ctx: RelayContext,
    private readonly closeLingerMs = CLOSE_LINGER_MS,
  ) {
    this.sweep = new HeartbeatSweep(ctx, this.sessions, log);
  }

  /** WebTransport sessions open now. */
  get connections(): number {
    return this.sessions.size;
  }

  /** The WebTransport server's `onsession`. */
  accept(wt: WebTransportSession): void {
    if (this.closing) return wt.close(CloseCode.GoingAway, ErrorCode.ServerShutdown);
    const remote = `${wt.remote.host}:${wt.remote.port}`;
    const link = new WtLink(wt, this.ctx.metrics, { closeLingerMs: this.closeLingerMs });
    const session = new Session(link, this.ctx, remote);
    this.sessions.add(session);
    this.links.add(link);
    this.ctx.metrics.connectionsTotal++;
    this.ctx.metrics.webTransportSessionsTotal++;
    log.debug('connected', { session: session.id, remote });

    const guard = (fn: () => void): void => guardSession(session, log, fn);
    new WtInbound(wt, link, session, this.ctx.options, this.ctx.metrics, guard);
    wt.onclose = (info) => {
      this.sessions.delete(session);
      this.links.delete(link);
      link.sessionClosed();
      guard(() => session.onClose());
      log.debug('closed', { session: session.id, by: info.by, code: info.code, reason: info.reason });
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
    const closed = this.sessions.size;
    for (const session of this.sessions) guardSession(session, log, () => session.shutdown());
    const deadline = Date.now() + timeoutMs;
    while (this.sessions.size > 0 && Date.now() < deadline) await delay(10);
    for (const link of this.links) link.terminate();
    if (closed === 0) return;
    const settled = Math.min(deadline, Date.now() + CLOSE_SETTLE_MS);
    while (openConnections() > 0 && Date.now() < settled) await delay(10);
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
