/**
 * The relay's WebSocket endpoint for a `server` attribute value. The attribute
 * takes the relay's base URL as http(s) or ws(s); a path prefix is kept, so a
 * relay behind `https://example.com/calls/` is reached at `wss://example.com/calls/ws`.
 */
export function relayWebSocketUrl(server: string, base?: string): string {
  const url = new URL(server, base);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new TypeError(`server must be an http(s) or ws(s) URL, got ${url.protocol}`);
  }
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  url.pathname = path.endsWith('/ws/') ? path.slice(0, -1) : `${path}ws`;
  url.search = '';
  url.hash = '';
  return url.toString();
}
