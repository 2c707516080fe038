/**
 * A Node client of the relay over WebSocket for the CLI's commands: connects,
 * joins, keeps the heartbeat, hands every decoded envelope to its owner and
 * turns the ways a join fails into {@link CliError}s (unreachable relay,
 * refused token). It publishes nothing by itself.
 */
import { WebSocket } from 'ws';
import {
  decodeEnvelope,
  encodeEnvelope,
  ErrorCode,
  PROTOCOL_VERSION,
  WEBSOCKET_PATH,
  type DecodedEnvelope,
  type EnvelopeInit,
  type WelcomeInit,
} from '../../src/protocol/index.js';
import { CliError } from './cli-error.js';

/** Error codes that mean the relay does not accept this token. */
const TOKEN_REFUSALS = new Set<string>([
  ErrorCode.TokenMissing,
  ErrorCode.TokenInvalid,
  ErrorCode.TokenExpired,
  ErrorCode.TokenWrongRoom,
  ErrorCode.Unauthorized,
]);

export interface RelaySessionOptions {
  /** The relay's base URL (`http://host:port`) or its WebSocket endpoint (`ws://host:port/ws`). */
  server: string;
  room: string;
  name: string;
  token?: string;
  /** How long connecting and joining may take. Default 10 s. */
  timeoutMs?: number;
}

/** `http(s)://host[:port][/]` → `ws(s)://host[:port]/ws`; a ws(s) URL is kept as it is. */
export function webSocketUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CliError('usage', `--server ${JSON.stringify(server)} is not a URL (e.g. http://127.0.0.1:8080).`);
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return url.href;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError('usage', `--server must be an http(s) or ws(s) URL, not ${url.protocol}`);
  }
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = url.pathname.replace(/\/+$/, '') + WEBSOCKET_PATH;
  return url.href;
}

/** One joined connection to a relay. */
export class RelaySession {
  /** Our session id. */
  readonly sessionId: string;
  readonly welcome: WelcomeInit;
  private heartbeat: NodeJS.Timeout | undefined;
  private closedBy: CliError | null = null;
  private readonly closeListeners: ((error: CliError | null) => void)[] = [];

  private constructor(
    private readonly ws: WebSocket,
    welcome: WelcomeInit,
  ) {
    this.welcome = welcome;
    this.sessionId = welcome.sessionId ?? '';
    const every = Math.max(500, Math.floor((welcome.heartbeatIntervalMs || 10_000) / 2));
    this.heartbeat = setInterval(() => this.send({ ping: { time: Date.now() } }), every);
    ws.on('close', (code, reason) => {
      clearInterval(this.heartbeat);
      const why = reason.toString();
      const error = this.closedBy ?? (code === 1000 ? null : new CliError('relay-closed', closeMessage(code, why)));
      for (const listener of this.closeListeners.splice(0)) listener(error);
    });
  }

  /**
   * Connects and joins. `onMessage` sees every envelope from the Welcome on
   * (the Welcome itself too). Rejects with `relay-unreachable` or `token-refused`.
   */
  static async join(options: RelaySessionOptions, onMessage: (env: DecodedEnvelope) => void): Promise<RelaySession> {
    const url = webSocketUrl(options.server);
    const timeoutMs = options.timeoutMs ?? 10_000;
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    ws.binaryType = 'nodebuffer';
    let session: RelaySession | undefined;
    let fatal: CliError | null = null;
    return new Promise<RelaySession>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new CliError('relay-unreachable', `No answer from the relay at ${url} within ${timeoutMs} ms.`));
      }, timeoutMs);
      ws.on('message', (data: Buffer) => {
        let env: DecodedEnvelope;
        try {
          env = decodeEnvelope(data);
        } catch {
          return; // a relay never sends this; nothing to act on
        }
        if (env.error?.fatal) {
          const code = env.error.code ?? '';
          const text = env.error.message ?? code;
          fatal = TOKEN_REFUSALS.has(code)
            ? new CliError('token-refused', `The relay refused the token (${code}): ${text}`)
            : new CliError('relay-closed', `The relay closed the session (${code}): ${text}`);
          if (session) session.closedBy = fatal;
        }
        if (env.welcome && !session) {
          clearTimeout(timer);
          session = new RelaySession(ws, env.welcome);
          resolve(session);
        }
        if (session) onMessage(env);
      });
      ws.once('open', () => {
        ws.send(
          encodeEnvelope({
            join: {
              protocolVersion: PROTOCOL_VERSION,
              room: options.room,
              name: options.name,
              token: options.token ?? '',
              state: { mic: false, camera: false },
            },
          }),
        );
      });
      ws.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          new CliError('relay-unreachable', `Cannot reach the relay at ${url}: ${err.code ?? err.message}.`, {
            cause: err,
          }),
        );
      });
      ws.once('close', (code, reason) => {
        clearTimeout(timer);
        if (!session) reject(fatal ?? new CliError('relay-closed', closeMessage(code, reason.toString())));
      });
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(message: EnvelopeInit): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeEnvelope(message));
  }

  /** Called once when the connection ends: with null after our own {@link leave}, else why it ended. */
  onClose(listener: (error: CliError | null) => void): void {
    this.closeListeners.push(listener);
  }

  /** Leaves on purpose (others see "left") and closes; resolves once closed (at most 2 s). */
  async leave(): Promise<void> {
    clearInterval(this.heartbeat);
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    this.send({ leave: {} });
    this.ws.close(1000);
    const timer = setTimeout(() => this.ws.terminate(), 2000);
    await closed;
    clearTimeout(timer);
  }
}

function closeMessage(code: number, reason: string): string {
  return `The relay closed the connection (${code}${reason ? ` ${reason}` : ''}).`;
}
