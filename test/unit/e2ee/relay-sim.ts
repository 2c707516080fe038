/**
 * A stand-in relay for E2EE tests: sessions in one process, key-exchange
 * messages carried as bytes (through the real codec) and delivered to their
 * target only, with a hook for a relay that misbehaves.
 */
import type { AeadProvider } from '../../../src/e2ee/aead.js';
import { E2eeSession } from '../../../src/e2ee/e2ee-session.js';
import type { E2eeErrorEvent, KeyframeNeededEvent, KeyframeRequestEvent } from '../../../src/e2ee/events.js';
import type { RoomSecret } from '../../../src/e2ee/key-exchange.js';
import { decodeKeyExchange, encodeKeyExchange, type KeyExchangeMessage } from '../../../src/e2ee/key-messages.js';
import type { MediaFrameFields } from '../../../src/e2ee/media-metadata.js';

export interface Routed {
  from: string;
  message: KeyExchangeMessage;
}

export interface Member {
  session: E2eeSession;
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
    const session = await E2eeSession.create({
      room: this.room,
      sessionId: id,
      roomSecret: secret ?? null,
      send: (message) => this.queue.push({ from: id, bytes: encodeKeyExchange(message) }),
      aead: this.aead,
      now: () => this.clock.now,
    });
    const member: Member = { session, keyframesNeeded: [], keyframeRequests: [], errors: [] };
    session.addEventListener('keyframe-needed', (e) => member.keyframesNeeded.push(e.reason));
    session.addEventListener('keyframe-request', (e) => member.keyframeRequests.push(e.peerId));
    session.addEventListener('error', (e) => member.errors.push(e));
    for (const [otherId, other] of this.members) {
      other.session.onPeerJoined(id);
      session.onPeerJoined(otherId);
    }
    this.members.set(id, member);
    this.flush();
    return member;
  }

  /** A client leaves; the others hear PeerLeft. Its session object lives on, as a leaver's page would. */
  leave(id: string): Member {
    const member = this.members.get(id)!;
    this.members.delete(id);
    for (const other of this.members.values()) other.session.onPeerLeft(id);
    this.flush();
    return member;
  }

  /** Delivers queued messages (and those they cause) to their targets. */
  flush(): void {
    while (this.queue.length) {
      const { from, bytes } = this.queue.shift()!;
      const routed = { from, message: decodeKeyExchange(bytes) };
      this.log.push(routed);
      for (const out of this.intercept(routed)) {
        // Like the real relay: only to the target, stamped with the sender.
        this.members.get(out.message.target)?.session.receiveKeyExchange(out.from, out.message);
      }
    }
  }

  /** Puts a message on the wire as if `from` had sent it (for a relay injecting its own). */
  inject(from: string, message: KeyExchangeMessage): void {
    this.queue.push({ from, bytes: encodeKeyExchange(message) });
  }

  /** Messages of `step` from `from` to `to` carried so far. */
  count(step: KeyExchangeMessage['step'], from: string, to: string): number {
    return this.log.filter((r) => r.from === from && r.message.target === to && r.message.step === step).length;
  }

  session(id: string): E2eeSession {
    return this.members.get(id)!.session;
  }
}
