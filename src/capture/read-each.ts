/**
 * The read loop over a capture stream (`VideoFrame`s, `AudioData`) that every
 * encode pipeline runs: each item is closed right after it is handled, because
 * capture stalls while frames are held.
 */

/** What {@link readEach} calls. */
export interface ReadEachHandlers<T> {
  /** False once reading should stop quietly (the consumer stopped, or moved on to another reader). */
  current(): boolean;
  /** Each item read while current; it is closed right after, whatever this does. */
  handle(item: T): void;
  /** Reading failed while current. */
  failed(error: unknown): void;
  /** The stream ended (the track ended) while current. */
  ended(): void;
}

/**
 * Reads `reader` until it ends, fails or {@link ReadEachHandlers.current} turns
 * false. Items read after that are closed unhandled.
 */
export async function readEach<T extends { close(): void }>(
  reader: ReadableStreamDefaultReader<T>,
  handlers: ReadEachHandlers<T>,
): Promise<void> {
  while (handlers.current()) {
    let result: ReadableStreamReadResult<T>;
    try {
      result = await reader.read();
    } catch (error) {
      if (handlers.current()) handlers.failed(error);
      return;
    }
    if (result.done) {
      if (handlers.current()) handlers.ended();
      return;
    }
    const item = result.value;
    try {
      if (handlers.current()) handlers.handle(item);
    } finally {
      // Whatever happened, the item goes back to capture now.
      item.close();
    }
  }
}
