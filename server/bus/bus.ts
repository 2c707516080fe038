/**
 * The bus carries room traffic between relay nodes: subject-based publish and
 * subscribe with bytes payloads, in the model of NATS. One node uses the
 * in-process {@link LocalBus}; several nodes share a NATS cluster through
 * {@link NatsBus} (`nats-bus.ts`), with no other change to the relay.
 *
 * Subjects are dot-separated tokens. Subscriptions may use NATS wildcards: `*`
 * matches exactly one token, `>` (last token only) matches one or more tokens.
 * The subjects the relay uses are built in `subjects.ts`, payloads in `bus-message.ts`.
 */

/** Called for each message on a matching subject. Must not throw (errors are logged and swallowed). */
export type BusHandler = (subject: string, payload: Uint8Array) => void;

export interface BusSubscription {
  /** Stops delivery to this handler. Idempotent. */
  unsubscribe(): void;
}

export interface Bus {
  /** Which implementation this is (reported by `/healthz`). */
  readonly kind: 'local' | 'nats';
  /**
   * Whether messages published now reach the other nodes. The local bus always
   * is; a NATS bus is not while it reconnects, and then drops what is published
   * (the relay keeps serving its own participants and resynchronizes after).
   */
  readonly connected: boolean;
  /** Largest payload `publish` accepts, in bytes (`Infinity` when unlimited). */
  readonly maxPayload: number;
  /**
   * Sends `payload` to every subscription matching `subject` (no wildcards), on
   * every node. Whether the publishing connection's own subscriptions get it too
   * depends on the bus (the local bus: yes; NATS: no, `noEcho`), so the relay
   * tells its own messages apart by the node id in them. The payload must not be
   * modified afterwards. Delivery may be synchronous (local bus) or later (NATS):
   * callers must work with either. Throws {@link BusPayloadError} above `maxPayload`.
   */
  publish(subject: string, payload: Uint8Array): void;
  subscribe(pattern: string, handler: BusHandler): BusSubscription;
  /**
   * Calls `listener` each time the bus loses (`false`) or regains (`true`) its
   * connection. Returns a function that removes the listener.
   */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
  /** Drops every subscription and releases the connection, if any. */
  close(): Promise<void>;
}

/** A payload is larger than the bus carries (`Bus.maxPayload`). */
export class BusPayloadError extends Error {
  override readonly name = 'BusPayloadError';
  readonly code = 'too-large';
  constructor(
    readonly bytes: number,
    readonly maxPayload: number,
  ) {
    super(`bus message of ${bytes} bytes is above the bus limit of ${maxPayload} bytes`);
  }
}

/** A subject or pattern is not made of valid tokens. */
export class BusSubjectError extends Error {
  override readonly name = 'BusSubjectError';
  readonly code = 'invalid-subject';
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Splits and checks a subject (`wildcards` false) or a subscription pattern. */
export function parseSubject(subject: string, wildcards: boolean): string[] {
  const tokens = subject.split('.');
  tokens.forEach((token, i) => {
    if (wildcards && token === '*') return;
    if (wildcards && token === '>' && i === tokens.length - 1) return;
    if (!TOKEN.test(token)) throw new BusSubjectError(`invalid ${wildcards ? 'pattern' : 'subject'} "${subject}"`);
  });
  return tokens;
}

/** Whether `subject` (tokens, no wildcards) matches `pattern` (tokens, maybe wildcards). */
export function subjectMatches(pattern: readonly string[], subject: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '>') return subject.length > i;
    if (i >= subject.length) return false;
    if (p !== '*' && p !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}
