/**
 * QUIC Retry as the relay runs it: `QUIC_RETRY` and `QUIC_RETRY_THRESHOLD` from the
 * environment, a WebTransport participant joining and exchanging media through the
 * Retry, and `/metrics` counting Retries sent and tokens refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TrackKind } from '../../src/protocol/index.js';
import { optionsFromEnv } from '../../server/config.js';
import { ConfigError } from '../../server/errors.js';
import type { Relay, RelayOptions } from '../../server/relay.js';
import { startTestRelay, TestClient, waitFor } from '../server/helpers.js';
import { CraftedClient, LoopbackSocket } from './quic-initials.js';
import { WtTestParticipant } from './wt-test-participant.js';

const relays: Relay[] = [];
const closers: Array<{ close(): unknown }> = [];

async function relayWith(options: RelayOptions): Promise<Relay> {
  const relay = await startTestRelay(options);
  relays.push(relay);
  return relay;
}

async function metric(relay: Relay, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const found = text.split('\n').find((l) => line.test(l));
  return found === undefined ? undefined : Number(found.split(' ').at(-1));
}

afterEach(async () => {
  for (const c of closers.splice(0)) await c.close();
  for (const relay of relays.splice(0)) await relay.close();
});

describe('QUIC Retry in the relay', () => {
  it('reads QUIC_RETRY and QUIC_RETRY_THRESHOLD, and refuses bad values with a clear error', () => {
    expect(optionsFromEnv({ QUIC_RETRY: 'always' }).options.webTransport).toEqual({ retry: 'always' });
    expect(optionsFromEnv({ QUIC_RETRY: 'Auto', QUIC_RETRY_THRESHOLD: '16' }).options.webTransport).toEqual({
      retry: 'auto',
      retryThreshold: 16,
    });
    expect(() => optionsFromEnv({ QUIC_RETRY: 'sometimes' })).toThrow(ConfigError);
    expect(() => optionsFromEnv({ QUIC_RETRY: 'sometimes' })).toThrow(/QUIC_RETRY must be auto, always or never/);
    expect(() => optionsFromEnv({ QUIC_RETRY_THRESHOLD: '0' })).toThrow(/QUIC_RETRY_THRESHOLD/);
    expect(() => optionsFromEnv({ QUIC_RETRY_THRESHOLD: 'many' })).toThrow(/QUIC_RETRY_THRESHOLD/);
  });

  it('with QUIC_RETRY=always, a WebTransport participant joins through a Retry and media flows', async () => {
    const relay = await relayWith(optionsFromEnv({ QUIC_RETRY: 'always' }).options);
    const sam = await TestClient.joined(relay, 'retry-room', 'sam');
    closers.push(sam);
    const wendy = await WtTestParticipant.joined(relay, 'retry-room', 'wendy');
    closers.push(wendy);
    await sam.next('peerJoined');
    sam.sendMedia('hello', { kind: TrackKind.AUDIO });
    await wendy.nextMedia('hello');
    wendy.sendMedia('back', { kind: TrackKind.AUDIO });
    await sam.nextMedia('back');
    expect(await metric(relay, /^videocall_quic_retries_total /)).toBe(1);
    expect(await metric(relay, /^videocall_quic_connections /)).toBe(1);
    expect(await metric(relay, /^videocall_quic_handshaking /)).toBe(0);
  });

  it('counts forged and other-address tokens in /metrics, and opens no connection for them', async () => {
    const relay = await relayWith({ webTransport: { retry: 'always' } });
    const port = relay.webTransport!.port;
    const server = { host: '127.0.0.1', port };
    const a = await LoopbackSocket.bind();
    const b = await LoopbackSocket.bind();
    closers.push(a, b);
    // Forged: a Retry the client accepts (its tag is computable by anyone), with a token we made up.
    const forged = await CraftedClient.create(server, a);
    forged.receive(forged.forgedRetry(forged.next(), Buffer.alloc(42, 1)));
    await a.send(forged.next(), port);
    // Other address: a real Retry to `a`, its answer sent from `b`.
    const honest = await CraftedClient.create(server, a);
    await a.send(honest.next(), port);
    await waitFor(() => a.received.length === 1, 3000, 'the Retry');
    honest.receive(a.received[0]!);
    await b.send(honest.next(), port);
    const deadline = Date.now() + 3000;
    while ((await metric(relay, /^videocall_quic_invalid_tokens_total\{reason="unauthentic"\}/)) !== 1) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the other-address token to be counted');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await metric(relay, /^videocall_quic_invalid_tokens_total\{reason="malformed"\}/)).toBe(1);
    expect(await metric(relay, /^videocall_quic_retries_total /)).toBe(1);
    expect(await metric(relay, /^videocall_quic_connections /)).toBe(0);
  });
});
