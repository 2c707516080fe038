/**
 * Moving a call from WebSocket to WebTransport once WebTransport is ready after
 * `auto` fell back: RelayConnection's background attempts and the move itself,
 * with the test playing the relay on in-memory transports.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, CloseCode } from '../../src/protocol/error-codes.js';
import { encodeEnvelope, type DecodedEnvelope } from '../../src/protocol/envelope.js';
import type { ConnectTransportOptions } from '../../src/transport/connect.js';
import { TransportError } from '../../src/transport/errors.js';
import type { Transport } from '../../src/transport/transport.js';
import { RelayConnection, type RelayConnectionEvents } from '../../src/call/relay-connection.js';
import type { VideoCallError } from '../../src/call/errors.js';
import { MemoryTransport } from './memory-transport.js';

/** `auto` gives WebSocket (the fallback); `webtransport` succeeds only once {@link wtUp}. */
class Relay {
  readonly opened: MemoryTransport[] = [];
  readonly asked: ConnectTransportOptions[] = [];
  wtUp = false;

  connect = async (_server: string, options: ConnectTransportOptions): Promise<Transport> => {
    this.asked.push(options);
    const kind = options.transport === 'webtransport' ? 'webtransport' : 'websocket';
    if (kind === 'webtransport' && !this.wtUp) throw new TransportError('webtransport-unavailable', 'UDP blocked');
    const transport = new MemoryTransport(kind);
    this.opened.push(transport);
    return transport;
  };

  get webTransportAttempts(): number {
    return this.asked.filter((o) => o.transport === 'webtransport').length;
  }

  get last(): MemoryTransport {
    return this.opened.at(-1)!;
  }
}

interface Heard {
  messages: DecodedEnvelope[];
  lost: string[];
  failed: VideoCallError[];
  changed: string[];
  resumed: number;
}

const DELAYS = [100, 200, 400];

function setUp(transport: 'auto' | 'websocket' = 'auto') {
  const relay = new Relay();
  const heard: Heard = { messages: [], lost: [], failed: [], changed: [], resumed: 0 };
  const events: RelayConnectionEvents = {
    welcome: () => undefined,
    message: (m) => heard.messages.push(m),
    lost: (reason) => heard.lost.push(reason),
    reconnecting: () => undefined,
    resumed: () => heard.resumed++,
    failed: (error) => heard.failed.push(error),
    transportChanged: (now, before) => heard.changed.push(`${before}→${now}`),
  };
  const conn = new RelayConnection(
    {
      servers: ['relay'],
      transport,
      joinTimeoutMs: 1000,
      reconnectTimeoutMs: 60_000,
      join: () => ({ room: 'standup', name: 'Ada', token: '', state: { mic: true } }),
      connect: relay.connect,
      upgradeToWebTransport: true,
      upgradeDelaysMs: DELAYS,
    },
    events,
  );
  return { relay, heard, conn };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Joined as `s1` on the WebSocket that `auto` fell back to. */
async function joinedOnWebSocket(transport: 'auto' | 'websocket' = 'auto') {
  const setup = setUp(transport);
  void setup.conn.open(Promise.resolve());
  await vi.waitFor(() => expect(setup.relay.last?.joins().length).toBe(1));
  setup.relay.last.deliver({
    welcome: { sessionId: 's1', roster: [], heartbeatIntervalMs: 5000, resumeToken: 'token-1' },
  });
  await settle();
  expect(setup.conn.state).toBe('open');
  return { ...setup, ws: setup.relay.last };
}

describe('moving to WebTransport after the fallback', () => {
  beforeEach(() =>
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] }),
  );
  afterEach(() => vi.useRealTimers());

  it('joins the relay on WebTransport as the same participant and moves the call there, quietly', async () => {
    const { relay, heard, conn, ws } = await joinedOnWebSocket();
    relay.wtUp = true;
    await vi.advanceTimersByTimeAsync(DELAYS[0]!);
    const wt = relay.last;
    expect(wt.kind).toBe('webtransport');
    // The move is a resume that says so: same token, and the relay must not make a new participant.
    expect(wt.joins().map((e) => e.join)).toEqual([
      expect.objectContaining({ resumeToken: 'token-1', transportUpgrade: true }),
    ]);
    expect(conn.transportKind).toBe('websocket'); // until the relay says yes
    // The relay takes the participant over: it closes the WebSocket first, then welcomes on WebTransport.
    ws.drop(CloseCode.TransportUpgrade, ErrorCode.TransportUpgrade);
    expect(heard.lost).toEqual([]);
    wt.deliver({ welcome: { sessionId: 's1', resumed: true, heartbeatIntervalMs: 5000, resumeToken: 'token-2' } });
    await settle();
    expect(conn.transportKind).toBe('webtransport');
    expect(conn.state).toBe('open');
    expect(heard.changed).toEqual(['websocket→webtransport']);
    expect(heard).toMatchObject({ lost: [], failed: [], resumed: 0 });
    // The call goes on over WebTransport, both ways.
    expect(conn.send(encodeEnvelope({ ping: { time: 1 } }), 'video')).toBe(true);
    expect(wt.priorities.at(-1)).toBe('video');
    wt.deliver({ mediaState: { mic: false } });
    expect(heard.messages.map((m) => m.body)).toEqual(['mediaState']);
    // No more attempts once on WebTransport; a later reconnect resumes with the new token.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(relay.webTransportAttempts).toBe(1);
    wt.drop(1006, '');
    await vi.advanceTimersByTimeAsync(0);
    expect(heard.lost).toEqual(['connection-lost']);
    await vi.waitFor(() => expect(relay.last.joins()[0]?.join?.resumeToken).toBe('token-2'));
    conn.close();
  });

  it('still delivers what the relay sent on the WebSocket before the move, then closes it', async () => {
    const { relay, heard, conn, ws } = await joinedOnWebSocket();
    relay.wtUp = true;
    await vi.advanceTimersByTimeAsync(DELAYS[0]!);
    const wt = relay.last;
    wt.deliver({ welcome: { sessionId: 's1', resumed: true, heartbeatIntervalMs: 5000 } });
    await settle();
    expect(conn.transportKind).toBe('webtransport');
    ws.deliver({ peerLeft: { id: 'bo', reason: 'left' } }); // queued on the WebSocket before the move
    expect(heard.messages.map((m) => m.body)).toEqual(['peerLeft']);
    await vi.advanceTimersByTimeAsync(2000);
    expect(ws.closedWith).toEqual({ code: 1000, reason: ErrorCode.TransportUpgrade });
    expect(heard).toMatchObject({ lost: [], failed: [] });
    conn.close();
  });

  it('takes a session-replaced on the WebSocket for the move when the move reached another relay of the cluster', async () => {
    const { relay, heard, conn, ws } = await joinedOnWebSocket();
    relay.wtUp = true;
    await vi.advanceTimersByTimeAsync(DELAYS[0]!);
    const wt = relay.last;
    // The relay the WebSocket is on hears of the move over the bus and closes it the old way.
    ws.deliver({ error: { code: ErrorCode.SessionReplaced, message: '', fatal: true } });
    ws.drop(CloseCode.SessionReplaced, ErrorCode.SessionReplaced);
    wt.deliver({ welcome: { sessionId: 's1', resumed: true, heartbeatIntervalMs: 5000 } });
    await settle();
    expect(conn.transportKind).toBe('webtransport');
    expect(heard).toMatchObject({ lost: [], failed: [], changed: ['websocket→webtransport'] });
    conn.close();
  });

  it('ignores a late session-replaced on the WebSocket after the move', async () => {
    const { relay, heard, conn, ws } = await joinedOnWebSocket();
    relay.wtUp = true;
    await vi.advanceTimersByTimeAsync(DELAYS[0]!);
    relay.last.deliver({ welcome: { sessionId: 's1', resumed: true, heartbeatIntervalMs: 5000 } });
    await settle();
    ws.deliver({ error: { code: ErrorCode.SessionReplaced, message: '', fatal: true } });
    ws.drop(CloseCode.SessionReplaced, ErrorCode.SessionReplaced);
    expect(conn.state).toBe('open');
    expect(heard).toMatchObject({ lost: [], failed: [] });
    conn.close();
  });

  it('keeps trying in the background a bounded number of times, backing off, and stays on WebSocket', async () => {
    const { relay, heard, conn } = await joinedOnWebSocket();
    await vi.advanceTimersByTimeAsync(DELAYS[0]! - 1);
    expect(relay.webTransportAttempts).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(relay.webTransportAttempts).toBe(1);
    await vi.advanceTimersByTimeAsync(DELAYS[1]!);
    expect(relay.webTransportAttempts).toBe(2);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(relay.webTransportAttempts).toBe(DELAYS.length);
    expect(conn.transportKind).toBe('websocket');
    expect(heard).toMatchObject({ lost: [], failed: [], changed: [] });
    conn.close();
  });

  it('stays on WebSocket, and stops trying, when the relay refuses the move', async () => {
    const { relay, heard, conn, ws } = await joinedOnWebSocket();
    relay.wtUp = true;
    await vi.advanceTimersByTimeAsync(DELAYS[0]!);
    const wt = relay.last;
    wt.deliver({ error: { code: ErrorCode.UpgradeRefused, message: 'no', fatal: true } });
    wt.drop(CloseCode.UpgradeRefused, ErrorCode.UpgradeRefused);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(relay.webTransportAttempts).toBe(1);
    expect(wt.state).toBe('closed');
    expect(conn.transportKind).toBe('websocket');
    expect(ws.state).toBe('open');
    expect(heard).toMatchObject({ lost: [], failed: [], changed: [] });
    conn.close();
  });

  it('leaves a new participant the relay made instead of moving, and stays on WebSocket', async () => {
    const { relay, heard, conn } = await joinedOnWebSocket();
    relay.wtUp = true;
    await vi.advanceTimersByTimeAsync(DELAYS[0]!);
    const wt = relay.last;
    wt.deliver({ welcome: { sessionId: 'other', resumed: false, heartbeatIntervalMs: 5000 } });
    await settle();
    expect(wt.sent.some((e) => e.leave)).toBe(true);
    expect(wt.state).toBe('closed');
    expect(conn.transportKind).toBe('websocket');
    expect(conn.sessionId).toBe('s1');
    expect(heard).toMatchObject({ lost: [], failed: [], changed: [] });
    conn.close();
  });

  it('reconnects as usual when the relay took the WebSocket but WebTransport then failed', async () => {
    const { relay, heard, conn, ws } = await joinedOnWebSocket();
    relay.wtUp = true;
    await vi.advanceTimersByTimeAsync(DELAYS[0]!);
    const wt = relay.last;
    ws.drop(CloseCode.TransportUpgrade, ErrorCode.TransportUpgrade);
    wt.drop(1006, '');
    expect(heard.lost).toEqual(['connection-lost']);
    expect(conn.state).toBe('reconnecting');
    conn.close();
  });

  it('does not take the silence of a move waiting for its Welcome for a dead link', async () => {
    const relay = new Relay();
    const heard: string[] = [];
    const conn = new RelayConnection(
      {
        servers: ['relay'],
        transport: 'auto',
        joinTimeoutMs: 5000,
        reconnectTimeoutMs: 60_000,
        join: () => ({ room: 'standup', name: 'Ada' }),
        connect: relay.connect,
        upgradeToWebTransport: true,
        upgradeDelaysMs: DELAYS,
      },
      {
        welcome: () => undefined,
        message: () => undefined,
        lost: (reason) => heard.push(`lost ${reason}`),
        reconnecting: () => undefined,
        resumed: () => undefined,
        failed: (error) => heard.push(`failed ${error.code}`),
        transportChanged: (now) => heard.push(now),
      },
    );
    void conn.open(Promise.resolve());
    await vi.waitFor(() => expect(relay.last?.joins().length).toBe(1));
    const ws = relay.last;
    ws.deliver({ welcome: { sessionId: 's1', heartbeatIntervalMs: 100, resumeToken: 'token-1' } });
    await settle();
    relay.wtUp = true;
    await vi.advanceTimersByTimeAsync(DELAYS[0]!);
    const wt = relay.last;
    ws.drop(CloseCode.TransportUpgrade, ErrorCode.TransportUpgrade);
    // A busy page reads the Welcome late: 10 heartbeat intervals without a word.
    await vi.advanceTimersByTimeAsync(1000);
    expect(heard).toEqual([]);
    wt.deliver({ welcome: { sessionId: 's1', resumed: true } });
    await settle();
    expect(heard).toEqual(['webtransport']);
    conn.close();
  });

  it('gives up a move the relay does not answer, within the join timeout', async () => {
    const { relay, heard, conn } = await joinedOnWebSocket();
    relay.wtUp = true;
    await vi.advanceTimersByTimeAsync(DELAYS[0]!);
    const wt = relay.last;
    await vi.advanceTimersByTimeAsync(1000);
    expect(wt.state).toBe('closed');
    expect(conn.transportKind).toBe('websocket');
    expect(heard).toMatchObject({ lost: [], failed: [], changed: [] });
    conn.close();
  });

  it('never tries WebTransport when WebSocket was asked for', async () => {
    const { relay, conn } = await joinedOnWebSocket('websocket');
    relay.wtUp = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(relay.webTransportAttempts).toBe(0);
    conn.close();
  });

  it('stops trying once the call is closed', async () => {
    const { relay, conn } = await joinedOnWebSocket();
    conn.close();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(relay.webTransportAttempts).toBe(0);
  });
});
