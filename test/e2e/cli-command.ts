/**
 * Test-only entry point: runs one of the CLI commands this branch adds as a
 * process would (`node --import tsx test/e2e/cli-command.ts bots …`), so tests
 * see its real exit code, output and signal handling. The real entry point
 * (cli/main.ts) wires the same command objects.
 */
import { botsCommand } from '../../cli/commands/bots.js';

const commands = { bots: botsCommand } as const;
const [name, ...argv] = process.argv.slice(2);
const command = commands[name as keyof typeof commands];
if (!command) {
  process.stderr.write(`unknown command ${name}\n`);
  process.exit(2);
}
process.exitCode = await command.run(argv);
