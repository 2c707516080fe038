import { describe, expect, it } from 'vitest';
import { relayWebSocketUrl, relayWebTransportInfoUrl, relayWebTransportUrl } from '../../src/transport/relay-url.js';

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

describe('relayWebTransportInfoUrl', () => {
  it('is webtransport.json beside the WebSocket endpoint, always over http(s)', () => {
    expect(relayWebTransportInfoUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/webtransport.json');
    expect(relayWebTransportInfoUrl('wss://relay.example/ws')).toBe('https://relay.example/webtransport.json');
    expect(relayWebTransportInfoUrl('ws://relay.example:81/')).toBe('http://relay.example:81/webtransport.json');
  });

  it('keeps a path prefix and drops query and fragment', () => {
    expect(relayWebTransportInfoUrl('https://example.com/calls')).toBe('https://example.com/calls/webtransport.json');
    expect(relayWebTransportInfoUrl('wss://example.com/calls/ws?x=1#y')).toBe(
      'https://example.com/calls/webtransport.json',
    );
    expect(relayWebTransportInfoUrl('/', 'https://site.example/page?room=a')).toBe(
      'https://site.example/webtransport.json',
    );
  });

  it('rejects other schemes with a clear error', () => {
    expect(() => relayWebTransportInfoUrl('ftp://relay.example')).toThrow(/http\(s\) or ws\(s\)/);
  });
});

describe('relayWebTransportUrl', () => {
  it('is https on the relay host at the UDP port and path the relay gives', () => {
    expect(relayWebTransportUrl('http://127.0.0.1:8080', 4433, '/wt')).toBe('https://127.0.0.1:4433/wt');
    expect(relayWebTransportUrl('wss://relay.example/calls/ws', 443, '/wt')).toBe('https://relay.example/wt');
    expect(relayWebTransportUrl('http://[::1]:8080', 9000, 'wt')).toBe('https://[::1]:9000/wt');
  });
});
