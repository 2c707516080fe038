/**
 * One participant's one track (audio, camera or screen) going into one WebM
 * file: picks the Matroska track from the first frame, starts at a keyframe,
 * follows one simulcast layer at a time (switching only at a keyframe of the
 * other), and times frames from the sender's media clock.
 */
import type { EncodedMedia, MediaKind } from '../../src/codec/encoded-media.js';
import { FfmpegRemux } from './ffmpeg-remux.js';
import { MatroskaStream, type MatroskaTrack } from './matroska-stream.js';

/** The tracks a participant's files are named after: its microphone, camera, screen and the screen's audio. */
export type TrackName = MediaKind;

const VIDEO_CODECS: Partial<Record<string, 'V_VP8' | 'V_VP9' | 'V_AV1'>> = {
  vp8: 'V_VP8',
  vp9: 'V_VP9',
  av1: 'V_AV1',
};

/**
 * The Matroska track for a first frame; a string saying why not when WebM
 * cannot hold its codec (H.264).
 */
export function matroskaTrackFor(media: EncodedMedia): MatroskaTrack | string {
  if (media.kind === 'audio' || media.kind === 'screen-audio') {
    if (media.codec !== 'opus') return `audio codec ${media.codec} is not Opus`;
    // The TOC byte's `s` bit: a stereo packet (RFC 6716 §3.1).
    return { type: 'audio', codecId: 'A_OPUS', channels: (media.data[0] ?? 0) & 0x04 ? 2 : 1, sampleRate: 48_000 };
  }
  const codecId = VIDEO_CODECS[media.codec];
  if (!codecId) return `video codec ${media.codec} cannot go in WebM`;
  return { type: 'video', codecId, width: media.width || 640, height: media.height || 360 };
}

/**
 * How far the media time between two frames may differ from their capture
 * times' (or go backwards) before it counts as the sender's clock jumping.
 */
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
  /** When the first frame was captured (this machine's clock, across the relay's), ISO 8601; when it arrived if unknown. */
  startedAt: string;
  /** Times the sender's media clock jumped (the file went on from capture time). */
  clockJumps: number;
  /** Frames whose time repeated or went back a little on the wire, written 1 ms after the one before. */
  timestampsAdjusted: number;
  /** ffmpeg's complaint if the file did not finish cleanly. */
  error?: string;
}

export class TrackRecording {
  frames = 0;
  bytes = 0;
  closed = false;
  /** The simulcast layer being written. */
  layer: number;
  /** Times the sender's media clock jumped and the track went on from capture time. */
  clockJumps = 0;
  private readonly remux: FfmpegRemux;
  private readonly stream: MatroskaStream;
  private readonly firstTimestampUs: number;
  private lastMs = 0;
  private lastCapture: number | undefined;
  /** Added to media time after clock jumps. */
  private rebaseMs = 0;
  private readonly startedAt: string;
  private readonly codec: string;

  constructor(
    readonly participant: string,
    readonly name: string,
    readonly track: TrackName,
    readonly file: string,
    first: EncodedMedia,
    matroska: MatroskaTrack,
    ffmpeg?: string,
  ) {
    this.remux = new FfmpegRemux(file, ffmpeg);
    this.stream = new MatroskaStream(matroska, (bytes) => this.remux.write(bytes));
    this.firstTimestampUs = first.timestamp;
    this.layer = first.layer ?? 0;
    this.codec = matroska.codecId;
    this.startedAt = new Date(first.captureTime ?? Date.now()).toISOString();
  }

  /**
   * Writes a frame; false when it was skipped (another layer's delta, or the
   * track is closed). A keyframe of another layer switches to that layer.
   */
  add(media: EncodedMedia): boolean {
    if (this.closed) return false;
    const layer = media.layer ?? 0;
    if (layer !== this.layer) {
      if (!media.keyframe) return false;
      this.layer = layer;
    }
    // Media time (exact, from the sender's samples and frames), checked against capture time
    // (the sender's wall clock): frames that arrive in a burst after a stall keep their media
    // time; a media clock that jumped (a restarted capture or encoder) goes on from capture time.
    // A small step back (a layer switch) is left to the writer, which keeps times rising.
    const capture = media.captureTime;
    let ms = (media.timestamp - this.firstTimestampUs) / 1000 + this.rebaseMs;
    if (this.frames > 0) {
      const sinceCapture =
        capture !== undefined && this.lastCapture !== undefined ? capture - this.lastCapture : undefined;
      const jumped =
        ms < this.lastMs - MAX_CLOCK_SKEW_MS ||
        (sinceCapture !== undefined && Math.abs(ms - this.lastMs - sinceCapture) > MAX_CLOCK_SKEW_MS);
      if (jumped) {
        const placed = this.lastMs + Math.max(1, sinceCapture ?? 1);
        this.rebaseMs += placed - ms;
        ms = placed;
        this.clockJumps++;
      }
    }
    if (capture !== undefined) this.lastCapture = capture;
    this.stream.add(ms, this.track === 'audio' || media.keyframe, media.data);
    this.lastMs = this.stream.lastTimeMs;
    this.frames++;
    this.bytes += media.data.length;
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
      timestampsAdjusted: this.stream.adjusted,
      ...(error ? { error } : {}),
    };
  }
}
