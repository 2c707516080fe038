import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CloseCode, ErrorCode } from '../../src/protocol/index.js';
import { startTestRelay, TestClient } from './helpers.js';

describe('graceful shutdown', () => {
  it('tells every client server-shutdown, closes with 1001 and stops listening', async () => {
    const relay = await startTestRelay();
    const a = await TestClient.joined(relay, 'r', 'a');
    const b = await TestClient.joined(relay, 'r', 'b');
    const lobby = await TestClient.connect(relay.wsUrl); // connected, not joined
    await relay.close();
    for (const c of [a, b, lobby]) {
      expect((await c.next('error')).error).toMatchObject({ code: ErrorCode.ServerShutdown, fatal: true });
      expect(await c.closed()).toEqual({ code: CloseCode.GoingAway, reason: ErrorCode.ServerShutdown });
    }
    await expect(TestClient.connect(relay.wsUrl)).rejects.toThrow();
    await expect(fetch(`${relay.url}/healthz`)).rejects.toThrow();
  });

  it('finishes within its time bound when a client never completes the closing handshake', async () => {
    const relay = await startTestRelay({ shutdownTimeoutMs: 300 });
    const stuck = await TestClient.joined(relay, 'r', 'stuck');
    stuck.pauseReading();
    const started = Date.now();
    await relay.close();
    expect(Date.now() - started).toBeLessThan(1500);
    stuck.resumeReading();
    const closed = await stuck.closed();
    expect([CloseCode.GoingAway, 1006]).toContain(closed.code);
  });

  it('can be closed twice', async () => {
    const relay = await startTestRelay();
    await Promise.all([relay.close(), relay.close()]);
    await relay.close();
  });

  it('refuses new WebSocket connections while shutting down', async () => {
    const relay = await startTestRelay({ shutdownTimeoutMs: 500 });
    const stuck = await TestClient.joined(relay, 'r', 'stuck');
    stuck.pauseReading(); // keeps the relay in its shutdown wait
    const closing = relay.close();
    const ws = new WebSocket(relay.wsUrl);
    const outcome = await new Promise<string>((resolve) => {
      ws.on('open', () => resolve('open'));
      ws.on('error', (err) => resolve(err.message));
    });
    expect(outcome).not.toBe('open');
    stuck.resumeReading();
    await closing;
  });
});
