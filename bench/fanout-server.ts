/**
 * Child process for bench/relay-fanout.ts: runs one server, either our relay
 * (`relay`) or a naive `ws` broadcast server (`naive`: every message to every
 * other socket, nothing else), so both are measured the same way in their own
 * process, apart from the simulated clients.
 *
 * Speaks to the parent over IPC: sends `{ type: 'ready', port }`; answers
 * `{ type: 'usage', gc? }` with CPU time, memory and (relay) stats; exits on `{ type: 'stop' }`.
 *
 *     fanout-server.ts <relay|naive> [maxRoomSize]
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { startRelay, type Relay } from '../server/relay.js';
import { wsWriteCounts } from '../server/ws-link.js';

export type ServerKind = 'relay' | 'naive';

export interface UsageReply {
  type: 'usage';
  /** This process's monotonic clock when measured, ms (CPU % is over the server's own interval). */
  at: number;
  /** User + system CPU time of this process since it started, µs. */
  cpuMicros: number;
  rssBytes: number;
  /** JS heap in use (after a GC when asked for one). */
  heapUsedBytes: number;
  /** Bytes outside the JS heap (Buffers, ws frames); includes `arrayBuffers`. */
  externalBytes: number;
  stats?: ReturnType<Relay['stats']>;
  /** Relay only: socket writes its WebSocket links made so far, and the frames they carried. */
  wsWrites?: { writes: number; frames: number };
}

/** `gc`: collect garbage first (for memory samples; never inside a timed window). */
type Request = { type: 'usage'; gc?: boolean } | { type: 'stop' };

const kind = process.argv[2] as ServerKind;
const maxRoomSize = Number(process.argv[3] ?? 0) || undefined;
const send = (message: unknown): void => {
  process.send?.(message);
};

async function main(): Promise<void> {
  let stop: () => Promise<void>;
  let stats: (() => ReturnType<Relay['stats']>) | undefined;
  let port: number;
  if (kind === 'relay') {
    // Every simulated participant comes from loopback: the per-address limits would refuse most of them.
    const relay = await startRelay({
      port: 0,
      host: '127.0.0.1',
      maxRoomSize,
      shutdownTimeoutMs: 500,
      maxConnectionsPerAddress: 100_000,
      joinsPerAddressPerMinute: 100_000,
      // Every microphone to everyone, as the naive server does: this compares forwarding, not loudest-N.
      maxAudible: 0,
      // The relay's default unless a bench compares joins announced one by one (0).
      ...(process.env.PRESENCE_BATCH_MS ? { presenceBatchMs: Number(process.env.PRESENCE_BATCH_MS) } : {}),
    });
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
      // Started with --expose-gc: a memory sample without garbage not yet collected.
      if (message.gc) (globalThis as { gc?: () => void }).gc?.();
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      const reply: UsageReply = {
        type: 'usage',
        at: performance.timeOrigin + performance.now(),
        cpuMicros: cpu.user + cpu.system,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        externalBytes: memory.external,
        stats: stats?.(),
        wsWrites: kind === 'relay' ? { ...wsWriteCounts } : undefined,
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
