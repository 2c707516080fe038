// The package's declarations and manifest (npm pack runs this through `prepack`):
// dist/types from tsc (tsconfig.types.json, @internal stripped), the generated protobuf
// declarations beside them (tsc does not copy .d.ts sources), and custom-elements.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(bin(cmd), args, { cwd: root, stdio: 'inherit' });

rmSync(join(root, 'dist', 'types'), { recursive: true, force: true });
// The relay's first; the browser entries' then overwrite the client modules they share, stripped.
run('tsc', ['-p', 'tsconfig.types-relay.json']);
run('tsc', ['-p', 'tsconfig.types.json']);
const gen = join(root, 'dist', 'types', 'src', 'protocol', 'gen');
mkdirSync(gen, { recursive: true });
// pbts always imports `long`, which --force-number leaves unused; users shouldn't need it installed.
const declarations = readFileSync(join(root, 'src', 'protocol', 'gen', 'videocall.d.ts'), 'utf8');
const withoutLong = declarations.replace(/^import Long = require\("long"\);\n/m, '');
if (/\bLong\b/.test(withoutLong))
  throw new Error('videocall.d.ts uses Long: keep the `long` import (and depend on it)');
writeFileSync(join(gen, 'videocall.d.ts'), withoutLong);
run('cem', ['analyze', '--config', 'custom-elements-manifest.config.mjs', '--quiet']);
