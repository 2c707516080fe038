/**
 * Where the milliseconds go: the moments each media frame passes the stages of
 * the path, on the page's wall clock (`performance.timeOrigin + now`), for
 * benchmarks and diagnosis. Off unless a page starts it
 * ({@link Room.startTimeline}); then each stage costs one map lookup.
 *
 * Sending: `capture` (the frame left the camera or microphone), `encoded` (the
 * encoder gave it back), `sent` (handed to the transport, after encryption).
 * Receiving: `received` (off the transport), `decrypted` (ready for the decoder;
 * equal to `received` without E2EE), `decoded`, and for video `shown` (released
 * by lip sync to the tile). Two pages of one browser share the clock, so a
 * sender's and a receiver's records of one frame (same kind and media timestamp)
 * line up into the whole path.
 */
import { wallClockMs } from '../shared/clock.js';

/** A stage of the media path (see the module comment). */
export type TimelineStage = 'capture' | 'encoded' | 'sent' | 'received' | 'decrypted' | 'decoded' | 'shown';

/** One frame's passage. */
export interface TimelineRecord {
  /** Whose frame: '' for our own, else the sender's participant id. */
  participant: string;
  kind: 'audio' | 'video';
  /** The frame's media timestamp (µs), the same on both ends. */
  timestamp: number;
  /**
   * Its simulcast layer (0 the largest). A sender keeps one record per layer of a
   * frame; a receiver gets one layer of each frame, noted when it arrives.
   */
  layer: number;
  /** When it passed each stage (wall clock, ms). */
  marks: Partial<Record<TimelineStage, number>>;
}

/** The audio playout's delays at one moment (they apply to a stream, not to a packet). */
export interface PlayoutSample {
  participant: string;
  at: number;
  /** The jitter buffer's delay now, and what it aims for, ms. */
  bufferMs: number;
  targetMs: number;
  /** The audio output's own latency (the context's base and output latency), ms. */
  outputMs: number;
}

/** Playout samples kept (ten a second per stream). */
const PLAYOUT_LIMIT = 2_000;

/** Records kept by default: about a minute of one video and one audio stream each way. */
const DEFAULT_LIMIT = 12_000;

/** A bounded record of frames passing the media path's stages. */
export class FrameTimeline {
  private readonly records = new Map<string, TimelineRecord>();
  private playout: PlayoutSample[] = [];

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  /**
   * Notes that a frame passed `stage` at `at` (default now). Later marks of a
   * stage overwrite earlier ones. `layer` tells our own frames' layers apart and
   * is noted on a received frame's record.
   */
  mark(
    participant: string,
    kind: 'audio' | 'video',
    timestamp: number,
    stage: TimelineStage,
    at = wallClockMs(),
    layer?: number,
  ): void {
    const key = participant === '' ? `|${kind}|${timestamp}|${layer ?? 0}` : `${participant}|${kind}|${timestamp}`;
    let record = this.records.get(key);
    if (!record) {
      record = { participant, kind, timestamp, layer: layer ?? 0, marks: {} };
      this.records.set(key, record);
      // Oldest first in a Map: drop the oldest beyond the limit.
      if (this.records.size > this.limit) this.records.delete(this.records.keys().next().value!);
    } else if (layer !== undefined) {
      record.layer = layer;
    }
    record.marks[stage] = at;
  }

  /** Notes the audio playout's delays for one stream (what follows `decoded` for audio). */
  notePlayout(sample: PlayoutSample): void {
    this.playout.push(sample);
    if (this.playout.length > PLAYOUT_LIMIT) this.playout.splice(0, this.playout.length - PLAYOUT_LIMIT);
  }

  /** The playout samples kept, oldest first. */
  playoutSamples(): PlayoutSample[] {
    return this.playout.map((p) => ({ ...p }));
  }

  /** Every record kept, oldest first (plain data: it crosses `page.evaluate`). */
  list(): TimelineRecord[] {
    return [...this.records.values()].map((r) => ({ ...r, marks: { ...r.marks } }));
  }

  /** Forgets every record. */
  clear(): void {
    this.records.clear();
    this.playout = [];
  }
}
