/**
 * The relay transports of `src/transport` for Node: the WebSocket one runs
 * as it is once `WebSocket` exists (Node 20 has none by default; `ws` speaks
 * the same API). WebTransport has no Node client yet.
 */
import { WebSocket as WsWebSocket } from 'ws';
import { connectTransport, type ConnectTransportOptions } from '../../src/transport/connect.js';
import type { Transport } from '../../src/transport/transport.js';
import { TransportUnsupportedError } from '../errors.js';

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

/** The transports the CLI can use. */
export type CliTransport = 'websocket' | 'webtransport';

/** Throws a {@link TransportUnsupportedError} for a transport this Node cannot open. */
export function checkTransport(transport: CliTransport): void {
  if (transport === 'webtransport' && typeof WebTransport === 'undefined')
    throw new TransportUnsupportedError(transport);
}

/** `RelayConnectionOptions.connect` for Node: the WebSocket transport, whatever `auto` would try. */
export function connectFromNode(server: string, options: ConnectTransportOptions): Promise<Transport> {
  installNodeWebSocket();
  return connectTransport(server, { ...options, transport: 'websocket' });
}
