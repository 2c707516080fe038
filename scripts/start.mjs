// `npm start`: runs the built relay (dist/server.js) at once when dist/ is newer
// than everything it is built from; otherwise builds first (`npm run build`), so a
// fresh clone still needs only `npm ci && npm start`. Type-checking is `npm test`'s job.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale } from './build-if-stale.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
buildIfStale(root);
// A child, not an import: the relay keeps its own argv, and signals reach it as before.
const relay = spawn(process.execPath, [join(root, 'dist', 'server.js'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => relay.kill(signal));
relay.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
