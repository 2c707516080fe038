import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, encodeEnvelope, ErrorCode, TrackKind } from '../../src/protocol/index.js';
import { encodeBusMessage } from '../../server/bus/bus-message.js';
import { subjects } from '../../server/bus/subjects.js';
import { BodyField } from '../../server/body-types.js';
import type { Relay } from '../../server/relay.js';
import { startTestRelay, TestClient, waitFor } from './helpers.js';

describe('control byte budget per connection', () => {
  let relay: Relay;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    relay = await startTestRelay({ controlBytesPerSecond: 2048, controlBurstBytes: 16 * 1024 });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await relay.close();
  });

  it('drops control beyond the budget (told once), closes a client that keeps on (4024); the others carry on', async () => {
    const a = await TestClient.joined(relay, 'budget', 'a');
    const b = await TestClient.joined(relay, 'budget', 'b');
    const flooder = await TestClient.joined(relay, 'budget', 'flooder');
    clients.push(a, b, flooder);
    // ~4 KB each, under the 8 KiB cap and the 128 tracks of a Subscription: legal one by one, a flood together.
    const tracks = Array.from({ length: 120 }, (_, i) => ({
      publisher: `publisher-session-${String(i).padStart(12, '0')}`,
      kind: TrackKind.VIDEO,
      layer: 0,
    }));
    const big = encodeEnvelope({ subscription: { tracks } });
    expect(big.length).toBeGreaterThan(3000);
    for (let i = 0; i < 6; i++) flooder.sendRaw(big);
    const told = await flooder.next('error');
    expect(told.error).toMatchObject({ code: ErrorCode.RateLimited, fatal: false });
    await waitFor(() => (relay.stats().dropped['control-budget'] ?? 0) >= 1);
    // Media is not control: it still goes through for the others meanwhile.
    a.sendMedia('during', { kind: TrackKind.AUDIO });
    await b.nextMedia('during');
    for (let i = 0; i < 250 && flooder.isOpen; i++) flooder.sendRaw(big);
    expect(await flooder.closed()).toEqual({ code: CloseCode.ControlFlood, reason: ErrorCode.ControlFlood });
    expect(relay.stats().refused['control-flood']).toBe(1);
    // Exactly one rate-limited answer for the whole run, not one per dropped message.
    expect(flooder.inbox.filter((e) => e.error?.code === ErrorCode.RateLimited)).toHaveLength(0);
    b.sendMedia('after', { kind: TrackKind.VIDEO, keyframe: true });
    await a.nextMedia('after');
  });

  it('closes a flood that arrives spread out, with a message fitting the budget now and then', async () => {
    const flooder = await TestClient.joined(relay, 'budget', 'slow-flooder');
    clients.push(flooder);
    const tracks = Array.from({ length: 120 }, (_, i) => ({
      publisher: `publisher-session-${String(i).padStart(12, '0')}`,
      kind: TrackKind.VIDEO,
      layer: 0,
    }));
    const big = encodeEnvelope({ subscription: { tracks } });
    // 80 a second, ~4 KB each: far over 2 KiB/s, yet every 2 s one fits again, so a count
    // of drops "in a row" would start over and never reach the limit.
    const started = performance.now();
    for (let tick = 0; tick < 100 && flooder.isOpen; tick++) {
      for (let i = 0; i < 8; i++) flooder.sendRaw(big);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await flooder.closed()).toEqual({ code: CloseCode.ControlFlood, reason: ErrorCode.ControlFlood });
    // Past a refill: at least one message fitted the budget during the flood.
    expect(performance.now() - started).toBeGreaterThan(2000);
  });
});

describe('presence and control from other relay nodes are checked like client input', () => {
  let relay: Relay;
  afterAll(async () => {
    await relay?.close();
  });

  it('drops and counts malformed or foreign presence, rebuilds what it passes on without unknown fields', async () => {
    relay = await startTestRelay();
    const a = await TestClient.joined(relay, 'bus', 'a');
    const bus = relay.bus;
    const foreign = { sender: Buffer.from('intruder1234'), node: Buffer.from('othernode') };
    const presence = subjects.presence('bus');
    const meta = (body: number) => ({ body, keyframe: false, kind: 0 });
    // Not a bus message at all; a bus message that is not an envelope; a join whose id is not the sender's;
    // a name far beyond any limit; a body presence never carries.
    bus.publish(presence, Buffer.from('garbage'));
    bus.publish(presence, encodeBusMessage(meta(BodyField.peerJoined), foreign, Buffer.from([0xff, 0xff, 0xff])));
    const joinOf = (id: string, name: string) =>
      encodeEnvelope({ from: id, peerJoined: { participant: { id, name, state: {} } } });
    bus.publish(presence, encodeBusMessage(meta(BodyField.peerJoined), foreign, joinOf('someone-else', 'x')));
    bus.publish(
      presence,
      encodeBusMessage(meta(BodyField.peerJoined), foreign, joinOf('intruder1234', 'n'.repeat(5000))),
    );
    bus.publish(presence, encodeBusMessage(meta(BodyField.media), foreign, encodeEnvelope({ media: { kind: 1 } })));
    await a.expectNone('peerJoined', 100);
    expect(relay.stats().refused['bus-bad-presence']).toBe(5);

    // A well-formed join, padded with an unknown field (99) of 100 KB: passed on rebuilt, without the padding.
    const padding = Buffer.concat([Buffer.from([0x9a, 0x06]), encodeVarint(100_000), Buffer.alloc(100_000, 7)]);
    const padded = Buffer.concat([joinOf('intruder1234', 'Ivy\u202Egpj'), padding]);
    bus.publish(presence, encodeBusMessage(meta(BodyField.peerJoined), foreign, padded));
    const joined = await a.next('peerJoined');
    expect(joined.peerJoined.participant).toMatchObject({ id: 'intruder1234', name: 'Ivygpj' });
    expect(a.sizes[a.sizes.length - 1]).toBeLessThan(200);

    // Targeted control of a type that is never targeted, and media headers of no known kind: dropped, counted.
    const to = subjects.to('bus', a.id);
    bus.publish(to, encodeBusMessage(meta(BodyField.peerLeft), foreign, encodeEnvelope({ peerLeft: { id: 'x' } })));
    bus.publish(
      subjects.media('bus', 'intruder1234', 'audio'),
      encodeBusMessage({ body: 6, keyframe: false, kind: 9 }, foreign, encodeEnvelope({ media: {} })),
    );
    await a.expectNone('peerLeft', 50);
    await a.expectNone('media', 50);
    expect(relay.stats().refused['bus-bad-targeted']).toBe(1);
    expect(relay.stats().refused['bus-bad-media']).toBe(1);
    // Room control and bans: malformed ones counted too.
    bus.publish(subjects.roomControl('bus'), Buffer.from('{"t":"end","node":"x y"}'));
    bus.publish(subjects.bans, Buffer.from('{"room":"../etc","identity":"x"}'));
    expect(relay.stats().refused['bus-bad-room-control']).toBe(1);
    expect(relay.stats().refused['bus-bad-ban']).toBe(1);
    expect(a.isOpen).toBe(true);
    a.close();
  });
});

function encodeVarint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
