// The package's declarations and manifest (npm pack runs this through `prepack`):
// dist/types from tsc (tsconfig.types.json, @internal stripped; the generated protocol
// code is TypeScript, so its declarations come with the rest), and custom-elements.json.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(bin(cmd), args, { cwd: root, stdio: 'inherit' });

rmSync(join(root, 'dist', 'types'), { recursive: true, force: true });
// The relay's first; the browser entries' then overwrite the client modules they share, stripped.
run('tsc', ['-p', 'tsconfig.types-relay.json']);
run('tsc', ['-p', 'tsconfig.types.json']);
run('cem', ['analyze', '--config', 'custom-elements-manifest.config.mjs', '--quiet']);
