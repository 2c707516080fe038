/**
 * Chat across relays on a real NATS cluster: to everyone and to one person,
 * wherever each participant is connected, and a forged chat on the bus (a node
 * speaking for someone it does not hold) dropped and counted.
 */
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, ErrorCode } from '../../src/protocol/index.js';
import { BodyField } from '../../server/body-types.js';
import { encodeBusMessage } from '../../server/bus/bus-message.js';
import { subjects } from '../../server/bus/subjects.js';
import { TestClient } from '../server/helpers.js';
import { useRelayCluster } from './helpers.js';
import { hasNatsServer } from './nats-cluster.js';

describe.skipIf(!hasNatsServer())('chat across relays on NATS', () => {
  const cluster = useRelayCluster({ size: 2 });
  const { relays, clients } = cluster;
  const join = async (relay: number, room: string, name: string): Promise<TestClient> => {
    const c = await TestClient.joined(relays[relay], room, name);
    clients.push(c);
    return c;
  };

  async function trio(room: string): Promise<[TestClient, TestClient, TestClient]> {
    const a = await join(0, room, 'a');
    const b = await join(1, room, 'b');
    await a.next('peerJoined');
    const c = await join(1, room, 'c');
    await a.next('peerJoined');
    await b.next('peerJoined');
    return [a, b, c];
  }

  it('delivers a message to everyone on every relay, stamped by the sender’s relay', async () => {
    const [a, b, c] = await trio('chat-all');
    a.send({ chat: { text: 'across' } });
    for (const receiver of [b, c]) {
      const { from, chat } = await receiver.next('chat');
      expect(from).toBe(a.id);
      expect(chat.text).toBe('across');
      expect(chat.at).toBeGreaterThan(0);
    }
    c.send({ chat: { data: new Uint8Array([7]) } });
    expect((await a.next('chat')).from).toBe(c.id);
    expect((await b.next('chat')).from).toBe(c.id);
    await c.expectNone('chat', 150);
  });

  it('delivers a message to one person on another relay only', async () => {
    const [a, b, c] = await trio('chat-one');
    a.send({ chat: { to: [c.id], text: 'only you' } });
    const { from, chat } = await c.next('chat');
    expect(from).toBe(a.id);
    expect(chat).toMatchObject({ to: [c.id], text: 'only you' });
    await b.expectNone('chat', 250);
    // Back the other way, to someone on the first relay.
    c.send({ chat: { to: [a.id], text: 'and back' } });
    expect((await a.next('chat')).chat.text).toBe('and back');
    await b.expectNone('chat', 150);
    // Someone who never was in the room: refused on the sender's relay.
    b.send({ chat: { to: ['ghost'], text: '?' } });
    expect((await b.next('error')).error.code).toBe(ErrorCode.UnknownPeer);
  });

  it('drops a chat a node publishes for a participant it does not hold', async () => {
    const [a, b] = await trio('chat-forged');
    // A node (here: a raw publish on relay 1's bus) claims `a`, who is connected to relay 0.
    const forged = encodeEnvelope({ from: a.id, chat: { text: 'forged', at: 1 } });
    const origin = { sender: Buffer.from(a.id, 'latin1'), node: Buffer.from('someothernode', 'latin1') };
    const bus = relays[1].natsBus;
    bus.publish(
      subjects.presence('chat-forged'),
      encodeBusMessage({ body: BodyField.chat, keyframe: false, kind: 0 }, origin, forged),
    );
    await b.expectNone('chat', 300);
    a.send({ chat: { text: 'real' } });
    expect((await b.next('chat')).chat.text).toBe('real');
  });
});
