/**
 * The bots' link to the relay through the client's transports (src/transport,
 * made to run in Node by cli/client): what `bots --transport webtransport` uses
 * instead of cli/sim's own WebSocket.
 */
import type { Transport } from '../../src/transport/transport.js';
import { connectFromNode, type CliTransport } from '../client/node-transport.js';
import type { SimConnect, SimLink, SimPriority } from '../sim/index.js';

/** A {@link SimConnect} that opens `transport` to the relay at `server` (its base URL). */
export function transportLink(server: string, transport: CliTransport): SimConnect {
  return async (timeoutMs) => new TransportSimLink(await connectFromNode(server, { transport, timeoutMs }));
}

/**
 * `transport` as a {@link SimLink} (the same calls; the close info without `local`). A class,
 * not an object literal: rollup's tree-shaking can take a literal's `null` handler for a constant.
 */
class TransportSimLink implements SimLink {
  onmessage: ((bytes: Uint8Array) => void) | null = null;
  onclose: ((info: { code: number; reason: string }) => void) | null = null;

  constructor(private readonly transport: Transport) {
    transport.onmessage = (bytes) => this.onmessage?.(bytes);
    transport.onclose = ({ code, reason }) => this.onclose?.({ code, reason });
  }

  send(bytes: Uint8Array, priority: SimPriority): boolean {
    return this.transport.send(bytes, priority);
  }

  close(code?: number, reason?: string): void {
    this.transport.close(code, reason);
  }
}
