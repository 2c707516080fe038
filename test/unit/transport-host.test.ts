import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONSUMED_BATCH_MS, TransportHost, type TransportHostReport } from '../../src/transport/transport-host.js';
import type { SendPriority, Transport, TransportClose } from '../../src/transport/transport.js';

/** A transport the test drives: it "reads" what `deliver` gives it, and keeps what is sent. */
class FakeTransport implements Transport {
  readonly kind = 'websocket' as const;
  state: Transport['state'] = 'open';
  onmessage: ((bytes: Uint8Array) => void) | null = null;
  onclose: ((info: TransportClose) => void) | null = null;
  readonly sent: { bytes: Uint8Array; priority: SendPriority }[] = [];
  /** False: `send` refuses, as a congested link drops video. */
  accepting = true;

  send(bytes: Uint8Array, priority: SendPriority): boolean {
    if (!this.accepting) return false;
    this.sent.push({ bytes, priority });
    return true;
  }
  close(): void {
    this.state = 'closed';
  }
  deliver(...bytes: number[]): void {
    this.onmessage?.(new Uint8Array(bytes));
  }
  drop(): void {
    this.state = 'closed';
    this.onclose?.({ code: 1006, reason: '', local: false });
  }
}

/** A host with one open connection (id 1); envelopes whose first byte is 1 count as consumed by the worker. */
async function hostWithTransport() {
  const reports: TransportHostReport[] = [];
  const transport = new FakeTransport();
  const host = new TransportHost(
    (report) => reports.push(report),
    (bytes) => bytes[0] === 1,
    () => Promise.resolve(transport),
  );
  host.handle({
    t: 'connect',
    id: 1,
    server: 'http://127.0.0.1:1/',
    choice: 'websocket',
    timeoutMs: 1000,
    held: false,
    remembered: null,
  });
  await vi.waitFor(() => expect(reports.some((r) => r.t === 'open')).toBe(true));
  reports.length = 0;
  return { host, transport, reports };
}

/** What the page hears, in order: each envelope's first two bytes and whether it came consumed. */
function told(reports: TransportHostReport[]): string[] {
  const out: string[] = [];
  for (const r of reports) {
    if (r.t === 'message') out.push(`${r.bytes[0]}.${r.bytes[1]}${r.consumed ? ' consumed' : ''}`);
    else if (r.t === 'consumed') out.push(`[${r.messages.map((m) => `${m.bytes[0]}.${m.bytes[1]}`).join(' ')}]`);
    else out.push(r.t);
  }
  return out;
}

describe('TransportHost: the media worker tells the page what it read', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tells envelopes it used itself together, at most 50 ms after the first, with when each was read', async () => {
    const { transport, reports } = await hostWithTransport();
    transport.deliver(1, 1);
    transport.deliver(1, 2);
    transport.deliver(1, 3);
    expect(reports).toEqual([]);
    vi.advanceTimersByTime(CONSUMED_BATCH_MS - 1);
    expect(reports).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(told(reports)).toEqual(['[1.1 1.2 1.3]']);
    const batch = reports[0] as Extract<TransportHostReport, { t: 'consumed' }>;
    expect(batch.messages.every((m) => m.at > 1e12)).toBe(true); // wall-clock ms
    // The next one starts a new batch.
    transport.deliver(1, 4);
    vi.advanceTimersByTime(CONSUMED_BATCH_MS);
    expect(told(reports)).toEqual(['[1.1 1.2 1.3]', '[1.4]']);
  });

  it('keeps the order: an envelope the page must handle goes after the used ones read before it', async () => {
    const { transport, reports } = await hostWithTransport();
    transport.deliver(1, 1);
    transport.deliver(1, 2);
    transport.deliver(2, 3); // not consumed: the page handles it now
    transport.deliver(1, 4);
    expect(told(reports)).toEqual(['[1.1 1.2]', '2.3']);
    vi.advanceTimersByTime(CONSUMED_BATCH_MS);
    expect(told(reports)).toEqual(['[1.1 1.2]', '2.3', '[1.4]']);
  });

  it('tells what waits before the connection closes', async () => {
    const { transport, reports } = await hostWithTransport();
    transport.deliver(1, 1);
    transport.drop();
    expect(told(reports)).toEqual(['[1.1]', 'closed']);
    vi.advanceTimersByTime(CONSUMED_BATCH_MS);
    expect(told(reports)).toEqual(['[1.1]', 'closed']);
  });

  it('sends for the worker itself on an open connection only, and reports what a congested link drops', async () => {
    const { host, transport, reports } = await hostWithTransport();
    expect(host.send(1, new Uint8Array([9]), 'audio')).toBe(true);
    expect(host.send(2, new Uint8Array([9]), 'audio')).toBe(false);
    expect(transport.sent).toHaveLength(1);
    transport.accepting = false;
    expect(host.send(1, new Uint8Array([7]), 'video')).toBe(false);
    expect(told(reports)).toEqual(['dropped']);
    transport.drop();
    expect(host.send(1, new Uint8Array([9]), 'audio')).toBe(false);
  });
});
