/**
 * The relays a call may use, from the `server` attribute or `RoomOptions.server`:
 * one URL, several separated by whitespace and/or commas, or a list. Order is
 * kept (the first is tried first); blanks and repeats are dropped. Each entry is
 * a relay base URL as `relayWebSocketUrl` takes it; checking it is left to
 * the connection, so one bad entry does not stop the others from being tried.
 *
 * Relay URLs never need a comma or a space (the relay ignores query strings), so
 * both can separate entries.
 *
 * @example
 * ```ts
 * parseRelayList('https://a.example, https://b.example'); // ['https://a.example', 'https://b.example']
 * parseRelayList(['wss://a.example', ' ']); // ['wss://a.example']
 * ```
 */
export function parseRelayList(server: string | readonly string[]): string[] {
  const parts = typeof server === 'string' ? [server] : server;
  const seen = new Set<string>();
  for (const part of parts) {
    for (const entry of part.split(/[\s,]+/)) if (entry) seen.add(entry);
  }
  return [...seen];
}

/**
 * Which relay a reconnect tries for its `attempt` (1 on the first): the one after
 * the relay that was lost, then round the list, so a dead relay is tried last.
 */
export function relayForAttempt(relays: readonly string[], lostIndex: number, attempt: number): number {
  return (lostIndex + attempt) % relays.length;
}
