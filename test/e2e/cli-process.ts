/** Runs a CLI command in its own process (see cli-command.ts) and collects what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./cli-command.ts', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Each stderr line with when (Date.now()) it arrived. */
  stderrLines: { text: string; at: number }[];
  /** Resolves to the exit code (null when killed) once the process ended. */
  exited: Promise<number | null>;
  /** Resolves when stderr has shown a line matching `pattern` (at most `timeoutMs`), to when it arrived. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<number>;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: CliRun = {
    child,
    stdout: '',
    stderr: '',
    stderrLines: [],
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    async waitForStderr(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const line = run.stderrLines.find((l) => pattern.test(l.text));
        if (line) return line.at;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no ${pattern} on stderr after ${timeoutMs} ms:\n${run.stderr}`);
    },
  };
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (run.stdout += s));
  let partial = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    run.stderr += s;
    const lines = (partial + s).split('\n');
    partial = lines.pop()!;
    for (const text of lines) run.stderrLines.push({ text, at: Date.now() });
  });
  return run;
}
