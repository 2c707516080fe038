// Runs the built videocall-cli (bin/videocall-cli.mjs → dist/cli.js) as a user does: `npm run build` first.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI_BIN = fileURLToPath(new URL('../../bin/videocall-cli.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running `videocall-cli` whose JSON lines (with `--json`) are collected as they come. */
export interface RunningCli {
  child: ChildProcess;
  events: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves when it exits. */
  exited: Promise<CliResult>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = process.env): RunningCli {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a JSON line (human output)
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, events, stderr: () => stderr, exited };
}

/** Runs to the end, bounded by `timeoutMs` (then killed). */
export async function runCli(args: string[], timeoutMs = 30_000, env?: NodeJS.ProcessEnv): Promise<CliResult> {
  const cli = startCli(args, env);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), timeoutMs);
  try {
    return await cli.exited;
  } finally {
    clearTimeout(timer);
  }
}
