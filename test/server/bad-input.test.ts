import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CloseCode,
  encodeEnvelope,
  ErrorCode,
  PROTOCOL_VERSION,
  TrackKind,
  type EnvelopeInit,
} from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { startTestRelay, TestClient } from './helpers.js';

const MAX_MESSAGE_BYTES = 4096;

let relay: Relay;
let sender: TestClient;
let receiver: TestClient;
const clients: TestClient[] = [];

beforeEach(async () => {
  relay = await startTestRelay({ maxMessageBytes: MAX_MESSAGE_BYTES, maxBadMessagesInRow: 20 });
  sender = await TestClient.joined(relay, 'r', 'sender');
  receiver = await TestClient.joined(relay, 'r', 'receiver');
  clients.push(sender, receiver);
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay.close();
});

/** The room still works: a frame from the sender reaches the receiver (and `also`). */
let frame = 0;
async function roomStillWorks(...also: TestClient[]): Promise<void> {
  const tag = `still-works-${++frame}`;
  sender.sendMedia(tag, { kind: TrackKind.VIDEO });
  for (const c of [receiver, ...also]) await c.nextMedia(tag);
}

async function offender(joined: boolean): Promise<TestClient> {
  const c = joined
    ? await TestClient.joined(relay, 'r', 'offender')
    : await TestClient.connect(relay.wsUrl, 'offender');
  clients.push(c);
  if (joined) await sender.next('peerJoined');
  return c;
}

const fromRelayOnly: [string, EnvelopeInit][] = [
  ['welcome', { welcome: { sessionId: 'x', room: 'r' } }],
  ['peerJoined', { peerJoined: { participant: { id: 'ghost', name: 'ghost' } } }],
  ['peerLeft', { peerLeft: { id: 'x', reason: 'left' } }],
  ['pong', { pong: { time: 1 } }],
  ['error', { error: { code: 'room-full', message: 'fake', fatal: true } }],
];

describe('bad input from a joined participant', () => {
  const cases: [string, (c: TestClient) => void, string][] = [
    ['bytes that are not an envelope', (c) => c.sendRaw(new Uint8Array([0x0a, 0x05, 0x61])), ErrorCode.Malformed],
    [
      'random bytes with an invalid wire type',
      (c) => c.sendRaw(new Uint8Array([0x0f, 0xff, 0xff, 0xff])),
      ErrorCode.Malformed,
    ],
    ['a text message', (c) => c.sendRaw('{"join":{}}'), ErrorCode.Malformed],
    ['an empty message', (c) => c.sendRaw(new Uint8Array()), ErrorCode.UnknownType],
    ['an envelope with only from', (c) => c.sendRaw(encodeEnvelope({ from: 'x' })), ErrorCode.UnknownType],
    [
      // Field 13 became key_exchange; 100 is far past any body (tag 100<<3|2 = varint a2 06).
      'an envelope with an unknown body field (100)',
      (c) => c.sendRaw(new Uint8Array([0xa2, 0x06, 0x01, 0x08])),
      ErrorCode.UnknownType,
    ],
    [
      'a second Join',
      (c) => c.send({ join: { protocolVersion: PROTOCOL_VERSION, room: 'r2', name: 'x' } }),
      ErrorCode.AlreadyJoined,
    ],
    ...fromRelayOnly.map(([name, msg]): [string, (c: TestClient) => void, string] => [
      `a ${name} (relay-only type)`,
      (c) => c.send(msg),
      ErrorCode.UnknownType,
    ]),
  ];

  it.each(cases)('answers %s with a non-fatal error, and the room keeps working', async (_name, sendBad, code) => {
    const bad = await offender(true);
    sendBad(bad);
    const { error } = await bad.next('error');
    expect(error).toMatchObject({ code, fatal: false });
    expect(bad.isOpen).toBe(true);
    expect(relay.stats().errors[code]).toBe(1);
    await roomStillWorks(bad);
    await receiver.expectNone('error', 0);
    await receiver.expectNone('peerJoined', 0, (e) => e.peerJoined?.participant?.id === 'ghost');
  });

  it('closes a message over the size limit with 1009, counts it, and tells the others it left', async () => {
    const bad = await offender(true);
    bad.sendMedia('huge', { kind: TrackKind.VIDEO }, MAX_MESSAGE_BYTES + 100);
    expect((await bad.closed()).code).toBe(CloseCode.TooLarge);
    expect((await receiver.next('peerLeft')).peerLeft).toMatchObject({ id: bad.id, reason: 'disconnected' });
    await receiver.expectNone('media', 50);
    expect(relay.stats().errors[ErrorCode.TooLarge]).toBe(1);
    await roomStillWorks();
  });

  it('forwards a message just under the size limit', async () => {
    sender.sendMedia('big-but-fine', { kind: TrackKind.VIDEO }, MAX_MESSAGE_BYTES - 64);
    await receiver.nextMedia('big-but-fine');
  });

  it('closes a connection after 20 bad messages in a row with 4005 malformed', async () => {
    const bad = await offender(true);
    for (let i = 0; i < 25; i++) bad.sendRaw(new Uint8Array([0xff]));
    const closed = await bad.closed();
    expect(closed).toEqual({ code: CloseCode.Malformed, reason: ErrorCode.Malformed });
    expect(bad.inbox.filter((e) => e.body === 'error')).toHaveLength(20);
    expect(bad.inbox.at(-1)?.error).toMatchObject({ code: ErrorCode.Malformed, fatal: true });
    expect((await receiver.next('peerLeft')).peerLeft?.id).toBe(bad.id);
    await roomStillWorks();
  });

  it('does not close a connection whose bad messages are interleaved with good ones', async () => {
    const bad = await offender(true);
    for (let i = 0; i < 30; i++) {
      bad.sendRaw(new Uint8Array([0xff]));
      bad.send({ ping: { time: i } });
    }
    for (let i = 0; i < 30; i++) await bad.next('pong');
    expect(bad.isOpen).toBe(true);
  });
});

describe('bad input before joining', () => {
  it.each([
    ['a media frame', { media: { kind: TrackKind.VIDEO, payload: new Uint8Array([1]) } }],
    ['a keyframe request', { keyframeRequest: { target: 'x', kind: TrackKind.VIDEO } }],
    ['a leave', { leave: {} }],
  ] as [string, EnvelopeInit][])('answers %s with not-joined and forwards nothing', async (_name, message) => {
    const bad = await offender(false);
    bad.send(message);
    expect((await bad.next('error')).error).toMatchObject({ code: ErrorCode.NotJoined, fatal: false });
    expect(bad.isOpen).toBe(true);
    await receiver.expectNone('media', 50);
    await roomStillWorks();
    // It can still join afterwards.
    await bad.join('r', 'late');
    await roomStillWorks(bad);
  });

  it('answers malformed bytes before joining with malformed and keeps the connection', async () => {
    const bad = await offender(false);
    bad.sendRaw(new Uint8Array([0x0a, 0x05]));
    expect((await bad.next('error')).error.code).toBe(ErrorCode.Malformed);
    expect(bad.isOpen).toBe(true);
  });
});
