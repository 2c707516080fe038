import { describe, expect, it } from 'vitest';
import { relayWebSocketUrl } from '../../src/transport/relay-url.js';

describe('relayWebSocketUrl', () => {
  it('maps http(s) to ws(s) and appends /ws', () => {
    expect(relayWebSocketUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/ws');
    expect(relayWebSocketUrl('https://relay.example/')).toBe('wss://relay.example/ws');
  });

  it('keeps a path prefix for relays behind a proxy', () => {
    expect(relayWebSocketUrl('https://example.com/calls')).toBe('wss://example.com/calls/ws');
    expect(relayWebSocketUrl('https://example.com/calls/')).toBe('wss://example.com/calls/ws');
  });

  it('accepts ws(s) URLs, with or without the /ws endpoint', () => {
    expect(relayWebSocketUrl('wss://relay.example')).toBe('wss://relay.example/ws');
    expect(relayWebSocketUrl('wss://relay.example/ws')).toBe('wss://relay.example/ws');
  });

  it('resolves a relative server against the page and drops query and fragment', () => {
    expect(relayWebSocketUrl('/', 'https://site.example/page?room=a#x')).toBe('wss://site.example/ws');
    expect(relayWebSocketUrl('https://relay.example/?a=1#b')).toBe('wss://relay.example/ws');
  });

  it('rejects other schemes with a clear error', () => {
    expect(() => relayWebSocketUrl('ftp://relay.example')).toThrow(/http\(s\) or ws\(s\)/);
  });
});
