/**
 * How a simulated participant reaches the relay: a small link that moves whole
 * envelopes, the same shape as the client's `Transport` (src/transport), so a
 * caller can hand in a WebTransport one while cli/sim itself depends only on
 * the wire protocol. The default is a plain WebSocket to the relay's `/ws`.
 */
import { WebSocket } from 'ws';

/** How important a message is when the link is congested (as `SendPriority` in src/transport). */
export type SimPriority = 'control' | 'audio' | 'video-key' | 'video';

/** An open link to the relay. */
export interface SimLink {
  /** Sends one envelope; false when it was dropped (congested or closed). */
  send(bytes: Uint8Array, priority: SimPriority): boolean;
  /** Called for each envelope received. */
  onmessage: ((bytes: Uint8Array) => void) | null;
  /** Called once when the link closes, for whatever reason. */
  onclose: ((info: { code: number; reason: string }) => void) | null;
  close(code?: number, reason?: string): void;
}

/** Opens a link; rejects when it cannot within `timeoutMs`. */
export type SimConnect = (timeoutMs: number) => Promise<SimLink>;

/**
 * A WebSocket as a {@link SimLink}. A class, not an object literal: rollup's tree-shaking
 * took a literal's `onclose: null` for a constant and dropped the call (seen in dist/cli.js).
 */
class WebSocketLink implements SimLink {
  onmessage: ((bytes: Uint8Array) => void) | null = null;
  onclose: ((info: { code: number; reason: string }) => void) | null = null;

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.onmessage?.(data));
    ws.once('close', (code, reason) => this.onclose?.({ code, reason: reason.toString() }));
  }

  send(bytes: Uint8Array): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(bytes);
    return true;
  }

  close(code?: number, reason?: string): void {
    if (this.ws.readyState > WebSocket.OPEN) return;
    this.ws.close(code, reason);
    // A relay that never answers the close must not hold the process.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }
}

/** The default {@link SimConnect}: a WebSocket to `url` (the relay's `/ws`), without per-message deflate. */
export function webSocketLink(url: string): SimConnect {
  return (timeoutMs) =>
    new Promise<SimLink>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.binaryType = 'nodebuffer';
      const link = new WebSocketLink(ws);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`no WebSocket to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(link);
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.once('close', () => clearTimeout(timer));
    });
}
