/**
 * Runs one command the way every `videocall-cli` command ends: a thrown
 * failure becomes one stderr line with its stable code, its process exit code,
 * and with `--json` the same as a JSON line on stdout for scripts.
 */
import { nodeTransportsClosed } from './client/node-transport.js';
import type { Command } from './command.js';
import { asCliError } from './errors.js';

/** Runs `command` with `argv`; resolves to the process exit code, never rejects. */
export async function runCommand(command: Command, argv: string[]): Promise<number> {
  try {
    return await command.run(argv);
  } catch (caught) {
    return failed(command, argv, caught);
  } finally {
    // A WebTransport session's close may still be leaving (UDP: nothing else tells the relay).
    await nodeTransportsClosed();
  }
}

/** Reports a failure; returns its exit code. */
function failed(command: Command, argv: string[], caught: unknown): number {
  const error = asCliError(caught);
  // An unexpected failure is a bug: its stack helps whoever reports it.
  const text =
    error.code === 'internal' && error.cause instanceof Error ? (error.cause.stack ?? error.message) : error.message;
  process.stderr.write(`videocall-cli ${command.name}: error [${error.code}]: ${text}\n`);
  if (error.code === 'usage') process.stderr.write(`Run \`videocall-cli ${command.name} --help\` for its options.\n`);
  // Scripts asking for JSON get the failure as JSON too.
  if (argv.includes('--json'))
    process.stdout.write(
      `${JSON.stringify({ event: 'error', code: error.code, message: error.message, exitCode: error.exitCode })}\n`,
    );
  return error.exitCode;
}
