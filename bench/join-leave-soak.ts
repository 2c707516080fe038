/**
 * Join/leave churn: CYCLES connections per transport each join a room (one of a
 * few), exchange a ping, then leave (half with Leave, half dropped abruptly), 8
 * at a time, against an in-process relay: first over WebSocket, then over
 * WebTransport (the quiche test client of test/webtransport, over real HTTP/3 on
 * loopback; skipped, saying why, where quiche does not load). Prints the
 * process's RSS, heap and active handles before and after each (after a GC when
 * --expose-gc is given), to show that churn leaves nothing behind. The
 * WebTransport clients live in this process too, so its RSS includes theirs.
 *
 * Run: node --expose-gc --import tsx bench/join-leave-soak.ts [cycles] [--transport websocket|webtransport|both]
 */
import { createHash, randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { decodeEnvelope, encodeEnvelope, PROTOCOL_VERSION } from '../src/protocol/index.js';
import { startRelay } from '../server/relay.js';
import { setLogLevel } from '../server/log.js';
import { loadQuiche } from '../server/webtransport/quic-binding.js';
import { WtTestParticipant } from '../test/webtransport/wt-test-participant.js';

const CYCLES = Number(process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 10_000);
const transportArg = process.argv.indexOf('--transport');
const TRANSPORT = transportArg >= 0 ? process.argv[transportArg + 1] : 'both';
const PARALLEL = 8;

setLogLevel('silent');
const relay = await startRelay({
  port: 0,
  host: '127.0.0.1',
  webTransport: { enabled: TRANSPORT !== 'websocket' },
  joinsPerAddressPerMinute: 1_000_000,
  resumeGraceMs: 0,
});

function snapshot(): { rss: number; heap: number; handles: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
  return { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20, handles };
}

/** One WebTransport cycle: session, join, ping, then Leave or an abrupt close of the QUIC connection. */
async function wtCycle(i: number): Promise<void> {
  const participant = await WtTestParticipant.connect(relay);
  await participant.join(`soak-${i % 5}`, `p${i}`);
  participant.sendControl({ ping: { time: i } });
  if (i % 2 === 0) {
    participant.sendControl({ leave: {} });
    await participant.client.until(() => participant.controlEnded || participant.client.closed, 'the leave', 3000);
  }
  await participant.close();
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

async function soak(name: string, run: (i: number) => Promise<void>): Promise<void> {
  // Warm-up, so lazily built things (the JIT, caches) are there before the first figure.
  for (let i = 0; i < 200; i += PARALLEL) await Promise.all(Array.from({ length: PARALLEL }, (_, k) => run(i + k)));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = snapshot();
  const start = performance.now();
  for (let i = 0; i < CYCLES; i += PARALLEL) {
    await Promise.all(Array.from({ length: Math.min(PARALLEL, CYCLES - i) }, (_, k) => run(i + k)));
  }
  const seconds = (performance.now() - start) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = snapshot();
  const stats = relay.stats();
  console.log(`${CYCLES} join/leave cycles (${name}) in ${seconds.toFixed(1)} s (${(CYCLES / seconds).toFixed(0)}/s)`);
  console.log(`         RSS MiB  heap MiB  handles`);
  console.log(`before  ${before.rss.toFixed(1).padStart(7)}  ${before.heap.toFixed(1).padStart(8)}  ${before.handles}`);
  console.log(`after   ${after.rss.toFixed(1).padStart(7)}  ${after.heap.toFixed(1).padStart(8)}  ${after.handles}`);
  console.log(
    `relay after: ${stats.connections} connections, ${stats.rooms} rooms, ${stats.participants} participants, ` +
      `${stats.webTransport.sessions} WebTransport sessions, ${stats.webTransport.quicConnections} QUIC connections`,
  );
}

if (TRANSPORT !== 'webtransport') await soak('WebSocket', cycle);
if (TRANSPORT !== 'websocket') {
  const quiche = await loadQuiche();
  if (!quiche.ok) console.log(`WebTransport skipped: ${quiche.reason}`);
  else if (!relay.webTransport) console.log('WebTransport skipped: the relay runs none');
  else await soak('WebTransport', wtCycle);
}
await relay.close();
