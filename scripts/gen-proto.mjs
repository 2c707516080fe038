// Generates static protobuf code from proto/videocall.proto into src/protocol/gen/.
// Two passes: the runtime code without comments (smaller bundle), and a commented
// copy only for pbts, which reads the JSDoc to write the TypeScript declarations.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const proto = join(root, 'proto', 'videocall.proto');
const out = join(root, 'src', 'protocol', 'gen');
const common = [
  '-t',
  'static-module',
  '-w',
  'es6',
  '--es6',
  '--force-number',
  '--no-verify',
  '--no-convert',
  '--no-delimited',
  '--no-typeurl',
  '--no-beautify',
];

// Up to date (outputs newer than the .proto and this script): nothing to do, so
// `npm run build` and `npm start` don't pay for pbjs on every run. `--force` regenerates.
const outputs = [join(out, 'videocall.js'), join(out, 'videocall.d.ts')];
const mtime = (file) => statSync(file).mtimeMs;
const upToDate =
  !process.argv.includes('--force') &&
  outputs.every(existsSync) &&
  Math.min(...outputs.map(mtime)) >= Math.max(mtime(proto), mtime(fileURLToPath(import.meta.url)));
if (upToDate) process.exit(0);

mkdirSync(out, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'vc-proto-'));
try {
  execFileSync(bin('pbjs'), [...common, '--no-comments', '-o', join(out, 'videocall.js'), proto], { stdio: 'inherit' });
  execFileSync(bin('pbjs'), [...common, '-o', join(tmp, 'commented.js'), proto], { stdio: 'inherit' });
  execFileSync(bin('pbts'), ['--no-comments', '-o', join(out, 'videocall.d.ts'), join(tmp, 'commented.js')], {
    stdio: 'inherit',
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
