/**
 * Compressed copies of the files the relay serves (the bundle above all: its
 * 272 kB module is 68 kB in Brotli). Each copy is made once per file version,
 * in libuv's thread pool so the event loop that forwards media never waits on
 * it, and kept in memory up to a byte bound, least recently used out first.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import Negotiator from 'negotiator';

/** The encodings the relay sends, best first. */
export type ContentEncoding = 'br' | 'gzip';
const ENCODINGS: ContentEncoding[] = ['br', 'gzip'];

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|manifest\+json|wasm)|image\/svg\+xml)/;

/** Whether a response of this content type gains from compression (images and media do not). */
export function isCompressible(contentType: string): boolean {
  return COMPRESSIBLE.test(contentType);
}

/** negotiator 1.x; @types/negotiator still describes 0.6, which had no `preferred`. */
interface EncodingNegotiator {
  /** Of `available`, the one the request accepts with the highest q; ties go to `preferred`'s order. */
  encoding(available: readonly string[], options: { preferred: readonly string[] }): string | undefined;
}

/**
 * The encoding to answer `req` with, or null when it accepts none of ours (or
 * none at all). At equal q, Brotli: browsers list `gzip, deflate, br, zstd`.
 */
export function preferredEncoding(req: IncomingMessage): ContentEncoding | null {
  const negotiator = new Negotiator(req) as unknown as EncodingNegotiator;
  const chosen = negotiator.encoding(ENCODINGS, { preferred: ENCODINGS });
  return chosen === 'br' || chosen === 'gzip' ? chosen : null;
}

export interface CompressedFilesOptions {
  /** Bytes of compressed copies kept; beyond it the least recently used go. Default 64 MB. */
  maxBytes?: number;
  /** Files larger than this are sent as they are. Default 16 MB. */
  maxFileBytes?: number;
  /** Files smaller than this are sent as they are: headers outweigh the gain. Default 1 kB. */
  minFileBytes?: number;
}

/** A file as `stat` saw it when the request came: a copy is made and found for this version only. */
export interface FileVersion {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface CompressedFilesStats {
  /** Copies made (compressions run). */
  made: number;
  /** Requests answered from a copy already made (or being made). */
  reused: number;
  /** Copies dropped to stay within `maxBytes`. */
  evicted: number;
  /** Files that changed while being read, so no copy was kept. */
  changedWhileRead: number;
  /** Bytes of the copies kept now. */
  bytes: number;
}

export class CompressedFiles {
  readonly maxBytes: number;
  readonly maxFileBytes: number;
  readonly minFileBytes: number;
  /** Insertion order is use order: a hit moves its entry to the end. */
  private readonly copies = new Map<string, Promise<Buffer | null>>();
  private readonly sizes = new Map<string, number>();
  private readonly counts: CompressedFilesStats = { made: 0, reused: 0, evicted: 0, changedWhileRead: 0, bytes: 0 };

  constructor(options: CompressedFilesOptions = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxFileBytes = options.maxFileBytes ?? 16 * 1024 * 1024;
    this.minFileBytes = options.minFileBytes ?? 1024;
  }

  /** Whether a file of this size and type is worth a compressed copy. */
  worthCompressing(size: number, contentType: string): boolean {
    return size >= this.minFileBytes && size <= this.maxFileBytes && isCompressible(contentType);
  }

  /**
   * The file's bytes in `encoding`, or null when no copy can be had (the file
   * changed or vanished while read, or compressing failed): send it as it is.
   * Concurrent requests for the same version share one compression.
   */
  get(file: FileVersion, encoding: ContentEncoding): Promise<Buffer | null> {
    const key = `${encoding}\0${file.size}\0${file.mtimeMs}\0${file.path}`;
    const known = this.copies.get(key);
    if (known) {
      this.counts.reused++;
      this.copies.delete(key);
      this.copies.set(key, known);
      return known;
    }
    const made = this.make(file, encoding).then(
      (copy) => {
        if (!copy) this.forget(key);
        else if (this.copies.get(key) === made) this.keep(key, copy.length);
        return copy;
      },
      () => {
        this.forget(key);
        return null;
      },
    );
    this.copies.set(key, made);
    return made;
  }

  /**
   * Makes the copies of `paths` in every encoding now, one file after another, so
   * first requests find them ready. Files that are missing or not worth it are skipped.
   */
  async warm(paths: readonly string[], contentTypeOf: (path: string) => string): Promise<void> {
    for (const path of paths) {
      try {
        const real = await realpath(path);
        const info = await stat(real);
        if (!info.isFile() || !this.worthCompressing(info.size, contentTypeOf(real))) continue;
        for (const encoding of ENCODINGS)
          await this.get({ path: real, size: info.size, mtimeMs: info.mtimeMs }, encoding);
      } catch {
        // Not built yet: its first request says so.
      }
    }
  }

  stats(): CompressedFilesStats {
    return { ...this.counts };
  }

  private async make(file: FileVersion, encoding: ContentEncoding): Promise<Buffer | null> {
    const bytes = await readFile(file.path);
    const after = await stat(file.path);
    if (bytes.length !== file.size || after.size !== file.size || after.mtimeMs !== file.mtimeMs) {
      this.counts.changedWhileRead++;
      return null;
    }
    this.counts.made++;
    if (encoding === 'gzip') return gzipAsync(bytes, { level: 9 });
    return brotliAsync(bytes, {
      params: {
        [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
        // Quality 11 costs ~1 ms per kB here (0.3 s for the module, once per build) and saves
        // 7 % over quality 9; above 1 MB (source maps) the quicker setting is enough.
        [zlib.BROTLI_PARAM_QUALITY]: bytes.length <= 1024 * 1024 ? 11 : 5,
        [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    });
  }

  private keep(key: string, size: number): void {
    this.sizes.set(key, size);
    this.counts.bytes += size;
    for (const old of this.copies.keys()) {
      if (this.counts.bytes <= this.maxBytes) break;
      const oldSize = this.sizes.get(old);
      // Copies still being made have no size yet and stay.
      if (oldSize === undefined) continue;
      this.forget(old);
      this.counts.evicted++;
    }
  }

  private forget(key: string): void {
    this.copies.delete(key);
    this.counts.bytes -= this.sizes.get(key) ?? 0;
    this.sizes.delete(key);
  }
}
