/**
 * Test-only entry point: runs one of the CLI's commands from its TypeScript
 * source as a process would (`node --import tsx test/e2e/cli-command.ts bots …`),
 * so tests see its real exit code, output and signal handling without a build.
 * The real entry point (cli/main.ts) dispatches through the same runCommand.
 */
import { COMMANDS } from '../../cli/command-table.js';
import { runCommand } from '../../cli/run-command.js';

const [name, ...argv] = process.argv.slice(2);
const command = COMMANDS.find((c) => c.name === name);
if (!command) {
  process.stderr.write(`unknown command ${name}\n`);
  process.exit(2);
}
process.exitCode = await runCommand(command, argv);
