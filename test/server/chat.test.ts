/**
 * Chat and app data through one relay, over real sockets: delivered to everyone
 * or only to the named participants, stamped by the relay, within size and rate
 * limits that are answered with an error and counted in /metrics.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CHAT_BURST,
  ErrorCode,
  MAX_CHAT_CONTENT_BYTES,
  MAX_CHAT_ENVELOPE_BYTES,
  MAX_CHAT_RECIPIENTS,
} from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { startTestRelay, TestClient } from './helpers.js';

let relay: Relay;
const clients: TestClient[] = [];

beforeAll(async () => {
  relay = await startTestRelay();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await relay.close();
});

async function join(room: string, name: string): Promise<TestClient> {
  const c = await TestClient.joined(relay, room, name);
  clients.push(c);
  return c;
}

/** Three participants in `room`, each having seen the others join. */
async function trio(room: string): Promise<[TestClient, TestClient, TestClient]> {
  const a = await join(room, 'a');
  const b = await join(room, 'b');
  await a.next('peerJoined');
  const c = await join(room, 'c');
  await a.next('peerJoined');
  await b.next('peerJoined');
  return [a, b, c];
}

async function metric(name: string, label: string): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`"${label}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('chat through the relay', () => {
  it('delivers a message to everyone else, stamped with the sender and the relay clock (not what the client wrote)', async () => {
    const [a, b, c] = await trio('chat-all');
    const before = Date.now();
    a.send({ from: c.id, chat: { text: 'hello, all 👋', at: 42 } });
    for (const receiver of [b, c]) {
      const { from, chat } = await receiver.next('chat');
      expect(from).toBe(a.id);
      expect(chat.text).toBe('hello, all 👋');
      expect(chat.to).toEqual([]);
      expect(chat.at).toBeGreaterThanOrEqual(before);
      expect(chat.at).toBeLessThanOrEqual(Date.now());
    }
    await a.expectNone('chat', 150);
  });

  it('delivers a message naming one participant to that one only', async () => {
    const [a, b, c] = await trio('chat-one');
    a.send({ chat: { to: [c.id], data: new Uint8Array([1, 2, 3]) } });
    const { from, chat } = await c.next('chat');
    expect(from).toBe(a.id);
    expect(chat.to).toEqual([c.id]);
    expect([...(chat.data ?? [])]).toEqual([1, 2, 3]);
    await b.expectNone('chat', 200);
    await a.expectNone('chat', 0);
  });

  it('passes sealed (end-to-end encrypted) content through untouched', async () => {
    const [a, b] = await trio('chat-sealed');
    const sealed = new Uint8Array(300).map((_, i) => (i * 7) & 0xff);
    a.send({ chat: { to: [b.id], sealed } });
    expect([...((await b.next('chat')).chat.sealed ?? [])]).toEqual([...sealed]);
  });

  it('refuses a message to someone not in the room with unknown-peer, and delivers it to nobody', async () => {
    const [a, b, c] = await trio('chat-unknown');
    a.send({ chat: { to: [b.id, 'nobody-here'], text: 'psst' } });
    const { error } = await a.next('error');
    expect(error).toMatchObject({ code: ErrorCode.UnknownPeer, fatal: false });
    expect(error.message).toContain('nobody-here');
    await b.expectNone('chat', 150);
    await c.expectNone('chat', 0);
    // Not to oneself either.
    a.send({ chat: { to: [a.id], text: 'me' } });
    expect((await a.next('error')).error.code).toBe(ErrorCode.UnknownPeer);
  });

  it('answers bad input with an error and keeps the call going: no content, a recipient twice, too many, not an id', async () => {
    const [a, b] = await trio('chat-bad');
    const bad = [
      { to: [b.id] },
      { to: [b.id, b.id], text: 'twice' },
      { to: Array.from({ length: MAX_CHAT_RECIPIENTS + 1 }, (_, i) => `p${i}`), text: 'crowd' },
      { to: ['not an id!'], text: 'x' },
    ];
    for (const chat of bad) {
      a.send({ chat });
      const { error } = await a.next('error');
      expect(error).toMatchObject({ code: ErrorCode.Malformed, fatal: false });
    }
    await b.expectNone('chat', 100);
    a.send({ chat: { text: 'still here' } });
    expect((await b.next('chat')).chat.text).toBe('still here');
  });

  it('refuses content over the limit (too-large, counted), also an envelope over the chat cap', async () => {
    const [a, b] = await trio('chat-size');
    const refusedBefore = await metric('videocall_refused_total', 'size-chat');
    a.send({ chat: { data: new Uint8Array(MAX_CHAT_CONTENT_BYTES + 1) } });
    expect((await a.next('error')).error).toMatchObject({ code: ErrorCode.TooLarge, fatal: false });
    a.send({ chat: { text: 'é'.repeat(MAX_CHAT_CONTENT_BYTES / 2 + 1) } }); // 2 bytes each in UTF-8
    expect((await a.next('error')).error.code).toBe(ErrorCode.TooLarge);
    a.send({ chat: { data: new Uint8Array(MAX_CHAT_ENVELOPE_BYTES + 10) } });
    expect((await a.next('error')).error.code).toBe(ErrorCode.TooLarge);
    expect(await metric('videocall_refused_total', 'size-chat')).toBe(refusedBefore + 1);
    await b.expectNone('chat', 100);
    // At the limit it goes through.
    a.send({ chat: { data: new Uint8Array(MAX_CHAT_CONTENT_BYTES) } });
    expect((await b.next('chat')).chat.data).toHaveLength(MAX_CHAT_CONTENT_BYTES);
  });

  it('drops messages over the rate, tells the sender once per run, and counts them', async () => {
    const [a, b] = await trio('chat-rate');
    const before = await metric('videocall_dropped_messages_total', 'chat-rate');
    const sent = CHAT_BURST + 20;
    for (let i = 0; i < sent; i++) a.send({ chat: { text: `m${i}` } });
    const { error } = await a.next('error');
    expect(error).toMatchObject({ code: ErrorCode.RateLimited, fatal: false });
    await a.expectNone('error', 200);
    let received = 0;
    for (;;) {
      try {
        await b.next('chat', 300);
        received++;
      } catch {
        break;
      }
    }
    // The burst, plus what the rate refilled while they were sent.
    expect(received).toBeGreaterThanOrEqual(CHAT_BURST);
    expect(received).toBeLessThan(sent);
    expect(await metric('videocall_dropped_messages_total', 'chat-rate')).toBe(before + (sent - received));
    expect(a.isOpen).toBe(true);
  });

  it('refuses chat before the join', async () => {
    const c = await TestClient.connect(relay.wsUrl, 'early');
    clients.push(c);
    c.send({ chat: { text: 'too soon' } });
    expect((await c.next('error')).error.code).toBe(ErrorCode.NotJoined);
  });
});
