import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { sleep, startTestRelay, TestClient } from './helpers.js';

const INTERVAL_MS = 100; // silent for 3 intervals (300 ms) means gone

let relay: Relay;
const clients: TestClient[] = [];
let pinger: NodeJS.Timeout | undefined;

beforeEach(async () => {
  relay = await startTestRelay({ heartbeatIntervalMs: INTERVAL_MS });
});
afterEach(async () => {
  clearInterval(pinger);
  for (const c of clients.splice(0)) c.close();
  await relay.close();
});

/** Keeps `c` alive the way a client should: something at least every interval. */
function keepAlive(...cs: TestClient[]): void {
  pinger = setInterval(() => {
    for (const c of cs) if (c.isOpen) c.send({ ping: { time: Date.now() } });
  }, INTERVAL_MS / 2);
}

describe('heartbeat', () => {
  it('announces the interval in Welcome', async () => {
    const c = await TestClient.connect(relay.wsUrl);
    clients.push(c);
    expect((await c.join('r')).welcome.heartbeatIntervalMs).toBe(INTERVAL_MS);
  });

  it('removes a participant silent for three intervals and tells the others it timed out', async () => {
    const talker = await TestClient.joined(relay, 'r', 'talker');
    const silent = await TestClient.joined(relay, 'r', 'silent');
    clients.push(talker, silent);
    keepAlive(talker);
    const { error } = await silent.next('error', 3000);
    expect(error).toMatchObject({ code: ErrorCode.HeartbeatTimeout, fatal: true });
    expect(await silent.closed()).toEqual({ code: CloseCode.HeartbeatTimeout, reason: ErrorCode.HeartbeatTimeout });
    const { peerLeft } = await talker.next('peerLeft');
    expect(peerLeft).toMatchObject({ id: silent.id, reason: 'timeout' });
    expect(relay.stats().errors[ErrorCode.HeartbeatTimeout]).toBe(1);
  });

  it('keeps a participant that sends something every interval', async () => {
    const c = await TestClient.joined(relay, 'r', 'alive');
    clients.push(c);
    keepAlive(c);
    await sleep(INTERVAL_MS * 8);
    expect(c.isOpen).toBe(true);
    await c.expectNone('error', 0);
  });

  it('closes a connection that never joins and stays silent', async () => {
    const c = await TestClient.connect(relay.wsUrl);
    clients.push(c);
    expect((await c.closed(3000)).code).toBe(CloseCode.HeartbeatTimeout);
  });
});
