/**
 * Turns a {@link StatsCollector}'s counters into the plain figures of
 * {@link CallStats}: rates over its window, per participant and for what we
 * send. Loaded on the first `getStats()` (see `Room.getStats`): a page that never
 * asks for figures, nor opens the stats panel, does not download it.
 */
import type { VideoEncodeStats } from '../codec/video-encode.js';
import type { JitterBufferStats } from '../playout/audio-jitter-buffer.js';
import type {
  CallStats,
  LocalAudioStats,
  LocalStats,
  LocalVideoStats,
  ParticipantStats,
  RemoteAudioStats,
  RemoteScreenStats,
  RemoteVideoStats,
} from './call-stats.js';
import type { RemoteParticipant } from './remote-participant.js';
import {
  concealedPct,
  FREEZE_LOOKBACK_MS,
  lossPct,
  type ParticipantTrack,
  type ReceiverSnapshot,
  type StatsView,
} from './stats-collector.js';

/** The window's keys of one audio stream: the microphone's, or the screen share's. */
const MIC_KEYS = {
  bytes: 'aBytes',
  frames: 'aFrames',
  lost: 'aLost',
  concealed: 'concealed',
  played: 'played',
} as const;
const SCREEN_AUDIO_KEYS = {
  bytes: 'saBytes',
  frames: 'saFrames',
  lost: 'saLost',
  concealed: 'saConcealed',
  played: 'saPlayed',
} as const;

/** Builds the report of a call from its collector's counters. */
export function statsReport(view: StatsView): CallStats {
  const { now } = view;
  const participants: ParticipantStats[] = [];
  for (const p of view.source.participants()) {
    const track = view.tracks.get(p);
    if (!track) continue;
    const receivers = view.source.receivers(p);
    participants.push({
      id: p.id,
      name: p.name,
      video: p.camera ? remoteVideo(p, track, receivers, now) : null,
      audio: p.mic ? remoteAudio(track, MIC_KEYS, receivers?.playout, round(p.audioDelayMs, 1)) : null,
      screen: p.screen ? remoteScreen(view, p, track) : null,
      screenAudio: p.screenAudio ? remoteAudio(track, SCREEN_AUDIO_KEYS, receivers?.screenPlayout, null) : null,
      quality: track.verdict.quality,
      qualityReasons: [...track.verdict.reasons],
    });
  }
  const rtt = view.source.rttMs();
  return {
    at: Date.now(),
    transport: view.source.transport(),
    rttMs: rtt === null || !(rtt >= 0) ? null : round(rtt, 1),
    local: localStats(view),
    participants,
  };
}

function remoteVideo(
  p: RemoteParticipant,
  track: ParticipantTrack,
  receivers: ReceiverSnapshot | null,
  now: number,
): RemoteVideoStats {
  const w = track.window;
  const d = w.delta();
  const decode = receivers?.video ?? null;
  const pacer = receivers?.pacer;
  return {
    codec: decode?.codec ?? null,
    width: p.videoWidth,
    height: p.videoHeight,
    fps: round(w.rate('shown'), 1),
    bitrateKbps: kbps(w.rate('vBytes')),
    layer: p.videoLayer,
    freezes: p.received.freezes.countSince(now - FREEZE_LOOKBACK_MS),
    totalFreezes: p.received.freezes.count,
    totalFreezeMs: Math.round(p.received.freezes.totalMs),
    framesDropped: (decode ? decode.droppedBusy + decode.droppedWaitingForKeyframe : 0) + (pacer?.dropped ?? 0),
    lossPct: d ? round(lossPct(d.deltas.vLost, d.deltas.vFrames), 2) : null,
    decodeTimeMs: round(decode?.decodeTimeMs ?? 0, 1)!,
    pacingDelayMs: pacer && pacer.shown > 0 ? round(pacer.meanHoldMs, 1) : null,
    glassToGlassMs: round(p.videoDelayMs, 1),
  };
}

function remoteScreen(view: StatsView, p: RemoteParticipant, track: ParticipantTrack): RemoteScreenStats {
  const w = track.window;
  const d = w.delta();
  const decode = view.source.screenReceiver(p);
  return {
    codec: decode?.codec ?? null,
    width: p.screenWidth,
    height: p.screenHeight,
    fps: round(w.rate('sShown'), 1),
    bitrateKbps: kbps(w.rate('sBytes')),
    layer: p.screenLayer,
    lossPct: d ? round(lossPct(d.deltas.sLost, d.deltas.sFrames), 2) : null,
    framesDropped: decode ? decode.droppedBusy + decode.droppedWaitingForKeyframe : 0,
    decodeTimeMs: round(decode?.decodeTimeMs ?? 0, 1)!,
  };
}

function remoteAudio(
  track: ParticipantTrack,
  keys: typeof MIC_KEYS | typeof SCREEN_AUDIO_KEYS,
  playout: JitterBufferStats | undefined,
  mouthToEarMs: number | null,
): RemoteAudioStats {
  const w = track.window;
  const d = w.delta();
  const frames = d ? d.deltas[keys.frames] : 0;
  return {
    codec: 'opus',
    bitrateKbps: kbps(w.rate(keys.bytes)),
    lossPct: d ? round(lossPct(d.deltas[keys.lost], frames), 2) : null,
    jitterBufferMs: playout ? round(playout.delayMs, 1) : null,
    targetDelayMs: playout ? round(playout.targetDelayMs, 1) : null,
    concealedPct: d && frames > 0 ? round(concealedPct(d.deltas[keys.concealed], d.deltas[keys.played]), 2) : null,
    mouthToEarMs,
  };
}

function localStats(view: StatsView): LocalStats {
  const audio = view.source.localAudio();
  const screenAudio = view.source.localScreenAudio();
  const audioStats = (muted: boolean, key: string): LocalAudioStats => ({
    codec: 'opus',
    bitrateKbps: muted ? 0 : kbps(view.local.rate(key)),
    muted,
  });
  return {
    video: localVideo(view, view.source.localVideo(), ''),
    audio: audio ? audioStats(audio.muted, 'aBytes') : null,
    screen: localVideo(view, view.source.localScreen(), 's'),
    screenAudio: screenAudio ? audioStats(false, 'saBytes') : null,
  };
}

/** What one of our video encoders (the camera's, or the screen share's: keys with `prefix`) sends now. */
function localVideo(view: StatsView, video: VideoEncodeStats | null, prefix: string): LocalVideoStats | null {
  if (!video) return null;
  const w = view.local;
  const layers = video.layers.map((l) => ({
    layer: l.layer,
    width: l.width,
    height: l.height,
    active: l.active,
    fps: round(w.rate(`${prefix}f${l.layer}`), 1),
    bitrateKbps: kbps(w.rate(`${prefix}b${l.layer}`)),
  }));
  // The largest layer being encoded now (under load the top ones stop while still announced).
  // An inactive layer may still show a frame or two in the window (it stopped within it): prefer active ones.
  const top =
    layers.find((l) => l.active && (l.fps ?? 0) > 0) ??
    layers.find((l) => (l.fps ?? 0) > 0) ??
    layers.find((l) => l.active) ??
    layers[0];
  return {
    codec: video.codec,
    width: top?.width ?? video.width,
    height: top?.height ?? video.height,
    fps: top ? top.fps : null,
    targetFps: video.framerate,
    bitrateKbps: kbps(w.rate(`${prefix}vBytes`)),
    limitedBy: video.limitedBy,
    encodeTimeMs: round(video.encodeTimeMs, 1)!,
    layers,
  };
}

/** Bytes per second → kbit/s, rounded to 0.1. */
function kbps(bytesPerSecond: number | null): number | null {
  return bytesPerSecond === null ? null : Math.round(bytesPerSecond * 0.08) / 10;
}

function round(value: number | null, digits: number): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
