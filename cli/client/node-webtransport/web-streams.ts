/**
 * The WHATWG streams of the W3C WebTransport API over the relay stack's
 * session streams: a send stream as a `WritableStream` (with `sendOrder`), a
 * receive stream as a `ReadableStream`. A write resolves once QUIC took the
 * bytes (flow control and congestion allowing): the writer's backpressure.
 */
import type {
  WebTransportReceiveStream as SessionReceiveStream,
  WebTransportSendStream as SessionSendStream,
  WebTransportSession,
} from '../../../server/webtransport/index.js';

/** What {@link sendWritable} returns: a writable with the browser's `sendOrder`. */
export type NodeSendStream = WritableStream<Uint8Array> & { sendOrder: number };

/** What is told to streams still open when their session ends. */
export interface StreamEnds {
  /** Errors every stream still open (the session or connection is gone). */
  fail(error: Error): void;
}

/**
 * quiche's urgency (0 first … 7) for a W3C `sendOrder` (higher first). The
 * transport uses 0 to 3; its HTTP/3 streams keep quiche's default 3.
 */
export function urgencyOf(sendOrder: number): number {
  return Math.max(0, Math.min(7, 4 - Math.round(sendOrder)));
}

/** Tracks the streams of one session so they can all be failed when it ends. */
export class StreamRegistry implements StreamEnds {
  private readonly open = new Set<(error: Error) => void>();
  private failure: Error | undefined;

  /** Registers a stream's fail function; returns its unregister. */
  add(fail: (error: Error) => void): () => void {
    if (this.failure) {
      fail(this.failure);
      return () => undefined;
    }
    this.open.add(fail);
    return () => this.open.delete(fail);
  }

  fail(error: Error): void {
    this.failure ??= error;
    for (const fail of [...this.open]) fail(error);
    this.open.clear();
  }
}

/** A session send stream as a `WritableStream`; `abort()` resets it even when its end was queued. */
export function sendWritable(
  stream: SessionSendStream,
  session: WebTransportSession,
  registry: StreamRegistry,
  sendOrder = 0,
): NodeSendStream {
  let controller: WritableStreamDefaultController | undefined;
  let unregister = (): void => undefined;
  const writable = new WritableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
        unregister = registry.add((error) => controller?.error(error));
        stream.onstop = (code) => {
          unregister();
          controller?.error(new Error(`the peer stopped the stream${code === undefined ? '' : ` (code ${code})`}`));
        };
      },
      write: async (chunk) => {
        // Copied: the session keeps the bytes by reference until QUIC takes them.
        stream.write(chunk.slice());
        await session.quic.whenTaken(stream.id);
      },
      close: async () => {
        unregister();
        stream.end();
        await session.quic.whenTaken(stream.id);
      },
      abort: () => {
        unregister();
        stream.abandon(0);
      },
    },
    // One chunk in flight: writes queue in the writer, bytes queue in QUIC.
    { highWaterMark: 1 },
  ) as NodeSendStream;
  let order = sendOrder;
  Object.defineProperty(writable, 'sendOrder', {
    get: () => order,
    set: (value: number) => {
      order = value;
      session.quic.setUrgency(stream.id, urgencyOf(value));
    },
  });
  session.quic.setUrgency(stream.id, urgencyOf(sendOrder));
  return writable;
}

/** A session receive stream as a `ReadableStream` of its chunks; `cancel()` sends STOP_SENDING. */
export function receiveReadable(stream: SessionReceiveStream, registry: StreamRegistry): ReadableStream<Uint8Array> {
  let unregister = (): void => undefined;
  return new ReadableStream<Uint8Array>({
    start: (controller) => {
      unregister = registry.add((error) => {
        try {
          controller.error(error);
        } catch {
          // already closed
        }
      });
      stream.onend = () => {
        unregister();
        controller.close();
      };
      stream.onreset = (code) => {
        unregister();
        controller.error(new Error(`the peer reset the stream${code === undefined ? '' : ` (code ${code})`}`));
      };
      // Set last: data that arrived before is delivered now.
      stream.ondata = (chunk) => controller.enqueue(chunk);
    },
    cancel: () => {
      unregister();
      stream.stopReading(0);
    },
  });
}
