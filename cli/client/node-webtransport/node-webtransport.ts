/**
 * The W3C `WebTransport` interface for Node, over the relay's own WebTransport
 * stack (quiche through `@matrixai/quic`): the part of it that
 * `src/transport/webtransport.ts` uses, so that transport runs in videocall-cli
 * unchanged, as `ws` lets the WebSocket one. What is here: the constructor with
 * `serverCertificateHashes` (SHA-256, checked against the certificate the relay
 * presents; without hashes the chain is verified against Node's root CAs),
 * `ready`, `closed`, `close()`, `datagrams`, `createBidirectionalStream()`,
 * `createUnidirectionalStream()` (with `sendOrder`), and the incoming streams.
 * Not here: stats, `getStats()`, `congestionControl`, send groups, datagram ages.
 */
import {
  connectWebTransport,
  WebTransportError,
  type WebTransportErrorCode,
  type WebTransportBidiStream as SessionBidiStream,
  type WebTransportClientSession,
  type WebTransportSession,
} from '../../../server/webtransport/index.js';
import { receiveReadable, sendWritable, StreamRegistry, type NodeSendStream } from './web-streams.js';

/** Longest the handshake and CONNECT may take before `ready` rejects (the transport bounds it tighter). */
const CONNECT_TIMEOUT_MS = 30_000;
/** Incoming datagrams kept unread before newer ones are dropped (they are unreliable anyway). */
const DATAGRAM_READ_QUEUE = 1024;

/** Connection closes still under way (the close capsule and CONNECTION_CLOSE leaving), across every instance. */
const closing = new Set<Promise<void>>();

/**
 * Resolves once every session closed so far has finished closing (its packets
 * sent, its socket closed), or after `timeoutMs`: a process about to exit waits
 * for this, else the relay learns of the close only at its idle timeout.
 */
export async function nodeWebTransportsClosed(timeoutMs = 1000): Promise<void> {
  if (closing.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([...closing]),
    new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
}

/** Runs a client close, tracked in {@link closing}. */
function track(close: Promise<void>): void {
  const tracked = close.catch(() => undefined).finally(() => closing.delete(tracked));
  closing.add(tracked);
}

/** A bidirectional stream as the W3C API gives it. */
export interface NodeBidirectionalStream {
  readable: ReadableStream<Uint8Array>;
  writable: NodeSendStream;
}

/**
 * The W3C `WebTransportError`'s shape (an Error with `source` and `streamErrorCode`),
 * plus a stable `code`: the stack's (`connect-failed`, `certificate-mismatch`,
 * `quic-unavailable`, ...) when it failed to open, else `session-closed`.
 */
export class NodeWebTransportError extends Error {
  override readonly name = 'WebTransportError';
  readonly code: WebTransportErrorCode;
  constructor(
    message: string,
    readonly source: 'session' | 'stream' = 'session',
    readonly streamErrorCode: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = options?.cause instanceof WebTransportError ? options.cause.code : 'session-closed';
  }
}

/**
 * `new WebTransport(url, options)` for Node.
 *
 * @example
 * ```ts
 * const wt = new NodeWebTransport('https://127.0.0.1:4433/wt', {
 *   serverCertificateHashes: [{ algorithm: 'sha-256', value: hashBytes }],
 * });
 * await wt.ready;
 * const { readable, writable } = await wt.createBidirectionalStream();
 * ```
 */
export class NodeWebTransport {
  readonly ready: Promise<void>;
  readonly closed: Promise<WebTransportCloseInfo>;
  readonly datagrams: {
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
    readonly maxDatagramSize: number;
  };
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  readonly incomingBidirectionalStreams: ReadableStream<NodeBidirectionalStream>;

  private readonly registry = new StreamRegistry();
  private readonly cancel = new AbortController();
  private client: WebTransportClientSession | undefined;
  private session: WebTransportSession | undefined;
  private settleClosed!: { resolve: (info: WebTransportCloseInfo) => void; reject: (error: Error) => void };
  private datagramIn: ReadableStreamDefaultController<Uint8Array> | undefined;
  private uniIn: ReadableStreamDefaultController<ReadableStream<Uint8Array>> | undefined;
  private bidiIn: ReadableStreamDefaultController<NodeBidirectionalStream> | undefined;
  private done = false;

  constructor(url: string | URL, options: WebTransportOptions = {}) {
    this.closed = new Promise((resolve, reject) => (this.settleClosed = { resolve, reject }));
    // The API's users observe `closed` when they care; an unobserved rejection must not crash Node.
    this.closed.catch(() => undefined);
    const hashes = (options.serverCertificateHashes ?? [])
      .filter((h) => h.algorithm === 'sha-256' && h.value !== undefined)
      .map((h) => bytesOf(h.value!));
    const sessionOf = (): WebTransportSession | undefined => this.session;
    this.datagrams = {
      readable: new ReadableStream<Uint8Array>({ start: (c) => void (this.datagramIn = c) }),
      writable: new WritableStream<Uint8Array>({
        write: (chunk) => {
          // Unreliable: one that cannot go (queue full, session closed, larger than fits now) is
          // dropped, as Chromium drops it, rather than erroring the writable for every later one.
          try {
            this.session?.sendDatagram(chunk);
          } catch {
            // too large for the path now
          }
        },
      }),
      get maxDatagramSize(): number {
        return sessionOf()?.maxDatagramSize ?? 0;
      },
    };
    this.incomingUnidirectionalStreams = new ReadableStream({ start: (c) => void (this.uniIn = c) });
    this.incomingBidirectionalStreams = new ReadableStream({ start: (c) => void (this.bidiIn = c) });
    this.ready = this.open(url, hashes);
    this.ready.catch((error: unknown) => this.finish(undefined, asError(error)));
  }

  /**
   * Closes the session with `closeCode` (32-bit) and `reason`: CLOSE_WEBTRANSPORT_SESSION,
   * then the QUIC connection. Before `ready`, gives up connecting.
   */
  close(info: WebTransportCloseInfo = {}): void {
    if (this.done) return;
    const code = info.closeCode ?? 0;
    const reason = info.reason ?? '';
    if (!this.client) {
      this.cancel.abort();
      this.finish(undefined, new NodeWebTransportError('closed before the session was ready'));
      return;
    }
    track(this.client.close(code, reason));
  }

  async createBidirectionalStream(options: WebTransportSendStreamOptions = {}): Promise<NodeBidirectionalStream> {
    const session = await this.openSession();
    return this.bidiStream(session.openBidiStream(), session, options.sendOrder ?? 0);
  }

  async createUnidirectionalStream(options: WebTransportSendStreamOptions = {}): Promise<NodeSendStream> {
    const session = await this.openSession();
    return sendWritable(session.openUniStream(), session, this.registry, options.sendOrder ?? 0);
  }

  private async openSession(): Promise<WebTransportSession> {
    await this.ready;
    if (!this.session || this.done) throw new NodeWebTransportError('the session is closed');
    return this.session;
  }

  private bidiStream(
    stream: SessionBidiStream,
    session: WebTransportSession,
    sendOrder: number,
  ): NodeBidirectionalStream {
    return {
      readable: receiveReadable(stream, this.registry),
      writable: sendWritable(stream.writable, session, this.registry, sendOrder),
    };
  }

  private async open(url: string | URL, hashes: Uint8Array[]): Promise<void> {
    let client: WebTransportClientSession;
    try {
      client = await connectWebTransport(url, {
        certificateHashes: hashes,
        timeoutMs: CONNECT_TIMEOUT_MS,
        signal: this.cancel.signal,
      });
    } catch (cause) {
      const message = this.cancel.signal.aborted ? 'closed before the session was ready' : asError(cause).message;
      throw new NodeWebTransportError(message, 'session', null, { cause });
    }
    if (this.done) {
      // close() came while connecting.
      track(client.close(0, 'closed before ready'));
      throw new NodeWebTransportError('closed before the session was ready');
    }
    this.client = client;
    const session = (this.session = client.session);
    session.ondatagram = (data) => {
      const queue = this.datagramIn;
      if (queue && (queue.desiredSize ?? 0) > -DATAGRAM_READ_QUEUE) queue.enqueue(data);
    };
    session.onunistream = (stream) => this.uniIn?.enqueue(receiveReadable(stream, this.registry));
    session.onbidistream = (stream) => this.bidiIn?.enqueue(this.bidiStream(stream, session, 0));
    session.onclose = (info) => {
      if (info.by === 'connection') {
        this.finish(undefined, new NodeWebTransportError(`the connection was lost (${info.reason || info.code})`));
      } else this.finish({ closeCode: info.code, reason: info.reason });
      // The session was the connection's only use: close it (our own close() does that already).
      if (info.by !== 'local') track(client.close(info.code, info.reason));
    };
  }

  /** Settles `closed` and ends every stream and stream source. Once. */
  private finish(info: WebTransportCloseInfo | undefined, error?: Error): void {
    if (this.done) return;
    this.done = true;
    const ended = error ?? new NodeWebTransportError('the session is closed');
    this.registry.fail(ended);
    for (const source of [this.datagramIn, this.uniIn, this.bidiIn]) {
      try {
        if (error) source?.error(error);
        else source?.close();
      } catch {
        // already ended
      }
    }
    if (info) this.settleClosed.resolve(info);
    else this.settleClosed.reject(ended);
  }
}

/**
 * Makes `globalThis.WebTransport` the Node one where there is none, so
 * `src/transport/webtransport.ts` runs as it does in a browser.
 */
export function installNodeWebTransport(): void {
  // The class implements the subset of the W3C interface the transport uses (see the file's header).
  globalThis.WebTransport ??= NodeWebTransport as unknown as typeof WebTransport;
}

function bytesOf(value: BufferSource): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return new Uint8Array(value);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
