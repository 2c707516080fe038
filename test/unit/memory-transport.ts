// A transport the tests play the relay on: it records what the connection sends
// and delivers what the test says the relay answers. No sockets.
import {
  decodeEnvelope,
  encodeEnvelope,
  type DecodedEnvelope,
  type EnvelopeInit,
} from '../../src/protocol/envelope.js';
import type { SendPriority, Transport, TransportClose } from '../../src/transport/transport.js';

export class MemoryTransport implements Transport {
  state: Transport['state'] = 'open';
  onmessage: ((bytes: Uint8Array) => void) | null = null;
  onclose: ((info: TransportClose) => void) | null = null;
  /** Every envelope sent, in order, and the priority each was sent with. */
  readonly sent: DecodedEnvelope[] = [];
  readonly priorities: SendPriority[] = [];
  closedWith: { code: number; reason: string } | null = null;

  constructor(
    readonly kind: 'websocket' | 'webtransport' = 'websocket',
    readonly server = '',
  ) {}

  send(bytes: Uint8Array, priority: SendPriority): boolean {
    if (this.state !== 'open') return false;
    this.sent.push(decodeEnvelope(bytes));
    this.priorities.push(priority);
    return true;
  }

  close(code = 1000, reason = ''): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closedWith = { code, reason };
    this.onclose?.({ code, reason, local: true });
  }

  /** The relay sends `message`. */
  deliver(message: EnvelopeInit): void {
    this.onmessage?.(encodeEnvelope(message));
  }

  /** The relay (or the network) closes the connection. */
  drop(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.onclose?.({ code, reason, local: false });
  }

  /** The `Join` envelopes sent. */
  joins(): DecodedEnvelope[] {
    return this.sent.filter((e) => e.join);
  }
}
