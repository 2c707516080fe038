/** The recording's output directory: made if missing, and proven writable before anyone joins. */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OutputNotWritableError } from '../errors.js';

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
    throw new OutputNotWritableError(path, code, { cause: error });
  }
  return path;
}
