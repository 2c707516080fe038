/**
 * The client side of one HTTP/3 connection, reduced to what a WebTransport
 * client needs: our control stream with SETTINGS and the idle QPACK pair, one
 * extended CONNECT (the session), the server's control stream, and the routing
 * of the session's streams and datagrams to a {@link WebTransportSession} (the
 * same class the server uses: the session's wire format is symmetric).
 *
 * Nothing is sent until {@link H3ClientConnection.open}: the caller checks the
 * server's certificate first.
 */
import { CapsuleType, createCapsuleReader, parseCloseSession } from './capsules.js';
import { connectionError, H3Error, H3ErrorCode, h3ErrorName } from './errors.js';
import {
  encodeHeaders,
  encodeSettings,
  FrameReader,
  FrameType,
  parseSettings,
  SettingId,
  StreamType,
} from './h3-frames.js';
import { silentLoggers, type LoggerFactory, type WebTransportLogger } from './logger.js';
import { decodeFieldSection, encodeFieldSection, type HeaderField } from './qpack.js';
import type { QuicCloseInfo, QuicConnection, QuicConnectionHandler } from './quic-connection.js';
import { concatBytes, readVarint } from './varint.js';
import { WebTransportSession, WT_BUFFERED_STREAM_REJECTED, type SessionHost } from './webtransport-session.js';

/** The session's CONNECT is the client's first bidirectional stream. */
export const CLIENT_SESSION_ID = 0;
/** Largest response header section read. */
const MAX_FIELD_SECTION = 16 * 1024;
/** Largest DATA frame read on the CONNECT stream (capsules are small). */
const MAX_CONNECT_DATA_FRAME = 64 * 1024;
/** Bytes kept while waiting for a stream's leading varints. */
const MAX_STREAM_PREAMBLE = 16;

/**
 * The SETTINGS a WebTransport client sends, as Chromium does: QPACK limits,
 * HTTP datagrams (RFC 9297 and draft 04) and WebTransport (draft 02).
 */
export function clientSettings(): Map<number, number> {
  return new Map([
    [SettingId.QpackMaxTableCapacity, 65536],
    [SettingId.MaxFieldSectionSize, 16384],
    [SettingId.QpackBlockedStreams, 100],
    [SettingId.H3Datagram, 1],
    [SettingId.H3DatagramDraft04, 1],
    [SettingId.EnableWebTransportDraft02, 1],
  ]);
}

/** The client's control stream: its type, then {@link clientSettings}. */
export function clientControlStream(): Uint8Array {
  return concatBytes([Uint8Array.of(StreamType.Control), encodeSettings(clientSettings())]);
}

/** The header fields of a WebTransport extended CONNECT; a field in `extra` replaces the default of its name. */
export function connectHeaders(
  target: { authority: string; path: string; origin?: string },
  extra: readonly HeaderField[] = [],
): HeaderField[] {
  const fields: HeaderField[] = [
    [':scheme', 'https'],
    [':method', 'CONNECT'],
    [':authority', target.authority],
    [':path', target.path],
    [':protocol', 'webtransport'],
    ['sec-webtransport-http3-draft02', '1'],
    ...(target.origin ? [['origin', target.origin] as const] : []),
  ];
  return [...fields.filter(([n]) => !extra.some(([e]) => e === n)), ...extra];
}

/** An extended CONNECT's HEADERS frame. */
export function connectRequest(headers: readonly HeaderField[]): Uint8Array {
  return encodeHeaders(encodeFieldSection(headers));
}

/** Options of an {@link H3ClientConnection}. */
export interface H3ClientOptions {
  /** `:authority` (host:port) and `:path` of the CONNECT, and the `origin` header if any. */
  authority: string;
  path: string;
  origin?: string;
  /** Where the connection (as `h3`) and the session (as `webtransport`) log. Default silent. */
  logger?: LoggerFactory;
}

/** The server's answer to the CONNECT. */
export interface ConnectResponse {
  status: number;
  headers: HeaderField[];
  /** The session, when the status is 2xx. */
  session?: WebTransportSession;
}

type StreamState =
  | { kind: 'preamble'; buffer: Uint8Array; uni: boolean }
  | { kind: 'wt-preamble'; buffer: Uint8Array; uni: boolean }
  | { kind: 'control'; reader: FrameReader; settings: boolean }
  | { kind: 'connect'; reader: FrameReader; capsules: FrameReader; headers: boolean }
  | { kind: 'webtransport' }
  | { kind: 'ignored' };

const IGNORED: StreamState = { kind: 'ignored' };

/** One HTTP/3 connection of a WebTransport client, carrying one session. */
export class H3ClientConnection implements QuicConnectionHandler, SessionHost {
  /** The server's SETTINGS, once received. */
  peerSettings: ReadonlyMap<number, number> | undefined;
  /** The session once the server accepted the CONNECT. */
  session: WebTransportSession | undefined;
  /** Resolves when the QUIC handshake completes; rejects if the connection closes first. */
  readonly established: Promise<void>;
  /** Resolves with the server's answer to the CONNECT; rejects if the connection closes first. */
  readonly response: Promise<ConnectResponse>;
  /** Resolves when the connection is gone, with why. */
  readonly closed: Promise<QuicCloseInfo>;
  /** True once the server ended its side of the CONNECT stream. */
  connectEnded = false;

  readonly sessionLog: WebTransportLogger;
  private readonly log: WebTransportLogger;
  private readonly streams = new Map<number, StreamState>();
  private requestHeaders: HeaderField[] = [];
  private settle!: {
    established: [() => void, (e: Error) => void];
    response: [(r: ConnectResponse) => void, (e: Error) => void];
    closed: (info: QuicCloseInfo) => void;
  };
  private opened = false;

  constructor(
    readonly quic: QuicConnection,
    private readonly options: H3ClientOptions,
  ) {
    const loggers = options.logger ?? silentLoggers;
    this.log = loggers('h3');
    this.sessionLog = loggers('webtransport');
    const settle: Partial<typeof this.settle> = {};
    this.established = new Promise((resolve, reject) => (settle.established = [resolve, reject]));
    this.response = new Promise((resolve, reject) => (settle.response = [resolve, reject]));
    this.closed = new Promise((resolve) => (settle.closed = resolve));
    // Observed by whoever awaits them; never unhandled meanwhile.
    this.established.catch(() => undefined);
    this.response.catch(() => undefined);
    this.settle = settle as typeof this.settle;
  }

  /**
   * Opens our control and QPACK streams and sends the CONNECT; {@link response}
   * follows. Call once, after {@link established}.
   */
  open(extraHeaders: readonly HeaderField[] = []): void {
    if (this.opened) return;
    this.opened = true;
    const control = this.quic.openStream('uni');
    this.quic.write(control, clientControlStream());
    const encoder = this.quic.openStream('uni');
    const decoder = this.quic.openStream('uni');
    this.quic.write(encoder, Uint8Array.of(StreamType.QpackEncoder));
    this.quic.write(decoder, Uint8Array.of(StreamType.QpackDecoder));
    const id = this.quic.openStream('bidi');
    if (id !== CLIENT_SESSION_ID) throw new Error(`the CONNECT must be stream ${CLIENT_SESSION_ID}, not ${id}`);
    this.requestHeaders = connectHeaders(this.options, extraHeaders);
    this.streams.set(id, {
      kind: 'connect',
      headers: false,
      reader: new FrameReader({
        limits: new Map([
          [FrameType.Headers, MAX_FIELD_SECTION],
          [FrameType.Data, MAX_CONNECT_DATA_FRAME],
        ]),
      }),
      capsules: createCapsuleReader(),
    });
    this.quic.write(id, connectRequest(this.requestHeaders));
  }

  onEstablished(): void {
    this.settle.established[0]();
  }

  onStreamData(streamId: number, data: Uint8Array, fin: boolean): void {
    try {
      this.streamData(streamId, data, fin);
    } catch (err) {
      if (!(err instanceof H3Error)) throw err;
      this.fail(streamId, err);
    }
  }

  onStreamReset(streamId: number, code: number): void {
    const state = this.streams.get(streamId);
    this.streams.delete(streamId);
    if (state?.kind === 'webtransport') this.session?.streamReset(streamId, code);
    else if (state?.kind === 'connect') this.connectGone(`the CONNECT stream was reset (${h3ErrorName(code)})`);
    else if (state?.kind === 'control')
      this.fail(streamId, connectionError(H3ErrorCode.ClosedCriticalStream, 'control stream reset'));
  }

  onStreamStopped(streamId: number, code: number): void {
    if (streamId === CLIENT_SESSION_ID) this.connectGone(`the CONNECT stream was stopped (${h3ErrorName(code)})`);
    else this.session?.streamStopped(streamId, code);
  }

  onDatagram(data: Uint8Array): void {
    const quarter = readVarint(data, 0);
    if (!quarter)
      return this.fail(undefined, connectionError(H3ErrorCode.DatagramError, 'datagram without a quarter stream ID'));
    if (quarter.value * 4 === this.session?.id) this.session.datagram(data.subarray(quarter.length));
  }

  onClosed(info: QuicCloseInfo): void {
    // Transport codes 0x100-0x1ff are TLS alerts (RFC 9001 §4.8): 42 bad_certificate, 48 unknown_ca, ...
    const alert = !info.app && info.code >= 0x100 && info.code <= 0x1ff ? `, TLS alert ${info.code - 0x100}` : '';
    const detail = info.reason ? `: ${info.reason}` : '';
    const why = new Error(`the QUIC connection closed (${info.by}${alert}${detail})`);
    this.settle.established[1](why);
    this.settle.response[1](why);
    this.session?.terminated('connection', info.code, info.reason || `connection closed (${info.by})`);
    this.streams.clear();
    this.settle.closed(info);
  }

  /** @internal */
  removeSession(session: WebTransportSession): void {
    if (this.session === session) this.session = undefined;
    for (const [id, state] of this.streams) if (state.kind === 'webtransport') this.streams.set(id, IGNORED);
  }

  /** @internal A bidirectional stream we opened for the session: the server's data on it goes to the session. */
  registerStream(streamId: number): void {
    this.streams.set(streamId, { kind: 'webtransport' });
  }

  private streamData(streamId: number, data: Uint8Array, fin: boolean): void {
    let state = this.streams.get(streamId);
    if (!state) {
      // Only server-initiated streams are new here (ours are registered when opened).
      if (streamId % 2 === 0) return;
      state = { kind: 'preamble', buffer: new Uint8Array(0), uni: streamId % 4 === 3 };
      this.streams.set(streamId, state);
    }
    switch (state.kind) {
      case 'preamble':
      case 'wt-preamble':
        return this.preamble(streamId, state, data, fin);
      case 'control':
        for (const frame of state.reader.push(data)) {
          if (!state.settings) {
            if (frame.type !== FrameType.Settings) {
              throw connectionError(H3ErrorCode.MissingSettings, 'the control stream must start with SETTINGS');
            }
            state.settings = true;
            this.peerSettings = parseSettings(frame.payload);
          } else if (frame.type === FrameType.Settings) {
            throw connectionError(H3ErrorCode.FrameUnexpected, 'a second SETTINGS frame');
          }
          // GOAWAY: this connection carries one session already open; nothing else to stop.
        }
        if (fin) throw connectionError(H3ErrorCode.ClosedCriticalStream, 'the server closed its control stream');
        return;
      case 'connect':
        return this.connectData(state, data, fin);
      case 'webtransport':
        if (fin) this.streams.delete(streamId);
        this.session?.streamData(streamId, data, fin);
        return;
      case 'ignored':
        if (fin) this.streams.delete(streamId);
        return;
    }
  }

  /** Collects a server stream's leading varints (type or signal, then the session ID). */
  private preamble(
    streamId: number,
    state: Extract<StreamState, { buffer: Uint8Array }>,
    data: Uint8Array,
    fin: boolean,
  ): void {
    const buffer = state.buffer.length > 0 ? concatBytes([state.buffer, data]) : data;
    const first = readVarint(buffer, 0);
    if (!first) {
      if (buffer.length > MAX_STREAM_PREAMBLE)
        throw connectionError(H3ErrorCode.FrameError, 'stream preamble too long');
      if (fin) this.streams.delete(streamId);
      else state.buffer = Uint8Array.from(buffer);
      return;
    }
    const rest = buffer.subarray(first.length);
    if (state.kind === 'wt-preamble') {
      if (first.value !== this.session?.id) {
        // A stream for no session of ours (ended already, or never was).
        this.quic.stopReading(streamId, WT_BUFFERED_STREAM_REJECTED);
        if (!state.uni) this.quic.resetStream(streamId, WT_BUFFERED_STREAM_REJECTED);
        this.streams.set(streamId, IGNORED);
        return;
      }
      this.streams.set(streamId, { kind: 'webtransport' });
      this.session.acceptStream(streamId, !state.uni);
      if (rest.length > 0 || fin) this.streamData(streamId, rest, fin);
      return;
    }
    if (!state.uni) {
      if (first.value !== FrameType.WebTransportStream) {
        // A server never opens HTTP/3 request streams.
        throw connectionError(H3ErrorCode.StreamCreationError, 'the server opened a bidirectional stream');
      }
      this.streams.set(streamId, { kind: 'wt-preamble', buffer: new Uint8Array(0), uni: false });
      return this.streamData(streamId, rest, fin);
    }
    switch (first.value) {
      case StreamType.Control:
        this.streams.set(streamId, {
          kind: 'control',
          settings: false,
          reader: new FrameReader({ limits: new Map([[FrameType.Settings, 4096]]) }),
        });
        break;
      case StreamType.WebTransport:
        this.streams.set(streamId, { kind: 'wt-preamble', buffer: new Uint8Array(0), uni: true });
        break;
      case StreamType.QpackEncoder:
      case StreamType.QpackDecoder:
        // Our dynamic table has no entries the server could refer to: nothing on them matters.
        this.streams.set(streamId, IGNORED);
        return;
      default:
        // Push streams (we never allowed one) and unknown types: stop reading (RFC 9114 §6.2).
        this.quic.stopReading(streamId, H3ErrorCode.StreamCreationError);
        this.streams.set(streamId, IGNORED);
        return;
    }
    this.streamData(streamId, rest, fin);
  }

  private connectData(state: Extract<StreamState, { kind: 'connect' }>, data: Uint8Array, fin: boolean): void {
    for (const frame of state.reader.push(data)) {
      if (!state.headers) {
        if (frame.type !== FrameType.Headers) {
          throw connectionError(H3ErrorCode.FrameUnexpected, 'a response must start with HEADERS');
        }
        this.responseHeaders(state, frame.payload);
        continue;
      }
      if (frame.type !== FrameType.Data || !this.session) continue;
      for (const capsule of state.capsules.push(frame.payload)) {
        if (capsule.type === CapsuleType.CloseWebTransportSession) {
          const { code, reason } = parseCloseSession(capsule.payload);
          this.session?.peerClosed(code, reason);
        } else if (capsule.type === CapsuleType.DrainWebTransportSession) {
          this.session?.peerDrained();
        }
      }
    }
    if (!fin) return;
    this.streams.delete(CLIENT_SESSION_ID);
    this.connectGone('the server ended the CONNECT stream');
  }

  private responseHeaders(state: Extract<StreamState, { kind: 'connect' }>, fieldSection: Uint8Array): void {
    const headers = decodeFieldSection(fieldSection, { maxFieldSectionSize: MAX_FIELD_SECTION });
    const status = Number(headers.find(([name]) => name === ':status')?.[1]);
    // 1xx: an interim response; the final one follows.
    if (status >= 100 && status < 200) return;
    state.headers = true;
    if (status >= 200 && status < 300) {
      this.session = new WebTransportSession(CLIENT_SESSION_ID, this.requestHeaders, this);
      this.log.debug('session opened', { conn: this.quic.traceId });
    }
    this.settle.response[0]({ status, headers, ...(this.session ? { session: this.session } : {}) });
  }

  /** The CONNECT stream ended or broke: so did the session (and a response still awaited). */
  private connectGone(why: string): void {
    this.connectEnded = true;
    this.settle.response[1](new Error(`${why} before answering the CONNECT`));
    this.session?.terminated('peer', 0, '');
  }

  /** Applies an error: a connection error closes the connection; a stream error drops that stream. */
  private fail(streamId: number | undefined, error: H3Error): void {
    this.log.debug('protocol error', {
      conn: this.quic.traceId,
      stream: streamId,
      code: h3ErrorName(error.code),
      msg: error.message,
    });
    if (error.scope === 'connection' || streamId === undefined || streamId === CLIENT_SESSION_ID) {
      this.quic.close(error.code, error.message);
      return;
    }
    this.streams.set(streamId, IGNORED);
    this.quic.stopReading(streamId, error.code);
  }
}
