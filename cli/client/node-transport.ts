/**
 * The relay transports of `src/transport` in Node: `ws` stands in for the
 * browser's `WebSocket` and the relay's own QUIC stack for `WebTransport`, so
 * the browser's transports run unchanged in videocall-cli.
 */
import { connectTransport, type ConnectTransportOptions } from '../../src/transport/connect.js';
import { TransportError } from '../../src/transport/errors.js';
import type { Transport } from '../../src/transport/transport.js';
import { TransportUnsupportedError, UsageError } from '../errors.js';
import { installNodeWebSocket } from './node-websocket.js';
import { installNodeWebTransport, nodeWebTransportsClosed } from './node-webtransport/node-webtransport.js';

/** The transports the CLI can use. */
export type CliTransport = 'websocket' | 'webtransport';

/** Installs both stand-ins (each only where the global is missing). */
export function installNodeTransports(): void {
  installNodeWebSocket();
  installNodeWebTransport();
}

/**
 * Resolves once the transports closed so far are closed on the wire (bounded): a
 * WebTransport close is UDP packets still to send when the command returns.
 */
export function nodeTransportsClosed(): Promise<void> {
  return nodeWebTransportsClosed();
}

/** Throws a {@link TransportUnsupportedError} for a transport this Node cannot open. */
export function checkTransport(transport: CliTransport): void {
  installNodeTransports();
  if (transport === 'webtransport' && typeof WebTransport === 'undefined')
    throw new TransportUnsupportedError(transport);
}

/**
 * `RelayConnectionOptions.connect` for Node: the transport asked for (`auto`
 * means WebSocket here: a CLI names its transport, and a fallback would hide which one it got).
 */
export async function connectFromNode(server: string, options: ConnectTransportOptions): Promise<Transport> {
  installNodeTransports();
  const transport = options.transport === 'webtransport' ? 'webtransport' : 'websocket';
  try {
    return await connectTransport(server, { ...options, transport });
  } catch (error) {
    // Asking the relay (over HTTP) where its WebTransport is failed: the relay itself is not
    // there, which is what `relay-unreachable` says (fetch's TypeError is kept as the cause).
    if (
      error instanceof TransportError &&
      error.code === 'webtransport-unavailable' &&
      error.cause instanceof TypeError
    )
      throw new TransportError('relay-unreachable', error.message, { cause: error });
    throw error;
  }
}

/** The help line every command shows for `--transport`. */
export const TRANSPORT_HELP =
  'websocket (default) or webtransport (HTTP/3 over UDP: the port\n' +
  "in the relay's /webtransport.json, its certificate pinned by the hash there)";

/**
 * `--transport` as given (undefined: websocket).
 *
 * @throws {@link UsageError} for anything but websocket or webtransport.
 */
export function transportFlag(value: string | undefined): CliTransport {
  const transport = value ?? 'websocket';
  if (transport !== 'websocket' && transport !== 'webtransport')
    throw new UsageError(`--transport must be websocket or webtransport; got ${JSON.stringify(value)}.`);
  return transport;
}
