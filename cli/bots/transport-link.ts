/**
 * The bots' link to the relay through the client's transports (src/transport,
 * made to run in Node by cli/client): what `bots --transport webtransport` uses
 * instead of cli/sim's own WebSocket.
 */
import type { Transport } from '../../src/transport/transport.js';
import { connectFromNode, type CliTransport } from '../client/node-transport.js';
import type { SimConnect, SimLink } from '../sim/index.js';

/** A {@link SimConnect} that opens `transport` to the relay at `server` (its base URL). */
export function transportLink(server: string, transport: CliTransport): SimConnect {
  return async (timeoutMs) => linkOf(await connectFromNode(server, { transport, timeoutMs }));
}

/** `transport` as a {@link SimLink} (the same calls; the close info without `local`). */
function linkOf(transport: Transport): SimLink {
  const link: SimLink = {
    send: (bytes, priority) => transport.send(bytes, priority),
    onmessage: null,
    onclose: null,
    close: (code, reason) => transport.close(code, reason),
  };
  transport.onmessage = (bytes) => link.onmessage?.(bytes);
  transport.onclose = ({ code, reason }) => link.onclose?.({ code, reason });
  return link;
}
