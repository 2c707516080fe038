/**
 * One QUIC connection of a {@link QuicEndpoint}: what the HTTP/3 layer writes
 * (stream bytes queued under flow control, datagrams, resets, close) and what
 * quiche delivers to it (stream data, resets, stops, datagrams, the end), plus
 * the connection's timer and its share of the send loop.
 */
import { H3ErrorCode, WebTransportError } from './errors.js';
import type { WebTransportLogger } from './logger.js';
import type { HostPort, Quiche, QuicheConnection } from './quic-binding.js';

/** Largest UDP payload this endpoint sends; quiche's default recommendation, safe on most paths. */
export const MAX_SEND_UDP_PAYLOAD = 1350;

/** Most packets one flush sends before yielding to the event loop. */
const MAX_PACKETS_PER_FLUSH = 64;

/** What the endpoint tells the layer above about one connection. Every method is optional but data. */
export interface QuicConnectionHandler {
  /** The handshake completed: streams can be opened and written. */
  onEstablished?(): void;
  /** Bytes arrived on a stream, in order; `fin` marks its end (possibly with no bytes). */
  onStreamData(streamId: number, data: Uint8Array, fin: boolean): void;
  /** The peer reset a stream it was sending on (RESET_STREAM). */
  onStreamReset?(streamId: number, code: number): void;
  /** The peer asked us to stop sending on a stream (STOP_SENDING); its queued data is dropped. */
  onStreamStopped?(streamId: number, code: number): void;
  onDatagram?(data: Uint8Array): void;
  /** The connection is gone (closed by either side, timed out, or refused). Called once. */
  onClosed?(reason: QuicCloseInfo): void;
}

/** Why a connection ended. */
export interface QuicCloseInfo {
  /** Who sent the CONNECTION_CLOSE, if anyone. */
  by: 'local' | 'peer' | 'timeout' | 'endpoint';
  /** Application (HTTP/3) or transport error space. */
  app: boolean;
  code: number;
  reason: string;
}

/** What a connection needs from its endpoint. @internal */
export interface ConnectionOwner {
  readonly quiche: Quiche;
  /** Shared stream read buffer (the loop is single-threaded). */
  readonly readBuffer: Buffer;
  readonly stats: { packetsOut: number; bytesOut: number; handlerErrors: number };
  /** Where the connection logs. */
  readonly log: WebTransportLogger;
  markDirty(connection: QuicConnection): void;
  finish(connection: QuicConnection): void;
  onTimer(connection: QuicConnection): void;
  /** The handshake completed. */
  handshakeDone?(connection: QuicConnection): void;
  sendPacket(packet: Buffer, to: HostPort): void;
}

/** One QUIC connection, as the layer above sees it. */
export class QuicConnection {
  /** Set by the endpoint right after `onConnection` returns. */
  handler: QuicConnectionHandler = { onStreamData: () => {} };
  private readonly pending = new Map<number, { chunks: Uint8Array[]; fin: boolean }>();
  private pendingBytes = 0;
  /** Callers waiting for a stream's queued bytes to be taken by quiche (see {@link whenTaken}). */
  private readonly takenWaiters = new Map<number, Array<() => void>>();
  private nextUniStream: number;
  private nextBidiStream: number;
  private timer: NodeJS.Timeout | undefined;
  private announced = false;
  private gone = false;
  /** Connection IDs (hex) that map to this connection in the endpoint. */
  readonly ids: string[] = [];

  /** @internal */
  constructor(
    /** @internal */ readonly conn: QuicheConnection,
    private readonly endpoint: ConnectionOwner,
    /** Peer address. */
    readonly remote: HostPort,
    private readonly maxBufferedBytes: number,
    /** Which side we are: it decides the IDs of the streams we open (RFC 9000 §2.1). */
    readonly role: 'server' | 'client' = 'server',
  ) {
    this.nextUniStream = role === 'server' ? 3 : 2;
    this.nextBidiStream = role === 'server' ? 1 : 0;
  }

  /** quiche's trace ID, for logs. */
  get traceId(): string {
    return this.conn.traceId();
  }

  get established(): boolean {
    return this.conn.isEstablished();
  }

  /** True once closing started (by either side) or the connection is gone. */
  get closing(): boolean {
    return this.gone || this.conn.isDraining() || this.conn.isClosed() || this.conn.localError() !== null;
  }

  /** Bytes queued on streams that quiche has not taken yet. */
  get bufferedAmount(): number {
    return this.pendingBytes;
  }

  /** Bytes of datagrams queued in quiche and not sent yet. */
  get datagramsQueued(): number {
    return this.gone ? 0 : this.conn.dgramSendQueueByteSize();
  }

  /** Largest datagram payload that fits in one packet now (0 before the handshake). */
  get maxDatagramSize(): number {
    return this.conn.dgramMaxWritableLen() ?? 0;
  }

  /** Round-trip time estimate, ms (quiche's smoothed RTT of the active path). */
  get rttMs(): number {
    // The binding reports quiche's smoothed RTT in whole milliseconds.
    return this.conn.pathStats()[0]?.rtt ?? 0;
  }

  /** The peer's certificate (DER), once the handshake got that far; undefined when it sent none. */
  get peerCertificate(): Uint8Array | undefined {
    if (this.gone) return undefined;
    return this.conn.peerCertChain()?.[0] ?? undefined;
  }

  /** Unidirectional streams the peer still lets us open. */
  get uniStreamsLeft(): number {
    return this.conn.peerStreamsLeftUni();
  }

  get bidiStreamsLeft(): number {
    return this.conn.peerStreamsLeftBidi();
  }

  /**
   * Reserves the next stream ID of our side: a server's 3, 7, 11, ... (uni) or 1, 5, 9, ...
   * (bidi); a client's 2, 6, 10, ... or 0, 4, 8, ...
   *
   * @throws {@link WebTransportError} `stream-limit` when the peer's limit is reached.
   */
  openStream(kind: 'uni' | 'bidi'): number {
    if (this.closing) throw new WebTransportError('session-closed', 'the QUIC connection is closing');
    const left = kind === 'uni' ? this.conn.peerStreamsLeftUni() : this.conn.peerStreamsLeftBidi();
    if (left <= 0) throw new WebTransportError('stream-limit', `the peer allows no more ${kind} streams now`);
    const id = kind === 'uni' ? this.nextUniStream : this.nextBidiStream;
    if (kind === 'uni') this.nextUniStream += 4;
    else this.nextBidiStream += 4;
    return id;
  }

  /**
   * Throws unless `bytes` more could be queued now: lets a caller check before it
   * opens a stream, so a refused write never leaves a stream opened and empty.
   *
   * @throws {@link WebTransportError} `session-closed` or `congested`.
   */
  assertWritable(bytes: number): void {
    if (this.closing) throw new WebTransportError('session-closed', 'the QUIC connection is closing');
    if (this.pendingBytes + bytes > this.maxBufferedBytes) {
      throw new WebTransportError('congested', `more than ${this.maxBufferedBytes} bytes queued on the connection`);
    }
  }

  /**
   * Queues bytes on a stream (and its end when `fin`); they leave as flow control
   * and congestion allow. `data` is kept by reference until sent: don't reuse it.
   *
   * @throws {@link WebTransportError} `congested` when the connection would queue more
   *   than its limit (then nothing of `data` was taken); `session-closed` when closing.
   */
  write(streamId: number, data: Uint8Array, fin = false): void {
    this.assertWritable(data.length);
    if (data.length === 0 && !fin) return;
    let queue = this.pending.get(streamId);
    if (!queue) {
      // Nothing queued on this stream: hand quiche what it takes now.
      const written = this.streamSend(streamId, data, fin);
      if (written === undefined) return; // the stream is gone (stopped by the peer)
      const taken = written ?? 0;
      // quiche applies the FIN only with the last byte, so "all taken" means the FIN went too.
      if (written !== null && taken === data.length) {
        this.endpoint.markDirty(this);
        return;
      }
      data = data.subarray(taken);
      queue = { chunks: [], fin: false };
      this.pending.set(streamId, queue);
    }
    if (data.length > 0) queue.chunks.push(data);
    queue.fin ||= fin;
    this.pendingBytes += data.length;
    this.endpoint.markDirty(this);
  }

  /** Bytes queued here on `streamId` that quiche has not taken yet. */
  queuedOn(streamId: number): number {
    const queue = this.pending.get(streamId);
    if (!queue) return 0;
    let bytes = 0;
    for (const chunk of queue.chunks) bytes += chunk.length;
    return bytes;
  }

  /**
   * Resolves once nothing queued here for `streamId` is left (quiche took it all, or
   * the stream or connection went): a writer's backpressure. Never rejects.
   */
  whenTaken(streamId: number): Promise<void> {
    if (!this.pending.has(streamId) || this.gone) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.takenWaiters.get(streamId) ?? [];
      list.push(resolve);
      this.takenWaiters.set(streamId, list);
    });
  }

  /**
   * Sets how soon a stream's bytes go relative to others: `urgency` 0 (first) to 7
   * (quiche's default is 3); streams of equal urgency go one after another.
   */
  setUrgency(streamId: number, urgency: number): void {
    if (this.gone) return;
    try {
      this.conn.streamPriority(streamId, Math.max(0, Math.min(7, Math.round(urgency))), false);
    } catch (err) {
      // A stream already finished or reset: its priority no longer matters.
      this.endpoint.log.debug('stream priority not set', { conn: this.traceId, streamId, err: (err as Error).message });
    }
  }

  /** Abruptly ends our sending side of a stream (RESET_STREAM with `code`); drops what is queued. */
  resetStream(streamId: number, code: number): void {
    this.dropPending(streamId);
    this.shutdown(streamId, 'write', code);
  }

  /**
   * Resets a stream whose end we may already have queued, unless quiche has
   * delivered all of it (every byte acknowledged, the stream forgotten): for a
   * message that became worthless on its way. Returns whether a RESET_STREAM goes out.
   */
  abandonStream(streamId: number, code: number): boolean {
    if (this.closing) return false;
    this.dropPending(streamId);
    let result: void | null;
    try {
      result = this.conn.streamShutdown(streamId, this.endpoint.quiche.Shutdown.Write, code);
    } catch {
      return false; // stopped by the peer, or already reset
    }
    // null is quiche's Done: the stream is complete and forgotten, nothing to abandon.
    if (result === null) return false;
    this.endpoint.markDirty(this);
    return true;
  }

  /** Asks the peer to stop sending on a stream (STOP_SENDING with `code`); its further data is discarded. */
  stopReading(streamId: number, code: number): void {
    this.shutdown(streamId, 'read', code);
  }

  /**
   * Queues a datagram. Returns false when it cannot go (quiche's queue is full, the
   * peer takes no datagrams, the connection is closing): it is unreliable anyway.
   *
   * @throws {@link WebTransportError} `invalid-argument` when larger than {@link maxDatagramSize}.
   */
  sendDatagram(data: Uint8Array): boolean {
    if (this.closing) return false;
    const max = this.maxDatagramSize;
    // 0: the peer did not enable datagrams (or the handshake is not done): nothing can go.
    if (max === 0) return false;
    if (data.length > max) {
      throw new WebTransportError('invalid-argument', `a datagram of ${data.length} bytes exceeds the ${max} that fit`);
    }
    if (this.conn.isDgramSendQueueFull()) return false;
    try {
      this.conn.dgramSend(data);
    } catch (err) {
      this.endpoint.log.debug('datagram not sent', { conn: this.traceId, err: (err as Error).message });
      return false;
    }
    this.endpoint.markDirty(this);
    return true;
  }

  /**
   * Closes the connection with an application (HTTP/3) error code, or a
   * transport one when `transport` is set. Idempotent; the connection then
   * drains and `onClosed` follows.
   */
  close(code: number = H3ErrorCode.NoError, reason = '', transport = false): void {
    if (this.gone) return;
    try {
      this.conn.close(!transport, code, Buffer.from(reason.slice(0, 256), 'utf8'));
    } catch (err) {
      this.endpoint.log.debug('close failed', { conn: this.traceId, err: (err as Error).message });
    }
    this.pending.clear();
    this.pendingBytes = 0;
    for (const streamId of [...this.takenWaiters.keys()]) this.taken(streamId);
    this.endpoint.markDirty(this);
  }

  /** @internal Called by the endpoint with one received UDP payload. */
  receive(packet: Buffer, from: HostPort, to: HostPort): void {
    try {
      this.conn.recv(packet, { from, to });
    } catch (err) {
      // quiche closes the connection itself on protocol errors (localError is then set);
      // anything else (a bad packet, a stale key) just drops that packet.
      this.endpoint.log.debug('packet not accepted', { conn: this.traceId, err: (err as Error).message });
    }
    this.afterInput();
  }

  /** @internal Timer expiry. */
  onTimer(): void {
    this.timer = undefined;
    this.conn.onTimeout();
    this.afterInput();
  }

  /** Delivers what quiche has for the application, then schedules a flush. */
  private afterInput(): void {
    if (this.conn.isClosed()) {
      this.endpoint.finish(this);
      return;
    }
    if (!this.announced && this.conn.isEstablished()) {
      this.announced = true;
      this.endpoint.handshakeDone?.(this);
      this.guard(() => this.handler.onEstablished?.());
    }
    if (this.announced && !this.closing) {
      this.readStreams();
      this.readDatagrams();
      this.flushPending();
    }
    this.endpoint.markDirty(this);
  }

  private readStreams(): void {
    const buffer = this.endpoint.readBuffer;
    for (const streamId of [...this.conn.readable()]) {
      for (;;) {
        let result: [number, boolean] | null;
        try {
          result = this.conn.streamRecv(streamId, buffer);
        } catch (err) {
          const reset = /StreamReset\((\d+)\)/.exec((err as Error).message);
          if (reset) this.guard(() => this.handler.onStreamReset?.(streamId, Number(reset[1])));
          else
            this.endpoint.log.debug('stream read failed', {
              conn: this.traceId,
              streamId,
              err: (err as Error).message,
            });
          break;
        }
        if (!result) break;
        const [length, fin] = result;
        // Copy: the read buffer is reused for every stream.
        const data = new Uint8Array(buffer.subarray(0, length));
        this.guard(() => this.handler.onStreamData(streamId, data, fin));
        if (fin || this.closing) break;
      }
      if (this.closing) return;
    }
  }

  private readDatagrams(): void {
    for (let i = 0; i < 10_000; i++) {
      const datagram = this.conn.dgramRecvVec();
      if (!datagram) return;
      this.guard(() => this.handler.onDatagram?.(datagram));
      if (this.closing) return;
    }
  }

  /** Moves queued stream bytes into quiche as far as flow control allows. */
  private flushPending(): void {
    for (const [streamId, queue] of this.pending) {
      let blocked = false;
      while (queue.chunks.length > 0) {
        const chunk = queue.chunks[0]!;
        const fin = queue.chunks.length === 1 && queue.fin;
        const written = this.streamSend(streamId, chunk, fin);
        if (written === undefined) break; // gone: its queue was dropped
        const taken = written ?? 0;
        this.pendingBytes -= taken;
        if (written === null || taken < chunk.length) {
          queue.chunks[0] = chunk.subarray(taken);
          blocked = true;
          break;
        }
        queue.chunks.shift();
        if (fin) queue.fin = false;
      }
      if (!this.pending.has(streamId) || blocked) continue;
      // Only a FIN may be left (quiche takes a bare FIN whatever the window).
      if (queue.fin && this.streamSend(streamId, new Uint8Array(0), true) === null) continue;
      this.pending.delete(streamId);
      this.taken(streamId);
    }
  }

  /** Wakes those waiting for `streamId`'s queue to empty. */
  private taken(streamId: number): void {
    const waiters = this.takenWaiters.get(streamId);
    if (!waiters) return;
    this.takenWaiters.delete(streamId);
    for (const resolve of waiters) resolve();
  }

  /**
   * quiche `stream_send`: bytes taken, `null` when it has no room now (Done), or
   * `undefined` when the stream is gone (stopped by the peer, or never valid).
   */
  private streamSend(streamId: number, data: Uint8Array, fin: boolean): number | null | undefined {
    try {
      return this.conn.streamSend(streamId, data, fin);
    } catch (err) {
      const message = (err as Error).message;
      const stopped = /StreamStopped\((\d+)\)/.exec(message);
      this.dropPending(streamId);
      if (stopped) {
        this.guard(() => this.handler.onStreamStopped?.(streamId, Number(stopped[1])));
        return undefined;
      }
      this.endpoint.log.debug('stream write failed', { conn: this.traceId, streamId, err: message });
      return undefined;
    }
  }

  private dropPending(streamId: number): void {
    const queue = this.pending.get(streamId);
    if (!queue) return;
    for (const chunk of queue.chunks) this.pendingBytes -= chunk.length;
    this.pending.delete(streamId);
    this.taken(streamId);
  }

  private shutdown(streamId: number, direction: 'read' | 'write', code: number): void {
    const { Shutdown } = this.endpoint.quiche;
    try {
      this.conn.streamShutdown(streamId, direction === 'read' ? Shutdown.Read : Shutdown.Write, code);
    } catch (err) {
      this.endpoint.log.debug('stream shutdown failed', { conn: this.traceId, streamId, err: (err as Error).message });
    }
    this.endpoint.markDirty(this);
  }

  /**
   * Sends what quiche has, at most {@link MAX_PACKETS_PER_FLUSH} packets; returns
   * true when more remain. quiche's pacing time per packet is not readable through
   * the binding, so bursts are bounded by its send quantum (its congestion and
   * pacing budget for now) and the rest goes on the next turn of the event loop.
   *
   * @internal
   */
  flush(): boolean {
    if (this.gone) return false;
    this.flushPending();
    const quantum = Math.max(this.conn.sendQuantum(), MAX_SEND_UDP_PAYLOAD);
    let sentBytes = 0;
    let packets = 0;
    let more = false;
    for (;;) {
      if (packets >= MAX_PACKETS_PER_FLUSH || sentBytes >= quantum) {
        more = true;
        break;
      }
      const out = Buffer.allocUnsafe(MAX_SEND_UDP_PAYLOAD);
      let result;
      try {
        result = this.conn.send(out);
      } catch (err) {
        this.endpoint.log.debug('send failed', { conn: this.traceId, err: (err as Error).message });
        break;
      }
      if (!result) break;
      const [length, info] = result;
      this.endpoint.sendPacket(out.subarray(0, length), info.to);
      this.endpoint.stats.packetsOut++;
      this.endpoint.stats.bytesOut += length;
      sentBytes += length;
      packets++;
    }
    this.armTimer();
    if (this.conn.isClosed()) {
      this.endpoint.finish(this);
      return false;
    }
    return more;
  }

  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const timeout = this.conn.timeout();
    if (timeout === null) return;
    // +1 ms: quiche's clock must have passed the deadline when onTimeout runs.
    this.timer = setTimeout(() => this.endpoint.onTimer(this), Math.max(0, timeout) + 1);
  }

  /** @internal Final clean-up; returns false if it had already run. */
  dispose(): QuicCloseInfo | undefined {
    if (this.gone) return undefined;
    this.gone = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    this.pendingBytes = 0;
    for (const streamId of [...this.takenWaiters.keys()]) this.taken(streamId);
    const peer = this.conn.peerError();
    const local = this.conn.localError();
    const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
    if (peer) return { by: 'peer', app: peer.isApp, code: peer.errorCode, reason: text(peer.reason) };
    if (local) return { by: 'local', app: local.isApp, code: local.errorCode, reason: text(local.reason) };
    if (this.conn.isTimedOut()) return { by: 'timeout', app: false, code: 0, reason: 'idle timeout' };
    return { by: 'endpoint', app: true, code: H3ErrorCode.NoError, reason: 'endpoint closed' };
  }

  /** Runs a handler callback; an exception closes this connection, never more. */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.endpoint.stats.handlerErrors++;
      this.endpoint.log.error('connection handler threw', { conn: this.traceId, err });
      this.close(H3ErrorCode.InternalError, 'internal error');
    }
  }
}
