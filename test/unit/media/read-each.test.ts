import { describe, expect, it } from 'vitest';
import { readEach, type ReadEachHandlers } from '../../../src/capture/read-each.js';

/** A stand-in for a captured frame: it knows whether it was closed. */
class Item {
  closed = false;
  constructor(readonly n: number) {}
  close(): void {
    this.closed = true;
  }
}

function streamOf(items: Item[], end: 'close' | Error = 'close'): ReadableStream<Item> {
  return new ReadableStream<Item>({
    start(controller) {
      for (const item of items) controller.enqueue(item);
      if (end === 'close') controller.close();
      else controller.error(end);
    },
  });
}

function recorder(current: () => boolean = () => true) {
  const log: string[] = [];
  const handlers: ReadEachHandlers<Item> = {
    current,
    handle: (item) => log.push(`handle ${item.n} (closed: ${item.closed})`),
    failed: (error) => log.push(`failed: ${(error as Error).message}`),
    ended: () => log.push('ended'),
  };
  return { log, handlers };
}

describe('readEach', () => {
  it('hands over each item open, closes it after, and says when the stream ended', async () => {
    const items = [new Item(1), new Item(2)];
    const { log, handlers } = recorder();
    await readEach(streamOf(items).getReader(), handlers);
    expect(log).toEqual(['handle 1 (closed: false)', 'handle 2 (closed: false)', 'ended']);
    expect(items.every((i) => i.closed)).toBe(true);
  });

  it('reports a failed read', async () => {
    const { log, handlers } = recorder();
    // An errored stream drops what it had queued: the failure is all there is to read.
    await readEach(streamOf([new Item(1)], new Error('track gone')).getReader(), handlers);
    expect(log).toEqual(['failed: track gone']);
  });

  it('stops quietly once no longer current, closing what it read unhandled', async () => {
    const items = [new Item(1), new Item(2), new Item(3)];
    let reads = 0;
    const { log, handlers } = recorder(() => reads < 1);
    const handle = handlers.handle;
    handlers.handle = (item) => {
      reads++;
      handle(item);
    };
    await readEach(streamOf(items).getReader(), handlers);
    expect(log).toEqual(['handle 1 (closed: false)']);
    expect(items[0]!.closed).toBe(true);
    expect(items[2]!.closed).toBe(false); // never read
  });

  it('closes the item even when handling it throws', async () => {
    const item = new Item(1);
    const { handlers } = recorder();
    handlers.handle = () => {
      throw new Error('encoder exploded');
    };
    await expect(readEach(streamOf([item]).getReader(), handlers)).rejects.toThrow('encoder exploded');
    expect(item.closed).toBe(true);
  });
});
