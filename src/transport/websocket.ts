import type { SendPriority, Transport, TransportClose, TransportState } from './transport.js';
import { TransportError } from './errors.js';

/**
 * Bytes queued in the socket above which a message of that priority is dropped.
 * Video deltas go first (the sender then forces a keyframe), keyframes next, then
 * audio; control is never dropped here.
 */
const DROP_ABOVE: Record<SendPriority, number> = {
  video: 256 * 1024,
  'video-key': 1024 * 1024,
  audio: 2 * 1024 * 1024,
  control: Number.POSITIVE_INFINITY,
};

/** Options for {@link WebSocketTransport.connect}. */
export interface WebSocketConnectOptions {
  /** Give up when the socket is not open after this long. */
  timeoutMs?: number;
}

/** The WebSocket transport: one binary message per envelope. */
export class WebSocketTransport implements Transport {
  readonly kind = 'websocket';
  onmessage: ((bytes: Uint8Array) => void) | null = null;
  onclose: ((info: TransportClose) => void) | null = null;
  private closedLocally = false;
  private closed = false;

  private constructor(private readonly socket: WebSocket) {
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (event: MessageEvent) => {
      // The relay only sends binary; anything else is ignored rather than trusted.
      if (event.data instanceof ArrayBuffer) this.onmessage?.(new Uint8Array(event.data));
    };
    socket.onclose = (event: CloseEvent) => this.finish(event.code, event.reason);
  }

  /**
   * Opens a WebSocket to `url`. Rejects with a `relay-unreachable` error when it
   * cannot open (refused, DNS, TLS, blocked, timeout).
   */
  static connect(url: string, options: WebSocketConnectOptions = {}): Promise<WebSocketTransport> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      let socket: WebSocket;
      try {
        socket = new WebSocket(url);
      } catch (cause) {
        reject(new TransportError('relay-unreachable', `Cannot connect to the relay at ${url}.`, { cause }));
        return;
      }
      const fail = (why: string) => {
        clearTimeout(timer);
        socket.onopen = socket.onerror = socket.onclose = null;
        socket.close();
        reject(new TransportError('relay-unreachable', `Cannot reach the relay at ${url} (${why}).`));
      };
      const timer = setTimeout(() => fail('timed out'), timeoutMs);
      socket.onerror = () => fail('connection failed');
      socket.onclose = (event) => fail(`closed with ${event.code}`);
      socket.onopen = () => {
        clearTimeout(timer);
        socket.onopen = socket.onerror = null;
        resolve(new WebSocketTransport(socket));
      };
    });
  }

  get state(): TransportState {
    if (this.closed) return 'closed';
    return this.socket.readyState === WebSocket.OPEN
      ? 'open'
      : this.socket.readyState === WebSocket.CONNECTING
        ? 'connecting'
        : 'closed';
  }

  /** Bytes accepted but not yet handed to the network. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  send(bytes: Uint8Array, priority: SendPriority): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    if (this.socket.bufferedAmount > DROP_ABOVE[priority]) return false;
    this.socket.send(bytes);
    return true;
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.closedLocally = true;
    try {
      this.socket.close(code, reason);
    } catch {
      this.socket.close();
    }
    this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.({ code, reason, local: this.closedLocally });
  }
}
