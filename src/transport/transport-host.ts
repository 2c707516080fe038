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
  | { t: 'closed'; id: number; info: TransportClose }
  | { t: 'dropped'; id: number; bytes: Uint8Array; priority: SendPriority }
  /** The remembered descriptions changed: the page's `localStorage` entry to write. */
  | { t: 'remember'; value: string };

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

  constructor(
    private readonly post: PostReport,
    private readonly consume: (bytes: Uint8Array) => boolean = () => false,
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
      transport = await connectTransport(request.server, {
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
      this.post({ t: 'message', id, bytes: own, consumed, at }, [own.buffer as ArrayBuffer]);
    };
    transport.onclose = (info) => {
      this.open.delete(id);
      this.post({ t: 'closed', id, info });
    };
    this.post({ t: 'open', id, kind: transport.kind });
  }
}
