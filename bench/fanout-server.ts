/**
 * Child process for bench/relay-fanout.ts: runs one server, either our relay
 * (`relay`) or a naive `ws` broadcast server (`naive`: every message to every
 * other socket), so both are measured the same way in their own process.
 *
 * Speaks to the parent over IPC: sends `{ type: 'ready', port }`; answers
 * `{ type: 'usage' }` with CPU time, RSS and (relay) stats; exits on `{ type: 'stop' }`.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { startRelay, type Relay } from '../server/relay.js';

export type ServerKind = 'relay' | 'naive';

export interface UsageReply {
  type: 'usage';
  cpuMicros: number;
  rssBytes: number;
  stats?: ReturnType<Relay['stats']>;
}

type Request = { type: 'usage' } | { type: 'stop' };

const kind = process.argv[2] as ServerKind;
const send = (message: unknown): void => {
  process.send?.(message);
};

async function main(): Promise<void> {
  let stop: () => Promise<void>;
  let stats: (() => ReturnType<Relay['stats']>) | undefined;
  let port: number;
  if (kind === 'relay') {
    const relay = await startRelay({ port: 0, host: '127.0.0.1' });
    port = relay.port;
    stop = () => relay.close();
    stats = () => relay.stats();
  } else if (kind === 'naive') {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const sockets = new Set<WebSocket>();
    wss.on('connection', (ws) => {
      sockets.add(ws);
      ws.on('message', (data, isBinary) => {
        for (const other of sockets) if (other !== ws) other.send(data, { binary: isBinary });
      });
      ws.on('close', () => sockets.delete(ws));
    });
    port = (wss.address() as { port: number }).port;
    stop = async () => {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    };
  } else {
    throw new Error(`unknown server kind "${kind}" (relay or naive)`);
  }

  process.on('message', (message: Request) => {
    if (message.type === 'usage') {
      const cpu = process.cpuUsage();
      const reply: UsageReply = {
        type: 'usage',
        cpuMicros: cpu.user + cpu.system,
        rssBytes: process.memoryUsage().rss,
        stats: stats?.(),
      };
      send(reply);
    } else if (message.type === 'stop') {
      void stop().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0)); // parent gone
  send({ type: 'ready', port });
}

void main();
