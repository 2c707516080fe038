import { WEBSOCKET_PATH, WEBTRANSPORT_INFO_PATH } from '../protocol/endpoints.js';

/**
 * The relay's WebSocket endpoint for a `server` attribute value. The attribute
 * takes the relay's base URL as http(s) or ws(s); a path prefix is kept, so a
 * relay behind `https://example.com/calls/` is reached at `wss://example.com/calls/ws`.
 */
export function relayWebSocketUrl(server: string, base?: string): string {
  const url = relayBase(server, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname}${WEBSOCKET_PATH.slice(1)}`;
  return url.toString();
}

/**
 * Where the relay describes its WebTransport endpoint (`webtransport.json`), for
 * the same `server` values as {@link relayWebSocketUrl}: always http(s), path
 * prefix kept, so `wss://example.com/calls/ws` gives `https://example.com/calls/webtransport.json`.
 */
export function relayWebTransportInfoUrl(server: string, base?: string): string {
  const url = relayBase(server, base);
  url.pathname = `${url.pathname}${WEBTRANSPORT_INFO_PATH.slice(1)}`;
  return url.toString();
}

/**
 * The WebTransport session URL: the relay's host name on the UDP `port` the info
 * document gives, at its `path` (which is absolute: the UDP endpoint sits behind
 * no HTTP proxy prefix). Always https: WebTransport has no plain variant.
 */
export function relayWebTransportUrl(server: string, port: number, path: string, base?: string): string {
  const url = relayBase(server, base);
  url.protocol = 'https:';
  url.port = String(port);
  url.pathname = path.startsWith('/') ? path : `/${path}`;
  return url.toString();
}

/**
 * The relay's base as http(s) with a path ending in `/` (a trailing `/ws` endpoint
 * dropped), no query or fragment. Throws a `TypeError` for other schemes.
 */
function relayBase(server: string, base?: string): URL {
  const url = new URL(server, base);
  if (url.protocol === 'ws:') url.protocol = 'http:';
  else if (url.protocol === 'wss:') url.protocol = 'https:';
  else if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`server must be an http(s) or ws(s) URL, got ${url.protocol}`);
  }
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  // A `server` given as the WebSocket endpoint itself means the relay above it.
  const endpoint = `${WEBSOCKET_PATH}/`;
  url.pathname = path.endsWith(endpoint) ? path.slice(0, 1 - endpoint.length) : path;
  url.search = '';
  url.hash = '';
  return url;
}
