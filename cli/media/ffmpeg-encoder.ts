/**
 * Runs ffmpeg for `stream` and turns what it writes into `EncodedMedia`: video
 * frames with their keyframe flag, size and timestamp; Opus packets with their
 * audio level and timestamp.
 *
 * Two kinds of process: the source (decodes, scales, paces; raw video and the
 * coded audio out) and a video encoder fed the raw frames. ffmpeg's command
 * line cannot be told to make a keyframe mid-stream, but a fresh encoder
 * starts with one: a request starts a new encoder on the next raw frame while
 * the old one codes the frames it already has, so the picture never stops and
 * frames stay in order. Between requests, keyframes come on the fixed interval.
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
import { sourceArgs, rawFrameBytes, AUDIO_RATE, type EncodeSettings } from './ffmpeg-args.js';
import { OggOpusReader } from './ogg-opus-reader.js';
import { PcmLevels } from './pcm-levels.js';
import { VideoEncoderProcess } from './video-encoder-process.js';

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
  /** Keyframes made on request (each by a fresh encoder process). */
  keyframesOnRequest: number;
  /** Raw frames not coded because the encoder was still busy with earlier ones. */
  framesSkipped: number;
}

/** Lines of ffmpeg's stderr kept to explain a failure. */
const STDERR_LINES = 20;
/**
 * A request this soon after the last keyframe waits until this much time has
 * passed: requests come in bursts (several viewers, a key change, a loss), and
 * each honoured one starts a process and costs a keyframe's bits.
 */
export const MIN_KEYFRAME_GAP_MS = 500;

/** A coded frame of the new encoder, held until the old one has delivered its last. */
interface HeldFrame {
  data: Uint8Array;
  keyframe: boolean;
  index: number;
}

export class FfmpegEncoder {
  readonly stats: EncoderStats = {
    videoFrames: 0,
    keyframes: 0,
    audioPackets: 0,
    videoBytes: 0,
    keyframesOnRequest: 0,
    framesSkipped: 0,
  };
  private source: ChildProcess | null = null;
  /** The encoder raw frames go to now. */
  private encoder: VideoEncoderProcess | null = null;
  /** The encoder before a requested keyframe, coding the frames it was given. */
  private draining: VideoEncoderProcess | null = null;
  private held: HeldFrame[] = [];
  private keyframeTimer: NodeJS.Timeout | undefined;
  private lastKeyframeAt = -Infinity;
  private rawIndex = 0;
  private sourceEnded = false;
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

  start(): void {
    const child = spawn(this.binary, sourceArgs(this.settings), {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    this.source = child;
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr.push(...d.toString().split('\n').filter(Boolean));
      if (this.stderr.length > STDERR_LINES) this.stderr.splice(0, this.stderr.length - STDERR_LINES);
    });
    const [video, audio, pcm] = [3, 4, 5].map((fd) => child.stdio[fd] as Readable);
    const fail = (error: unknown): void => {
      this.stderr.push(error instanceof Error ? error.message : String(error));
      child.kill('SIGTERM');
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
    if (this.settings.video.kind !== 'none') {
      this.encoder = this.newEncoder();
      const frameBytes = rawFrameBytes(this.settings);
      // Raw frames pass through in the pieces the pipe delivers: each piece goes to the encoder
      // that took its frame, or nowhere when the frame is skipped.
      let frameLeft = 0;
      let target: VideoEncoderProcess | null = null;
      video!.on('data', (d: Buffer) => {
        for (let at = 0; at < d.length;) {
          if (frameLeft === 0) {
            target = this.beginFrame();
            frameLeft = frameBytes;
          }
          const n = Math.min(frameLeft, d.length - at);
          target?.writePart(d.subarray(at, at + n));
          at += n;
          frameLeft -= n;
        }
      });
    }
    // A pipe ffmpeg never opens (no audio in a file) just ends; errors there are ffmpeg's to report.
    for (const pipe of [video, audio, pcm]) pipe!.on('error', () => undefined);
    child.once('error', (error) => {
      this.source = null;
      this.end(new FfmpegMissingError(this.binary, error.message));
    });
    child.once('close', (code, signal) => {
      this.source = null;
      if (this.stopping) return;
      if (code !== 0) return this.end(this.failure(code, signal));
      // The source ended (a file without --loop): the encoder codes its last frames first.
      this.sourceEnded = true;
      if (this.encoder) this.encoder.finish();
      else this.end(null);
    });
  }

  /**
   * Someone needs a keyframe (a new viewer, a lost frame, a layer or key
   * change): a fresh encoder starts on the next raw frame. Requests while one
   * is on its way, or within {@link MIN_KEYFRAME_GAP_MS} of the last keyframe,
   * are answered by that one or wait for the gap to pass.
   */
  requestKeyframe(): void {
    if (!this.encoder || this.stopping || this.sourceEnded) return;
    if (this.draining || this.keyframeTimer) return;
    const wait = this.lastKeyframeAt + MIN_KEYFRAME_GAP_MS - performance.now();
    if (wait <= 0) return this.switchEncoder();
    this.keyframeTimer = setTimeout(() => {
      this.keyframeTimer = undefined;
      if (!this.stopping && !this.sourceEnded && !this.draining) this.switchEncoder();
    }, wait);
  }

  /** Stops ffmpeg (its pipes close; no further events). */
  stop(): void {
    this.stopping = true;
    clearTimeout(this.keyframeTimer);
    this.source?.kill('SIGTERM');
    this.encoder?.stop();
    this.draining?.stop();
  }

  private newEncoder(): VideoEncoderProcess {
    const encoder: VideoEncoderProcess = new VideoEncoderProcess(
      this.settings,
      {
        frame: (data, keyframe, index) => this.coded(encoder, data, keyframe, index),
        ended: (error) => this.encoderEnded(encoder, error),
      },
      this.binary,
    );
    return encoder;
  }

  private switchEncoder(): void {
    this.stats.keyframesOnRequest++;
    this.draining = this.encoder;
    this.encoder = this.newEncoder();
    this.draining?.finish();
    // Counts as the last keyframe from now: later requests are answered by this one.
    this.lastKeyframeAt = performance.now();
  }

  /** A raw frame starts: the encoder that takes it, or null when it is skipped. */
  private beginFrame(): VideoEncoderProcess | null {
    const index = this.rawIndex++;
    const encoder = this.encoder;
    if (encoder?.beginFrame(index)) return encoder;
    this.stats.framesSkipped++;
    return null;
  }

  private coded(from: VideoEncoderProcess, data: Uint8Array, keyframe: boolean, index: number): void {
    if (this.stopping) return;
    if (from === this.encoder && this.draining) {
      this.held.push({ data, keyframe, index });
      return;
    }
    this.videoFrame(data, keyframe, index);
  }

  private encoderEnded(from: VideoEncoderProcess, error: CliError | null): void {
    if (this.stopping) return;
    if (from === this.draining) {
      // Its last frames are out (or it failed: the new encoder's keyframe follows either way).
      this.draining = null;
      const held = this.held;
      this.held = [];
      for (const f of held) this.videoFrame(f.data, f.keyframe, f.index);
      return;
    }
    if (from !== this.encoder) return;
    if (error) return this.end(error);
    if (this.sourceEnded) this.end(null);
  }

  private end(error: CliError | null): void {
    if (this.stopping) return;
    this.stop();
    this.events.ended(error);
  }

  private videoFrame(data: Uint8Array, keyframe: boolean, index: number): void {
    const { width, height, fps, codec } = this.settings;
    this.stats.videoFrames++;
    this.stats.videoBytes += data.length;
    if (keyframe) {
      this.stats.keyframes++;
      this.lastKeyframeAt = performance.now();
    }
    this.events.media({
      kind: 'video',
      codec,
      keyframe,
      // The source's frames come at a constant rate: the raw frame's number is its time.
      timestamp: Math.round((index * 1e6) / fps),
      // Contiguous over what is emitted: receivers count gaps as loss, and a skipped raw frame was never sent.
      sequence: this.videoSequence++,
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
