// The size budget: each browser file the build writes, min+gzip, against bundle-budget.json.
// `npm test` builds first, so a change that grows a file past its budget fails the tests.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const budgets = Object.entries(
  JSON.parse(readFileSync(join(ROOT, 'bundle-budget.json'), 'utf8')) as Record<string, number | string>,
).filter((entry): entry is [string, number] => typeof entry[1] === 'number');

const gzipBytes = (file: string): number =>
  gzipSync(readFileSync(join(ROOT, file)), { level: constants.Z_BEST_COMPRESSION }).length;

/** The built files a budget names: itself, or those its `*` matches in its directory. */
function filesOf(pattern: string): string[] {
  if (!pattern.includes('*')) return existsSync(join(ROOT, pattern)) ? [pattern] : [];
  const dir = dirname(pattern);
  const [before, after] = pattern.slice(dir.length + 1).split('*') as [string, string];
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir))
    .filter((name) => name.startsWith(before) && name.endsWith(after) && name.length > before.length + after.length)
    .map((name) => `${dir}/${name}`);
}

/** The module and every chunk it may load. */
const everything = (): string[] => [...filesOf('dist/videocall-room.js'), ...filesOf('dist/chunks/*.js')];

describe('bundle size budget (min+gzip)', () => {
  it('covers every browser file the build writes', () => {
    const budgeted = new Set(budgets.flatMap(([pattern]) => (pattern === 'total' ? [] : filesOf(pattern))));
    const built = [
      ...everything(),
      ...filesOf('dist/videocall-room.iife.js'),
      ...filesOf('dist/room.js'),
      ...filesOf('dist/room-chunks/*.js'),
    ];
    expect(built.length, 'nothing is built: run `npm run build` first').toBeGreaterThan(2);
    expect(built.filter((file) => !budgeted.has(file))).toEqual([]);
  });

  for (const [pattern, budget] of budgets) {
    it(`${pattern} stays within ${(budget / 1000).toFixed(1)} kB`, () => {
      const files = pattern === 'total' ? everything() : filesOf(pattern);
      expect(files.length, `${pattern} is not built: run \`npm run build\` first`).toBeGreaterThan(0);
      for (const file of pattern === 'total' ? [files] : files.map((f) => [f])) {
        const bytes = file.reduce((sum, f) => sum + gzipBytes(f), 0);
        const what = pattern === 'total' ? `the module and its chunks (${file.join(', ')})` : file[0];
        expect(bytes, `${what}: ${bytes} B min+gzip, over the budget of ${budget} B`).toBeLessThanOrEqual(budget);
      }
    });
  }
});
