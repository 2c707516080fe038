import type { ConnectTransportOptions } from './connect.js';
import type { Transport } from './transport.js';

/**
 * {@link connectTransport} from a chunk of its own: in a browser the transports
 * run in the media worker, whose code carries them, so the page fetches its own
 * copy only where that worker cannot run (a Content-Security-Policy without
 * `blob:` in `worker-src`) or is not wanted.
 */
export async function connectLazily(server: string, options: ConnectTransportOptions = {}): Promise<Transport> {
  return (await import('./connect.js')).connectTransport(server, options);
}
