import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { FLUSH_BYTES, WRITE_PACE_MS, WsLink, wsWriteCounts } from '../../server/ws-link.js';
import { sleep, waitFor } from './helpers.js';

interface Pair {
  link: WsLink;
  /** What the client received, in order. */
  received: Buffer[];
  /** `performance.now()` of each socket write the link made. */
  writes: number[];
}

const servers: WebSocketServer[] = [];
const clients: WebSocket[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
  for (const s of servers.splice(0)) s.close();
});

/** A WsLink on the server side of a real loopback WebSocket, its socket's writes timed. */
async function pair(): Promise<Pair> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  await new Promise((resolve) => wss.once('listening', resolve));
  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  clients.push(client);
  const received: Buffer[] = [];
  client.on('message', (data: Buffer) => received.push(data));
  await new Promise((resolve) => client.once('open', resolve));
  const ws = await serverSide;
  const socket = (ws as unknown as { _socket: Socket })._socket;
  const writes: number[] = [];
  // Count writes, not frames: a corked batch is one write to the kernel.
  const cork = socket.cork.bind(socket);
  const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
  let corked = false;
  socket.cork = () => {
    corked = true;
    writes.push(performance.now());
    cork();
  };
  socket.uncork = ((uncork) => () => {
    corked = false;
    uncork();
  })(socket.uncork.bind(socket));
  socket.write = ((chunk: Buffer) => {
    if (!corked) writes.push(performance.now());
    return write(chunk);
  }) as typeof socket.write;
  return { link: new WsLink(ws), received, writes };
}

const message = (n: number, size = 100): Uint8Array => new Uint8Array(size).fill(n);

describe('WsLink: batched and paced writes', () => {
  it('writes what one turn sends a receiver in one write, at the end of the turn', async () => {
    const { link, received, writes } = await pair();
    for (let i = 0; i < 5; i++) link.sendMedia(message(i));
    expect(writes).toHaveLength(0);
    await waitFor(() => received.length === 5, 2000, 'five messages');
    expect(writes).toHaveLength(1);
    expect(received.map((m) => m[0])).toEqual([0, 1, 2, 3, 4]);
  });

  it('makes a receiver written to just now wait for the paced flush, and writes everything that came meanwhile at once', async () => {
    // The three sends must fall within the pace of the first write; on a machine that stalls
    // the test longer than that, the round is tried again (at most 5 times).
    for (let round = 0; round < 5; round++) {
      const { link, received, writes } = await pair();
      link.sendMedia(message(1));
      await new Promise((resolve) => setImmediate(resolve));
      expect(writes).toHaveLength(1);
      const before = wsWriteCounts.writes;
      // Three turns, each bringing one message.
      for (let i = 2; i <= 4; i++) {
        link.sendMedia(message(i));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const sentWithinPace = performance.now() - writes[0]! < WRITE_PACE_MS;
      await waitFor(() => received.length === 4, 2000, 'the paced messages');
      if (!sentWithinPace) continue;
      expect(writes).toHaveLength(2);
      expect(wsWriteCounts.writes - before).toBe(1);
      expect(received.map((m) => m[0])).toEqual([1, 2, 3, 4]);
      // Not at the end of the turn (that would be well under a millisecond) but at the pace.
      // Node's timers count from the event loop's cached time, which can be up to a
      // millisecond older than performance.now() when the timer is set: measured here, a
      // timer can fire up to 1 ms "early" (a CI run saw 1.47 ms for a 2 ms pace).
      expect(writes[1]! - writes[0]!).toBeGreaterThanOrEqual(WRITE_PACE_MS - 1);
      return;
    }
    throw new Error('the machine never let three turns pass within the write pace');
  });

  it('writes to a receiver quiet for longer than the pace at the end of the turn, without waiting', async () => {
    const { link, received, writes } = await pair();
    link.sendControl(message(1));
    await waitFor(() => received.length === 1, 2000, 'the first message');
    await sleep(WRITE_PACE_MS * 5);
    link.sendControl(message(2));
    // Written by the end-of-turn flush, which runs before this turn's next immediate: not paced.
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(2);
  });

  it('writes at once past FLUSH_BYTES, and before a close frame', async () => {
    const { link, received, writes } = await pair();
    link.sendMedia(message(1, FLUSH_BYTES));
    expect(writes).toHaveLength(1);
    link.sendMedia(message(2));
    link.close(1000, 'bye');
    await waitFor(() => received.length === 2, 2000, 'both messages');
    expect(received.map((m) => m[0])).toEqual([1, 2]);
  });
});
