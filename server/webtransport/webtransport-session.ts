/**
 * One WebTransport session over HTTP/3 (draft-ietf-webtrans-http3, as Chromium
 * speaks it): established by an extended CONNECT, identified by that request's
 * stream ID. Its streams start with a signal and the session ID (bidirectional:
 * 0x41; unidirectional: type 0x54); its datagrams start with the quarter stream
 * ID (RFC 9297); it ends with a CLOSE_WEBTRANSPORT_SESSION capsule or the
 * CONNECT stream's end.
 */
import { encodeCloseSession, encodeDrainSession, MAX_CLOSE_REASON_BYTES } from './capsules.js';
import { WebTransportError } from './errors.js';
import { encodeData, FrameType, StreamType } from './h3-frames.js';
import type { WebTransportLogger } from './logger.js';
import type { HeaderField } from './qpack.js';
import type { HostPort } from './quic-binding.js';
import type { QuicConnection } from './quic-endpoint.js';
import { concatBytes, encodeVarint } from './varint.js';

/** WEBTRANSPORT_SESSION_GONE: streams of a closed session are reset and stopped with it. */
export const WT_SESSION_GONE = 0x170d7b68;
/** WEBTRANSPORT_BUFFERED_STREAM_REJECTED: a stream named a session that does not exist. */
export const WT_BUFFERED_STREAM_REJECTED = 0x3994bd84;

/** First and last HTTP/3 codes that carry WebTransport application error codes (draft §4.3). */
const WT_APP_ERROR_FIRST = 0x52e4a40fa8db;
const WT_APP_ERROR_LAST = 0x52e5ac983162;

/** A WebTransport application error code (0 to 2^32-1) as the HTTP/3 code on RESET_STREAM / STOP_SENDING. */
export function webTransportCodeToHttp3(code: number): number {
  return WT_APP_ERROR_FIRST + code + Math.floor(code / 0x1e);
}

/** The WebTransport code inside an HTTP/3 stream error code, or undefined when it carries none. */
export function http3CodeToWebTransport(code: number): number | undefined {
  if (code < WT_APP_ERROR_FIRST || code > WT_APP_ERROR_LAST) return undefined;
  // Every 0x1f-th code (0x1f * N + 0x21) is reserved GREASE and carries nothing.
  if ((code - 0x21) % 0x1f === 0) return undefined;
  const shifted = code - WT_APP_ERROR_FIRST;
  return shifted - Math.floor(shifted / 0x1f);
}

/** What the session needs from its HTTP/3 connection. @internal */
export interface SessionHost {
  readonly quic: QuicConnection;
  /** Where the session logs. */
  readonly sessionLog: WebTransportLogger;
  /** Forgets the session (after it closed). */
  removeSession(session: WebTransportSession): void;
  /** Routes the client's data on a stream the server opened to this session. */
  registerStream(streamId: number, session: WebTransportSession): void;
}

/** How a session ended. */
export interface SessionCloseInfo {
  /** `local`: we called close; `peer`: the client closed it; `connection`: the QUIC connection went. */
  by: 'local' | 'peer' | 'connection';
  code: number;
  reason: string;
}

/** The receiving half of a stream from the client. Set the callbacks at once: data waits for `ondata`. */
/** After our own session close, how long the capsule gets before the session's streams are reset. */
const LOCAL_CLOSE_RESET_DELAY_MS = 50;

export class WebTransportReceiveStream {
  /** Called with each chunk in order. Data that arrived before this was set is delivered when it is set. */
  private dataHandler: ((chunk: Uint8Array) => void) | undefined;
  /** The client finished the stream (FIN). */
  onend: (() => void) | undefined;
  /** The client aborted the stream; `code` is its WebTransport error code when it sent one. */
  onreset: ((code: number | undefined) => void) | undefined;
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private finished = false;
  private ended = false;

  /** @internal */
  constructor(
    /** QUIC stream ID. */
    readonly id: number,
    /** @internal */ protected readonly session: WebTransportSession,
  ) {}

  get ondata(): ((chunk: Uint8Array) => void) | undefined {
    return this.dataHandler;
  }

  set ondata(handler: ((chunk: Uint8Array) => void) | undefined) {
    this.dataHandler = handler;
    if (!handler) return;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const chunk of held) handler(chunk);
    if (this.finished) this.finishRead();
  }

  /** True once the client's side is finished or reset. */
  get readEnded(): boolean {
    return this.ended;
  }

  /** Asks the client to stop sending (STOP_SENDING with WebTransport code `code`). */
  stopReading(code = 0): void {
    if (this.ended) return;
    this.ended = true;
    this.held = [];
    this.heldBytes = 0;
    this.session.quic.stopReading(this.id, webTransportCodeToHttp3(code));
  }

  /** @internal */
  deliver(chunk: Uint8Array, fin: boolean): void {
    if (this.ended) return;
    if (chunk.length > 0) {
      if (this.dataHandler) this.dataHandler(chunk);
      else {
        this.held.push(chunk);
        this.heldBytes += chunk.length;
      }
    }
    if (fin) {
      this.finished = true;
      // Without a reader yet, the end waits for `ondata` like the data does.
      if (this.dataHandler) this.finishRead();
    }
  }

  /** @internal */
  peerReset(code: number): void {
    if (this.ended) return;
    this.ended = true;
    this.held = [];
    this.onreset?.(http3CodeToWebTransport(code));
  }

  /** @internal Bytes held for a missing `ondata`. */
  get heldAmount(): number {
    return this.heldBytes;
  }

  /** @internal The session is gone: stop reading. */
  abortRead(): void {
    if (this.ended) return;
    this.ended = true;
    this.session.quic.stopReading(this.id, WT_SESSION_GONE);
  }

  private finishRead(): void {
    if (this.ended) return;
    this.ended = true;
    this.onend?.();
  }
}

/** The sending half of a stream to the client (server-opened unidirectional, or either bidirectional). */
export class WebTransportSendStream {
  /** The client asked us to stop sending; what was queued is dropped. */
  onstop: ((code: number | undefined) => void) | undefined;
  private writeEnded = false;
  private stoppedByPeer = false;

  /** @internal */
  constructor(
    readonly id: number,
    private readonly host: WebTransportSession,
  ) {}

  /** True once ended, reset or stopped. */
  get writeClosed(): boolean {
    return this.writeEnded;
  }

  /** Bytes written that QUIC has not taken yet (flow control or congestion holds them). */
  get queuedBytes(): number {
    return this.writeEnded ? 0 : this.host.quic.queuedOn(this.id);
  }

  /**
   * Queues bytes; with `fin` the stream ends after them.
   *
   * @throws {@link WebTransportError} `session-closed` after the stream or session ended,
   *   `congested` when the connection queues too much already.
   */
  write(data: Uint8Array, fin = false): void {
    if (this.writeEnded) throw new WebTransportError('session-closed', 'the stream has ended');
    this.host.quic.write(this.id, data, fin);
    if (fin) this.markEnded();
  }

  /** Ends the stream cleanly (FIN). */
  end(): void {
    if (this.writeEnded) return;
    this.write(new Uint8Array(0), true);
  }

  /** Aborts the stream (RESET_STREAM with WebTransport code `code`). */
  reset(code = 0): void {
    if (this.writeEnded) return;
    this.markEnded();
    this.host.quic.resetStream(this.id, webTransportCodeToHttp3(code));
  }

  /**
   * Resets the stream even after its end was queued (`write(data, true)`), unless
   * QUIC has already delivered all of it: for a message that became worthless on
   * its way, e.g. a video frame a newer keyframe supersedes. Returns whether a
   * reset (with WebTransport code `code`) goes out.
   */
  abandon(code = 0): boolean {
    if (this.stoppedByPeer) return false;
    if (!this.writeEnded) this.markEnded();
    return this.host.quic.abandonStream(this.id, webTransportCodeToHttp3(code));
  }

  /** @internal Our side is finished: the session forgets the stream. */
  markEnded(): void {
    this.writeEnded = true;
    this.host.forgetSend(this.id);
  }

  /** @internal */
  peerStopped(code: number): void {
    this.stoppedByPeer = true;
    if (this.writeEnded) return;
    this.writeEnded = true;
    this.onstop?.(http3CodeToWebTransport(code));
  }

  /** @internal The session is gone. */
  abortWrite(): void {
    if (this.writeEnded) return;
    this.writeEnded = true;
    this.host.quic.resetStream(this.id, WT_SESSION_GONE);
  }
}

/** A bidirectional stream: both halves. */
export class WebTransportBidiStream extends WebTransportReceiveStream {
  readonly writable: WebTransportSendStream;

  /** @internal */
  constructor(id: number, session: WebTransportSession) {
    super(id, session);
    this.writable = new WebTransportSendStream(id, session);
  }

  /** Shorthand for `writable.write`. */
  write(data: Uint8Array, fin = false): void {
    this.writable.write(data, fin);
  }

  /** Shorthand for `writable.end`. */
  end(): void {
    this.writable.end();
  }
}

/** Most bytes held for streams whose `ondata` is not set yet, per session; past it a stream is stopped. */
const MAX_HELD_BYTES = 1024 * 1024;

/**
 * A WebTransport session. Set the callbacks when `onsession` hands it over;
 * each is called with the session's events until `onclose`.
 */
export class WebTransportSession {
  /** Called with each datagram's payload. */
  ondatagram: ((data: Uint8Array) => void) | undefined;
  /** Called with each unidirectional stream the client opens. */
  onunistream: ((stream: WebTransportReceiveStream) => void) | undefined;
  /** Called with each bidirectional stream the client opens. */
  onbidistream: ((stream: WebTransportBidiStream) => void) | undefined;
  /** Called once when the session ends, however it ends. */
  onclose: ((info: SessionCloseInfo) => void) | undefined;
  /** The client asked to wind the session down (DRAIN_WEBTRANSPORT_SESSION). */
  ondrain: (() => void) | undefined;

  private readonly receiveStreams = new Map<number, WebTransportReceiveStream>();
  private readonly sendStreams = new Map<number, WebTransportSendStream>();
  private readonly datagramPrefix: Uint8Array;
  /** What every server-opened unidirectional stream of this session starts with (its type and the session ID). */
  private readonly uniStreamHeader: Uint8Array;
  private closeInfo: SessionCloseInfo | undefined;
  private closeSent = false;

  /** @internal */
  constructor(
    /** The CONNECT stream's ID, which is the session ID. */
    readonly id: number,
    /** The request's header fields (pseudo-headers included). */
    readonly headers: readonly HeaderField[],
    private readonly host: SessionHost,
  ) {
    this.datagramPrefix = encodeVarint(id / 4);
    this.uniStreamHeader = concatBytes([encodeVarint(StreamType.WebTransport), encodeVarint(id)]);
  }

  /** @internal */
  get quic(): QuicConnection {
    return this.host.quic;
  }

  /** The request's `:path` (with its query). */
  get path(): string {
    return this.header(':path') ?? '';
  }

  /** The request's `:authority`. */
  get authority(): string {
    return this.header(':authority') ?? '';
  }

  /** The page's origin (`origin` header), if sent. */
  get origin(): string | undefined {
    return this.header('origin');
  }

  /** The client's address. */
  get remote(): HostPort {
    return this.host.quic.remote;
  }

  /** True once the session ended (closed by either side or with its connection). */
  get closed(): boolean {
    return this.closeInfo !== undefined;
  }

  /** Bytes queued on the connection's streams and not yet taken by QUIC: the backpressure signal. */
  get bufferedAmount(): number {
    return this.host.quic.bufferedAmount;
  }

  /** Largest datagram payload that fits in one QUIC packet now. */
  get maxDatagramSize(): number {
    return Math.max(0, this.host.quic.maxDatagramSize - this.datagramPrefix.length);
  }

  /** Smoothed round-trip time, ms. */
  get rttMs(): number {
    return this.host.quic.rttMs;
  }

  /** The first value of a request header. */
  header(name: string): string | undefined {
    return this.headers.find(([n]) => n === name)?.[1];
  }

  /**
   * Sends a datagram: unreliable, unordered, at most {@link maxDatagramSize} bytes.
   * Returns false when it was dropped here (session closed, send queue full).
   *
   * @throws {@link WebTransportError} `invalid-argument` when too large.
   */
  sendDatagram(data: Uint8Array): boolean {
    if (this.closeInfo) return false;
    return this.host.quic.sendDatagram(concatBytes([this.datagramPrefix, data]));
  }

  /**
   * Opens a unidirectional stream to the client. With `data`, writes it and, when
   * `fin` (the default), ends the stream: one call sends a whole message.
   *
   * @throws {@link WebTransportError} `session-closed`, `stream-limit` (the client allows
   *   no more streams now) or `congested`.
   */
  openUniStream(data?: Uint8Array, fin = true): WebTransportSendStream {
    this.assertOpen();
    this.host.quic.assertWritable(8 + (data?.length ?? 0));
    const id = this.host.quic.openStream('uni');
    const stream = new WebTransportSendStream(id, this);
    this.sendStreams.set(id, stream);
    const end = data !== undefined && fin;
    // Two writes rather than one joined copy: quiche copies into its own buffers anyway,
    // and `data` is a media frame sent to every receiver.
    this.host.quic.write(id, this.uniStreamHeader, end && data.length === 0);
    if (data && data.length > 0) this.host.quic.write(id, data, end);
    if (end) stream.markEnded();
    return stream;
  }

  /**
   * Opens a bidirectional stream to the client.
   *
   * @throws {@link WebTransportError} as {@link openUniStream}.
   */
  openBidiStream(): WebTransportBidiStream {
    this.assertOpen();
    this.host.quic.assertWritable(8);
    const id = this.host.quic.openStream('bidi');
    const stream = new WebTransportBidiStream(id, this);
    this.receiveStreams.set(id, stream);
    this.sendStreams.set(id, stream.writable);
    this.host.registerStream(id, this);
    this.host.quic.write(id, concatBytes([encodeVarint(FrameType.WebTransportStream), encodeVarint(this.id)]));
    return stream;
  }

  /**
   * Closes the session: a CLOSE_WEBTRANSPORT_SESSION capsule with `code` (32-bit)
   * and `reason` (at most 1024 bytes of UTF-8), then the end of the CONNECT stream;
   * every stream of the session is reset. Idempotent.
   */
  close(code = 0, reason = ''): void {
    if (!Number.isInteger(code) || code < 0 || code > 0xffffffff) {
      throw new WebTransportError('invalid-argument', `close code ${code} is not a 32-bit unsigned integer`);
    }
    if (this.closeInfo) return;
    this.sendClose(code, reason);
    this.finish({ by: 'local', code, reason: reason.slice(0, MAX_CLOSE_REASON_BYTES) });
  }

  /** Asks the client to wind down (DRAIN_WEBTRANSPORT_SESSION); the session stays open. */
  drain(): void {
    if (this.closeInfo || this.host.quic.closing) return;
    this.host.quic.write(this.id, encodeData(encodeDrainSession()));
  }

  /** @internal A stream the client opened for this session. */
  acceptStream(id: number, bidirectional: boolean): WebTransportReceiveStream {
    const stream = bidirectional ? new WebTransportBidiStream(id, this) : new WebTransportReceiveStream(id, this);
    this.receiveStreams.set(id, stream);
    if (bidirectional) this.sendStreams.set(id, (stream as WebTransportBidiStream).writable);
    if (bidirectional) this.onbidistream?.(stream as WebTransportBidiStream);
    else this.onunistream?.(stream);
    return stream;
  }

  /** @internal Data on one of this session's streams. */
  streamData(id: number, data: Uint8Array, fin: boolean): void {
    const stream = this.receiveStreams.get(id);
    if (!stream) return;
    stream.deliver(data, fin);
    if (stream.heldAmount > 0 && this.heldBytes() > MAX_HELD_BYTES) {
      // Nobody reads these streams: stop the one that tipped it over rather than buffer without end.
      this.host.sessionLog.debug('stream data not read: stopping the stream', { session: this.id, stream: id });
      stream.stopReading(0);
    }
    if (stream.readEnded) this.forgetReceive(id);
  }

  /** Bytes held across this session's streams for a missing `ondata`. */
  private heldBytes(): number {
    let total = 0;
    for (const stream of this.receiveStreams.values()) total += stream.heldAmount;
    return total;
  }

  /** @internal */
  streamReset(id: number, code: number): void {
    const stream = this.receiveStreams.get(id);
    if (!stream) return;
    stream.peerReset(code);
    this.forgetReceive(id);
  }

  /** @internal */
  streamStopped(id: number, code: number): void {
    const stream = this.sendStreams.get(id);
    if (!stream) return;
    this.sendStreams.delete(id);
    stream.peerStopped(code);
  }

  /** @internal */
  datagram(payload: Uint8Array): void {
    if (!this.closeInfo) this.ondatagram?.(payload);
  }

  /** @internal The client sent CLOSE_WEBTRANSPORT_SESSION. */
  peerClosed(code: number, reason: string): void {
    if (this.closeInfo) return;
    // Answer by ending our side of the CONNECT stream, without a capsule of our own.
    this.sendClose(undefined, '');
    this.finish({ by: 'peer', code, reason });
  }

  /** @internal The client asked to drain. */
  peerDrained(): void {
    if (!this.closeInfo) this.ondrain?.();
  }

  /** @internal The CONNECT stream ended or the connection went. */
  terminated(by: 'peer' | 'connection', code = 0, reason = ''): void {
    if (this.closeInfo) return;
    if (by === 'peer') this.sendClose(undefined, '');
    this.finish({ by, code, reason });
  }

  private sendClose(code: number | undefined, reason: string): void {
    if (this.closeSent || this.host.quic.closing) return;
    this.closeSent = true;
    try {
      const capsule = code === undefined ? new Uint8Array(0) : encodeData(encodeCloseSession(code, reason));
      this.host.quic.write(this.id, capsule, true);
    } catch (err) {
      this.host.sessionLog.debug('session close not sent', { session: this.id, err: (err as Error).message });
    }
  }

  private finish(info: SessionCloseInfo): void {
    this.closeInfo = info;
    const connectionGone = this.host.quic.closing;
    if (!connectionGone) {
      const receive = [...this.receiveStreams.values()];
      const send = [...this.sendStreams.values()];
      const abort = (): void => {
        for (const stream of receive) stream.abortRead();
        for (const stream of send) stream.abortWrite();
      };
      // Our own close: reset the streams only once the CLOSE_WEBTRANSPORT_SESSION capsule is
      // on its way. Resets packed with it (or ahead of it) can make Chromium tear the session
      // down abruptly and report no code (seen as 1006 instead of the relay's 4003 room-full).
      if (info.by === 'local')
        setTimeout(() => (this.host.quic.closing ? undefined : abort()), LOCAL_CLOSE_RESET_DELAY_MS);
      else abort();
    }
    this.receiveStreams.clear();
    this.sendStreams.clear();
    this.host.removeSession(this);
    try {
      this.onclose?.(info);
    } catch (err) {
      this.host.sessionLog.error('onclose threw', { session: this.id, err });
    }
  }

  /** @internal */
  forgetSend(id: number): void {
    this.sendStreams.delete(id);
  }

  private forgetReceive(id: number): void {
    this.receiveStreams.delete(id);
  }

  private assertOpen(): void {
    if (this.closeInfo || this.host.quic.closing) {
      throw new WebTransportError('session-closed', 'the WebTransport session is closed');
    }
  }
}
