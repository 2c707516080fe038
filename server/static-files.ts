/**
 * Serving files from a directory: safe path resolution (no way out of the
 * directory, no dotfiles), content types, validators (ETag / Last-Modified)
 * so browsers revalidate cheaply, and HEAD.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
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

export type ServeResult = 'served' | 'not-found';

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
  cacheControl = 'no-cache',
): Promise<ServeResult> {
  let real: string;
  let size: number;
  let mtime: Date;
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
    if (realFile !== realRoot && !realFile.startsWith(realRoot + sep)) return 'not-found';
    const info = await stat(realFile);
    if (!info.isFile()) {
      // A directory serves its index.html, as `/` serves demo/index.html.
      if (info.isDirectory()) return serveFile(req, res, root, join(file, 'index.html'), cacheControl);
      return 'not-found';
    }
    real = realFile;
    size = info.size;
    mtime = info.mtime;
  } catch {
    return 'not-found';
  }

  const etag = `W/"${size.toString(16)}-${Math.floor(mtime.getTime()).toString(16)}"`;
  res.setHeader('Content-Type', contentTypeOf(real));
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', mtime.toUTCString());
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return 'served';
  }
  res.setHeader('Content-Length', size);
  res.statusCode = 200;
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
