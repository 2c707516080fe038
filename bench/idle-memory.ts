/**
 * Relay memory per idle participant: N WebSocket participants join one room and
 * send nothing but a Ping every 5 s (camera and microphone off, as a viewer of a
 * big meeting). The server runs in a child process of its own (bench/fanout-server.ts);
 * its memory is sampled after a full GC three times: before the first connection,
 * with N WebSockets open but not joined, and with all N joined. So the figures
 * split into what a bare connection costs (TCP socket, `ws`, our `Connection`)
 * and what being in the room adds (roster entries, bus subscriptions, presence).
 *
 * A naive `ws` server under the same N connections is the floor for a bare
 * WebSocket. Presence traffic (each Welcome lists everyone already there, each
 * join is announced to everyone) is reported as messages and bytes the clients
 * received while joining, and the last joiner's Welcome size. The relay runs
 * twice: as it is (a big room's joins announced in batches, `PeersJoined`), and
 * announcing each join on its own (`PRESENCE_BATCH_MS=0`), the baseline.
 *
 * Prints; never asserts.
 *
 *     npx tsx bench/idle-memory.ts [--participants 100,500,1000] [--servers relay,naive] [--presence batched,each]
 */
import { fileURLToPath } from 'node:url';
import { encodeEnvelope, PROTOCOL_VERSION } from '../src/protocol/index.js';
import { CountingSocket } from './counting-socket.js';
import { ServerProcess } from './relay-fanout.js';
import type { ServerKind, UsageReply } from './fanout-server.js';

/** How the relay announces joins: in batches (its default) or each on its own (the baseline). */
export type PresenceMode = 'batched' | 'each';

export interface IdleMemoryResult {
  server: ServerKind;
  /** Relay only. */
  presence?: PresenceMode;
  participants: number;
  /** Server RSS before any connection, MiB (after a GC). */
  baselineRssMiB: number;
  /** Per connection, N open WebSockets not joined: RSS, and JS heap + external memory, KiB (after a GC). */
  connectedRssKiB: number;
  connectedHeapKiB: number;
  /** Of {@link joinedHeapKiB}: the part outside the JS heap (Buffers, sockets' memory). */
  joinedExternalKiB: number;
  /** Per participant, all N joined (relay; for naive the same as connected): RSS, and heap + external, KiB (after a GC). */
  joinedRssKiB: number;
  joinedHeapKiB: number;
  /** Relay only: bytes all clients received while the N joined (Welcomes and joins), and the last Welcome's bytes. */
  presenceBytes?: number;
  /** Relay only: messages all clients received while the N joined (Welcomes, joins and Pongs). */
  presenceMessages?: number;
  lastWelcomeBytes?: number;
  /** Wall time of the N joins, one after another, s. */
  joinSeconds?: number;
}

const PING_INTERVAL_MS = 5000;
const WELCOME_TIMEOUT_MS = 10_000;
/** First byte of a Pong envelope from the relay: field 10 (`pong`), length-delimited. */
const PONG_TAG = (10 << 3) | 2;

/** Runs each N against each server, in a fresh server process each time. */
export async function runIdleMemory(
  options: {
    participants?: number[];
    servers?: ServerKind[];
    presence?: PresenceMode[];
    onResult?: (r: IdleMemoryResult) => void;
  } = {},
): Promise<IdleMemoryResult[]> {
  const results: IdleMemoryResult[] = [];
  const runs: [ServerKind, PresenceMode?][] = (options.servers ?? ['relay', 'naive']).flatMap(
    (server): [ServerKind, PresenceMode?][] =>
      server === 'relay' ? (options.presence ?? ['batched', 'each']).map((p) => [server, p]) : [[server]],
  );
  for (const n of options.participants ?? [100, 500, 1000]) {
    for (const [server, presence] of runs) {
      const result = await runOne(server, n, presence);
      results.push(result);
      options.onResult?.(result);
    }
  }
  return results;
}

async function runOne(kind: ServerKind, n: number, presence?: PresenceMode): Promise<IdleMemoryResult> {
  const server = await ServerProcess.start(
    kind,
    n + 10,
    undefined,
    presence === 'each' ? { PRESENCE_BATCH_MS: '0' } : {},
  );
  const path = kind === 'relay' ? '/ws' : '/';
  const sockets: CountingSocket[] = [];
  const ping = encodeEnvelope({ ping: { time: Date.now() } });
  // The relay drops a connection silent for 3 heartbeats (15 s): long joins must not lose the first ones.
  // (The naive server knows no heartbeat: it would broadcast each Ping to everyone.)
  const pinger = setInterval(() => {
    if (kind === 'relay') for (const s of sockets) s.send(ping);
  }, PING_INTERVAL_MS);
  try {
    await sleep(300);
    const baseline = await settled(server);
    for (let i = 0; i < n; i++) sockets.push(await CountingSocket.connect('127.0.0.1', server.port, path));
    await sleep(300);
    const connected = await settled(server);
    let joined: UsageReply = connected;
    let lastWelcomeBytes: number | undefined;
    let joinSeconds: number | undefined;
    if (kind === 'relay') {
      const started = performance.now();
      for (const [i, socket] of sockets.entries()) {
        let bytesBefore = socket.bytes;
        const welcome = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`participant ${i} of ${n} got no Welcome in ${WELCOME_TIMEOUT_MS} ms`)),
            WELCOME_TIMEOUT_MS,
          );
          // Pongs may come first; anything else (an Error) ends the wait as well and shows as a small "Welcome".
          socket.onMessage = (_count, firstByte) => {
            if (firstByte === PONG_TAG) {
              bytesBefore = socket.bytes;
              return;
            }
            clearTimeout(timer);
            lastWelcomeBytes = socket.bytes - bytesBefore;
            resolve();
          };
        });
        socket.send(
          encodeEnvelope({
            join: {
              protocolVersion: PROTOCOL_VERSION,
              room: 'idle',
              name: `viewer ${i}`,
              // As the element and the CLI do: the relay may then announce joins together.
              batchedPresence: true,
              state: { camera: false, mic: false, screen: false },
            },
          }),
        );
        await welcome;
        socket.onMessage = null;
      }
      joinSeconds = (performance.now() - started) / 1000;
      // Let the last announcements arrive before sampling.
      await sleep(500);
      joined = await settled(server);
    }
    const KiB = 1024;
    const heap = (u: UsageReply): number => u.heapUsedBytes + u.externalBytes;
    return {
      server: kind,
      presence,
      participants: n,
      baselineRssMiB: baseline.rssBytes / 2 ** 20,
      connectedRssKiB: (connected.rssBytes - baseline.rssBytes) / KiB / n,
      connectedHeapKiB: (heap(connected) - heap(baseline)) / KiB / n,
      joinedRssKiB: (joined.rssBytes - baseline.rssBytes) / KiB / n,
      joinedHeapKiB: (heap(joined) - heap(baseline)) / KiB / n,
      joinedExternalKiB: (joined.externalBytes - baseline.externalBytes) / KiB / n,
      presenceBytes: kind === 'relay' ? sockets.reduce((sum, s) => sum + s.bytes, 0) : undefined,
      presenceMessages: kind === 'relay' ? sockets.reduce((sum, s) => sum + s.messages, 0) : undefined,
      lastWelcomeBytes,
      joinSeconds,
    };
  } finally {
    clearInterval(pinger);
    for (const s of sockets) s.terminate();
    await server.stop();
  }
}

/** Memory after two full GCs (the first may only finalise what the second frees: sockets, Buffers). */
async function settled(server: ServerProcess): Promise<UsageReply> {
  await server.usage(true);
  await sleep(100);
  return server.usage(true);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One line per result. */
export function describeIdleMemory(r: IdleMemoryResult): string {
  const f = (x: number | undefined, digits = 1): string =>
    x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : '-';
  return (
    `${(r.presence ? `${r.server} ${r.presence}` : r.server).padEnd(13)} ${String(r.participants).padStart(5)} idle: per connection ${f(r.connectedRssKiB)} KiB RSS, ` +
    `${f(r.connectedHeapKiB)} KiB heap+external; per joined participant ${f(r.joinedRssKiB)} KiB RSS, ${f(r.joinedHeapKiB)} KiB heap+external (${f(r.joinedExternalKiB)} external)` +
    (r.server === 'relay'
      ? `; presence ${r.presenceMessages ?? '-'} messages, ${f((r.presenceBytes ?? NaN) / 2 ** 20)} MiB to the clients, last Welcome ${f((r.lastWelcomeBytes ?? NaN) / 1024)} KiB, joins took ${f(r.joinSeconds)} s`
      : '')
  );
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const participants = argument('--participants');
  const servers = argument('--servers');
  const presence = argument('--presence');
  await runIdleMemory({
    participants: participants ? participants.split(',').map(Number) : undefined,
    servers: servers ? (servers.split(',') as ServerKind[]) : undefined,
    presence: presence ? (presence.split(',') as PresenceMode[]) : undefined,
    onResult: (r) => console.log(describeIdleMemory(r)),
  });
}
