/**
 * One participant's one track (audio, camera or screen) going into one WebM
 * file: picks the Matroska track from the first frame, starts at a keyframe,
 * follows one simulcast layer at a time (switching only at a keyframe of the
 * other), and times frames from the sender's media clock.
 */
import { Codec, TrackKind, type MediaFrameInit } from '../../src/protocol/index.js';
import { FfmpegRemux } from './ffmpeg-remux.js';
import { MatroskaStream, type MatroskaTrack } from './matroska-stream.js';

export type TrackName = 'audio' | 'video' | 'screen';

const VIDEO_CODECS: Partial<Record<number, 'V_VP8' | 'V_VP9' | 'V_AV1'>> = {
  [Codec.VP8]: 'V_VP8',
  [Codec.VP9]: 'V_VP9',
  [Codec.AV1]: 'V_AV1',
};

/** The track name of a wire kind. */
export function trackName(kind: number | null | undefined): TrackName | null {
  if (kind === TrackKind.AUDIO) return 'audio';
  if (kind === TrackKind.VIDEO) return 'video';
  if (kind === TrackKind.SCREEN) return 'screen';
  return null;
}

/**
 * The Matroska track for a first frame; a string saying why not when WebM
 * cannot hold its codec (H.264) or it is not a keyframe.
 */
export function matroskaTrackFor(frame: MediaFrameInit, data: Uint8Array): MatroskaTrack | string {
  if (frame.kind === TrackKind.AUDIO) {
    if (frame.codec !== Codec.OPUS && frame.codec) return `audio codec ${frame.codec} is not Opus`;
    // The TOC byte's `s` bit: a stereo packet (RFC 6716 §3.1).
    return { type: 'audio', codecId: 'A_OPUS', channels: (data[0] ?? 0) & 0x04 ? 2 : 1, sampleRate: 48_000 };
  }
  const codecId = VIDEO_CODECS[frame.codec ?? Codec.VP8];
  if (!codecId) return `video codec ${Codec[frame.codec ?? 0] ?? frame.codec} cannot go in WebM`;
  return { type: 'video', codecId, width: frame.width || 640, height: frame.height || 360 };
}

/** How far the media time between two frames may differ from their capture times' before it counts as a jump. */
const MAX_CLOCK_SKEW_MS = 2000;

/** What the manifest says about a finished file. */
export interface TrackSummary {
  participant: string;
  name: string;
  track: TrackName;
  codec: string;
  file: string;
  frames: number;
  bytes: number;
  /** Media time from the first to the last frame, ms. */
  durationMs: number;
  /** When the first frame was captured (relay clock), ISO 8601; when it arrived if unknown. */
  startedAt: string;
  /** Times the sender's media clock jumped (the file went on from arrival time). */
  clockJumps: number;
  /** ffmpeg's complaint if the file did not finish cleanly. */
  error?: string;
}

export class TrackRecording {
  frames = 0;
  bytes = 0;
  closed = false;
  /** The simulcast layer being written. */
  layer: number;
  private readonly remux: FfmpegRemux;
  private readonly stream: MatroskaStream;
  private readonly firstTimestampUs: number;
  private lastMs = 0;
  private lastCapture: number | undefined;
  /** Added to media time after clock jumps. */
  private rebaseMs = 0;
  /** Times the sender's media clock jumped and the track went on from arrival time. */
  clockJumps = 0;
  private readonly startedAt: string;
  private readonly codec: string;

  constructor(
    readonly participant: string,
    readonly name: string,
    readonly track: TrackName,
    readonly file: string,
    first: MediaFrameInit,
    matroska: MatroskaTrack,
    ffmpeg?: string,
  ) {
    this.remux = new FfmpegRemux(file, ffmpeg);
    this.stream = new MatroskaStream(matroska, (bytes) => this.remux.write(bytes));
    this.firstTimestampUs = first.timestamp ?? 0;
    this.layer = first.layer ?? 0;
    this.codec = matroska.codecId;
    const capture = first.captureTime ? first.captureTime / 1000 : Date.now();
    this.startedAt = new Date(capture).toISOString();
  }

  /**
   * Writes a frame; false when it was skipped (another layer's delta, or the
   * track is closed). A keyframe of another layer switches to that layer.
   */
  add(frame: MediaFrameInit, data: Uint8Array): boolean {
    if (this.closed) return false;
    const layer = frame.layer ?? 0;
    if (layer !== this.layer) {
      if (!frame.keyframe) return false;
      this.layer = layer;
    }
    // Media time (exact, from the sender's samples and frames), checked against capture time
    // (the sender's wall clock): frames that arrive in a burst after a stall keep their media
    // time; a media clock that jumped (a restarted capture or encoder) goes on from capture time.
    const capture = frame.captureTime ? frame.captureTime / 1000 : undefined;
    let ms = ((frame.timestamp ?? 0) - this.firstTimestampUs) / 1000 + this.rebaseMs;
    if (this.frames > 0) {
      const sinceCapture =
        capture !== undefined && this.lastCapture !== undefined ? capture - this.lastCapture : undefined;
      const jumped =
        ms < this.lastMs ||
        (sinceCapture !== undefined && Math.abs(ms - this.lastMs - sinceCapture) > MAX_CLOCK_SKEW_MS);
      if (jumped) {
        const placed = this.lastMs + Math.max(1, sinceCapture ?? 1);
        this.rebaseMs += placed - ms;
        ms = placed;
        this.clockJumps++;
      }
    }
    if (capture !== undefined) this.lastCapture = capture;
    this.lastMs = ms;
    this.stream.add(this.lastMs, this.track === 'audio' || !!frame.keyframe, data);
    this.frames++;
    this.bytes += data.length;
    return true;
  }

  /** Finishes the file; resolves to its summary once ffmpeg wrote it out. */
  async finish(): Promise<TrackSummary> {
    this.closed = true;
    this.stream.flush();
    const error = await this.remux.finish();
    return {
      participant: this.participant,
      name: this.name,
      track: this.track,
      codec: this.codec,
      file: this.file,
      frames: this.frames,
      bytes: this.bytes,
      durationMs: Math.round(this.lastMs),
      startedAt: this.startedAt,
      clockJumps: this.clockJumps,
      ...(error ? { error } : {}),
    };
  }
}
