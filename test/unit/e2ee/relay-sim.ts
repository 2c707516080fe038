/**
 * A stand-in relay for E2EE tests: every participant in one process, key-exchange
 * messages carried as envelope bytes (through the real protobuf code and wire
 * conversion) and delivered to their target only, with a hook for a relay that
 * misbehaves.
 */
import type { AeadProvider } from '../../../src/e2ee/aead.js';
import { E2eeContext } from '../../../src/e2ee/e2ee-context.js';
import type { E2eeErrorEvent, KeyframeNeededEvent, KeyframeRequestEvent } from '../../../src/e2ee/events.js';
import type { RoomSecret } from '../../../src/e2ee/key-exchange.js';
import type { KeyExchangeMessage } from '../../../src/e2ee/key-messages.js';
import type { MediaFrameFields } from '../../../src/e2ee/media-metadata.js';
import { decodeEnvelope, encodeEnvelope } from '../../../src/protocol/envelope.js';
import { keyExchangeFromWire, keyExchangeToWire } from '../../../src/call/key-exchange-wire.js';

function toBytes(message: KeyExchangeMessage): Uint8Array {
  return encodeEnvelope({ keyExchange: keyExchangeToWire(message) });
}

function fromBytes(bytes: Uint8Array): KeyExchangeMessage {
  const message = keyExchangeFromWire(decodeEnvelope(bytes).keyExchange ?? {});
  if (!message) throw new Error('the relay carried a key-exchange message without a known step');
  return message;
}

export interface Routed {
  from: string;
  message: KeyExchangeMessage;
}

export interface Member {
  e2ee: E2eeContext;
  keyframesNeeded: KeyframeNeededEvent['reason'][];
  keyframeRequests: KeyframeRequestEvent['peerId'][];
  errors: E2eeErrorEvent[];
}

export const VIDEO_FRAME: MediaFrameFields = {
  kind: 2,
  codec: 2,
  keyframe: false,
  audioLevel: 127,
  sequence: 7,
  timestamp: 1_000_000,
  layer: 0,
  width: 1280,
  height: 720,
};

export class SimRelay {
  readonly members = new Map<string, Member>();
  /** Every message the relay carried, as sent (before `intercept`). */
  readonly log: Routed[] = [];
  /** Replace, drop (empty array) or add to what a client sent. Default: deliver as is. */
  intercept: (routed: Routed) => Routed[] = (routed) => [routed];
  private queue: { from: string; bytes: Uint8Array }[] = [];
  clock = { now: 0 };

  constructor(
    readonly room = 'standup',
    private readonly aead?: AeadProvider,
  ) {}

  /** A client joins: everyone meets everyone (as Welcome.roster and PeerJoined would say), then messages flow. */
  async join(id: string, secret?: RoomSecret | null): Promise<Member> {
    const e2ee = await E2eeContext.create({
      room: this.room,
      sessionId: id,
      roomSecret: secret ?? null,
      send: (message) => this.queue.push({ from: id, bytes: toBytes(message) }),
      aead: this.aead,
      now: () => this.clock.now,
    });
    const member: Member = { e2ee, keyframesNeeded: [], keyframeRequests: [], errors: [] };
    e2ee.addEventListener('keyframe-needed', (e) => member.keyframesNeeded.push(e.reason));
    e2ee.addEventListener('keyframe-request', (e) => member.keyframeRequests.push(e.peerId));
    e2ee.addEventListener('error', (e) => member.errors.push(e));
    for (const [otherId, other] of this.members) {
      other.e2ee.onPeerJoined(id);
      e2ee.onPeerJoined(otherId);
    }
    this.members.set(id, member);
    this.flush();
    return member;
  }

  /** A client leaves; the others hear PeerLeft. Its E2EE context lives on, as a leaver's page would. */
  leave(id: string): Member {
    const member = this.members.get(id)!;
    this.members.delete(id);
    for (const other of this.members.values()) other.e2ee.onPeerLeft(id);
    this.flush();
    return member;
  }

  /** Delivers queued messages (and those they cause) to their targets. */
  flush(): void {
    while (this.queue.length) {
      const { from, bytes } = this.queue.shift()!;
      const routed = { from, message: fromBytes(bytes) };
      this.log.push(routed);
      for (const out of this.intercept(routed)) {
        // Like the real relay: only to the target, stamped with the sender.
        this.members.get(out.message.target)?.e2ee.receiveKeyExchange(out.from, out.message);
      }
    }
  }

  /** Puts a message on the wire as if `from` had sent it (for a relay injecting its own). */
  inject(from: string, message: KeyExchangeMessage): void {
    this.queue.push({ from, bytes: toBytes(message) });
  }

  /** Messages of `step` from `from` to `to` carried so far. */
  count(step: KeyExchangeMessage['step'], from: string, to: string): number {
    return this.log.filter((r) => r.from === from && r.message.target === to && r.message.step === step).length;
  }

  e2ee(id: string): E2eeContext {
    return this.members.get(id)!.e2ee;
  }
}
