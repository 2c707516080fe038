/**
 * One ffmpeg video encoder process: raw frames in on stdin, coded frames out
 * on stdout, each matched back to the index of the raw frame it came from. A
 * fresh process starts with a keyframe, which is how `stream` gets one on
 * request (see ffmpeg-encoder.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { FfmpegMissingError, EncoderFailedError, type CliError } from '../errors.js';
import { videoEncoderArgs, rawFrameBytes, type EncodeSettings } from './ffmpeg-args.js';
import { FlvH264Reader } from './flv-h264-reader.js';
import { isVp8Keyframe, isVp9Keyframe, IvfReader } from './ivf-reader.js';

export interface VideoEncoderProcessEvents {
  /** A coded frame of the raw frame numbered `index`. */
  frame(data: Uint8Array, keyframe: boolean, index: number): void;
  /** The process ended: after {@link VideoEncoderProcess.finish} with `error` null, else why it failed. */
  ended(error: CliError | null): void;
}

/**
 * Raw frames written and not yet coded beyond which new ones are skipped, not
 * queued: about 130 ms at 30 fps. Fewer skipped a fifth of 720p frames on an
 * idle machine, since the source delivers frames in bursts.
 */
const MAX_BACKLOG_FRAMES = 4;
/** Lines of ffmpeg's stderr kept to explain a failure. */
const STDERR_LINES = 20;

export class VideoEncoderProcess {
  /** Raw frames written and not yet coded, oldest first: the index each coded frame belongs to. */
  private readonly pending: number[] = [];
  private readonly child: ChildProcess;
  private readonly stdin: Writable;
  private readonly stderr: string[] = [];
  private readonly frameBytes: number;
  private finishing = false;
  /** Bytes still to come of the frame begun last. */
  private partLeft = 0;
  /** Stopped by its owner: no more events. */
  private stopped = false;
  /** Why it failed on our side (its output unreadable), if so. */
  private broken: string | null = null;
  private done = false;
  private lastIndex = -1;

  constructor(settings: EncodeSettings, events: VideoEncoderProcessEvents, binary: string) {
    this.frameBytes = rawFrameBytes(settings);
    const child = spawn(binary, videoEncoderArgs(settings), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.stdin = child.stdin!;
    // An encoder that died leaves writes failing with EPIPE: its exit reports why.
    this.stdin.on('error', () => undefined);
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr.push(...d.toString().split('\n').filter(Boolean));
      if (this.stderr.length > STDERR_LINES) this.stderr.splice(0, this.stderr.length - STDERR_LINES);
    });
    const coded = (data: Uint8Array, keyframe: boolean): void => {
      // One coded frame per raw frame, in order (no lookahead, no frame dropping by the rate control).
      const index = this.pending.shift() ?? this.lastIndex + 1;
      this.lastIndex = index;
      events.frame(data, keyframe, index);
    };
    const fail = (error: unknown): void => {
      this.broken = error instanceof Error ? error.message : String(error);
      this.stdin.destroy();
      this.child.kill('SIGTERM');
    };
    if (settings.codec === 'h264') {
      const flv = new FlvH264Reader();
      child.stdout!.on('data', (d: Buffer) => {
        try {
          for (const unit of flv.push(d)) coded(unit.data, unit.keyframe);
        } catch (error) {
          fail(error);
        }
      });
    } else {
      const ivf = new IvfReader();
      const isKey = settings.codec === 'vp9' ? isVp9Keyframe : isVp8Keyframe;
      child.stdout!.on('data', (d: Buffer) => {
        try {
          for (const frame of ivf.push(d)) coded(frame.data, isKey(frame.data));
        } catch (error) {
          fail(error);
        }
      });
    }
    const end = (error: CliError | null): void => {
      if (this.done || this.stopped) return;
      this.done = true;
      events.ended(error);
    };
    child.once('error', (error) => end(new FfmpegMissingError(binary, error.message)));
    child.once('close', (code, signal) => {
      if (this.broken === null && this.finishing && code === 0) return end(null);
      const why = [...this.stderr, ...(this.broken ? [this.broken] : [])].join(' | ');
      end(new EncoderFailedError(why || `the video encoder exited with ${code ?? signal}`));
    });
  }

  /**
   * Starts the raw frame numbered `index`; its bytes follow with
   * {@link writePart}. Returns false, and takes nothing, while the encoder is
   * still busy with earlier frames: a realtime source skips a frame rather than
   * queue it and add delay.
   */
  beginFrame(index: number): boolean {
    if (this.finishing || this.stopped || this.done || this.partLeft > 0) return false;
    if (this.pending.length >= MAX_BACKLOG_FRAMES) return false;
    this.pending.push(index);
    this.partLeft = this.frameBytes;
    return true;
  }

  /**
   * Part of the frame begun last, as the pipe delivered it: passed on without
   * copying frames together (a 720p frame is 1.4 MB, 30 times a second).
   */
  writePart(bytes: Uint8Array): void {
    if (bytes.length > this.partLeft) throw new RangeError(`${bytes.length} bytes past the end of the raw frame`);
    this.partLeft -= bytes.length;
    if (!this.stopped) this.stdin.write(bytes);
    // A finish asked for mid-frame ends the input once the frame is whole.
    if (this.partLeft === 0 && this.finishing) this.stdin.end();
  }

  /** No more frames: the encoder codes what it has (the frame under way completed first), then ends (`ended(null)`). */
  finish(): void {
    if (this.finishing) return;
    this.finishing = true;
    if (this.partLeft === 0) this.stdin.end();
  }

  /** Stops the process at once; no further events. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // ffmpeg blocked reading stdin never sees SIGTERM's flag: closing stdin wakes it.
    this.stdin.destroy();
    this.child.kill('SIGTERM');
  }
}
