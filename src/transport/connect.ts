import { asTransportError, invalidRelayAddress, TransportError } from './errors.js';
import { relayWebSocketUrl } from './relay-url.js';
import type { Transport } from './transport.js';
import { WebSocketTransport } from './websocket.js';
import { WebTransportTransport } from './webtransport.js';

/**
 * How to reach the relay: `auto` tries WebTransport and falls back to WebSocket;
 * the other two use only that one.
 */
export type TransportChoice = 'auto' | 'websocket' | 'webtransport';

/** Options for {@link connectTransport}. */
export interface ConnectTransportOptions {
  /** Default `auto`. */
  transport?: TransportChoice;
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /**
   * With `auto`: how long WebTransport may take to be ready before an open
   * WebSocket is used instead (default 1000 ms). A blocked UDP port never answers,
   * so this bounds the cost of trying.
   */
  fallbackAfterMs?: number;
  /**
   * With `auto`: don't fall back before this settles (WebTransport failing still
   * falls back at once). The first join passes what its `Join` waits for (camera,
   * codec probing): a page busy with that can't use a transport sooner anyway,
   * and the time lets a WebTransport handshake delayed by that busy page finish.
   */
  holdFallbackUntil?: Promise<unknown>;
}

/** The default {@link ConnectTransportOptions.fallbackAfterMs}. */
export const FALLBACK_AFTER_MS = 1000;

/**
 * Connects to the relay at `server` (its base URL, http(s) or ws(s); relative
 * URLs resolve against the page).
 *
 * With `auto`, WebTransport and a standby WebSocket are opened together: the
 * WebTransport session is used if it is ready within `fallbackAfterMs`;
 * otherwise, or as soon as it fails (no `WebTransport` in the browser, the relay
 * doesn't offer it, the handshake fails), the WebSocket is. The one not used is closed.
 *
 * Rejects with a {@link TransportError}: `relay-unreachable` when nothing
 * connects, `webtransport-unavailable` (saying why) when `webtransport` was
 * asked for and cannot be had.
 *
 * @example
 * ```ts
 * const transport = await connectTransport('https://relay.example', { transport: 'auto' });
 * console.log(transport.kind); // 'webtransport' or 'websocket'
 * ```
 */
export async function connectTransport(server: string, options: ConnectTransportOptions = {}): Promise<Transport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const choice = options.transport ?? 'auto';
  if (choice === 'webtransport') return WebTransportTransport.connect(server, { timeoutMs });
  let wsUrl: string;
  try {
    wsUrl = relayWebSocketUrl(server, globalThis.location?.href);
  } catch (cause) {
    throw invalidRelayAddress(server, cause);
  }
  if (choice === 'websocket' || typeof WebTransport === 'undefined') {
    return WebSocketTransport.connect(wsUrl, { timeoutMs });
  }
  return race(server, wsUrl, timeoutMs, options.fallbackAfterMs ?? FALLBACK_AFTER_MS, options.holdFallbackUntil);
}

/** `auto`: WebTransport first, a WebSocket on standby. */
function race(
  server: string,
  wsUrl: string,
  timeoutMs: number,
  fallbackAfterMs: number,
  holdFallbackUntil?: Promise<unknown>,
): Promise<Transport> {
  const cancelWebTransport = new AbortController();
  const wt = WebTransportTransport.connect(server, { timeoutMs, signal: cancelWebTransport.signal });
  const ws = WebSocketTransport.connect(wsUrl, { timeoutMs });
  const started = performance.now();
  const fallbackDue = (): boolean => performance.now() - started >= fallbackAfterMs;
  return new Promise<Transport>((resolve, reject) => {
    let settled = false;
    let wtFailed = false;
    let wsFailure: unknown;
    let wsOpen: WebSocketTransport | undefined;
    let wtError: unknown;
    let held = holdFallbackUntil !== undefined;
    const fallbackTimer = setTimeout(() => {
      if (!settled && wsOpen && !held) choose(wsOpen);
    }, fallbackAfterMs);
    const release = (): void => {
      held = false;
      if (!settled && wsOpen && fallbackDue()) choose(wsOpen);
    };
    holdFallbackUntil?.then(release, release);

    const choose = (transport: Transport): void => {
      settled = true;
      clearTimeout(fallbackTimer);
      // The loser, whenever it opens (or now), is closed: nobody will use it.
      if (transport.kind === 'webtransport')
        ws.then(
          (t) => t.close(1000, 'not used'),
          () => undefined,
        );
      else {
        cancelWebTransport.abort();
        wt.then(
          (t) => t.close(1000, 'not used'),
          () => undefined,
        );
      }
      resolve(transport);
    };
    const fail = (): void => {
      settled = true;
      clearTimeout(fallbackTimer);
      // Say why the WebSocket failed (it is what `auto` ends on); mention WebTransport's reason too.
      const base = asTransportError(wsFailure);
      const wtWhy = wtError instanceof Error ? ` WebTransport: ${wtError.message}` : '';
      reject(new TransportError(base.code, `${base.message}${wtWhy}`, { cause: base }));
    };

    wt.then(
      (transport) => {
        if (settled) transport.close(1000, 'not used');
        else choose(transport);
      },
      (error: unknown) => {
        wtFailed = true;
        wtError = error;
        if (settled) return;
        if (wsOpen) choose(wsOpen);
        else if (wsFailure !== undefined) fail();
      },
    );
    ws.then(
      (transport) => {
        if (settled) return;
        wsOpen = transport;
        // WebTransport already failed, or has had its time: go now.
        if (wtFailed || (fallbackDue() && !held)) choose(transport);
      },
      (error: unknown) => {
        wsFailure = error ?? new Error('WebSocket failed');
        if (!settled && wtFailed) fail();
        // Otherwise WebTransport may still make it: wait for it (bounded by timeoutMs).
      },
    );
  });
}
