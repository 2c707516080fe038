/**
 * One receiver's control byte budget: the control other participants cause to
 * be sent to it (presence, targeted messages, key exchange, active speakers,
 * knocks) is bounded in bytes per second, so many senders together, each within
 * its own budget (`controlBytesPerSecond`), cannot flood one receiver.
 *
 * What happens beyond the budget depends on what the message is:
 * - essential (who joined or left, moderation, errors…): always sent, and
 *   charged, so it delays what can wait; a roster gap would confuse the client
 *   for the rest of the call, and there are at most two of these per peer;
 * - latest-wins (a peer's `MediaState`, `ActiveSpeakers`, `Knock`): held, one per
 *   peer and type, and sent when the budget refills; a newer one replaces the
 *   held one (counted as coalesced), since only the latest state matters;
 * - droppable (key exchange, keyframe requests, chat and app data): dropped and
 *   counted; their senders retry (a keyframe request is asked again, a key
 *   exchange restarts); a chat flood from many senders at once loses messages
 *   rather than delay who joined or left.
 *
 * The receiver's own replies (`Welcome`, its errors, `Pong`) never pass here.
 */
import { BodyField } from './body-types.js';
import { monotonicNow } from './rate-limit.js';

/** What the budget does with a message of a body type beyond it. */
export type ControlClass = 'essential' | 'latest' | 'droppable';

/** The class of a control body (its field number). */
export function controlClassOf(body: number): ControlClass {
  switch (body) {
    case BodyField.mediaState:
    case BodyField.activeSpeakers:
    case BodyField.knock:
      return 'latest';
    case BodyField.keyExchange:
    case BodyField.keyframeRequest:
    case BodyField.chat:
      return 'droppable';
    default:
      return 'essential';
  }
}

/** What became of a message the budget did not send at once. */
export type BudgetOutcome = 'dropped' | 'coalesced';

/** A receiver's budget: a burst of `burstBytes`, then `bytesPerSecond` sustained. */
export interface ReceiverBudgetLimits {
  bytesPerSecond: number;
  burstBytes: number;
}

/** Shortest wait before held messages are tried again, in ms: fewer timers under a flood. */
const MIN_RETRY_MS = 20;

export class ReceiverControlBudget {
  private tokens: number;
  private last: number;
  /** Latest-wins messages waiting for budget, by body and sender, oldest first; made when first needed. */
  private held: Map<string, { bytes: Uint8Array; body: number }> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly limits: ReceiverBudgetLimits,
    /** Sends a message to the receiver. */
    private readonly send: (bytes: Uint8Array, body: number) => void,
    /** Counts a message not sent (dropped) or replaced by a newer one (coalesced). */
    private readonly count: (outcome: BudgetOutcome) => void,
    private readonly now: () => number = monotonicNow,
  ) {
    this.tokens = limits.burstBytes;
    this.last = this.now();
  }

  /** Latest-wins messages held now. */
  get heldCount(): number {
    return this.held?.size ?? 0;
  }

  /** A control message for this receiver, caused by `sender` ('' for the relay itself). */
  offer(bytes: Uint8Array, body: number, sender = ''): void {
    if (this.closed) return;
    const kind = controlClassOf(body);
    if (kind === 'essential') {
      this.charge(bytes.length);
      this.send(bytes, body);
      return;
    }
    if (kind === 'latest') {
      const key = `${body} ${sender}`;
      // One is already held: this one replaces it (sending it now would overtake it, and then be overwritten).
      if (this.held?.has(key)) {
        this.held.set(key, { bytes, body });
        this.count('coalesced');
        return;
      }
      if (this.take(bytes.length)) return this.send(bytes, body);
      (this.held ??= new Map()).set(key, { bytes, body });
      this.schedule();
      return;
    }
    if (this.take(bytes.length)) return this.send(bytes, body);
    this.count('dropped');
  }

  /** `sender` left: what is held from it is moot. */
  forget(sender: string): void {
    if (!this.held) return;
    for (const key of this.held.keys()) if (key.endsWith(` ${sender}`)) this.held.delete(key);
  }

  /** The receiver is gone: nothing more is sent. */
  close(): void {
    this.closed = true;
    this.held = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(
      this.limits.burstBytes,
      this.tokens + ((now - this.last) / 1000) * this.limits.bytesPerSecond,
    );
    this.last = now;
  }

  private take(n: number): boolean {
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Charges what is sent regardless; the debt is bounded by one burst so a storm of them can't starve the rest forever. */
  private charge(n: number): void {
    this.refill();
    this.tokens = Math.max(-this.limits.burstBytes, this.tokens - n);
  }

  private schedule(): void {
    if (this.timer || !this.held?.size) return;
    const first = this.held.values().next().value!;
    const waitMs = ((first.bytes.length - this.tokens) / this.limits.bytesPerSecond) * 1000;
    this.timer = setTimeout(() => this.flush(), Math.max(MIN_RETRY_MS, Math.ceil(waitMs)));
    this.timer.unref();
  }

  /** Sends held messages, oldest first, while the budget allows. */
  private flush(): void {
    this.timer = undefined;
    if (this.closed || !this.held) return;
    for (const [key, { bytes, body }] of this.held) {
      if (!this.take(bytes.length)) break;
      this.held.delete(key);
      this.send(bytes, body);
    }
    this.schedule();
  }
}
