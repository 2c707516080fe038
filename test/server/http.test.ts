import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { startTestRelay, TestClient } from './helpers.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path sent exactly as given (fetch would normalize `..` away). */
function raw(
  relay: Relay,
  path: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: relay.port, path, method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.setTimeout(2000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

let tmp: string;
let relay: Relay; // with a demo directory and a built bundle
let bare: Relay; // with neither

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'vc-http-test-'));
  const demo = join(tmp, 'demo');
  const dist = join(tmp, 'dist');
  mkdirSync(join(demo, 'assets'), { recursive: true });
  mkdirSync(dist);
  writeFileSync(join(demo, 'index.html'), '<!doctype html><title>demo</title>');
  writeFileSync(join(demo, 'assets', 'style.css'), 'body{}');
  writeFileSync(join(demo, '.env'), 'SECRET=1');
  writeFileSync(join(tmp, 'outside.txt'), 'outside the demo directory');
  symlinkSync(join(tmp, 'outside.txt'), join(demo, 'link.txt'));
  writeFileSync(join(dist, 'videocall-room.js'), 'export const x = 1;');
  writeFileSync(join(dist, 'videocall-room.js.map'), '{"version":3}');
  writeFileSync(join(dist, 'server.js'), '// not served');
  relay = await startTestRelay({ demoDir: demo, distDir: dist, version: '1.2.3' });
  bare = await startTestRelay();
});
afterAll(async () => {
  await relay.close();
  await bare.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('/healthz', () => {
  it('reports status, version, protocol, counts, uptime and bus as JSON', async () => {
    const c = await TestClient.joined(relay, 'health-room', 'a');
    const res = await fetch(`${relay.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      status: 'ok',
      version: '1.2.3',
      protocol: PROTOCOL_VERSION,
      rooms: 1,
      participants: 1,
      uptimeSeconds: expect.any(Number),
      bus: 'local',
      webTransport: expect.objectContaining({ status: 'ok', path: '/wt' }),
    });
    c.close();
  });
});

describe('/metrics', () => {
  it('exposes the counters in Prometheus text format', async () => {
    const a = await TestClient.joined(relay, 'metrics-room', 'a');
    const b = await TestClient.joined(relay, 'metrics-room', 'b');
    a.sendMedia('m');
    await b.nextMedia('m');
    a.sendRaw(new Uint8Array([0xff]));
    await a.next('error');
    const res = await fetch(`${relay.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    for (const family of [
      'videocall_connections_total',
      'videocall_connections',
      'videocall_joins_total',
      'videocall_messages_in_total',
      'videocall_messages_out_total',
      'videocall_bytes_in_total',
      'videocall_bytes_out_total',
      'videocall_dropped_messages_total',
      'videocall_errors_total',
      'videocall_rooms',
      'videocall_participants',
      'videocall_uptime_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${family} `);
    }
    expect(text).toMatch(/^videocall_messages_in_total\{type="media"\} [1-9]\d*$/m);
    expect(text).toMatch(/^videocall_messages_out_total\{type="welcome"\} [1-9]\d*$/m);
    expect(text).toMatch(/^videocall_errors_total\{code="malformed"\} [1-9]\d*$/m);
    expect(text).toMatch(/^videocall_relay_info\{version="1.2.3",protocol="1"\} 1$/m);
    // Every sample line is `name{labels} value`.
    for (const line of text
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('#')))
      expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? \d+(\.\d+)?$/);
    a.close();
    b.close();
  });
});

describe('static files', () => {
  it('serves the demo page at /, with or without a query', async () => {
    for (const path of ['/', '/?room=standup&name=Ann']) {
      const res = await raw(relay, path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('<title>demo</title>');
    }
  });

  it('serves other demo files with their content type', async () => {
    const res = await raw(relay, '/assets/style.css');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.body).toBe('body{}');
  });

  it('serves the client bundle and its source map from the dist directory', async () => {
    const js = await raw(relay, '/videocall-room.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe('export const x = 1;');
    const map = await raw(relay, '/videocall-room.js.map');
    expect(map.status).toBe(200);
    expect(map.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('answers a revalidation with 304 when the file did not change', async () => {
    const first = await raw(relay, '/videocall-room.js');
    const etag = String(first.headers.etag);
    const again = await raw(relay, '/videocall-room.js', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
  });

  it('answers HEAD with headers and no body', async () => {
    const res = await raw(relay, '/', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
    expect(res.body).toBe('');
  });

  it('answers 503 saying to run npm run build when the bundle is missing', async () => {
    const res = await raw(bare, '/videocall-room.js');
    expect(res.status).toBe(503);
    expect(res.body).toContain('npm run build');
  });

  it('answers 404 at / when the demo page is missing', async () => {
    const res = await raw(bare, '/');
    expect(res.status).toBe(404);
    expect(res.body).toContain('demo/index.html');
  });

  it.each([
    '/../outside.txt',
    '/assets/../../outside.txt',
    '/%2e%2e/outside.txt',
    '/..%2foutside.txt',
    '/assets/..%2f..%2foutside.txt',
    '/..%5coutside.txt',
    '/.env',
    '/%2eenv',
    '/link.txt',
    '/index.html%00.css',
    '/%E0%A4%A',
    '/server.js',
    '/nope.html',
  ])('refuses %s with 404', async (path) => {
    const res = await raw(relay, path);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('outside the demo directory');
    expect(res.body).not.toContain('SECRET');
  });

  it('refuses methods other than GET and HEAD', async () => {
    const res = await raw(relay, '/', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('answers a plain GET of /ws with 426 Upgrade Required', async () => {
    expect((await raw(relay, '/ws')).status).toBe(426);
  });

  it('refuses a WebSocket upgrade on another path', async () => {
    await expect(TestClient.connect(relay.url.replace('http', 'ws') + '/not-ws')).rejects.toThrow(/404/);
  });
});
