import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../server/relay.js';
import { startTestRelay } from './helpers.js';

const APP = 'https://app.example';
const MODULE = 'export const x = 1;';
const CLASSIC = 'var VideocallRoom = (function () { return {}; })();';
const INTEGRITY = '{"videocall-room.js":"sha384-abc"}\n';
const CHUNK = 'export const e2ee = 1;';

let tmp: string;
let relay: Relay; // open to any origin
let guarded: Relay; // ALLOWED_ORIGINS=APP

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'vc-bundle-urls-'));
  const dist = join(tmp, 'dist');
  mkdirSync(dist);
  writeFileSync(join(dist, 'videocall-room.js'), MODULE);
  writeFileSync(join(dist, 'videocall-room.iife.js'), CLASSIC);
  writeFileSync(join(dist, 'videocall-room.iife.js.map'), '{"version":3}');
  writeFileSync(join(dist, 'integrity.json'), INTEGRITY);
  mkdirSync(join(dist, 'chunks'));
  writeFileSync(join(dist, 'chunks', 'media-crypto-AbC_1-2.js'), CHUNK);
  writeFileSync(join(dist, 'room.js'), '// the headless build: npm only, not served');
  relay = await startTestRelay({ distDir: dist, version: '1.2.3' });
  guarded = await startTestRelay({ distDir: dist, version: '1.2.3', allowedOrigins: [APP] });
});
afterAll(async () => {
  await Promise.all([relay.close(), guarded.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

const get = (r: Relay, path: string, headers: Record<string, string> = {}) => fetch(`${r.url}${path}`, { headers });

describe('the relay serves the bundle for embeds', () => {
  it('serves the classic-script build beside the module, as JavaScript', async () => {
    const res = await get(relay, '/videocall-room.iife.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await res.text()).toBe(CLASSIC);
    expect((await get(relay, '/videocall-room.iife.js.map')).status).toBe(200);
    // Only the bundle's own files: the npm-only build is not a relay URL.
    expect((await get(relay, '/room.js')).status).toBe(404);
  });

  it('revalidates the moving URLs: ETag, then 304 with no body', async () => {
    for (const path of ['/videocall-room.js', '/videocall-room.iife.js']) {
      const first = await get(relay, path);
      expect(first.headers.get('cache-control')).toBe('no-cache');
      const etag = first.headers.get('etag');
      expect(etag).toBeTruthy();
      const again = await get(relay, path, { 'If-None-Match': etag! });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
    }
  });

  it('serves the same bytes under the relay’s version as immutable, and says which version it has otherwise', async () => {
    for (const [path, body] of [
      ['/v1.2.3/videocall-room.js', MODULE],
      ['/v1.2.3/videocall-room.iife.js', CLASSIC],
      ['/v1.2.3/integrity.json', INTEGRITY],
    ] as const) {
      const res = await get(relay, path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await res.text()).toBe(body);
    }
    const other = await get(relay, '/v1.2.2/videocall-room.js');
    expect(other.status).toBe(404);
    expect(other.headers.get('cache-control')).toBe('no-store');
    expect(await other.text()).toContain('serves videocall-room 1.2.3, not 1.2.2');
    // Not a bundle file under a version prefix: an ordinary miss.
    expect((await get(relay, '/v1.2.3/server.js')).status).toBe(404);
    expect((await get(relay, '/v1.2.3/../videocall-room.js')).status).toBe(200); // fetch normalizes `..`
  });

  it('lets cross-origin pages load the bundle (CORS), only from allowed origins when they are set', async () => {
    const open = await get(relay, '/v1.2.3/videocall-room.js', { Origin: 'https://any.example' });
    expect(open.headers.get('access-control-allow-origin')).toBe('*');
    const allowed = await get(guarded, '/v1.2.3/videocall-room.iife.js', { Origin: APP });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    const refused = await get(guarded, '/videocall-room.iife.js', { Origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves the on-demand chunks (E2EE) as immutable, beside the module and under the version', async () => {
    for (const path of ['/chunks/media-crypto-AbC_1-2.js', '/v1.2.3/chunks/media-crypto-AbC_1-2.js']) {
      const res = await get(relay, path, { Origin: 'https://any.example' });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(await res.text()).toBe(CHUNK);
    }
    expect((await get(relay, '/chunks/missing-x.js')).status).toBe(503);
    expect((await get(relay, '/chunks/../server.js')).status).toBe(404);
    expect((await get(relay, '/chunks/sub/x.js')).status).toBe(404);
  });

  it('reports its version and protocol at /healthz', async () => {
    const health = (await (await get(relay, '/healthz')).json()) as { version: string; protocol: number };
    expect(health.version).toBe('1.2.3');
    expect(health.protocol).toBeGreaterThanOrEqual(1);
  });
});
