/**
 * The shape of a `videocall-cli` subcommand. Each lives in `cli/commands/` and
 * is listed in `cli/command-table.ts`; `cli/main.ts` dispatches to it.
 */
export interface Command {
  /** What is typed after `videocall-cli`, e.g. `stream`. */
  readonly name: string;
  /** One line for `videocall-cli --help`. */
  readonly summary: string;
  /**
   * Runs with the arguments after the command's name; resolves to the process
   * exit code. Failures are thrown as `CliError`s (cli/errors.ts), which main
   * turns into a message and their exit code. `--help` is the command's own.
   */
  run(argv: string[]): Promise<number>;
}
