/**
 * Serving files from a directory: safe path resolution (no way out of the
 * directory, no dotfiles), content types, validators (ETag / Last-Modified)
 * so browsers revalidate cheaply, compression when the client accepts it,
 * and HEAD.
 */
import { createReadStream, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { type CompressedFiles, isCompressible, preferredEncoding } from './compressed-files.js';
import { createLogger } from './log.js';

const log = createLogger('static');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` that URL path `urlPath` names, or null when the path is
 * not one we serve: undecodable, containing NUL or backslashes, naming a dotfile
 * or dot directory (`..` included), or resolving outside `root`.
 */
export function resolveUnder(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return null;
  const base = resolve(root);
  const file = resolve(base, ...segments);
  return file === base || file.startsWith(base + sep) ? file : null;
}

/** Adds `field` to the response's Vary, keeping what CORS put there (`Origin`). */
export function addVary(res: ServerResponse, field: string): void {
  const current = res.getHeader('Vary');
  const fields = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (!fields.some((f) => f.toLowerCase() === field.toLowerCase() || f === '*')) fields.push(field);
  res.setHeader('Vary', fields.join(', '));
}

/**
 * Whether `req`'s preconditions say its copy is current (RFC 9110 §13.1.2–3):
 * If-None-Match by weak comparison (a list, or `*`), else If-Modified-Since.
 * A request's `Cache-Control: no-cache` is for caches on the way, not for us.
 */
export function notModified(req: IncomingMessage, etag: string, lastModified: Date): boolean {
  const noneMatch = req.headers['if-none-match'];
  if (noneMatch !== undefined) {
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
    return noneMatch.trim() === '*' || noneMatch.split(',').some((tag) => opaque(tag) === opaque(etag));
  }
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  // HTTP dates have whole seconds.
  return Number.isFinite(since) && Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
}

export type ServeResult = 'served' | 'not-found';

export interface ServeOptions {
  /** Default `no-cache`: revalidate every time (cheap, with the ETag). */
  cacheControl?: string;
  /** Where compressed copies come from; without it, files go out as they are. */
  compressed?: CompressedFiles;
}

/**
 * Sends `file` (an absolute path from {@link resolveUnder} or a fixed one) or
 * reports that it does not exist, so the caller decides what a miss means.
 * Symlinks are followed only when they stay under `root`.
 */
export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  file: string,
  options: ServeOptions = {},
): Promise<ServeResult> {
  let real: string;
  let info: Stats;
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
    if (realFile !== realRoot && !realFile.startsWith(realRoot + sep)) return 'not-found';
    info = await stat(realFile);
    if (!info.isFile()) {
      // A directory serves its index.html, as `/` serves demo/index.html.
      if (info.isDirectory()) return serveFile(req, res, root, join(file, 'index.html'), options);
      return 'not-found';
    }
    real = realFile;
  } catch {
    return 'not-found';
  }

  const { size, mtime, mtimeMs } = info;
  const contentType = contentTypeOf(real);
  const { compressed } = options;
  // Caches must keep one copy per encoding of anything we might compress, even when this client takes none.
  const varies = compressed !== undefined && isCompressible(contentType);
  const encoding = compressed?.worthCompressing(size, contentType) ? preferredEncoding(req) : null;
  const validator = `${size.toString(16)}-${Math.floor(mtime.getTime()).toString(16)}`;
  // Each encoding is its own representation with its own validator (RFC 9110 §8.8.3).
  const etagFor = (sent: string | null) => `W/"${validator}${sent ? `-${sent}` : ''}"`;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', options.cacheControl ?? 'no-cache');
  res.setHeader('Last-Modified', mtime.toUTCString());
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (varies) addVary(res, 'Accept-Encoding');
  res.setHeader('ETag', etagFor(encoding));
  if (notModified(req, etagFor(encoding), mtime)) {
    res.statusCode = 304;
    res.end();
    return 'served';
  }
  const body = encoding && compressed ? await compressed.get({ path: real, size, mtimeMs }, encoding) : null;
  res.statusCode = 200;
  if (body && encoding) {
    res.setHeader('Content-Encoding', encoding);
    res.setHeader('Content-Length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
    return 'served';
  }
  // No copy to be had (the file changed while read): what is sent is the file as it is.
  res.setHeader('ETag', etagFor(null));
  res.setHeader('Content-Length', size);
  if (req.method === 'HEAD') {
    res.end();
    return 'served';
  }
  await new Promise<void>((done) => {
    const stream = createReadStream(real);
    stream.on('error', (err) => {
      log.warn('reading a static file failed', { file: real, err });
      res.destroy(err);
      done();
    });
    res.on('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(res);
  });
  return 'served';
}
