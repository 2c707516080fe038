/** The recording's output directory: made if missing, and proven writable before anyone joins. */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CliError } from '../client/cli-error.js';

/** Creates `dir` (and its parents) and writes a probe file in it; `output-not-writable` when that fails. */
export async function prepareOutputDir(dir: string): Promise<string> {
  const path = resolve(dir);
  const probe = join(path, `.videocall-record-${process.pid}`);
  try {
    await mkdir(path, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new CliError('output-not-writable', `Cannot write recordings into ${path} (${code}): choose another --out.`, {
      cause: error,
    });
  }
  return path;
}
