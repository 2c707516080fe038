/**
 * The ffmpeg command lines for `stream`, in two processes so that a keyframe
 * can be had on request:
 * - the source: one video source and one audio source in, up to three pipes
 *   out: raw video (yuv420p, scaled and at a constant rate) on fd 3, Opus in
 *   Ogg on fd 4, and the same audio as PCM on fd 5 for levels;
 * - the video encoder: raw frames on stdin, coded video on stdout (IVF for
 *   VP8/VP9, FLV for H.264). A fresh one starts with a keyframe.
 */
import type { VideoCodecName } from '../../src/codec/codec-names.js';

/** Where the picture comes from. */
export type VideoSource =
  | { kind: 'test-pattern' }
  | { kind: 'file'; path: string; loop: boolean }
  | { kind: 'device'; path: string }
  | { kind: 'none' };

/** Where the sound comes from. `file`: the video file's own audio. */
export type AudioSource =
  { kind: 'tone' } | { kind: 'file' } | { kind: 'device'; backend: 'alsa' | 'pulse'; name: string } | { kind: 'none' };

export interface EncodeSettings {
  video: VideoSource;
  audio: AudioSource;
  codec: VideoCodecName;
  width: number;
  height: number;
  fps: number;
  /** Video bits per second. */
  bitrate: number;
  /** Frames between keyframes. */
  keyframeInterval: number;
  /** Opus bits per second. */
  audioBitrate: number;
}

/** The sample rate and frame length the element's Opus decoder expects. */
export const AUDIO_RATE = 48_000;
const AUDIO_FRAME_MS = 20;

/** Bytes of one raw yuv420p frame at the size of `s`. */
export function rawFrameBytes(s: Pick<EncodeSettings, 'width' | 'height'>): number {
  return s.width * s.height + 2 * Math.ceil(s.width / 2) * Math.ceil(s.height / 2);
}

/** The source ffmpeg's arguments for `settings` (without the binary). */
export function sourceArgs(s: EncodeSettings): string[] {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
  const inputs: string[][] = [];
  let videoInput = -1;
  let audioInput = -1;
  const v = s.video;
  if (v.kind === 'test-pattern') {
    videoInput = inputs.push(['-re', '-f', 'lavfi', '-i', `testsrc2=size=${s.width}x${s.height}:rate=${s.fps}`]) - 1;
  } else if (v.kind === 'file') {
    videoInput = inputs.push(['-re', ...(v.loop ? ['-stream_loop', '-1'] : []), '-i', v.path]) - 1;
  } else if (v.kind === 'device') {
    // Ask the camera for the size and rate: a V4L2 device that lacks them fails here, with its reason.
    videoInput =
      inputs.push(['-f', 'v4l2', '-framerate', String(s.fps), '-video_size', `${s.width}x${s.height}`, '-i', v.path]) -
      1;
  }
  const a = s.audio;
  if (a.kind === 'tone') {
    // A 440 Hz tone that beeps (louder every second): audible, with a level that moves.
    audioInput =
      inputs.push(['-re', '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=2:sample_rate=${AUDIO_RATE}`]) - 1;
  } else if (a.kind === 'file') {
    audioInput = videoInput >= 0 && v.kind === 'file' ? videoInput : -1;
  } else if (a.kind === 'device') {
    audioInput = inputs.push(['-f', a.backend, '-i', a.name]) - 1;
  }
  for (const input of inputs) args.push(...input);

  if (videoInput >= 0) {
    // Scale to the size asked, keeping the picture's shape (padded), at a constant frame rate.
    const filter =
      `scale=${s.width}:${s.height}:force_original_aspect_ratio=decrease,` +
      `pad=${s.width}:${s.height}:(ow-iw)/2:(oh-ih)/2,fps=${s.fps},format=yuv420p`;
    args.push('-map', `${videoInput}:v:0`, '-vf', filter, '-flush_packets', '1', '-f', 'rawvideo', 'pipe:3');
  }
  if (audioInput >= 0) {
    const map = `${audioInput}:a:0${a.kind === 'file' ? '?' : ''}`;
    const mono = ['-ac', '1', '-ar', String(AUDIO_RATE)];
    args.push('-map', map, ...mono, '-c:a', 'libopus', '-application', 'lowdelay');
    args.push('-frame_duration', String(AUDIO_FRAME_MS), '-b:a', String(s.audioBitrate));
    // One Ogg page per packet: the muxer's default holds a second of audio per page.
    args.push('-page_duration', String(AUDIO_FRAME_MS * 1000), '-flush_packets', '1', '-f', 'ogg', 'pipe:4');
    args.push('-map', map, ...mono, '-f', 's16le', 'pipe:5');
  }
  return args;
}

/** The video encoder ffmpeg's arguments: raw frames of `settings`' size and rate on stdin, coded video on stdout. */
export function videoEncoderArgs(s: EncodeSettings): string[] {
  const raw = ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-video_size', `${s.width}x${s.height}`];
  return [
    ...['-hide_banner', '-loglevel', 'error', ...raw, '-framerate', String(s.fps), '-i', 'pipe:0'],
    ...videoCodecArgs(s),
    ...['-flush_packets', '1', '-f', s.codec === 'h264' ? 'flv' : 'ivf', 'pipe:1'],
  ];
}

/**
 * Realtime encoder settings: constant bitrate, no lookahead, fixed keyframe
 * interval. libvpx runs on one thread: its worker threads synchronise by
 * spinning, and on a busy 2-core machine 60 frames of 360p VP8 took 3.1 s of
 * CPU (13 s wall) with the default threads against 0.4 s with one.
 */
function videoCodecArgs(s: EncodeSettings): string[] {
  const rate = String(s.bitrate);
  const gop = ['-g', String(s.keyframeInterval), '-keyint_min', String(s.keyframeInterval)];
  switch (s.codec) {
    case 'vp8':
      return [
        ...['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-threads', '1'],
        ...['-error-resilient', '1', '-auto-alt-ref', '0', '-b:v', rate, '-minrate', rate, '-maxrate', rate],
        ...gop,
      ];
    case 'vp9':
      return [
        ...['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-threads', '1'],
        ...['-error-resilient', '1', '-auto-alt-ref', '0', '-b:v', rate, '-minrate', rate, '-maxrate', rate],
        ...gop,
      ];
    case 'h264':
      // Constrained baseline (no B-frames), what the element's decoder is configured for (avc1.42E01F).
      return [
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline'],
        ...['-b:v', rate, '-maxrate', rate, '-bufsize', String(Math.round(s.bitrate / 2)), '-bf', '0'],
        ...['-x264-params', `scenecut=0`],
        ...gop,
      ];
    default:
      throw new Error(`no ffmpeg encoder for ${s.codec}`);
  }
}
