/**
 * How commands talk to people and scripts: human lines on stderr (so stdout
 * stays clean for data), or with `--json` one JSON object per line on stdout.
 */
export interface Output {
  /** A human status line (stderr), unless quiet or in JSON mode. */
  info(line: string): void;
  /** A warning a person should see even in JSON mode (stderr). */
  warn(line: string): void;
  /** An event for scripts: a JSON line on stdout in JSON mode; nothing otherwise. */
  event(name: string, fields?: Record<string, unknown>): void;
  readonly json: boolean;
}

export function createOutput(options: { json: boolean; quiet: boolean }, prefix: string): Output {
  return {
    json: options.json,
    info(line) {
      if (!options.json && !options.quiet) process.stderr.write(`${prefix}: ${line}\n`);
    },
    warn(line) {
      process.stderr.write(`${prefix}: warning: ${line}\n`);
    },
    event(name, fields = {}) {
      if (options.json)
        process.stdout.write(`${JSON.stringify({ event: name, time: new Date().toISOString(), ...fields })}\n`);
    },
  };
}
