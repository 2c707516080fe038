/**
 * One output file written by Debian's ffmpeg: Matroska frames go in through a
 * pipe and ffmpeg remuxes them (`-c copy`, nothing re-encoded) into a WebM file
 * it finishes properly on close: Cues for seeking, the Duration, element sizes.
 * ffmpeg runs in its own process group, so a Ctrl-C in the terminal reaches
 * only the recorder, which then closes each pipe and waits for ffmpeg to finish.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ffmpegBinary } from '../media/ffmpeg-encoder.js';

/** How long ffmpeg may take to finish a file after its input ends. */
const FINISH_TIMEOUT_MS = 15_000;

/** A WebM file being written by an ffmpeg process. */
export class FfmpegRemux {
  private readonly child: ChildProcessByStdio<Writable, null, Readable>;
  private stderr = '';
  private readonly exited: Promise<number | null>;
  /** Bytes handed to ffmpeg. */
  bytesIn = 0;
  private broken = false;

  constructor(
    readonly path: string,
    binary = ffmpegBinary(),
  ) {
    this.child = spawn(
      binary,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'matroska',
        '-i',
        'pipe:0',
        '-map',
        '0',
        '-c',
        'copy',
        '-f',
        'webm',
        '-y',
        path,
      ],
      { stdio: ['pipe', 'ignore', 'pipe'], detached: true },
    );
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      if (this.stderr.length < 4000) this.stderr += chunk;
    });
    // A dead ffmpeg makes writes fail with EPIPE: remembered, reported at close.
    this.child.stdin.on('error', () => {
      this.broken = true;
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code));
      this.child.once('error', () => resolve(null));
    });
  }

  write(bytes: Uint8Array): void {
    if (this.broken) return;
    this.bytesIn += bytes.length;
    this.child.stdin.write(bytes);
  }

  /**
   * Ends the input and waits for ffmpeg to finish the file. Resolves to
   * ffmpeg's complaint, or null when it finished cleanly.
   */
  async finish(): Promise<string | null> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), FINISH_TIMEOUT_MS);
    const code = await this.exited;
    clearTimeout(timer);
    if (code === 0 && !this.broken) return null;
    return `ffmpeg exited with ${code ?? 'a signal'} writing ${this.path}: ${this.stderr.trim() || 'no message'}`;
  }
}
