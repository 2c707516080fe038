/**
 * A locked room, opened on a second relay just then: the joiner there must wait
 * in the lobby even when the lock-holding relay answers late. Two relays in this
 * process share the real in-process bus; the link from the admin's relay is slowed
 * (each message it publishes arrives `delayMs` later, in order), as a loaded NATS
 * route or a busy relay would. Before the fix, the second relay gave up on the
 * roster sync after `rosterSyncTimeoutMs`, admitted the joiner with `Welcome`, and
 * only then heard of the lock.
 */
import { SignJWT, type JWTPayload } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ModerationAction, TrackKind } from '../../src/protocol/index.js';
import type { Bus, BusHandler, BusSubscription } from '../../server/bus/bus.js';
import { LocalBus } from '../../server/bus/local-bus.js';
import type { Relay, RelayOptions } from '../../server/relay.js';
import { sleep, startTestRelay, TestClient, waitFor } from './helpers.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const key = new TextEncoder().encode(SECRET);
const token = (sub: string, grants?: JWTPayload['grants']): Promise<string> =>
  new SignJWT({ room: '*', sub, exp: Math.floor(Date.now() / 1000) + 3600, ...(grants ? { grants } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(key);

/** One relay's link to the shared bus; what it publishes can be delayed (order kept). */
class SlowLink implements Bus {
  readonly kind = 'nats';
  readonly maxPayload = Infinity;
  readonly connected = true;
  delayMs = 0;
  constructor(private readonly shared: LocalBus) {}
  publish(subject: string, payload: Uint8Array): void {
    if (this.delayMs === 0) return this.shared.publish(subject, payload);
    setTimeout(() => this.shared.publish(subject, payload), this.delayMs);
  }
  subscribe(pattern: string, handler: BusHandler): BusSubscription {
    return this.shared.subscribe(pattern, handler);
  }
  onConnectionChange(): () => void {
    return () => {};
  }
  async close(): Promise<void> {}
}

const OPTIONS: RelayOptions = { auth: { secret: SECRET }, nodeHeartbeatMs: 200, rosterSyncTimeoutMs: 150 };

let shared: LocalBus | undefined;
const relays: Relay[] = [];
const clients: TestClient[] = [];

async function relayOn(link: SlowLink): Promise<Relay> {
  const relay = await startTestRelay({ ...OPTIONS, bus: link });
  relays.push(relay);
  return relay;
}

async function connect(relay: Relay, label: string): Promise<TestClient> {
  const c = await TestClient.connect(relay.wsUrl, label);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(relays.splice(0).map((r) => r.close()));
  await shared?.close();
  shared = undefined;
});

describe('a room lock while the room opens on another relay', () => {
  it('sends the joiner to the lobby even when the lock-holding relay answers after the roster sync timeout', async () => {
    shared = new LocalBus();
    const slow = new SlowLink(shared);
    const [a, b] = [await relayOn(slow), await relayOn(new SlowLink(shared))];
    const admin = await connect(a, 'admin');
    await admin.join('locked-room', 'admin', { token: await token('admin', { admin: true }) });
    admin.send({ moderation: { action: ModerationAction.LOCK_ROOM } });
    expect((await admin.next('moderation')).moderation.action).toBe(ModerationAction.LOCK_ROOM);
    // From now on the admin's relay is slow to answer: three times the roster sync timeout.
    slow.delayMs = 450;
    const dan = await connect(b, 'dan');
    dan.send({ join: dan.joinMessage('locked-room', 'dan', { token: await token('dan') }) });
    const decides = (): boolean => dan.inbox.some((e) => e.body === 'welcome' || e.body === 'lobbyWait');
    await waitFor(decides, 3000, 'a Welcome or a LobbyWait');
    const first = dan.inbox.find((e) => e.body === 'welcome' || e.body === 'lobbyWait')!;
    expect(first.body).toBe('lobbyWait');
    expect(first.lobbyWait?.locked).toBe(true);
    // Nothing of the meeting reaches the waiter: the admin's audio does not.
    admin.sendMedia('secret', { kind: TrackKind.AUDIO });
    await sleep(700);
    expect(dan.inbox.map((e) => e.body).filter((b) => b === 'media' || b === 'welcome')).toEqual([]);
  });

  it('admits the joiner once a slow relay has answered that the room is not locked', async () => {
    shared = new LocalBus();
    const slow = new SlowLink(shared);
    const [a, b] = [await relayOn(slow), await relayOn(new SlowLink(shared))];
    const admin = await connect(a, 'admin');
    await admin.join('slow-room', 'admin', { token: await token('admin', { admin: true }) });
    slow.delayMs = 450;
    const started = Date.now();
    const dan = await connect(b, 'dan');
    await dan.join('slow-room', 'dan', { token: await token('dan') });
    // Not before the slow relay's answer (450 ms), not much after it.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('still admits a joiner at once when the room is not locked and every relay answers in time', async () => {
    shared = new LocalBus();
    const [a, b] = [await relayOn(new SlowLink(shared)), await relayOn(new SlowLink(shared))];
    const admin = await connect(a, 'admin');
    await admin.join('open-room', 'admin', { token: await token('admin', { admin: true }) });
    const started = Date.now();
    const dan = await connect(b, 'dan');
    await dan.join('open-room', 'dan', { token: await token('dan') });
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await admin.next('peerJoined')).peerJoined.participant?.identity).toBe('dan');
  });
});
