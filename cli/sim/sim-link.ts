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

/** The default {@link SimConnect}: a WebSocket to `url` (the relay's `/ws`), without per-message deflate. */
export function webSocketLink(url: string): SimConnect {
  return (timeoutMs) =>
    new Promise<SimLink>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.binaryType = 'nodebuffer';
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`no WebSocket to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      const link: SimLink = {
        send: (bytes) => {
          if (ws.readyState !== WebSocket.OPEN) return false;
          ws.send(bytes);
          return true;
        },
        onmessage: null,
        onclose: null,
        close: (code, reason) => {
          if (ws.readyState > WebSocket.OPEN) return;
          ws.close(code, reason);
          // A relay that never answers the close must not hold the process.
          setTimeout(() => ws.terminate(), 2000).unref();
        },
      };
      ws.on('message', (data: Buffer) => link.onmessage?.(data));
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(link);
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.once('close', (code, reason) => {
        clearTimeout(timer);
        link.onclose?.({ code, reason: reason.toString() });
      });
    });
}
