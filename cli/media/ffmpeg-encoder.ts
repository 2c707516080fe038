/**
 * Runs ffmpeg for `stream` and turns what it writes into `EncodedMedia`: video
 * frames with their keyframe flag, size and timestamp; Opus packets with their
 * audio level and timestamp. Keyframes come on a fixed interval (ffmpeg's CLI
 * cannot be asked for one mid-stream; see cli/commands/stream.ts for why that
 * is the choice rather than restarting it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { EncodedMedia } from '../../src/codec/encoded-media.js';
import { wallClockMs } from '../../src/shared/clock.js';
import {
  DeviceFormatError,
  EncoderFailedError,
  FfmpegMissingError,
  FileUnreadableError,
  type CliError,
} from '../errors.js';
import { ffmpegArgs, AUDIO_RATE, type EncodeSettings } from './ffmpeg-args.js';
import { FlvH264Reader } from './flv-h264-reader.js';
import { isVp8Keyframe, isVp9Keyframe, IvfReader } from './ivf-reader.js';
import { OggOpusReader } from './ogg-opus-reader.js';
import { PcmLevels } from './pcm-levels.js';

/** The ffmpeg binary: `$FFMPEG`, else `ffmpeg` on the PATH. */
export function ffmpegBinary(): string {
  return process.env.FFMPEG || 'ffmpeg';
}

/** Checks that ffmpeg runs; resolves to its version line. Rejects with a {@link FfmpegMissingError}. */
export function checkFfmpeg(binary = ffmpegBinary()): Promise<string> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(binary, ['-hide_banner', '-version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch (error) {
      reject(new FfmpegMissingError(binary, String(error)));
      return;
    }
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (error) => reject(new FfmpegMissingError(binary, error.message)));
    child.once('close', (code) => {
      if (code === 0) resolve(out.split('\n')[0] ?? '');
      else reject(new FfmpegMissingError(binary, `exited with ${code}`));
    });
  });
}

export interface FfmpegEncoderEvents {
  media(media: EncodedMedia): void;
  /** ffmpeg ended: `error` null when the source simply ended (a file without --loop). */
  ended(error: CliError | null): void;
}

/** What the encoder produced so far. */
export interface EncoderStats {
  videoFrames: number;
  keyframes: number;
  audioPackets: number;
  videoBytes: number;
}

/** Lines of ffmpeg's stderr kept to explain a failure. */
const STDERR_LINES = 20;

export class FfmpegEncoder {
  readonly stats: EncoderStats = { videoFrames: 0, keyframes: 0, audioPackets: 0, videoBytes: 0 };
  private child: ChildProcess | null = null;
  private stderr: string[] = [];
  private stopping = false;
  private videoSequence = 0;
  private audioSequence = 0;
  private audioSamples = 0;

  constructor(
    private readonly settings: EncodeSettings,
    private readonly events: FfmpegEncoderEvents,
    private readonly binary = ffmpegBinary(),
  ) {}

  /** The process id, while it runs (for CPU measurements). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const child = spawn(this.binary, ffmpegArgs(this.settings), {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr.push(...d.toString().split('\n').filter(Boolean));
      if (this.stderr.length > STDERR_LINES) this.stderr.splice(0, this.stderr.length - STDERR_LINES);
    });
    const [video, audio, pcm] = [3, 4, 5].map((fd) => child.stdio[fd] as Readable);
    const fail = (error: unknown): void => {
      this.stderr.push(error instanceof Error ? error.message : String(error));
      this.stop();
    };
    const levels = new PcmLevels();
    pcm!.on('data', (d: Buffer) => levels.push(d));
    const ogg = new OggOpusReader();
    audio!.on('data', (d: Buffer) => {
      try {
        for (const packet of ogg.push(d)) this.audioPacket(packet.data, packet.samples, levels.next(packet.samples));
      } catch (error) {
        fail(error);
      }
    });
    const codec = this.settings.codec;
    if (codec === 'h264') {
      const flv = new FlvH264Reader();
      video!.on('data', (d: Buffer) => {
        try {
          for (const unit of flv.push(d)) this.videoFrame(unit.data, unit.keyframe, undefined);
        } catch (error) {
          fail(error);
        }
      });
    } else {
      const ivf = new IvfReader();
      const isKey = codec === 'vp9' ? isVp9Keyframe : isVp8Keyframe;
      video!.on('data', (d: Buffer) => {
        try {
          for (const frame of ivf.push(d)) this.videoFrame(frame.data, isKey(frame.data), frame.timestampUs);
        } catch (error) {
          fail(error);
        }
      });
    }
    // A pipe ffmpeg never opens (no audio in a file) just ends; errors there are ffmpeg's to report.
    for (const pipe of [video, audio, pcm]) pipe!.on('error', () => undefined);
    child.once('error', (error) => {
      this.child = null;
      this.events.ended(new FfmpegMissingError(this.binary, error.message));
    });
    child.once('close', (code, signal) => {
      this.child = null;
      if (this.stopping) return;
      this.events.ended(code === 0 ? null : this.failure(code, signal));
    });
  }

  /** Stops ffmpeg (its pipes close; no further events). */
  stop(): void {
    this.stopping = true;
    this.child?.kill('SIGTERM');
  }

  private videoFrame(data: Uint8Array, keyframe: boolean, timestampUs: number | undefined): void {
    const { width, height, fps, codec } = this.settings;
    this.stats.videoFrames++;
    this.stats.videoBytes += data.length;
    if (keyframe) this.stats.keyframes++;
    const sequence = this.videoSequence++;
    this.events.media({
      kind: 'video',
      codec,
      keyframe,
      // FLV has ms timestamps; the frame count at the constant output rate is exact.
      timestamp: timestampUs ?? Math.round((sequence * 1e6) / fps),
      sequence,
      data,
      width,
      height,
      layer: 0,
      temporalLayer: 0,
      captureTime: wallClockMs(),
    });
  }

  private audioPacket(data: Uint8Array, samples: number, level: number): void {
    this.stats.audioPackets++;
    const timestamp = Math.round((this.audioSamples * 1e6) / AUDIO_RATE);
    this.audioSamples += samples;
    this.events.media({
      kind: 'audio',
      codec: 'opus',
      keyframe: true,
      timestamp,
      sequence: this.audioSequence++,
      data,
      audioLevel: level,
      captureTime: wallClockMs() - (samples * 1000) / AUDIO_RATE,
    });
  }

  /** Why ffmpeg failed, as the CLI's error for the source it failed on. */
  private failure(code: number | null, signal: NodeJS.Signals | null): CliError {
    const why = this.stderr.join(' | ') || (signal ? `killed by ${signal}` : `exited with ${code}`);
    const { video, audio } = this.settings;
    if (video.kind === 'file' && this.stats.videoFrames === 0 && this.stats.audioPackets === 0)
      return new FileUnreadableError(video.path, why);
    if (video.kind === 'device' && this.stats.videoFrames === 0 && mentions(why, video.path, 'v4l2', 'video4linux'))
      return new DeviceFormatError(video.path, why);
    if (audio.kind === 'device' && this.stats.audioPackets === 0 && mentions(why, audio.name, audio.backend))
      return new DeviceFormatError(`${audio.backend}:${audio.name}`, why);
    if (video.kind === 'device' && this.stats.videoFrames === 0) return new DeviceFormatError(video.path, why);
    return new EncoderFailedError(why);
  }
}

function mentions(text: string, ...words: string[]): boolean {
  const lower = text.toLowerCase();
  return words.some((w) => w && lower.includes(w.toLowerCase()));
}
