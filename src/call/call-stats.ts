/**
 * What `getStats()` returns: plain, JSON-serialisable figures of a call, the
 * same ones the element's stats panel and quality indicators show. Rates are
 * over the last few seconds ({@link STATS_WINDOW_MS}); a figure not known yet
 * (just joined, too little history) is null.
 */
import type { ConnectionQuality, QualityReason } from './connection-quality.js';

export type { ConnectionQuality, QualityReason };

/** Rates (frame rates, bitrates, loss) are measured over this sliding window, ms. */
export const STATS_WINDOW_MS = 3000;

/** One layer of our camera as we send it. */
export interface LocalLayerStats {
  /** `MediaFrame.layer`: 0 the largest. */
  layer: number;
  /** Encoded size, pixels. */
  width: number;
  height: number;
  /** False while nobody watches it: it is not encoded. */
  active: boolean;
  /** Frames encoded per second. */
  fps: number | null;
  /** Bitrate sent, kbit/s (encoded payload, before encryption). */
  bitrateKbps: number | null;
}

/** Our camera as we send it; null in {@link LocalStats.video} while it is off. */
export interface LocalVideoStats {
  /** Video codec sent: `vp8`, `vp9`, `av1` or `h264`. */
  codec: string;
  /** Size of the largest layer being encoded now, pixels (0 before the first frame). */
  width: number;
  height: number;
  /** Frames per second encoded in that layer. */
  fps: number | null;
  /** Frame rate aimed at now (the adaptation may lower it), frames per second. */
  targetFps: number;
  /** All layers together, kbit/s (encoded payload). */
  bitrateKbps: number | null;
  /** Why the size or frame rate is below the camera's best (`cpu` or `network`); null when it is not. */
  limitedBy: 'cpu' | 'network' | null;
  /** Mean time to encode a frame recently, ms. */
  encodeTimeMs: number;
  /** Each layer sent (index = layer). */
  layers: LocalLayerStats[];
}

/** Our microphone as we send it; null in {@link LocalStats.audio} while it is not open. */
export interface LocalAudioStats {
  codec: 'opus';
  /** Bitrate sent, kbit/s (0 while muted: nothing is sent). */
  bitrateKbps: number | null;
  /** True while the microphone is off. */
  muted: boolean;
}

/** What we send. */
export interface LocalStats {
  video: LocalVideoStats | null;
  audio: LocalAudioStats | null;
  /** Our screen share's video while we share; null otherwise. */
  screen: LocalVideoStats | null;
  /** The shared tab's sound while it is sent with the share; null otherwise (never `muted`). */
  screenAudio: LocalAudioStats | null;
}

/** A remote participant's camera as received here; null in {@link ParticipantStats.video} while it is off. */
export interface RemoteVideoStats {
  /** Codec decoded (`vp8`, `vp9`, `av1`, `h264`); null before the first frame. */
  codec: string | null;
  /** Size of the last frame shown, pixels (0 before the first). */
  width: number;
  height: number;
  /** Frames shown per second. */
  fps: number | null;
  /** Bitrate received, kbit/s (payload as on the wire). */
  bitrateKbps: number | null;
  /** The simulcast layer decoded (0 the largest); null before the first. */
  layer: number | null;
  /** Freezes in the last 10 s (WebRTC's rule: a frame later than max(3 × the mean interval, mean + 150 ms)). */
  freezes: number;
  /** Freezes since they joined. */
  totalFreezes: number;
  /** Time frozen since they joined, ms. */
  totalFreezeMs: number;
  /** Frames dropped here since they joined: decoder behind, waiting for a keyframe after loss, or late for lip sync. */
  framesDropped: number;
  /** Frames that never arrived, % of those sent to us (sequence gaps). */
  lossPct: number | null;
  /** Mean time to decode a frame recently, ms. */
  decodeTimeMs: number;
  /** Mean time a decoded frame waited to be shown with its sound (lip sync), ms. */
  pacingDelayMs: number | null;
  /**
   * Glass-to-glass delay now, ms: from their camera to our screen, from the
   * capture time each frame carries (authenticated with E2EE) and our clocks
   * matched through the relay's (ping/pong). Smoothed; null before the first frame.
   */
  glassToGlassMs: number | null;
}

/** A remote participant's microphone as received here; null in {@link ParticipantStats.audio} while it is off. */
export interface RemoteAudioStats {
  codec: 'opus';
  /** Bitrate received, kbit/s. */
  bitrateKbps: number | null;
  /** Packets that never arrived, % of those sent to us. */
  lossPct: number | null;
  /** The jitter buffer's delay now, ms. */
  jitterBufferMs: number | null;
  /** The delay the jitter buffer aims for, ms. */
  targetDelayMs: number | null;
  /** Audio played that was made up to cover lost or late packets, % of what was played. */
  concealedPct: number | null;
  /** Mouth-to-ear delay now, ms: their microphone to our speaker (arrival, jitter buffer, output); null while not playing. */
  mouthToEarMs: number | null;
}

/**
 * A remote participant's screen share as received here, in the camera's terms
 * (`framesDropped` since the share started; a still screen sends few frames);
 * null in {@link ParticipantStats.screen} while they don't share.
 */
export type RemoteScreenStats = Pick<
  RemoteVideoStats,
  'codec' | 'width' | 'height' | 'fps' | 'bitrateKbps' | 'layer' | 'lossPct' | 'framesDropped' | 'decodeTimeMs'
>;

/** One remote participant as received here. */
export interface ParticipantStats {
  /** Their participant (session) id. */
  id: string;
  name: string;
  video: RemoteVideoStats | null;
  audio: RemoteAudioStats | null;
  /** Their screen share; null while they don't share. */
  screen: RemoteScreenStats | null;
  /** Their screen share's sound (a shared tab's); null without one (`mouthToEarMs` is not measured for it: null). */
  screenAudio: RemoteAudioStats | null;
  /** Their connection's class, as their tile shows it (see `connection-quality.ts` for the rule). */
  quality: ConnectionQuality;
  /** The figures that made it less than `good`; empty when good. */
  qualityReasons: QualityReason[];
}

/** A call's figures at one moment. */
export interface CallStats {
  /** When they were taken, ms since the Unix epoch. */
  at: number;
  /** The transport the call runs on (`websocket` or `webtransport`); null while not connected. */
  transport: 'websocket' | 'webtransport' | null;
  /**
   * Round trip to the relay, ms: the shortest of the recent pings (the last 8,
   * about a minute), so a moment the page's main thread was busy does not
   * count as network delay; null before the first.
   */
  rttMs: number | null;
  local: LocalStats;
  participants: ParticipantStats[];
}
