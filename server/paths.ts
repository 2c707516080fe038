/**
 * Where the relay finds the repository's files. The module runs either from
 * source (`server/paths.ts`, under tsx or vitest) or bundled (`dist/server.js`);
 * both sit one level under the directory holding package.json, but walking up
 * to package.json does not depend on that.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory at or above this module's directory that holds package.json; cwd if none. */
export function findPackageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/** The `version` in `<root>/package.json`, or `0.0.0-unknown` if unreadable. */
export function readPackageVersion(root: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0-unknown';
  } catch {
    return '0.0.0-unknown';
  }
}
