#!/usr/bin/env node
// videocall-cli: stream into a videocall-room call from a camera, a file or a test pattern.
// The commands are TypeScript under cli/, built into dist/cli.js by `npm run build`.
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
// Sockets and timers of a finished command must not keep the process alive; let stdout drain first.
process.stdout.write('', () => process.exit(code));
