// What `npm start` and `npm pack` (prepack) ask before building: is dist/ older than
// anything it is built from? Run directly, it builds when stale (`npm run build`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What the build reads: a change to any of these makes dist/ stale. */
const SOURCES = ['src', 'server', 'proto', 'scripts', 'rollup.config.mjs', 'package.json', 'tsconfig.build.json'];
/** What the build writes (each must exist and be newer than every source). */
const OUTPUTS = [
  'dist/server.js',
  'dist/relay.js',
  'dist/videocall-room.js',
  'dist/videocall-room.iife.js',
  'dist/room.js',
  'dist/integrity.json',
];

/** Newest modification time under `path` (files only; a missing path counts as 0). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

/** Why dist/ must be rebuilt, or null when it is up to date. */
export function staleReason(dir = root) {
  const missing = OUTPUTS.find((out) => !existsSync(join(dir, out)));
  if (missing) return `${missing} is missing`;
  const built = Math.min(...OUTPUTS.map((out) => statSync(join(dir, out)).mtimeMs));
  const changed = SOURCES.find((src) => newest(join(dir, src)) > built);
  return changed ? `${changed} changed since the last build` : null;
}

/** Builds (`npm run build`) when dist/ is stale; returns whether it had to. Exits on a failed build. */
export function buildIfStale(dir = root) {
  const reason = staleReason(dir);
  if (!reason) return false;
  console.log(`Building first: ${reason}.`);
  const build = spawnSync('npm', ['run', 'build'], { cwd: dir, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) buildIfStale();
