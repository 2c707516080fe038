/**
 * Join/leave churn: CYCLES WebSocket connections each join a room (one of a few),
 * exchange a ping, then leave (half with Leave, half dropped abruptly), 8 at a
 * time, against an in-process relay. Prints the relay process's RSS, heap and
 * active handles before and after (after a GC when --expose-gc is given), to show
 * that churn leaves nothing behind.
 *
 * Run: node --expose-gc --import tsx bench/join-leave-soak.ts [cycles]
 */
import { createHash, randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { decodeEnvelope, encodeEnvelope, PROTOCOL_VERSION } from '../src/protocol/index.js';
import { startRelay } from '../server/relay.js';
import { setLogLevel } from '../server/log.js';

const CYCLES = Number(process.argv[2] ?? 10_000);
const PARALLEL = 8;

setLogLevel('silent');
const relay = await startRelay({
  port: 0,
  host: '127.0.0.1',
  webTransport: { enabled: false },
  joinsPerAddressPerMinute: 1_000_000,
  resumeGraceMs: 0,
});

function snapshot(): { rss: number; heap: number; handles: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
  return { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20, handles };
}

async function cycle(i: number): Promise<void> {
  const ws = new WebSocket(relay.wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const welcomed = new Promise<void>((resolve) =>
    ws.on('message', (data: Buffer) => {
      if (decodeEnvelope(data).welcome) resolve();
    }),
  );
  const join = {
    protocolVersion: PROTOCOL_VERSION,
    room: `soak-${i % 5}`,
    name: `p${i}`,
    resumeKey: createHash('sha256').update(randomBytes(32)).digest(),
  };
  ws.send(encodeEnvelope({ join }));
  await welcomed;
  ws.send(encodeEnvelope({ ping: { time: i } }));
  if (i % 2 === 0) {
    ws.send(encodeEnvelope({ leave: {} }));
    await new Promise((resolve) => ws.once('close', resolve));
  } else {
    ws.terminate();
  }
}

// Warm-up, so lazily built things (the JIT, caches) are there before the first figure.
for (let i = 0; i < 200; i += PARALLEL) await Promise.all(Array.from({ length: PARALLEL }, (_, k) => cycle(i + k)));
await new Promise((resolve) => setTimeout(resolve, 500));
const before = snapshot();
const start = performance.now();
for (let i = 0; i < CYCLES; i += PARALLEL) {
  await Promise.all(Array.from({ length: Math.min(PARALLEL, CYCLES - i) }, (_, k) => cycle(i + k)));
}
const seconds = (performance.now() - start) / 1000;
await new Promise((resolve) => setTimeout(resolve, 1000));
const after = snapshot();
const stats = relay.stats();
console.log(`${CYCLES} join/leave cycles (WebSocket) in ${seconds.toFixed(1)} s (${(CYCLES / seconds).toFixed(0)}/s)`);
console.log(`         RSS MiB  heap MiB  handles`);
console.log(`before  ${before.rss.toFixed(1).padStart(7)}  ${before.heap.toFixed(1).padStart(8)}  ${before.handles}`);
console.log(`after   ${after.rss.toFixed(1).padStart(7)}  ${after.heap.toFixed(1).padStart(8)}  ${after.handles}`);
console.log(`relay after: ${stats.connections} connections, ${stats.rooms} rooms, ${stats.participants} participants`);
await relay.close();
