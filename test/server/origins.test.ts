import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ConfigError } from '../../server/errors.js';
import { OriginPolicy, parseAllowedOrigins } from '../../server/origins.js';
import type { Relay } from '../../server/relay.js';
import { QuicTestClient } from '../webtransport/quic-test-client.js';
import { startTestRelay, TestClient } from './helpers.js';

const APP = 'https://app.example';

describe('OriginPolicy', () => {
  it('allows listed origins, the relay’s own pages and clients that are not pages; refuses the rest', () => {
    const policy = new OriginPolicy([APP]);
    expect(policy.allows(APP, 'relay.example')).toBe(true);
    expect(policy.allows(undefined, 'relay.example')).toBe(true);
    expect(policy.allows('https://relay.example', 'relay.example')).toBe(true);
    expect(policy.allows('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    expect(policy.allows('http://127.0.0.1:8081', '127.0.0.1:8080')).toBe(false);
    expect(policy.allows('https://evil.example', 'relay.example')).toBe(false);
    expect(policy.allows('https://app.example.evil.example', 'relay.example')).toBe(false);
    expect(policy.allows('null', 'relay.example')).toBe(false);
    expect(policy.corsOrigin(APP, 'relay.example')).toBe(APP);
    expect(policy.corsOrigin('https://evil.example', 'relay.example')).toBeUndefined();
    expect(new OriginPolicy(undefined).corsOrigin('https://any.example', 'x')).toBe('*');
    expect(new OriginPolicy(['*']).allows('https://any.example', 'x')).toBe(true);
  });

  it('reads ALLOWED_ORIGINS as origins only', () => {
    expect(parseAllowedOrigins(' https://a.example, http://localhost:3000 https://b.example/')).toEqual([
      'https://a.example',
      'http://localhost:3000',
      'https://b.example',
    ]);
    for (const bad of ['', 'a.example', 'https://a.example/path', 'ftp://a.example']) {
      expect(() => parseAllowedOrigins(bad)).toThrow(ConfigError);
    }
  });
});

describe('a relay with ALLOWED_ORIGINS', () => {
  let relay: Relay;

  beforeAll(async () => {
    relay = await startTestRelay({ allowedOrigins: [APP] });
  });
  afterAll(async () => {
    await relay.close();
  });

  /** Opens a WebSocket with `origin`; resolves with the HTTP status of a refused upgrade, or 101. */
  function upgrade(origin: string | undefined): Promise<number> {
    const ws = new WebSocket(relay.wsUrl, origin ? { origin } : {});
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to the upgrade')), 2000);
      ws.once('open', () => {
        clearTimeout(timer);
        ws.close();
        resolve(101);
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
      });
      ws.once('error', () => {});
    });
  }

  it('refuses the WebSocket upgrade from another origin (403, counted); the allowed one and its own pages get in', async () => {
    expect(await upgrade('https://evil.example')).toBe(403);
    expect(await upgrade(APP)).toBe(101);
    expect(await upgrade(relay.url)).toBe(101);
    expect(await upgrade(undefined)).toBe(101);
    expect(relay.stats().refused.origin).toBe(1);
    // A refused page never disturbs a call in progress.
    const a = await TestClient.joined(relay, 'origins', 'a');
    expect(await upgrade('https://evil.example')).toBe(403);
    expect(a.isOpen).toBe(true);
    a.close();
  });

  it('answers CORS for /webtransport.json and the bundle to allowed origins only', async () => {
    for (const path of ['/webtransport.json', '/videocall-room.js']) {
      const evil = await fetch(`${relay.url}${path}`, { headers: { origin: 'https://evil.example' } });
      expect(evil.status).toBe(403);
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      const app = await fetch(`${relay.url}${path}`, { headers: { origin: APP } });
      expect(app.status).not.toBe(403);
      expect(app.headers.get('access-control-allow-origin')).toBe(APP);
      expect(app.headers.get('vary')).toBe('Origin');
      const plain = await fetch(`${relay.url}${path}`);
      expect(plain.status).not.toBe(403);
    }
  });

  it('refuses the WebTransport CONNECT from another origin with 403', async () => {
    const wt = relay.webTransport;
    // The QUIC binding is a dependency on linux-x64, where these tests run; elsewhere /healthz says why not.
    expect(wt, JSON.stringify(relay.stats().webTransport)).toBeDefined();
    const status = async (origin: string): Promise<string | undefined> => {
      const { client, response } = await QuicTestClient.session(wt!.port, wt!.info.path, {}, [['origin', origin]]);
      await client.close();
      return response.find(([n]) => n === ':status')?.[1];
    };
    const before = relay.stats().refused.origin ?? 0;
    expect(await status('https://evil.example')).toBe('403');
    expect(await status(APP)).toBe('200');
    expect(await status(relay.url)).toBe('200');
    expect((relay.stats().refused.origin ?? 0) - before).toBe(1);
  });
});
