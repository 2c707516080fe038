/**
 * The relay sends the bundle and the demo compressed (Brotli, else gzip) to
 * clients that accept it: one validator per encoding, `Vary: Accept-Encoding`,
 * a copy made once per file version, and files as they are otherwise.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressedFiles } from '../../server/compressed-files.js';
import type { Relay } from '../../server/relay.js';
import { startTestRelay } from './helpers.js';

const APP = 'https://app.example';
const BROWSER = 'gzip, deflate, br, zstd';

/** Deterministic JavaScript-like text of `lines` lines, compressible as a bundle is. */
function scriptOf(lines: number, salt = ''): string {
  let text = '';
  for (let i = 0; i < lines; i++) text += `export const value${i}${salt} = ${(i * 7919) % 1000} + "line ${i % 37}";\n`;
  return text;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request whose body is left as sent: fetch would decompress it. */
function raw(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout: 10_000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (p: Buffer) => parts.push(p));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

function decoded(res: RawResponse): string {
  const encoding = res.headers['content-encoding'];
  if (encoding === 'br') return brotliDecompressSync(res.body).toString('utf8');
  if (encoding === 'gzip') return gunzipSync(res.body).toString('utf8');
  expect(encoding).toBeUndefined();
  return res.body.toString('utf8');
}

const varyOf = (res: RawResponse) =>
  String(res.headers.vary ?? '')
    .split(',')
    .map((f) => f.trim().toLowerCase())
    .filter((f) => f !== '');

let tmp: string;
let dist: string;
let demo: string;
let relay: Relay;
let guarded: Relay;
const MODULE = scriptOf(2000);
const PAGE = `<!doctype html><title>demo</title>\n${'<p>A paragraph of the demo page.</p>\n'.repeat(100)}`;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'vc-compression-'));
  dist = join(tmp, 'dist');
  demo = join(tmp, 'demo');
  mkdirSync(join(dist, 'chunks'), { recursive: true });
  mkdirSync(demo);
  writeFileSync(join(dist, 'videocall-room.js'), MODULE);
  writeFileSync(join(dist, 'videocall-room.iife.js'), scriptOf(2500, 'i'));
  writeFileSync(join(dist, 'integrity.json'), '{}\n');
  writeFileSync(join(dist, 'chunks', 'media-crypto-AbC_1-2.js'), scriptOf(500, 'c'));
  writeFileSync(join(demo, 'index.html'), PAGE);
  writeFileSync(join(demo, 'small.js'), 'export {};\n');
  // Already compressed: sending it through Brotli would only cost CPU.
  writeFileSync(join(demo, 'picture.png'), Buffer.alloc(20_000, 7));
  relay = await startTestRelay({ distDir: dist, demoDir: demo, version: '1.2.3', precompressBundle: true });
  guarded = await startTestRelay({ distDir: dist, demoDir: demo, version: '1.2.3', allowedOrigins: [APP] });
});
afterAll(async () => {
  await Promise.all([relay.close(), guarded.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

describe('the relay compresses what it serves', () => {
  it('sends the module in Brotli to a browser, a quarter of its size or less, the same bytes once decoded', async () => {
    const res = await raw(`${relay.url}/videocall-room.js`, { 'Accept-Encoding': BROWSER });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(res.body.length).toBeLessThan(MODULE.length / 4);
    expect(decoded(res)).toBe(MODULE);
    expect(varyOf(res)).toContain('accept-encoding');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('sends gzip to a client that takes only gzip, and the file as it is to one that takes nothing', async () => {
    const gz = await raw(`${relay.url}/videocall-room.js`, { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(decoded(gz)).toBe(MODULE);
    const refusing: Record<string, string>[] = [
      {},
      { 'Accept-Encoding': 'identity' },
      { 'Accept-Encoding': 'br;q=0, gzip;q=0' },
    ];
    for (const headers of refusing) {
      const plain = await raw(`${relay.url}/videocall-room.js`, headers);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.toString('utf8')).toBe(MODULE);
      // A shared cache must still know the response depends on the header.
      expect(varyOf(plain)).toContain('accept-encoding');
    }
  });

  it('gives each encoding its own ETag, and answers 304 only for the one the client would get', async () => {
    const url = `${relay.url}/videocall-room.js`;
    const br = await raw(url, { 'Accept-Encoding': BROWSER });
    const gz = await raw(url, { 'Accept-Encoding': 'gzip' });
    const plain = await raw(url);
    const etags = [br, gz, plain].map((r) => r.headers.etag);
    expect(new Set(etags).size).toBe(3);

    const revalidated = await raw(url, { 'Accept-Encoding': BROWSER, 'If-None-Match': String(br.headers.etag) });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body.length).toBe(0);
    expect(revalidated.headers.etag).toBe(br.headers.etag);
    // A list, as a cache holding several representations sends.
    const listed = await raw(url, { 'Accept-Encoding': 'gzip', 'If-None-Match': `${etags[0]}, ${etags[1]}` });
    expect(listed.status).toBe(304);
    expect((await raw(url, { 'Accept-Encoding': BROWSER, 'If-None-Match': '*' })).status).toBe(304);
    const since = String(br.headers['last-modified']);
    expect((await raw(url, { 'Accept-Encoding': BROWSER, 'If-Modified-Since': since })).status).toBe(304);
    // Brotli's validator does not validate the gzip copy.
    const other = await raw(url, { 'Accept-Encoding': 'gzip', 'If-None-Match': String(br.headers.etag) });
    expect(other.status).toBe(200);
    expect(decoded(other)).toBe(MODULE);
  });

  it('answers HEAD with the compressed length and no body', async () => {
    const get = await raw(`${relay.url}/videocall-room.iife.js`, { 'Accept-Encoding': BROWSER });
    const head = await raw(`${relay.url}/videocall-room.iife.js`, { 'Accept-Encoding': BROWSER }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-encoding']).toBe('br');
    expect(head.headers['content-length']).toBe(String(get.body.length));
    expect(head.body.length).toBe(0);
  });

  it('compresses the versioned and content-addressed URLs, keeping them immutable', async () => {
    for (const path of ['/v1.2.3/videocall-room.js', '/chunks/media-crypto-AbC_1-2.js']) {
      const res = await raw(`${relay.url}${path}`, { 'Accept-Encoding': BROWSER });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe('br');
      expect(res.headers['cache-control']).toContain('immutable');
    }
  });

  it('compresses the demo page, but not small files or formats already compressed', async () => {
    const page = await raw(`${relay.url}/`, { 'Accept-Encoding': BROWSER });
    expect(page.headers['content-encoding']).toBe('br');
    expect(decoded(page)).toBe(PAGE);
    const small = await raw(`${relay.url}/small.js`, { 'Accept-Encoding': BROWSER });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body.toString('utf8')).toBe('export {};\n');
    const picture = await raw(`${relay.url}/picture.png`, { 'Accept-Encoding': BROWSER });
    expect(picture.headers['content-encoding']).toBeUndefined();
    expect(picture.body.length).toBe(20_000);
    expect(varyOf(picture)).not.toContain('accept-encoding');
  });

  it('keeps CORS and compression apart in Vary for an allowed embedding origin', async () => {
    const res = await raw(`${guarded.url}/videocall-room.js`, { 'Accept-Encoding': BROWSER, Origin: APP });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers['content-encoding']).toBe('br');
    expect(varyOf(res)).toEqual(expect.arrayContaining(['origin', 'accept-encoding']));
  });

  it('sends a rebuilt file, never the copy of the one before', async () => {
    const file = join(demo, 'rebuilt.js');
    writeFileSync(file, scriptOf(300, 'a'));
    const before = await raw(`${relay.url}/rebuilt.js`, { 'Accept-Encoding': BROWSER });
    expect(decoded(before)).toBe(scriptOf(300, 'a'));
    // Same size, other bytes, a later modification time: what a rebuild looks like.
    writeFileSync(file, scriptOf(300, 'b'));
    const later = statSync(file).mtimeMs / 1000 + 2;
    utimesSync(file, later, later);
    const after = await raw(`${relay.url}/rebuilt.js`, { 'Accept-Encoding': BROWSER });
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(decoded(after)).toBe(scriptOf(300, 'b'));
  });
});

describe('CompressedFiles', () => {
  const fileOf = (name: string, text: string) => {
    const path = join(tmp, name);
    writeFileSync(path, text);
    const info = statSync(path);
    return { path, size: info.size, mtimeMs: info.mtimeMs };
  };

  it('makes one copy for concurrent requests of the same version', async () => {
    const files = new CompressedFiles();
    const file = fileOf('shared.js', scriptOf(1000));
    const copies = await Promise.all(Array.from({ length: 8 }, () => files.get(file, 'br')));
    expect(new Set(copies).size).toBe(1);
    expect(files.stats()).toMatchObject({ made: 1, reused: 7 });
    expect(brotliDecompressSync(copies[0]!).toString('utf8')).toBe(scriptOf(1000));
  });

  it('stays within its byte bound, dropping the least recently used copy', async () => {
    const a = fileOf('a.js', scriptOf(3000, 'a'));
    const b = fileOf('b.js', scriptOf(3000, 'b'));
    const c = fileOf('c.js', scriptOf(3000, 'c'));
    const probe = new CompressedFiles();
    const one = (await probe.get(a, 'gzip'))!.length;
    // Room for two copies, not three.
    const files = new CompressedFiles({ maxBytes: Math.floor(one * 2.5) });
    await files.get(a, 'gzip');
    await files.get(b, 'gzip');
    await files.get(a, 'gzip'); // a is now the most recently used
    await files.get(c, 'gzip');
    const stats = files.stats();
    expect(stats.evicted).toBe(1);
    expect(stats.bytes).toBeLessThanOrEqual(files.maxBytes);
    await files.get(a, 'gzip');
    expect(files.stats().made).toBe(3); // a was kept
    await files.get(b, 'gzip');
    expect(files.stats().made).toBe(4); // b was the one dropped
  });

  it('keeps no copy of a file that changed since it was seen, and none of one that is gone', async () => {
    const files = new CompressedFiles();
    const file = fileOf('changing.js', scriptOf(500));
    writeFileSync(file.path, scriptOf(600));
    expect(await files.get(file, 'br')).toBeNull();
    expect(files.stats()).toMatchObject({ changedWhileRead: 1, bytes: 0 });
    rmSync(file.path);
    expect(await files.get(file, 'gzip')).toBeNull();
    expect(files.stats().bytes).toBe(0);
  });
});
