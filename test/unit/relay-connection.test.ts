import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DecodedEnvelope } from '../../src/protocol/envelope.js';
import { PROTOCOL_VERSION } from '../../src/protocol/version.js';
import { TransportError } from '../../src/transport/errors.js';
import type { Transport } from '../../src/transport/transport.js';
import {
  RelayConnection,
  type ReconnectInfo,
  type RelayConnectionEvents,
  type RelayWelcome,
} from '../../src/call/relay-connection.js';
import type { VideoCallError } from '../../src/call/errors.js';
import { MemoryTransport } from './memory-transport.js';

/** Relays by URL: `up` answers, anything else is unreachable. */
class Relays {
  readonly opened: MemoryTransport[] = [];
  readonly tried: string[] = [];
  readonly up = new Set<string>();

  connect = async (server: string): Promise<Transport> => {
    this.tried.push(server);
    if (!this.up.has(server)) throw new TransportError('relay-unreachable', `Cannot reach ${server}.`);
    const transport = new MemoryTransport('websocket', server);
    this.opened.push(transport);
    return transport;
  };

  get last(): MemoryTransport {
    return this.opened.at(-1)!;
  }
}

interface Heard {
  welcome: RelayWelcome[];
  messages: DecodedEnvelope[];
  lost: string[];
  reconnecting: { attempt: number; server: string; reason: string }[];
  resumed: { welcome: RelayWelcome; info: ReconnectInfo }[];
  failed: VideoCallError[];
}

function listener(): { heard: Heard; events: RelayConnectionEvents } {
  const heard: Heard = { welcome: [], messages: [], lost: [], reconnecting: [], resumed: [], failed: [] };
  return {
    heard,
    events: {
      welcome: (w) => heard.welcome.push(w),
      message: (m) => heard.messages.push(m),
      lost: (reason) => heard.lost.push(reason),
      reconnecting: (attempt, server, reason) => heard.reconnecting.push({ attempt, server, reason }),
      resumed: (welcome, info) => heard.resumed.push({ welcome, info }),
      failed: (error) => heard.failed.push(error),
    },
  };
}

function connection(relays: Relays, servers: string[], events: RelayConnectionEvents, reconnectTimeoutMs = 60_000) {
  return new RelayConnection(
    {
      servers,
      transport: 'websocket',
      joinTimeoutMs: 1000,
      reconnectTimeoutMs,
      join: () => ({ room: 'standup', name: 'Ada', token: '', state: { mic: true } }),
      connect: relays.connect,
    },
    events,
  );
}

/** SHA-256 of `bytes`, hex (decoded protobuf bytes are Buffers in Node: compare as text). */
function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const hex = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('hex');

/** Lets pending promise callbacks run (the connection awaits between steps). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Waits (fake time) until the last transport has sent a Join, then answers it with Welcome. */
async function welcome(relays: Relays, sessionId: string, extra: Record<string, unknown> = {}): Promise<void> {
  await vi.waitFor(() => expect(relays.last?.joins().length).toBe(1));
  relays.last.deliver({
    welcome: { sessionId, roster: [], heartbeatIntervalMs: 1000, resumeToken: `token-${sessionId}`, ...extra },
  });
  await settle();
}

/** A connection already welcomed as `s1` by the first relay of `servers` (all of them up). */
async function joined(servers: string[], reconnectTimeoutMs?: number) {
  const relays = new Relays();
  for (const server of servers) relays.up.add(server);
  const { heard, events } = listener();
  const conn = connection(relays, servers, events, reconnectTimeoutMs);
  void conn.open(Promise.resolve());
  await welcome(relays, 's1');
  return { relays, heard, conn };
}

describe('RelayConnection', () => {
  beforeEach(() =>
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] }),
  );
  afterEach(() => vi.useRealTimers());

  it('joins through the first relay that answers, skipping unreachable ones, with the join its owner gives', async () => {
    const relays = new Relays();
    relays.up.add('b');
    const { heard, events } = listener();
    const conn = connection(relays, ['a', 'b'], events);
    const opening = conn.open(Promise.resolve());
    await welcome(relays, 's1');
    expect(await opening).toBe(true);
    expect(relays.tried).toEqual(['a', 'b']);
    expect(conn.state).toBe('open');
    expect(conn.sessionId).toBe('s1');
    const join = relays.last.joins()[0]!.join!;
    expect(join).toMatchObject({
      room: 'standup',
      name: 'Ada',
      protocolVersion: PROTOCOL_VERSION,
      resumeToken: '',
      framedStreams: true,
    });
    expect(heard.welcome.map((w) => w.sessionId)).toEqual(['s1']);
  });

  it('waits for what the Join carries before sending it', async () => {
    const relays = new Relays();
    relays.up.add('a');
    const { events } = listener();
    const conn = connection(relays, ['a'], events);
    let ready!: () => void;
    void conn.open(new Promise<void>((resolve) => (ready = resolve)));
    await settle();
    expect(relays.opened).toHaveLength(1); // connecting already
    expect(relays.last.joins()).toHaveLength(0); // but not joined yet
    ready();
    await welcome(relays, 's1');
    expect(conn.state).toBe('open');
  });

  it('stops at a refusal every relay would give, and closes', async () => {
    const relays = new Relays();
    relays.up.add('a').add('b');
    const { events } = listener();
    const conn = connection(relays, ['a', 'b'], events);
    const opening = conn.open(Promise.resolve());
    await vi.waitFor(() => expect(relays.last?.joins().length).toBe(1));
    relays.last.deliver({ error: { code: 'room-full', message: 'full', fatal: true } });
    relays.last.drop(4003, 'room-full');
    await expect(opening).rejects.toMatchObject({ code: 'room-full', fatal: true });
    expect(relays.tried).toEqual(['a']);
    expect(conn.state).toBe('closed');
  });

  it('says none of the relays could be reached when every one fails', async () => {
    const relays = new Relays();
    const { events } = listener();
    const conn = connection(relays, ['a', 'b'], events);
    await expect(conn.open(Promise.resolve())).rejects.toMatchObject({
      code: 'relay-unreachable',
      message: expect.stringMatching(/^None of the relays could be reached/),
    });
  });

  it('resolves false, sending nothing more, when closed while joining', async () => {
    const relays = new Relays();
    relays.up.add('a');
    const { heard, events } = listener();
    const conn = connection(relays, ['a'], events);
    const opening = conn.open(Promise.resolve());
    await vi.waitFor(() => expect(relays.last?.joins().length).toBe(1));
    conn.close();
    expect(await opening).toBe(false);
    expect(relays.last.closedWith).toEqual({ code: 1000, reason: 'left' });
    expect(heard.welcome).toEqual([]);
  });

  it('hands over what arrives in the same read as Welcome, after the welcome, in order', async () => {
    // A WebTransport read can deliver Welcome and a peer's first key-exchange step together.
    const relays = new Relays();
    relays.up.add('a');
    const { heard, events } = listener();
    const order: string[] = [];
    const conn = connection(relays, ['a'], {
      ...events,
      welcome: (w) => (events.welcome(w), order.push('welcome')),
      message: (m) => (events.message(m), order.push(m.body ?? '')),
    });
    const opening = conn.open(Promise.resolve());
    await vi.waitFor(() => expect(relays.last?.joins().length).toBe(1));
    relays.last.deliver({ welcome: { sessionId: 's1', roster: [], heartbeatIntervalMs: 1000 } });
    relays.last.deliver({ from: 'p2', peerJoined: { participant: { id: 'p2', name: 'Grace' } } });
    relays.last.deliver({ from: 'p2', keyExchange: { target: 's1', step: 1, data: new Uint8Array(32) } });
    expect(await opening).toBe(true);
    expect(order).toEqual(['welcome', 'peerJoined', 'keyExchange']);
    expect(heard.messages).toHaveLength(2);
  });

  it('still sees a close that comes in the same read as Welcome, and reconnects', async () => {
    const relays = new Relays();
    relays.up.add('a').add('b');
    const { heard, events } = listener();
    const conn = connection(relays, ['a', 'b'], events);
    const opening = conn.open(Promise.resolve());
    await vi.waitFor(() => expect(relays.last?.joins().length).toBe(1));
    relays.last.deliver({ welcome: { sessionId: 's1', roster: [], heartbeatIntervalMs: 1000, resumeToken: 't1' } });
    relays.last.drop(1006, '');
    expect(await opening).toBe(true);
    expect(heard.welcome).toHaveLength(1);
    expect(heard.lost).toEqual(['connection-lost']);
    expect(conn.state).toBe('reconnecting');
    await welcome(relays, 's1', { resumed: true });
    expect(relays.last.joins()[0]!.join!.resumeToken).toBe('t1');
    expect(conn.state).toBe('open');
  });

  it('hands envelopes to its owner, but keeps pongs and takes their fresher resume token', async () => {
    const { relays, heard } = await joined(['a']);
    relays.last.deliver({ from: 'p2', peerLeft: { id: 'p2', reason: 'left' } });
    relays.last.deliver({ pong: { time: Date.now(), resumeToken: 'fresher' } });
    expect(heard.messages.map((m) => m.body)).toEqual(['peerLeft']);
    // Dropped without a word: reconnect, with the Pong's token.
    relays.last.drop(1006, '');
    await vi.waitFor(() => expect(relays.opened).toHaveLength(2));
    await vi.waitFor(() => expect(relays.last.joins()).toHaveLength(1));
    expect(relays.last.joins()[0]!.join!.resumeToken).toBe('fresher');
  });

  it('reconnects after a drop, round the list from the next relay, and resumes as the same participant', async () => {
    const { relays, heard, conn } = await joined(['a', 'b']);
    relays.last.drop(1006, '');
    expect(conn.state).toBe('reconnecting');
    expect(heard.lost).toEqual(['connection-lost']);
    await welcome(relays, 's1', { resumed: true });
    expect(relays.tried).toEqual(['a', 'b']);
    expect(heard.reconnecting).toEqual([{ attempt: 1, server: 'b', reason: 'connection-lost' }]);
    expect(heard.resumed).toHaveLength(1);
    expect(heard.resumed[0]!.welcome).toMatchObject({ sessionId: 's1', resumed: true });
    expect(heard.resumed[0]!.info).toMatchObject({ server: 'b', attempts: 1 });
    expect(relays.last.joins()[0]!.join!.resumeToken).toBe('token-s1');
    expect(conn.state).toBe('open');
  });

  it('commits to a fresh secret in every Join and reveals, resuming, only the one its token is bound to', async () => {
    const { relays } = await joined(['a', 'b']);
    const first = relays.last.joins()[0]!.join!;
    expect(first.resumeKey).toHaveLength(32);
    expect(first.resumeProof?.length ?? 0).toBe(0); // nothing to prove on a first join
    relays.last.deliver({ pong: { time: Date.now(), resumeToken: 'fresher' } });
    // A resume attempt that fails before Welcome reveals the same secret again on the next one.
    relays.up.delete('b');
    relays.last.drop(1006, '');
    await vi.waitFor(() => expect(relays.tried).toEqual(['a', 'b']));
    relays.up.add('b');
    await vi.waitFor(() => expect(relays.opened).toHaveLength(2));
    await welcome(relays, 's1', { resumed: true, resumeToken: 'second' });
    const second = relays.last.joins()[0]!.join!;
    expect(second.resumeToken).toBe('fresher');
    expect(sha256(second.resumeProof!)).toBe(hex(first.resumeKey));
    expect(hex(second.resumeKey)).not.toBe(hex(first.resumeKey));
    // The next resume reveals the secret the resuming Join committed to, never the spent one.
    relays.last.drop(1006, '');
    await vi.waitFor(() => expect(relays.opened).toHaveLength(3));
    await welcome(relays, 's1', { resumed: true });
    const third = relays.last.joins()[0]!.join!;
    expect(third.resumeToken).toBe('second');
    expect(sha256(third.resumeProof!)).toBe(hex(second.resumeKey));
  });

  it('reports a resume under another session id as not resumed', async () => {
    const { relays, heard, conn } = await joined(['a']);
    relays.last.drop(1001, 'server-shutdown');
    await welcome(relays, 's2', { resumed: true });
    expect(heard.resumed[0]!.welcome).toMatchObject({ sessionId: 's2', resumed: false });
    expect(conn.sessionId).toBe('s2');
  });

  it('moves on when the relay says it is going away, before it even closes', async () => {
    const { relays, heard } = await joined(['a']);
    relays.last.deliver({ error: { code: 'server-shutdown', message: 'bye', fatal: true } });
    expect(heard.lost).toEqual(['server-shutdown']);
    expect(heard.messages).toEqual([]);
  });

  it('ends with the relay’s error on a fatal refusal while open, and never reconnects', async () => {
    const { relays, heard, conn } = await joined(['a']);
    relays.last.deliver({ error: { code: 'session-replaced', message: '', fatal: true } });
    expect(heard.failed.map((e) => e.code)).toEqual(['session-replaced']);
    expect(heard.lost).toEqual([]);
    expect(conn.state).toBe('closed');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(relays.opened).toHaveLength(1);
  });

  it('pings every heartbeat interval and takes three silent intervals as a dead link', async () => {
    const { relays, heard } = await joined(['a']);
    const first = relays.last;
    await vi.advanceTimersByTimeAsync(1000);
    // Three quick pings after Welcome (a first clock estimate), then the heartbeat's.
    expect(first.sent.filter((e) => e.ping)).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1000);
    expect(first.sent.filter((e) => e.ping)).toHaveLength(5);
    expect(heard.lost).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(heard.lost).toEqual(['connection-lost']);
    expect(first.closedWith).toEqual({ code: 1000, reason: 'connection-lost' });
  });

  it("estimates the relay's clock from the Pongs that say it, on the quickest round trip", async () => {
    const { relays, conn } = await joined(['a']);
    expect(conn.clock.known).toBe(false);
    const pings = relays.last.sent.filter((e) => e.ping);
    expect(pings.length).toBeGreaterThanOrEqual(1);
    // The relay's clock is 2.5 s ahead of ours.
    const relayNow = (performance.timeOrigin + performance.now() + 2500) * 1000;
    relays.last.deliver({ pong: { time: pings[0]!.ping!.time, relayTime: relayNow } });
    expect(conn.clock.known).toBe(true);
    expect(conn.clock.offsetMs).toBeGreaterThan(2400);
    expect(conn.clock.offsetMs).toBeLessThan(2600);
    // A Pong from a relay that does not say its time changes nothing.
    await vi.advanceTimersByTimeAsync(1000);
    const later = relays.last.sent.filter((e) => e.ping).at(-1)!;
    const before = conn.clock.offsetMs;
    relays.last.deliver({ pong: { time: later.ping!.time } });
    expect(conn.clock.offsetMs).toBe(before);
  });

  it('backs off between attempts and gives up after reconnectTimeoutMs with connection-lost', async () => {
    const { relays, heard, conn } = await joined(['a'], 2500);
    relays.up.clear();
    relays.last.drop(1006, '');
    await vi.advanceTimersByTimeAsync(3000);
    expect(heard.reconnecting.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    expect(heard.failed.map((e) => e.code)).toEqual(['connection-lost']);
    expect(heard.failed[0]!.message).toMatch(/could not be restored/);
    expect(conn.state).toBe('closed');
  });

  it('stops reconnecting when closed by a listener of the attempt', async () => {
    const relays = new Relays();
    relays.up.add('a');
    const { heard, events } = listener();
    const conn: RelayConnection = connection(relays, ['a'], { ...events, reconnecting: () => conn.close() });
    void conn.open(Promise.resolve());
    await welcome(relays, 's1');
    relays.last.drop(1006, '');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(relays.opened).toHaveLength(1);
    expect(heard.failed).toEqual([]);
    expect(conn.state).toBe('closed');
  });
});
