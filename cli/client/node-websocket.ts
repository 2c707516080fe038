/**
 * The WebSocket of `src/transport` for Node: the transport runs as it is once
 * `WebSocket` exists (Node 20 has none by default; `ws` speaks the same API).
 */
import { WebSocket as WsWebSocket } from 'ws';

/** `ws` as the browser's `WebSocket`, without per-message deflate: media does not compress, and it costs CPU. */
class NodeWebSocket extends WsWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

/** Makes `globalThis.WebSocket` the `ws` one where Node has none. */
export function installNodeWebSocket(): void {
  // ws implements the WHATWG WebSocket interface that src/transport/websocket.ts uses.
  globalThis.WebSocket ??= NodeWebSocket as unknown as typeof WebSocket;
}
