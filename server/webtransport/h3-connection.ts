/**
 * The server side of one HTTP/3 connection (RFC 9114), reduced to what
 * WebTransport needs: the control streams and SETTINGS, QPACK streams (present,
 * idle: the dynamic table has capacity 0), request streams answered from their
 * HEADERS (an extended CONNECT for WebTransport gets 200, anything else 404),
 * and the routing of WebTransport streams and HTTP datagrams to their session.
 *
 * Malformed input becomes an {@link H3Error}: a stream error resets that stream,
 * a connection error closes this connection with the code; nothing escapes to
 * the endpoint or to other connections.
 */
import { CapsuleType, createCapsuleReader, parseCloseSession } from './capsules.js';
import { connectionError, H3Error, H3ErrorCode, h3ErrorName, streamError } from './errors.js';
import { silentLoggers, type LoggerFactory, type WebTransportLogger } from './logger.js';
import {
  encodeGoaway,
  encodeHeaders,
  encodeSettings,
  FrameReader,
  FrameType,
  parseSettings,
  parseSingleVarint,
  rejectHttp2Frames,
  SettingId,
  StreamType,
  type Frame,
} from './h3-frames.js';
import { decodeFieldSection, encodeFieldSection, QpackDecoderStreamReader, QpackEncoderStreamReader } from './qpack.js';
import type { HeaderField } from './qpack.js';
import { validateRequest } from './h3-request.js';
import type { QuicCloseInfo, QuicConnection, QuicConnectionHandler } from './quic-endpoint.js';
import { concatBytes, readVarint } from './varint.js';
import { WebTransportSession, WT_BUFFERED_STREAM_REJECTED, type SessionHost } from './webtransport-session.js';

/** Options of an {@link H3Connection}. */
export interface H3ConnectionOptions {
  /** The path (without query) where WebTransport sessions are accepted, e.g. `/wt`. */
  path: string;
  /** Sessions at once on one connection (advertised in SETTINGS). */
  maxSessions: number;
  /** Largest request header section accepted (advertised as SETTINGS_MAX_FIELD_SECTION_SIZE). */
  maxFieldSectionSize: number;
  /**
   * Decides on a WebTransport CONNECT that reached the right path: return 200 to
   * accept, or the status to refuse with (e.g. 403 for a foreign origin). Default accepts.
   */
  authorize?(request: WebTransportRequest): number;
  /** A new session, already answered with 200. */
  onSession(session: WebTransportSession): void;
  /** Where the connection (as `h3`) and its sessions (as `webtransport`) this.log. Default silent. */
  logger?: LoggerFactory;
}

/** What {@link H3ConnectionOptions.authorize} sees of a CONNECT. */
export interface WebTransportRequest {
  path: string;
  authority: string;
  origin: string | undefined;
  headers: readonly HeaderField[];
}

/** Largest DATA frame read on a CONNECT stream (it carries capsules, which are small). */
const MAX_CONNECT_DATA_FRAME = 64 * 1024;
/** Largest SETTINGS frame read. */
const MAX_SETTINGS_FRAME = 4096;
/** Bytes kept while waiting for a stream's leading varints (type, signal, session ID). */
const MAX_STREAM_PREAMBLE = 16;

/** Frames that never belong on the control stream (§7.2). */
const NOT_ON_CONTROL = new Set<number>([FrameType.Data, FrameType.Headers, FrameType.PushPromise]);
/** Frames that never belong on a request stream (§7.2). */
const NOT_ON_REQUEST = new Set<number>([
  FrameType.Settings,
  FrameType.Goaway,
  FrameType.MaxPushId,
  FrameType.CancelPush,
  FrameType.PushPromise,
]);

type StreamState =
  /** A client unidirectional stream whose type varint has not fully arrived. */
  | { kind: 'uni-preamble'; buffer: Uint8Array }
  /** A client bidirectional stream whose first varint has not fully arrived. */
  | { kind: 'bidi-preamble'; buffer: Uint8Array }
  /** After a WebTransport type or signal, waiting for the session ID. */
  | { kind: 'wt-preamble'; buffer: Uint8Array; bidirectional: boolean }
  | { kind: 'control'; reader: FrameReader; settings: boolean }
  | { kind: 'qpack-encoder'; reader: QpackEncoderStreamReader }
  | { kind: 'qpack-decoder'; reader: QpackDecoderStreamReader }
  | { kind: 'request'; reader: FrameReader; headers: boolean; session?: WebTransportSession; capsules?: FrameReader }
  | { kind: 'webtransport'; session: WebTransportSession }
  /** Refused or finished: further data is dropped. */
  | { kind: 'ignored' };

const IGNORED: StreamState = { kind: 'ignored' };

/**
 * Ignored streams remembered, so late data on them is not mistaken for a new
 * stream; past this many the oldest are forgotten (quiche stops reporting a
 * stream once both sides are done, so old entries are almost always dead).
 */
const MAX_IGNORED_STREAMS = 256;

const CRITICAL = new Set(['control', 'qpack-encoder', 'qpack-decoder']);

export class H3Connection implements QuicConnectionHandler, SessionHost {
  private readonly streams = new Map<number, StreamState>();
  private readonly sessions = new Map<number, WebTransportSession>();
  private readonly uniTypesSeen = new Set<number>();
  /** Ignored stream IDs, oldest first. */
  private readonly ignored = new Set<number>();
  private controlStream: number | undefined;
  /** Our control and QPACK streams: the client stopping one is a connection error. */
  private readonly criticalStreams = new Set<number>();
  /** The client's SETTINGS, once received. */
  peerSettings: ReadonlyMap<number, number> | undefined;
  private highestRequest = -1;
  private goawaySent = false;
  private closed = false;

  private readonly log: WebTransportLogger;
  /** @internal Where this connection's sessions this.log. */
  readonly sessionLog: WebTransportLogger;

  constructor(
    readonly quic: QuicConnection,
    private readonly options: H3ConnectionOptions,
  ) {
    const loggers = options.logger ?? silentLoggers;
    this.log = loggers('h3');
    this.sessionLog = loggers('webtransport');
  }

  /** The SETTINGS this server sends. */
  static settings(options: Pick<H3ConnectionOptions, 'maxSessions' | 'maxFieldSectionSize'>): Map<number, number> {
    return new Map([
      [SettingId.QpackMaxTableCapacity, 0],
      [SettingId.QpackBlockedStreams, 0],
      [SettingId.MaxFieldSectionSize, options.maxFieldSectionSize],
      [SettingId.EnableConnectProtocol, 1],
      [SettingId.H3Datagram, 1],
      [SettingId.EnableWebTransportDraft02, 1],
      [SettingId.WebTransportMaxSessionsDraft07, options.maxSessions],
    ]);
  }

  /** Sessions open on this connection. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  onEstablished(): void {
    // Our three unidirectional streams: control (type + SETTINGS), then the idle QPACK pair.
    this.controlStream = this.quic.openStream('uni');
    this.quic.write(
      this.controlStream,
      concatBytes([Uint8Array.of(StreamType.Control), encodeSettings(H3Connection.settings(this.options))]),
    );
    const encoder = this.quic.openStream('uni');
    const decoder = this.quic.openStream('uni');
    this.quic.write(encoder, Uint8Array.of(StreamType.QpackEncoder));
    this.quic.write(decoder, Uint8Array.of(StreamType.QpackDecoder));
    for (const id of [this.controlStream, encoder, decoder]) this.criticalStreams.add(id);
  }

  onStreamData(streamId: number, data: Uint8Array, fin: boolean): void {
    if (this.closed) return;
    try {
      this.streamData(streamId, data, fin);
    } catch (err) {
      if (!(err instanceof H3Error)) throw err;
      this.fail(streamId, err);
    }
  }

  onStreamReset(streamId: number, code: number): void {
    const state = this.streams.get(streamId);
    if (!state) return;
    if (CRITICAL.has(state.kind)) {
      return this.fail(streamId, connectionError(H3ErrorCode.ClosedCriticalStream, `${state.kind} stream reset`));
    }
    this.streams.delete(streamId);
    this.ignored.delete(streamId);
    if (state.kind === 'webtransport') state.session.streamReset(streamId, code);
    if (state.kind === 'request' && state.session) {
      state.session.terminated('peer', 0, `CONNECT stream reset (${h3ErrorName(code)})`);
    }
  }

  onStreamStopped(streamId: number, code: number): void {
    for (const session of this.sessions.values()) {
      if (streamId === session.id) session.terminated('peer', 0, `CONNECT stream stopped (${h3ErrorName(code)})`);
      else session.streamStopped(streamId, code);
    }
    if (this.criticalStreams.has(streamId)) {
      this.fail(streamId, connectionError(H3ErrorCode.ClosedCriticalStream, 'the client stopped a critical stream'));
    }
  }

  onDatagram(data: Uint8Array): void {
    if (this.closed) return;
    const quarter = readVarint(data, 0);
    // RFC 9297 §2.1: a datagram without a valid quarter stream ID is a connection error.
    if (!quarter || quarter.value >= 2 ** 60) {
      return this.fail(undefined, connectionError(H3ErrorCode.DatagramError, 'datagram without a quarter stream ID'));
    }
    // Datagrams for unknown or closed sessions are dropped (§2.1 allows buffering; there's no need).
    this.sessions.get(quarter.value * 4)?.datagram(data.subarray(quarter.length));
  }

  onClosed(info: QuicCloseInfo): void {
    this.closed = true;
    for (const session of [...this.sessions.values()]) {
      session.terminated('connection', info.code, info.reason || `connection closed (${info.by})`);
    }
    this.sessions.clear();
    this.streams.clear();
  }

  /** @internal */
  removeSession(session: WebTransportSession): void {
    this.sessions.delete(session.id);
    const state = this.streams.get(session.id);
    if (state?.kind === 'request') this.ignore(session.id);
    for (const [id, stream] of this.streams) {
      if (stream.kind === 'webtransport' && stream.session === session) this.ignore(id);
    }
  }

  /** Drops a stream's further data, remembering a bounded number of such streams. */
  private ignore(streamId: number): void {
    this.streams.set(streamId, IGNORED);
    this.ignored.add(streamId);
    if (this.ignored.size <= MAX_IGNORED_STREAMS) return;
    const oldest = this.ignored.values().next().value!;
    this.ignored.delete(oldest);
    if (this.streams.get(oldest) === IGNORED) this.streams.delete(oldest);
  }

  /** @internal A stream the server opened for a session: its incoming data goes to that session. */
  registerStream(streamId: number, session: WebTransportSession): void {
    this.streams.set(streamId, { kind: 'webtransport', session });
  }

  /**
   * Starts a graceful shutdown: GOAWAY (no new requests past those seen) and a
   * DRAIN capsule to each session. The connection stays open.
   */
  goaway(): void {
    if (this.goawaySent || this.closed || this.controlStream === undefined || this.quic.closing) return;
    this.goawaySent = true;
    this.quic.write(this.controlStream, encodeGoaway(this.highestRequest + 4));
    for (const session of this.sessions.values()) session.drain();
  }

  private streamData(streamId: number, data: Uint8Array, fin: boolean): void {
    let state = this.streams.get(streamId);
    if (!state) {
      state = this.newStream(streamId);
      if (state === IGNORED) this.ignore(streamId);
      else this.streams.set(streamId, state);
    }
    switch (state.kind) {
      case 'uni-preamble':
      case 'bidi-preamble':
      case 'wt-preamble':
        return this.preamble(streamId, state, data, fin);
      case 'control':
        return this.controlData(state, data, fin);
      case 'qpack-encoder':
      case 'qpack-decoder':
        if (data.length > 0) state.reader.push(data);
        if (fin) throw connectionError(H3ErrorCode.ClosedCriticalStream, `the client closed its ${state.kind} stream`);
        return;
      case 'request':
        return this.requestData(streamId, state, data, fin);
      case 'webtransport':
        if (fin) this.streams.delete(streamId);
        return state.session.streamData(streamId, data, fin);
      case 'ignored':
        if (fin) {
          this.streams.delete(streamId);
          this.ignored.delete(streamId);
        }
        return;
    }
  }

  /** The state of a stream seen for the first time. */
  private newStream(streamId: number): StreamState {
    switch (streamId % 4) {
      case 0:
        if (this.goawaySent && streamId > this.highestRequest) {
          // After GOAWAY, new requests are refused (RFC 9114 §5.2).
          this.quic.resetStream(streamId, H3ErrorCode.RequestRejected);
          this.quic.stopReading(streamId, H3ErrorCode.RequestRejected);
          return IGNORED;
        }
        this.highestRequest = Math.max(this.highestRequest, streamId);
        return { kind: 'bidi-preamble', buffer: new Uint8Array(0) };
      case 2:
        return { kind: 'uni-preamble', buffer: new Uint8Array(0) };
      default:
        // Server-initiated streams carry client data only if we registered them (WebTransport bidi).
        return IGNORED;
    }
  }

  /** Collects a stream's leading varints, then gives it its real state and the rest of the bytes. */
  private preamble(
    streamId: number,
    state: Extract<StreamState, { buffer: Uint8Array }>,
    data: Uint8Array,
    fin: boolean,
  ): void {
    const buffer = state.buffer.length > 0 ? concatBytes([state.buffer, data]) : data;
    const first = readVarint(buffer, 0);
    if (!first) {
      if (buffer.length > MAX_STREAM_PREAMBLE) throw streamError(H3ErrorCode.FrameError, 'stream preamble too long');
      if (fin) {
        // Ended before saying what it is: nothing to do with it (RFC 9114 §6.2 for unidirectional).
        this.streams.delete(streamId);
        if (state.kind === 'bidi-preamble') throw streamError(H3ErrorCode.RequestIncomplete, 'empty request stream');
        return;
      }
      state.buffer = Uint8Array.from(buffer);
      return;
    }
    const rest = buffer.subarray(first.length);
    if (state.kind === 'wt-preamble')
      return this.attachWebTransport(streamId, state.bidirectional, first.value, rest, fin);
    if (state.kind === 'bidi-preamble') {
      if (first.value === FrameType.WebTransportStream) {
        this.streams.set(streamId, { kind: 'wt-preamble', buffer: new Uint8Array(0), bidirectional: true });
        return this.streamData(streamId, rest, fin);
      }
      this.streams.set(streamId, {
        kind: 'request',
        headers: false,
        reader: new FrameReader({
          limits: new Map([
            [FrameType.Headers, this.options.maxFieldSectionSize],
            [FrameType.Data, MAX_CONNECT_DATA_FRAME],
          ]),
          reject: (type) =>
            NOT_ON_REQUEST.has(type)
              ? connectionError(H3ErrorCode.FrameUnexpected, `frame 0x${type.toString(16)} on a request stream`)
              : rejectHttp2Frames(type),
        }),
      });
      // The varint read was the first frame's type: hand the reader the whole buffer.
      return this.streamData(streamId, buffer, fin);
    }
    this.uniStream(streamId, first.value);
    return this.streamData(streamId, rest, fin);
  }

  /** Gives a client unidirectional stream the state its type calls for. */
  private uniStream(streamId: number, type: number): void {
    const once = (kind: string): void => {
      if (this.uniTypesSeen.has(type)) {
        throw connectionError(H3ErrorCode.StreamCreationError, `a second ${kind} stream`);
      }
      this.uniTypesSeen.add(type);
    };
    switch (type) {
      case StreamType.Control:
        once('control');
        this.streams.set(streamId, {
          kind: 'control',
          settings: false,
          reader: new FrameReader({
            limits: new Map([
              [FrameType.Settings, MAX_SETTINGS_FRAME],
              [FrameType.Goaway, 16],
              [FrameType.MaxPushId, 16],
              [FrameType.CancelPush, 16],
            ]),
            reject: (frameType) =>
              NOT_ON_CONTROL.has(frameType)
                ? connectionError(
                    H3ErrorCode.FrameUnexpected,
                    `frame 0x${frameType.toString(16)} on the control stream`,
                  )
                : rejectHttp2Frames(frameType),
          }),
        });
        return;
      case StreamType.QpackEncoder:
        once('QPACK encoder');
        this.streams.set(streamId, { kind: 'qpack-encoder', reader: new QpackEncoderStreamReader() });
        return;
      case StreamType.QpackDecoder:
        once('QPACK decoder');
        this.streams.set(streamId, { kind: 'qpack-decoder', reader: new QpackDecoderStreamReader() });
        return;
      case StreamType.Push:
        throw connectionError(H3ErrorCode.StreamCreationError, 'a client opened a push stream');
      case StreamType.WebTransport:
        this.streams.set(streamId, { kind: 'wt-preamble', buffer: new Uint8Array(0), bidirectional: false });
        return;
      default:
        // Unknown or reserved types: abort reading, as RFC 9114 §6.2 asks.
        this.quic.stopReading(streamId, H3ErrorCode.StreamCreationError);
        this.ignore(streamId);
    }
  }

  private attachWebTransport(
    streamId: number,
    bidirectional: boolean,
    sessionId: number,
    rest: Uint8Array,
    fin: boolean,
  ): void {
    const session = this.sessions.get(sessionId);
    if (!session) {
      // No such session (never was, or already closed): refuse the stream.
      this.quic.stopReading(streamId, WT_BUFFERED_STREAM_REJECTED);
      if (bidirectional) this.quic.resetStream(streamId, WT_BUFFERED_STREAM_REJECTED);
      this.ignore(streamId);
      return;
    }
    this.streams.set(streamId, { kind: 'webtransport', session });
    session.acceptStream(streamId, bidirectional);
    if (rest.length > 0 || fin) session.streamData(streamId, rest, fin);
  }

  private controlData(state: Extract<StreamState, { kind: 'control' }>, data: Uint8Array, fin: boolean): void {
    for (const frame of state.reader.push(data)) this.controlFrame(state, frame);
    if (fin) throw connectionError(H3ErrorCode.ClosedCriticalStream, 'the client closed its control stream');
  }

  private controlFrame(state: Extract<StreamState, { kind: 'control' }>, frame: Frame): void {
    if (!state.settings) {
      if (frame.type !== FrameType.Settings) {
        throw connectionError(H3ErrorCode.MissingSettings, 'the control stream must start with SETTINGS');
      }
      state.settings = true;
      this.peerSettings = parseSettings(frame.payload);
      if (this.log.enabled('debug')) {
        const settings = Object.fromEntries(
          [...this.peerSettings].map(([id, value]) => [`0x${id.toString(16)}`, value]),
        );
        this.log.debug('client settings', { conn: this.quic.traceId, settings });
      }
      return;
    }
    switch (frame.type) {
      case FrameType.Settings:
        throw connectionError(H3ErrorCode.FrameUnexpected, 'a second SETTINGS frame');
      case FrameType.Goaway:
        parseSingleVarint('GOAWAY', frame.payload);
        return;
      case FrameType.MaxPushId:
        parseSingleVarint('MAX_PUSH_ID', frame.payload);
        return;
      case FrameType.CancelPush:
        parseSingleVarint('CANCEL_PUSH', frame.payload);
        return;
    }
  }

  private requestData(
    streamId: number,
    state: Extract<StreamState, { kind: 'request' }>,
    data: Uint8Array,
    fin: boolean,
  ): void {
    for (const frame of state.reader.push(data)) {
      if (!state.headers) {
        if (frame.type !== FrameType.Headers) {
          throw connectionError(H3ErrorCode.FrameUnexpected, 'a request stream must start with HEADERS');
        }
        state.headers = true;
        this.request(streamId, state, frame.payload);
        continue;
      }
      if (!state.session || state.session.closed) continue;
      if (frame.type === FrameType.Data) {
        state.capsules ??= createCapsuleReader();
        for (const capsule of state.capsules.push(frame.payload)) this.capsule(state.session, capsule);
      }
      // Trailers (a second HEADERS) on a CONNECT stream mean nothing here; they are ignored.
    }
    if (!fin) return;
    this.streams.delete(streamId);
    if (!state.headers) throw streamError(H3ErrorCode.RequestIncomplete, 'the request ended before its HEADERS');
    state.session?.terminated('peer');
  }

  private capsule(session: WebTransportSession, capsule: Frame): void {
    if (capsule.type === CapsuleType.CloseWebTransportSession) {
      const { code, reason } = parseCloseSession(capsule.payload);
      session.peerClosed(code, reason);
    } else if (capsule.type === CapsuleType.DrainWebTransportSession) {
      session.peerDrained();
    }
  }

  /** Answers a request from its header section. */
  private request(streamId: number, state: Extract<StreamState, { kind: 'request' }>, fieldSection: Uint8Array): void {
    const headers = decodeFieldSection(fieldSection, { maxFieldSectionSize: this.options.maxFieldSectionSize });
    const pseudo = validateRequest(headers);
    if (pseudo.method !== 'CONNECT' || pseudo.protocol !== 'webtransport') {
      // Not WebTransport: this server has nothing else to offer.
      const status = pseudo.method === 'CONNECT' ? 501 : 404;
      return this.respond(streamId, status, true);
    }
    const path = pseudo.path!.split('?', 1)[0];
    if (path !== this.options.path) return this.respond(streamId, 404, true);
    if (this.sessions.size >= this.options.maxSessions) return this.respond(streamId, 429, true);
    if (this.goawaySent) return this.respond(streamId, 503, true);
    const request: WebTransportRequest = {
      path: pseudo.path!,
      authority: pseudo.authority!,
      origin: headers.find(([name]) => name === 'origin')?.[1],
      headers,
    };
    const status = this.options.authorize?.(request) ?? 200;
    if (status !== 200) return this.respond(streamId, status, true);

    const session = new WebTransportSession(streamId, headers, this);
    this.sessions.set(streamId, session);
    state.session = session;
    // Chromium's draft-02 code looks for this header; later drafts ignore it.
    this.quic.write(
      streamId,
      encodeHeaders(
        encodeFieldSection([
          [':status', '200'],
          ['sec-webtransport-http3-draft', 'draft02'],
        ]),
      ),
    );
    this.log.debug('session opened', { conn: this.quic.traceId, session: streamId, path: request.path });
    this.options.onSession(session);
  }

  /** Sends a response with no body; `done` also ends the stream and stops reading the request. */
  private respond(streamId: number, status: number, done: boolean): void {
    this.quic.write(streamId, encodeHeaders(encodeFieldSection([[':status', String(status)]])), done);
    if (done) {
      this.quic.stopReading(streamId, H3ErrorCode.NoError);
      this.ignore(streamId);
    }
  }

  /** Applies an error: a stream error resets that stream; a connection error closes the connection. */
  private fail(streamId: number | undefined, error: H3Error): void {
    this.log.debug('protocol error', {
      conn: this.quic.traceId,
      stream: streamId,
      scope: error.scope,
      code: h3ErrorName(error.code),
      msg: error.message,
    });
    if (error.scope === 'connection' || streamId === undefined) {
      this.closed = true;
      this.quic.close(error.code, error.message);
      return;
    }
    const state = this.streams.get(streamId);
    if (state?.kind === 'request' && state.session) state.session.terminated('peer', 0, error.message);
    this.ignore(streamId);
    this.quic.stopReading(streamId, error.code);
    if (streamId % 4 === 0) this.quic.resetStream(streamId, error.code);
  }
}
