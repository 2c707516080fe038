/**
 * Gathers a call's figures ({@link CallStats}) from the parts that count them:
 * the receive counters of each participant, their decoders and audio playout,
 * our encoders, the relay connection. It snapshots the cumulative counters once
 * a second while the call runs (and whenever asked), turns them into rates over
 * a sliding window, and judges each participant's connection
 * ({@link connectionQuality}), saying when a class changes.
 */
import type { AudioDecodeStats } from '../codec/audio-decode.js';
import type { AudioEncodeStats } from '../codec/audio-encode.js';
import type { VideoDecodeStats } from '../codec/video-decode.js';
import type { VideoEncodeStats } from '../codec/video-encode.js';
import type { JitterBufferStats } from '../playout/audio-jitter-buffer.js';
import type { VideoPacerStats } from '../playout/video-pacer.js';
import { STATS_WINDOW_MS } from './call-stats.js';
import { connectionQuality, type ConnectionQuality, type QualityVerdict } from './connection-quality.js';
import { CounterWindow } from './counter-window.js';
import type { RemoteParticipant } from './remote-participant.js';

/** What the room's receivers of one participant say now. */
export interface ReceiverSnapshot {
  video: VideoDecodeStats | null;
  audio: AudioDecodeStats | null;
  /** The jitter buffer's latest report; undefined before the first. */
  playout: JitterBufferStats | undefined;
  /** Their screen share's audio decoder and playout stream; null/undefined without one. */
  screenAudio: AudioDecodeStats | null;
  screenPlayout: JitterBufferStats | undefined;
  pacer: VideoPacerStats;
  /** The layer of their camera we subscribe to; null: none (their tile is not shown). */
  wantedLayer: number | null;
}

/** Where the collector reads from (the room wires it). */
export interface StatsSource {
  participants(): Iterable<RemoteParticipant>;
  receivers(participant: RemoteParticipant): ReceiverSnapshot | null;
  /** The decoder of their screen share; null while none decodes. */
  screenReceiver(participant: RemoteParticipant): VideoDecodeStats | null;
  localVideo(): VideoEncodeStats | null;
  localAudio(): { stats: AudioEncodeStats; muted: boolean } | null;
  /** Our screen share's encoders while we share; null otherwise. */
  localScreen(): VideoEncodeStats | null;
  localScreenAudio(): AudioEncodeStats | null;
  transport(): 'websocket' | 'webtransport' | null;
  /** Round trip to the relay, ms (the shortest recent one); null before the first. */
  rttMs(): number | null;
  /** A participant's connection class changed. */
  qualityChanged(participant: RemoteParticipant, quality: ConnectionQuality, previous: ConnectionQuality): void;
}

/** What a report reads: the collector's source, its windows, and the time. */
export interface StatsView {
  source: StatsSource;
  tracks: ReadonlyMap<RemoteParticipant, ParticipantTrack>;
  local: CounterWindow<string>;
  now: number;
}

/** Snapshots are taken this often while the call runs. */
export const SAMPLE_INTERVAL_MS = 1000;
/** A class goes up only after this many judgements in a row found it better (down: at once), so it does not flicker. */
export const STEADY_JUDGEMENTS = 3;
/** Freezes are counted over this look-back for the stats and the quality rule. */
export const FREEZE_LOOKBACK_MS = 10_000;

export type ParticipantKey =
  | 'vBytes'
  | 'vFrames'
  | 'vLost'
  | 'shown'
  | 'aBytes'
  | 'aFrames'
  | 'aLost'
  | 'concealed'
  | 'played'
  // Their screen share (`s`) and its sound (`sa`).
  | 'sBytes'
  | 'sFrames'
  | 'sLost'
  | 'sShown'
  | 'saBytes'
  | 'saFrames'
  | 'saLost'
  | 'saConcealed'
  | 'saPlayed';

/** What the collector keeps per remote participant. */
export interface ParticipantTrack {
  window: CounterWindow<ParticipantKey>;
  verdict: QualityVerdict;
  /** Since when their video (camera on and subscribed), and their audio (mic on), were expected; undefined: not now. */
  videoSince: number | undefined;
  audioSince: number | undefined;
  /** Judgements in a row that found it better than its class (it goes up only after {@link STEADY_JUDGEMENTS}). */
  betterFor: number;
}

/** See the module comment. */
export class StatsCollector {
  private readonly tracks = new Map<RemoteParticipant, ParticipantTrack>();
  private readonly local = new CounterWindow<string>(STATS_WINDOW_MS);
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly source: StatsSource,
    /** A steady clock, ms. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Samples once a second until {@link stop}. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The quality class of `participant` as last judged (`good` before a judgement). */
  qualityOf(participant: RemoteParticipant): ConnectionQuality {
    return this.tracks.get(participant)?.verdict.quality ?? 'good';
  }

  /**
   * Takes a snapshot of every counter now; `judge` (the once-a-second sample)
   * also judges each connection again, so classes change at most once a second
   * however often a page asks for stats.
   */
  sample(judge = true): void {
    const now = this.now();
    const seen = new Set<RemoteParticipant>();
    for (const p of this.source.participants()) {
      seen.add(p);
      this.sampleParticipant(p, now, judge);
    }
    for (const p of [...this.tracks.keys()]) if (!seen.has(p)) this.tracks.delete(p);
    this.sampleLocal(now);
  }

  /**
   * A fresh snapshot of every counter, and what `statsReport` (in
   * `stats-report.ts`, loaded on the first `getStats()`) needs to turn it into
   * {@link CallStats}.
   */
  snapshot(): StatsView {
    this.sample(false);
    return { source: this.source, tracks: this.tracks, local: this.local, now: this.now() };
  }

  private sampleParticipant(p: RemoteParticipant, now: number, judge: boolean): void {
    let track = this.tracks.get(p);
    if (!track) {
      track = {
        window: new CounterWindow<ParticipantKey>(STATS_WINDOW_MS),
        verdict: { quality: 'good', reasons: [] },
        videoSince: undefined,
        audioSince: undefined,
        betterFor: 0,
      };
      this.tracks.set(p, track);
    }
    const receivers = this.source.receivers(p);
    const counted = p.received;
    const playout = receivers?.playout;
    const screenPlayout = receivers?.screenPlayout;
    track.window.add(now, {
      vBytes: counted.video.bytes,
      vFrames: counted.video.frames,
      vLost: counted.video.lost,
      shown: p.framesDecoded,
      aBytes: counted.audio.bytes,
      aFrames: counted.audio.frames,
      aLost: counted.audio.lost,
      concealed: playout?.concealedSamples ?? 0,
      played: playout?.playedSamples ?? 0,
      sBytes: counted.screen.bytes,
      sFrames: counted.screen.frames,
      sLost: counted.screen.lost,
      sShown: p.screenFramesDecoded,
      saBytes: counted.screenAudio.bytes,
      saFrames: counted.screenAudio.frames,
      saLost: counted.screenAudio.lost,
      saConcealed: screenPlayout?.concealedSamples ?? 0,
      saPlayed: screenPlayout?.playedSamples ?? 0,
    });
    const videoExpected = p.camera && !!receivers && receivers.wantedLayer !== null;
    if (!videoExpected) {
      track.videoSince = undefined;
      // The picture stopped on purpose: the gap until the next frame is no freeze.
      p.received.freezes.reset();
    } else track.videoSince ??= now;
    const audioExpected = p.mic && !!receivers;
    if (!audioExpected) track.audioSince = undefined;
    else track.audioSince ??= now;
    if (judge) this.judge(p, track, receivers, now);
  }

  /** Applies the quality rule to the figures that are expected and known for the whole window. */
  private judge(p: RemoteParticipant, track: ParticipantTrack, receivers: ReceiverSnapshot | null, now: number): void {
    const span = track.window.delta();
    const fullWindow = (since: number | undefined) => since !== undefined && now - since >= STATS_WINDOW_MS;
    const videoKnown = fullWindow(track.videoSince) && span !== null;
    const audioKnown = fullWindow(track.audioSince) && span !== null && span.deltas.aFrames > 0;
    const perSecond = (n: number) => (span ? Math.max(0, n) / (span.spanMs / 1000) : 0);
    const losses: number[] = [];
    if (videoKnown) {
      const v = lossPct(span.deltas.vLost, span.deltas.vFrames);
      if (v !== null) losses.push(v);
    }
    if (audioKnown) {
      const a = lossPct(span.deltas.aLost, span.deltas.aFrames);
      if (a !== null) losses.push(a);
    }
    const verdict = connectionQuality({
      fps: videoKnown ? perSecond(span.deltas.shown) : null,
      recentFreezes: videoKnown ? p.received.freezes.countSince(now - FREEZE_LOOKBACK_MS) : null,
      stalledMs: videoKnown ? p.received.freezes.stalledMs(now) : null,
      lossPct: losses.length > 0 ? Math.max(...losses) : null,
      jitterBufferMs: audioKnown ? (receivers?.playout?.delayMs ?? null) : null,
      concealedPct: audioKnown ? concealedPct(span.deltas.concealed, span.deltas.played) : null,
    });
    const previous = track.verdict.quality;
    if (RANK[verdict.quality] < RANK[previous]) {
      track.betterFor++;
      if (track.betterFor < STEADY_JUDGEMENTS) return; // held, with the figures that set it
    }
    track.betterFor = 0;
    track.verdict = verdict;
    p.quality = verdict.quality;
    if (verdict.quality !== previous) this.source.qualityChanged(p, verdict.quality, previous);
  }

  private sampleLocal(now: number): void {
    const video = this.source.localVideo();
    const audio = this.source.localAudio();
    const screen = this.source.localScreen();
    const values: Record<string, number> = {
      aBytes: audio?.stats.bytes ?? 0,
      saBytes: this.source.localScreenAudio()?.bytes ?? 0,
    };
    for (const [prefix, stats] of [['', video] as const, ['s', screen] as const]) {
      values[`${prefix}vBytes`] = stats?.bytes ?? 0;
      for (const l of stats?.layers ?? []) {
        values[`${prefix}f${l.layer}`] = l.framesEncoded;
        values[`${prefix}b${l.layer}`] = l.bytes;
      }
    }
    this.local.add(now, values);
  }
}

const RANK: Record<ConnectionQuality, number> = { good: 0, fair: 1, poor: 2 };

/** Lost as a share of what should have come, %; null when nothing should have. */
export function lossPct(lost: number, received: number): number | null {
  const l = Math.max(0, lost);
  const expected = l + Math.max(0, received);
  return expected > 0 ? (100 * l) / expected : null;
}

/** Concealment as a share of all audio played, %; null when nothing was played. */
export function concealedPct(concealed: number, played: number): number | null {
  const c = Math.max(0, concealed);
  const total = c + Math.max(0, played);
  return total > 0 ? (100 * c) / total : null;
}
