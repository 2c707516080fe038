/**
 * The worker's side of transports run in a dedicated worker (the media worker):
 * opens them with {@link connectTransport} as the page would, and passes
 * envelopes both ways as messages. The page's side is `worker-transport.ts`.
 * A worker has no `localStorage`: the page sends the remembered WebTransport
 * descriptions with each connect, and writes back what the worker saves.
 */
import { connectTransport, type TransportChoice } from './connect.js';
import { asTransportError, type TransportErrorCode } from './errors.js';
import type { SendPriority, Transport, TransportClose } from './transport.js';
import { useWebTransportInfoStorage } from './webtransport-info.js';
import { ownBuffer } from '../shared/bytes.js';

/** A message from the page to the worker's transports. `id` names one connection. */
export type TransportHostRequest =
  | {
      t: 'connect';
      id: number;
      /** Absolute: a worker started from a Blob URL has no base to resolve against. */
      server: string;
      choice: TransportChoice;
      timeoutMs: number;
      fallbackAfterMs?: number;
      /** `auto` waits for a `release` before falling back (see `holdFallbackUntil`). */
      held: boolean;
      /** The page's remembered WebTransport descriptions (its `localStorage` entry). */
      remembered: string | null;
    }
  | { t: 'release'; id: number }
  | { t: 'send'; id: number; bytes: Uint8Array; priority: SendPriority }
  | { t: 'close'; id: number; code?: number; reason?: string };

/** A message from the worker's transports to the page. */
export type TransportHostReport =
  | { t: 'open'; id: number; kind: Transport['kind'] }
  | { t: 'failed'; id: number; code: TransportErrorCode; message: string }
  /** `consumed`: the worker already used it; `at`: when it read it (see {@link Transport.onmessage}). */
  | { t: 'message'; id: number; bytes: Uint8Array; consumed: boolean; at: number }
  /** Envelopes the worker used, in the order read, told together (see {@link CONSUMED_BATCH_MS}). */
  | { t: 'consumed'; id: number; messages: { bytes: Uint8Array; at: number }[] }
  | { t: 'closed'; id: number; info: TransportClose }
  | { t: 'dropped'; id: number; bytes: Uint8Array; priority: SendPriority }
  /** The remembered descriptions changed: the page's `localStorage` entry to write. */
  | { t: 'remember'; value: string };

/**
 * Envelopes the worker used itself (the others' microphones, 100 a second each
 * with 10 ms packets) wait at most this long to be told to the page together:
 * the page only keeps count of them, and one message task instead of five
 * leaves a busy page (joining, decoding video) more time. An envelope the page
 * must handle sends the ones waiting first, so the order is kept.
 */
export const CONSUMED_BATCH_MS = 50;

/** Every message type the host takes, so a worker that hosts more can route. */
const REQUESTS: ReadonlySet<string> = new Set(['connect', 'release', 'send', 'close']);

/** Posts a report; the listed buffers are transferred. */
export type PostReport = (report: TransportHostReport, transfer?: Transferable[]) => void;

/**
 * Runs the connections a page asks for. `consume` sees each received envelope
 * first and says whether it used it (the page is told so).
 */
export class TransportHost {
  private readonly open = new Map<number, Transport>();
  /** Connections being opened: their release (for `held`), and whether the page gave up on them. */
  private readonly opening = new Map<number, { release(): void; cancelled: boolean }>();
  private remembered: string | null = null;
  /** Per connection: consumed envelopes not yet told to the page. */
  private readonly waiting = new Map<number, { messages: { bytes: Uint8Array; at: number }[]; timer: unknown }>();

  constructor(
    private readonly post: PostReport,
    private readonly consume: (bytes: Uint8Array) => boolean = () => false,
    /** How connections are opened (tests give their own). */
    private readonly opener: typeof connectTransport = connectTransport,
  ) {
    useWebTransportInfoStorage({
      getItem: () => this.remembered,
      setItem: (_key, value) => {
        this.remembered = value;
        this.post({ t: 'remember', value });
      },
    });
  }

  /** Whether `message` is for the host (then {@link handle} it). */
  static takes(message: { t?: unknown }): message is TransportHostRequest {
    return typeof message.t === 'string' && REQUESTS.has(message.t);
  }

  handle(request: TransportHostRequest): void {
    switch (request.t) {
      case 'connect':
        void this.connect(request);
        break;
      case 'release':
        this.opening.get(request.id)?.release();
        break;
      case 'send':
        this.send(request.id, request.bytes, request.priority);
        break;
      case 'close': {
        const pending = this.opening.get(request.id);
        if (pending) pending.cancelled = true;
        const transport = this.open.get(request.id);
        this.open.delete(request.id);
        this.flush(request.id);
        if (transport) {
          transport.onclose = null;
          transport.close(request.code, request.reason);
        }
        break;
      }
    }
  }

  /**
   * Sends on connection `id`, for the page or for the worker itself (its
   * microphone). False when it was not sent: no such connection (closed, or not
   * open yet), or dropped as congested (the page hears of that).
   */
  send(id: number, bytes: Uint8Array, priority: SendPriority): boolean {
    const transport = this.open.get(id);
    if (!transport) return false;
    if (transport.send(bytes, priority)) return true;
    if (transport.state === 'open') this.post({ t: 'dropped', id, bytes, priority }, [bytes.buffer as ArrayBuffer]);
    return false;
  }

  /** Keeps a consumed envelope to tell the page with others (see {@link CONSUMED_BATCH_MS}). */
  private hold(id: number, bytes: Uint8Array, at: number): void {
    let batch = this.waiting.get(id);
    if (!batch) {
      batch = { messages: [], timer: setTimeout(() => this.flush(id), CONSUMED_BATCH_MS) };
      this.waiting.set(id, batch);
    }
    batch.messages.push({ bytes, at });
  }

  /** Tells the page the consumed envelopes waiting on connection `id`, if any. */
  private flush(id: number): void {
    const batch = this.waiting.get(id);
    if (!batch) return;
    this.waiting.delete(id);
    clearTimeout(batch.timer as ReturnType<typeof setTimeout>);
    const { messages } = batch;
    this.post(
      { t: 'consumed', id, messages },
      messages.map((m) => m.bytes.buffer as ArrayBuffer),
    );
  }

  /** Closes every connection (the page is going away), and gives up on those being opened. */
  closeAll(): void {
    for (const pending of this.opening.values()) pending.cancelled = true;
    for (const id of [...this.open.keys()]) this.handle({ t: 'close', id, code: 1000, reason: 'left' });
  }

  private async connect(request: Extract<TransportHostRequest, { t: 'connect' }>): Promise<void> {
    const { id } = request;
    this.remembered = request.remembered;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const pending = { release, cancelled: false };
    this.opening.set(id, pending);
    let transport: Transport;
    try {
      transport = await this.opener(request.server, {
        transport: request.choice,
        timeoutMs: request.timeoutMs,
        ...(request.fallbackAfterMs !== undefined ? { fallbackAfterMs: request.fallbackAfterMs } : {}),
        ...(request.held ? { holdFallbackUntil: released } : {}),
      });
    } catch (error) {
      this.opening.delete(id);
      const failure = asTransportError(error);
      if (!pending.cancelled) this.post({ t: 'failed', id, code: failure.code, message: failure.message });
      return;
    }
    this.opening.delete(id);
    if (pending.cancelled) return transport.close(1000, 'not used');
    this.open.set(id, transport);
    transport.onmessage = (bytes) => {
      const at = performance.timeOrigin + performance.now();
      const consumed = this.consume(bytes);
      // Transfer only a buffer the envelope owns: a read may hold several envelopes in one.
      const own = ownBuffer(bytes);
      if (consumed) return this.hold(id, own, at);
      this.flush(id);
      this.post({ t: 'message', id, bytes: own, consumed, at }, [own.buffer as ArrayBuffer]);
    };
    transport.onclose = (info) => {
      this.open.delete(id);
      this.flush(id);
      this.post({ t: 'closed', id, info });
    };
    this.post({ t: 'open', id, kind: transport.kind });
  }
}
