import { connect as connectTcp, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CloseCode, ErrorCode, TrackKind } from '../../src/protocol/index.js';
import { addressKey, AddressLimits } from '../../server/address-limits.js';
import { cleanDisplayName } from '../../server/display-name.js';
import type { Relay, RelayOptions } from '../../server/relay.js';
import { payloadText, sleep, startTestRelay, TestClient } from './helpers.js';

const relays: Relay[] = [];
const clients: TestClient[] = [];
const track = (c: TestClient): TestClient => (clients.push(c), c);

async function relayWith(options: RelayOptions): Promise<Relay> {
  const relay = await startTestRelay(options);
  relays.push(relay);
  return relay;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of relays.splice(0)) await r.close();
});

/** A frame a keeps sending, and b keeps receiving, while a limit bites someone else. */
async function stillFlowing(a: TestClient, b: TestClient, tag: string): Promise<void> {
  a.sendMedia(tag);
  expect(payloadText(await b.nextMedia(tag))).toBe(tag);
}

/** Upgrades to a WebSocket; resolves with 101 when open, or the HTTP status it was refused with. */
function upgradeStatus(url: string): Promise<{ status: number; ws?: WebSocket }> {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer to the upgrade')), 2000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve({ status: 101, ws });
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 0 });
    });
    ws.once('error', () => {});
  });
}

describe('display names', () => {
  it('are NFKC-normalised, without bidi overrides, invisible padding or controls', () => {
    expect(cleanDisplayName('Ｊｏｈｎ')).toBe('John'); // fullwidth letters
    expect(cleanDisplayName('evil\u202Egpj.exe')).toBe('evilgpj.exe');
    expect(cleanDisplayName('\u2066Ada\u2069 \u200E')).toBe('Ada');
    expect(cleanDisplayName('A\u200Bd\u200Ca\uFEFF')).toBe('Ada');
    expect(cleanDisplayName('\u3164\u3164Ada\u2800')).toBe('Ada');
    expect(cleanDisplayName('  Ada \t\n Lovelace\u0007 ')).toBe('Ada Lovelace');
    expect(cleanDisplayName('Zoë 👩‍💻')).toBe('Zoë 👩‍💻'); // an emoji's joiner stays
    expect(cleanDisplayName('\u200B\u202E')).toBe('');
  });

  it('reach the others cleaned; one with nothing visible left is Guest', async () => {
    const relay = await relayWith({});
    const a = track(await TestClient.joined(relay, 'names', 'a'));
    track(await TestClient.joined(relay, 'names', '\u202Eniamdа\u200B'));
    expect((await a.next('peerJoined')).peerJoined.participant?.name).toBe('niamdа');
    track(await TestClient.joined(relay, 'names', '\u200B\u200B'));
    expect((await a.next('peerJoined')).peerJoined.participant?.name).toBe('Guest');
  });
});

describe('connections that never join', () => {
  it('are closed at the join deadline (join-deadline, counted); joined ones stay', async () => {
    const relay = await relayWith({ joinDeadlineMs: 300 });
    const joined = track(await TestClient.joined(relay, 'deadline', 'a'));
    const idle = track(await TestClient.connect(relay.wsUrl, 'idle'));
    const error = await idle.next('error', 2000);
    expect(error.error).toMatchObject({ code: ErrorCode.JoinDeadline, fatal: true });
    expect(await idle.closed()).toEqual({ code: CloseCode.JoinDeadline, reason: ErrorCode.JoinDeadline });
    expect(relay.stats().refused['join-deadline']).toBe(1);
    await sleep(300);
    expect(joined.isOpen).toBe(true);
  });
});

describe('slow HTTP headers', () => {
  it('are cut after headersTimeout', async () => {
    const relay = await relayWith({ headersTimeoutMs: 500 });
    const socket: Socket = connectTcp(relay.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const opened = Date.now();
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // never finished
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('still open after 5 s')), 5000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(Date.now() - opened);
      });
    });
    expect(closedAfter).toBeGreaterThanOrEqual(400);
    expect(closedAfter).toBeLessThan(2500); // the timeout plus Node's check interval (set to at most 1 s)
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect(relay.stats().refused['headers-timeout']).toBe(1);
  });
});

describe('room size', () => {
  it('does not count participants held for a resume: dead connections never lock a room as full', async () => {
    const relay = await relayWith({ maxRoomSize: 2, resumeGraceMs: 5000 });
    const a = track(await TestClient.joined(relay, 'held', 'a'));
    const b = track(await TestClient.joined(relay, 'held', 'b'));
    b.terminate(); // held for 5 s
    await sleep(100);
    const c = track(await TestClient.joined(relay, 'held', 'c'));
    await stillFlowing(c, a, 'c-in');
  });
});

describe('control messages', () => {
  it('are capped in size per type (too-large, counted), and the others keep receiving', async () => {
    const relay = await relayWith({});
    const a = track(await TestClient.joined(relay, 'caps', 'a'));
    const b = track(await TestClient.joined(relay, 'caps', 'b'));
    await a.next('peerJoined');
    // A media state padded with an unknown field (number 15, 1000 bytes): refused, not forwarded.
    // MediaState {mic: true}, then 1000 bytes as an unknown envelope field 15.
    a.sendRaw(new Uint8Array([0x42, 0x02, 0x08, 0x01, 0x7a, 0xe8, 0x07, ...new Uint8Array(1000)]));
    expect((await a.next('error')).error).toMatchObject({ code: ErrorCode.TooLarge, fatal: false });
    expect(relay.stats().refused['size-mediaState']).toBe(1);
    await b.expectNone('mediaState', 100);
    await stillFlowing(a, b, 'after-cap');
  });

  it('are re-encoded, so unknown fields a client pads in never reach the others', async () => {
    const relay = await relayWith({});
    const a = track(await TestClient.joined(relay, 'reencode', 'a'));
    const b = track(await TestClient.joined(relay, 'reencode', 'b'));
    await a.next('peerJoined');
    const unknown = [0xfa, 0x01, 0x20, ...new Uint8Array(32).fill(0x61)]; // field 31, 32 bytes, inside the body
    const before = b.received;
    // MediaState {mic: true, <unknown 32 bytes>}
    a.sendRaw(new Uint8Array([0x42, 2 + unknown.length, 0x08, 0x01, ...unknown]));
    const state = await b.next('mediaState');
    expect(state.mediaState.mic).toBe(true);
    // KeyframeRequest {target: b, kind: VIDEO, <unknown>}
    const target = new TextEncoder().encode(b.id);
    const kfr = [0x0a, target.length, ...target, 0x10, TrackKind.VIDEO, ...unknown];
    a.sendRaw(new Uint8Array([0x3a, kfr.length, ...kfr]));
    await b.next('keyframeRequest');
    expect(b.received - before).toBe(2);
    // Re-encoded and stamped they are 18 and 32 bytes; forwarded raw they would carry the 35 padded ones.
    for (const size of b.sizes.slice(before)) expect(size).toBeLessThan(35);
  });

  it('limits keyframe requests per target across all requesters, and counts the excess', async () => {
    const relay = await relayWith({ keyframeRequestBurst: 2, keyframeRequestsPerSecond: 1 });
    const pub = track(await TestClient.joined(relay, 'kf', 'pub'));
    const crowd: TestClient[] = [];
    for (let i = 0; i < 6; i++) crowd.push(track(await TestClient.joined(relay, 'kf', `r${i}`)));
    // Each requester is within its own budget (1 each), together over the publisher's (2 × burst = 4).
    for (const r of crowd) r.send({ keyframeRequest: { target: pub.id, kind: TrackKind.VIDEO } });
    await sleep(200);
    const got = pub.inbox.filter((e) => e.body === 'keyframeRequest').length;
    expect(got).toBe(4);
    expect(relay.stats().dropped['keyframe-request-target-rate']).toBe(2);
    // Audio has its own budget.
    crowd[0]!.send({ keyframeRequest: { target: pub.id, kind: TrackKind.AUDIO } });
    await pub.next('keyframeRequest', 1000);
  });
});

describe('limits per address and per relay', () => {
  it('refuses connections over the per-address limit with 503 (counted); the call in progress goes on', async () => {
    const relay = await relayWith({ maxConnectionsPerAddress: 3 });
    const a = track(await TestClient.joined(relay, 'addr', 'a'));
    const b = track(await TestClient.joined(relay, 'addr', 'b'));
    const third = await upgradeStatus(relay.wsUrl);
    expect(third.status).toBe(101);
    expect((await upgradeStatus(relay.wsUrl)).status).toBe(503);
    expect(relay.stats().refused['address-connections']).toBe(1);
    await stillFlowing(a, b, 'during');
    // A slot comes back when a connection goes.
    third.ws!.close();
    await sleep(100);
    const again = await upgradeStatus(relay.wsUrl);
    expect(again.status).toBe(101);
    again.ws!.close();
  });

  it('refuses connections over the relay-wide limit', async () => {
    const relay = await relayWith({ maxConnections: 1 });
    track(await TestClient.joined(relay, 'total', 'a'));
    expect((await upgradeStatus(relay.wsUrl)).status).toBe(503);
    expect(relay.stats().refused['relay-connections']).toBe(1);
  });

  it('refuses joins over the per-address rate with too-many-connections', async () => {
    const relay = await relayWith({ joinsPerAddressPerMinute: 3 });
    const a = track(await TestClient.joined(relay, 'rate', 'a'));
    const b = track(await TestClient.joined(relay, 'rate', 'b'));
    track(await TestClient.joined(relay, 'rate', 'c'));
    const d = track(await TestClient.connect(relay.wsUrl, 'd'));
    d.send({ join: d.joinMessage('rate', 'd') });
    expect((await d.next('error')).error.code).toBe(ErrorCode.TooManyConnections);
    expect((await d.closed()).code).toBe(CloseCode.TooManyConnections);
    expect(relay.stats().refused['address-joins']).toBe(1);
    await stillFlowing(a, b, 'rate-flows');
  });

  it('refuses a join that would open a room over the relay’s room limit; existing rooms still take joins', async () => {
    const relay = await relayWith({ maxRooms: 2 });
    track(await TestClient.joined(relay, 'room1', 'a'));
    track(await TestClient.joined(relay, 'room2', 'b'));
    const c = track(await TestClient.connect(relay.wsUrl, 'c'));
    c.send({ join: c.joinMessage('room3', 'c') });
    expect((await c.next('error')).error.code).toBe(ErrorCode.TooManyConnections);
    expect(relay.stats().refused['relay-rooms']).toBe(1);
    track(await TestClient.joined(relay, 'room1', 'd'));
  });

  it('keys addresses as IPv4 or IPv6 /64, and counts slots back', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    const limits = new AddressLimits({ maxConnections: 10, maxConnectionsPerAddress: 2, joinsPerAddressPerMinute: 1 });
    expect(limits.connect('x')).toBeUndefined();
    expect(limits.connect('x')).toBeUndefined();
    expect(limits.connect('x')).toBe('address-connections');
    limits.release('x');
    expect(limits.openFrom('x')).toBe(1);
    expect(limits.join('x')).toBe(true);
    expect(limits.join('x')).toBe(false);
    expect(limits.join('y')).toBe(true);
  });
});
