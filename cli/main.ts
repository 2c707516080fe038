/**
 * `videocall-cli`: stream into a room from a camera, a file or a test pattern,
 * record a room, run load bots, and inspect devices and relays. Dispatches to the commands of
 * `cli/command-table.ts`; a failure prints its message and exits with its code.
 */
import { COMMANDS } from './command-table.js';
import { exitCodeTable } from './errors.js';
import { runCommand } from './run-command.js';
import version from 'virtual:version';

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: videocall-cli <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `videocall-cli <command> --help` for its options.',
    '  -h, --help      this help',
    '  -v, --version   the version',
    '',
    exitCodeTable(),
  ].join('\n');
}

/** Runs the command `argv` names; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '-v' || name === '--version') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`videocall-cli: unknown command ${JSON.stringify(name)}\n\n${usage()}\n`);
    return 2;
  }
  return runCommand(command, rest);
}
