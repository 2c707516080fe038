/**
 * A WebSocket as a {@link ClientLink}: every envelope, control or media, is one
 * binary message, and the buffer is the socket's own.
 */
import { WebSocket } from 'ws';
import type { ClientLink } from './client-link.js';

export class WsLink implements ClientLink {
  readonly kind = 'websocket';

  constructor(private readonly ws: WebSocket) {}

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  sendControl(bytes: Uint8Array): boolean {
    this.ws.send(bytes);
    return true;
  }

  sendMedia(bytes: Uint8Array): boolean {
    this.ws.send(bytes);
    return true;
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }
}
