/**
 * `videocall-cli`: stream into a room from a camera, a file or a test pattern,
 * and inspect devices and relays. Dispatches to the commands of
 * `cli/command-table.ts`; a failure prints its message and exits with its code.
 */
import { COMMANDS } from './command-table.js';
import { asCliError } from './errors.js';
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
  try {
    return await command.run(rest);
  } catch (caught) {
    const error = asCliError(caught);
    process.stderr.write(`videocall-cli ${command.name}: ${error.message}\n`);
    if (error.code === 'usage') process.stderr.write(`Run \`videocall-cli ${command.name} --help\` for its options.\n`);
    // Scripts asking for JSON get the failure as JSON too.
    if (rest.includes('--json'))
      process.stdout.write(
        `${JSON.stringify({ event: 'error', code: error.code, message: error.message, exitCode: error.exitCode })}\n`,
      );
    return error.exitCode;
  }
}
