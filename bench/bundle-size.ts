/**
 * Size of what a site loads: `dist/videocall-room.js` (the one self-contained,
 * minified ES module the relay serves as `/videocall-room.js`), as built and
 * gzipped (node:zlib, level 9). Run `npm run build` first (`npm run bench` does).
 *
 *     npx tsx bench/bundle-size.ts
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';

export const BUNDLE_PATH = fileURLToPath(new URL('../dist/videocall-room.js', import.meta.url));

export interface BundleSizeResult {
  file: string;
  minifiedBytes: number;
  gzipBytes: number;
  /** When the bundle was built (ISO). */
  builtAt: string;
}

export function runBundleSize(): BundleSizeResult {
  const code = readFileSync(BUNDLE_PATH);
  return {
    file: 'dist/videocall-room.js',
    minifiedBytes: code.length,
    gzipBytes: gzipSync(code, { level: constants.Z_BEST_COMPRESSION }).length,
    builtAt: statSync(BUNDLE_PATH).mtime.toISOString(),
  };
}

export function describeBundleSize(r: BundleSizeResult): string {
  const kB = (n: number): string => `${(n / 1000).toFixed(1)} kB`;
  return `bundle ${r.file}: ${kB(r.minifiedBytes)} minified, ${kB(r.gzipBytes)} min+gzip`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(describeBundleSize(runBundleSize()));
}
