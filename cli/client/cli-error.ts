/**
 * What the CLI's commands fail with: a stable `code` a script can switch on and
 * the process exit code that goes with it. The message says what to do.
 */
import { CodedError } from '../../src/shared/coded-error.js';

/** Stable codes of the failures `bots` reports (and `record`, still on the cli-record branch). */
export type CliErrorCode =
  | 'usage'
  | 'relay-unreachable'
  | 'token-refused'
  | 'wrong-passphrase'
  | 'e2ee-required'
  | 'output-not-writable'
  | 'ffmpeg-missing'
  | 'relay-closed';

/**
 * Exit code per error code (0 is success, 1 an unexpected failure). Stable:
 * scripts test `$?`.
 */
export const EXIT_CODES: Readonly<Record<CliErrorCode, number>> = {
  usage: 2,
  'relay-unreachable': 3,
  'token-refused': 4,
  'wrong-passphrase': 5,
  'output-not-writable': 6,
  'ffmpeg-missing': 7,
  'relay-closed': 8,
  'e2ee-required': 9,
};

/** A failure a person can act on, with its stable code and exit code. */
export class CliError extends CodedError<CliErrorCode> {
  override readonly name = 'CliError';

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

/** Writes `error` to stderr the way every command does, and returns its exit code. */
export function reportError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof CliError) {
    stderr.write(`error [${error.code}]: ${error.message}\n`);
    return error.exitCode;
  }
  stderr.write(`error [internal]: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}
