/**
 * The page's side of transports run in a dedicated worker (`transport-host.ts`):
 * {@link TransportClient.connect} opens one there and gives the page a
 * {@link Transport} that passes envelopes as messages. Reading the network off
 * the main thread lets the worker use what it reads (audio, played without the
 * page) while the page is busy rendering.
 */
import type { ConnectTransportOptions } from './connect.js';
import { invalidRelayAddress, TransportError } from './errors.js';
import type { TransportHostReport, TransportHostRequest } from './transport-host.js';
import type { SendPriority, Transport, TransportClose, TransportState } from './transport.js';
import { WEBTRANSPORT_INFO_STORAGE_KEY } from './webtransport-info-key.js';
import { ownBuffer } from '../shared/bytes.js';

/** Where requests go: the worker. */
export interface TransportHostPort {
  postMessage(message: TransportHostRequest, transfer?: Transferable[]): void;
}

interface Connecting {
  resolve(transport: Transport): void;
  reject(error: TransportError): void;
}

/** Opens transports in a worker and routes its reports to them. */
export class TransportClient {
  private readonly connecting = new Map<number, Connecting>();
  private readonly transports = new Map<number, WorkerTransport>();
  private nextId = 1;
  private gone: TransportError | null = null;

  constructor(private readonly port: TransportHostPort) {}

  /**
   * Like `connectTransport`, with the transport in the worker. Rejects with a
   * {@link TransportError}, also when the worker is gone.
   */
  connect(server: string, options: ConnectTransportOptions = {}): Promise<Transport> {
    if (this.gone) return Promise.reject(this.gone);
    let absolute: string;
    try {
      absolute = new URL(server, globalThis.location?.href).href;
    } catch (cause) {
      return Promise.reject(invalidRelayAddress(server, cause));
    }
    const id = this.nextId++;
    return new Promise<Transport>((resolve, reject) => {
      this.connecting.set(id, { resolve, reject });
      this.port.postMessage({
        t: 'connect',
        id,
        server: absolute,
        choice: options.transport ?? 'auto',
        timeoutMs: options.timeoutMs ?? 10_000,
        ...(options.fallbackAfterMs !== undefined ? { fallbackAfterMs: options.fallbackAfterMs } : {}),
        held: options.holdFallbackUntil !== undefined,
        remembered: readRemembered(),
      });
      const release = (): void => this.post({ t: 'release', id });
      options.holdFallbackUntil?.then(release, release);
    });
  }

  /** A report from the worker; false when it is not one of the transports'. */
  received(report: { t: string }): boolean {
    const r = report as TransportHostReport;
    switch (r.t) {
      case 'open': {
        const pending = this.connecting.get(r.id);
        this.connecting.delete(r.id);
        const transport = new WorkerTransport(r.kind, r.id, this);
        if (!pending) {
          transport.close(1000, 'not used');
          return true;
        }
        this.transports.set(r.id, transport);
        pending.resolve(transport);
        return true;
      }
      case 'failed': {
        const pending = this.connecting.get(r.id);
        this.connecting.delete(r.id);
        pending?.reject(new TransportError(r.code, r.message));
        return true;
      }
      case 'message':
        this.transports.get(r.id)?.received(r.bytes, r.consumed, r.at);
        return true;
      case 'consumed': {
        const transport = this.transports.get(r.id);
        for (const m of r.messages) transport?.received(m.bytes, true, m.at);
        return true;
      }
      case 'dropped':
        this.transports.get(r.id)?.dropped(r.bytes, r.priority);
        return true;
      case 'closed':
        this.transports.get(r.id)?.closed(r.info);
        this.transports.delete(r.id);
        return true;
      case 'remember':
        writeRemembered(r.value);
        return true;
      default:
        return false;
    }
  }

  /**
   * The worker is gone (it failed or was stopped): connects in progress fail,
   * open transports close as a dropped connection does, later connects reject.
   */
  lost(reason: string): void {
    this.gone ??= new TransportError('relay-unreachable', `The media worker stopped: ${reason}.`);
    for (const pending of this.connecting.values()) pending.reject(this.gone);
    this.connecting.clear();
    const open = [...this.transports.values()];
    this.transports.clear();
    for (const transport of open) transport.closed({ code: 1006, reason: '', local: false });
  }

  /** The worker's id of `transport`, one of ours still open; null for any other. */
  idOf(transport: Transport): number | null {
    for (const [id, open] of this.transports) if (open === transport) return id;
    return null;
  }

  /** @internal */
  send(id: number, bytes: Uint8Array, priority: SendPriority): void {
    // Transfer only a buffer the message owns entirely; copy a view of a larger one.
    const own = ownBuffer(bytes);
    this.post({ t: 'send', id, bytes: own, priority }, [own.buffer as ArrayBuffer]);
  }

  /** @internal */
  close(id: number, code: number, reason: string): void {
    this.transports.delete(id);
    this.post({ t: 'close', id, code, reason });
  }

  private post(request: TransportHostRequest, transfer: Transferable[] = []): void {
    if (!this.gone) this.port.postMessage(request, transfer);
  }
}

/** A transport running in the worker, as the page sees it. */
class WorkerTransport implements Transport {
  readonly offThread = true;
  onmessage: ((bytes: Uint8Array, consumed?: boolean, receivedAt?: number) => void) | null = null;
  onclose: ((info: TransportClose) => void) | null = null;
  ondropped: ((bytes: Uint8Array, priority: SendPriority) => void) | null = null;
  private ended = false;

  constructor(
    readonly kind: Transport['kind'],
    private readonly id: number,
    private readonly client: TransportClient,
  ) {}

  get state(): TransportState {
    return this.ended ? 'closed' : 'open';
  }

  /** True when handed to the worker; the worker may still drop it (then {@link ondropped}). */
  send(bytes: Uint8Array, priority: SendPriority): boolean {
    if (this.ended) return false;
    this.client.send(this.id, bytes, priority);
    return true;
  }

  close(code = 1000, reason = ''): void {
    if (this.ended) return;
    this.client.close(this.id, code, reason);
    this.closed({ code, reason, local: true });
  }

  received(bytes: Uint8Array, consumed: boolean, at: number): void {
    if (!this.ended) this.onmessage?.(bytes, consumed, at);
  }

  dropped(bytes: Uint8Array, priority: SendPriority): void {
    if (!this.ended) this.ondropped?.(bytes, priority);
  }

  closed(info: TransportClose): void {
    if (this.ended) return;
    this.ended = true;
    this.onclose?.(info);
  }
}

function readRemembered(): string | null {
  try {
    return globalThis.localStorage?.getItem(WEBTRANSPORT_INFO_STORAGE_KEY) ?? null;
  } catch {
    return null; // blocked storage: the worker fetches first
  }
}

function writeRemembered(value: string): void {
  try {
    globalThis.localStorage?.setItem(WEBTRANSPORT_INFO_STORAGE_KEY, value);
  } catch {
    // Blocked or full storage: the next connect fetches first.
  }
}
