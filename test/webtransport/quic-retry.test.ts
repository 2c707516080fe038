/**
 * QUIC Retry address validation over real UDP on loopback, quiche on both ends:
 * Initials from addresses that never answer (as a spoofed source never can) cost no
 * connection slot, a real WebTransport client still gets through, and tokens that
 * are forged, expired or brought from another address are dropped and counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { QuicLimits } from '../../server/webtransport/quic-endpoint.js';
import { startWebTransportServer, type WebTransportServer } from '../../server/webtransport/webtransport-server.js';
import { CraftedClient, isRetry, LoopbackSocket } from './quic-initials.js';
import { QuicTestClient } from './quic-test-client.js';

let server: WebTransportServer | undefined;
const clients: QuicTestClient[] = [];
const sockets: LoopbackSocket[] = [];

async function start(limits: Partial<QuicLimits>): Promise<WebTransportServer> {
  server = await startWebTransportServer({ host: '127.0.0.1', port: 0, limits });
  server.onsession = () => {};
  return server;
}

async function socket(host = '127.0.0.1'): Promise<LoopbackSocket> {
  const s = await LoopbackSocket.bind(host);
  sockets.push(s);
  return s;
}

/** Resolves when `predicate` holds; fails after `ms`. */
async function until(predicate: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Sends `count` distinct client Initials from `sources` loopback addresses (127.0.0.2…),
 * never answering anything: what a flood with spoofed source addresses looks like to the server.
 */
async function flood(count: number, sources: number): Promise<LoopbackSocket[]> {
  const from: LoopbackSocket[] = [];
  for (let i = 0; i < sources; i++) from.push(await socket(`127.0.0.${2 + i}`));
  for (let i = 0; i < count; i++) {
    const s = from[i % sources]!;
    const crafted = await CraftedClient.create({ host: '127.0.0.1', port: server!.port }, s);
    await s.send(crafted.next(), server!.port);
  }
  return from;
}

/** A real client through the whole handshake and a WebTransport CONNECT. */
async function realSession(): Promise<void> {
  const { client, response } = await QuicTestClient.session(server!.port, '/wt');
  clients.push(client);
  expect(response).toContainEqual([':status', '200']);
}

/** A client that got a Retry at `at`, and the Initial it answers with (carrying the token). */
async function retried(at: LoopbackSocket): Promise<{ crafted: CraftedClient; answer: Buffer }> {
  const crafted = await CraftedClient.create({ host: '127.0.0.1', port: server!.port }, at);
  const before = at.received.length;
  await at.send(crafted.next(), server!.port);
  await until(() => at.received.length > before, 'a Retry');
  const retry = at.received[before]!;
  expect(isRetry(retry)).toBe(true);
  crafted.receive(retry);
  return { crafted, answer: crafted.next() };
}

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const s of sockets.splice(0)) s.close();
  await server?.close();
  server = undefined;
});

describe('QUIC Retry address validation', () => {
  it('with retry=always, a real client completes the handshake and a CONNECT after one Retry', async () => {
    await start({ retry: 'always' });
    await realSession();
    const stats = server!.stats();
    expect(stats.retriesSent).toBe(1);
    expect(stats.connections).toBe(1);
    expect(stats.handshaking).toBe(0);
  });

  it('with retry=never, Initials from addresses that never answer fill every slot and lock out a real client', async () => {
    // The contrast for the next tests: without Retry the flood works.
    await start({ retry: 'never', maxConnections: 30 });
    await flood(60, 10);
    await until(() => server!.stats().connections >= 30, 'the slots to fill');
    expect(server!.stats().retriesSent).toBe(0);
    await expect(QuicTestClient.connect(server!.port)).rejects.toThrow(/handshake failed/);
  });

  it('with retry=always, the same flood holds no connection and a real client connects', async () => {
    await start({ retry: 'always', maxConnections: 30 });
    const from = await flood(300, 10);
    await until(() => server!.stats().retriesSent >= 300, 'a Retry for every Initial');
    expect(server!.stats().connections).toBe(0);
    expect(server!.stats().handshaking).toBe(0);
    // Every flooding address got exactly one small Retry per Initial: no amplification.
    const retries = from.flatMap((s) => s.received);
    expect(retries).toHaveLength(300);
    for (const r of retries) expect(isRetry(r)).toBe(true);
    expect(Math.max(...retries.map((r) => r.length))).toBeLessThan(1200 / 3);
    await realSession();
    expect(server!.stats().connections).toBe(1);
  });

  it('with retry=auto, a flood holds at most the threshold of half-open slots, and a real client connects', async () => {
    await start({ retry: 'auto', retryThreshold: 8, maxConnections: 30 });
    // Below the threshold, a real client is let in without a Retry (no added round trip).
    await realSession();
    expect(server!.stats().retriesSent).toBe(0);
    await flood(200, 10);
    await until(() => server!.stats().retriesSent >= 200 - 8, 'Retries once the threshold is reached');
    expect(server!.stats().handshaking).toBe(8);
    expect(server!.stats().connections).toBe(1 + 8);
    await realSession();
    expect(server!.stats().connections).toBe(1 + 8 + 1);
    expect(server!.stats().retriesSent).toBe(200 - 8 + 1);
  });

  it('opens a connection for a valid token from the address it was given to', async () => {
    await start({ retry: 'always' });
    const at = await socket();
    const { answer } = await retried(at);
    await at.send(answer, server!.port);
    await until(() => server!.stats().connections === 1, 'the connection');
    expect(server!.stats().invalidTokens).toEqual({ malformed: 0, unauthentic: 0, expired: 0 });
  });

  it('drops and counts a token brought back from another address', async () => {
    await start({ retry: 'always' });
    const [a, b, c] = [await socket(), await socket(), await socket('127.0.0.9')];
    const { answer } = await retried(a);
    await b.send(answer, server!.port); // another port
    await c.send(answer, server!.port); // another host
    await until(() => server!.stats().invalidTokens.unauthentic === 2, 'the refusals');
    expect(server!.stats().connections).toBe(0);
    expect(b.received).toHaveLength(0);
    expect(c.received).toHaveLength(0);
  });

  it('drops and counts forged tokens', async () => {
    await start({ retry: 'always' });
    const at = await socket();
    const cases: [Uint8Array, 'malformed' | 'unauthentic'][] = [
      [Buffer.from('not a token'), 'malformed'],
      // The right layout (version 1, expiry far ahead, a 16-byte DCID) with a made-up MAC.
      [
        Buffer.concat([
          Buffer.from([1, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 16]),
          Buffer.alloc(16, 7),
          Buffer.alloc(16, 9),
        ]),
        'unauthentic',
      ],
    ];
    for (const [token, reason] of cases) {
      const crafted = await CraftedClient.create({ host: '127.0.0.1', port: server!.port }, at);
      crafted.receive(crafted.forgedRetry(crafted.next(), token));
      const before = server!.stats().invalidTokens[reason];
      await at.send(crafted.next(), server!.port);
      await until(() => server!.stats().invalidTokens[reason] === before + 1, `a ${reason} token counted`);
    }
    expect(server!.stats().connections).toBe(0);
    expect(server!.stats().retriesSent).toBe(0);
    expect(at.received).toHaveLength(0);
  });

  it('drops and counts an expired token', async () => {
    await start({ retry: 'always', retryTokenLifetimeMs: 100 });
    const at = await socket();
    const { answer } = await retried(at);
    await new Promise((r) => setTimeout(r, 250));
    await at.send(answer, server!.port);
    await until(() => server!.stats().invalidTokens.expired === 1, 'the refusal');
    expect(server!.stats().connections).toBe(0);
  });

  it('refuses an unknown retry mode', async () => {
    await expect(start({ retry: 'sometimes' as QuicLimits['retry'] })).rejects.toThrow(/auto, always or never/);
  });
});
