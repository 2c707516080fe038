/**
 * What arrives from one remote participant, counted per frame as it comes off
 * the transport (before decryption), and when their pictures are shown: the
 * raw figures the stats turn into rates. Plain counters, no timers.
 */
import { sequenceDelta } from '../codec/encoded-media.js';

/** A jump in sequence numbers beyond this is a new stream (a restarted encoder, a layer subscribed again), not loss. */
const RESTART_DISTANCE = 300;

/** One layer's numbering, RTP-style: loss is what the highest number says should have come, minus what came. */
interface LayerSequence {
  /** First sequence number seen, and how far past it the highest one is. */
  base: number;
  highest: number;
  received: number;
}

/** Bytes, frames and frames lost of one kind of media (camera video, microphone audio, screen share video or audio). */
export class StreamCounters {
  /** Payload bytes received (as on the wire: ciphertext with E2EE). */
  bytes = 0;
  /** Frames (or audio packets) received. */
  frames = 0;
  /** Loss of streams that ended (another layer, a restarted encoder). */
  private lostBefore = 0;
  private readonly layers = new Map<number, LayerSequence>();

  /** Frames that never came, from gaps in each layer's sequence numbers; reordered frames that come late are not lost. */
  get lost(): number {
    let lost = this.lostBefore;
    for (const l of this.layers.values()) lost += Math.max(0, l.highest + 1 - l.received);
    return lost;
  }

  /** A frame of `bytes` arrived on `layer`, numbered `sequence` (when the sender numbered it). */
  frame(bytes: number, layer: number, sequence: number | undefined): void {
    this.bytes += bytes;
    this.frames++;
    if (sequence === undefined) return;
    const current = this.layers.get(layer);
    if (current) {
      const delta = sequenceDelta(sequence, current.base) - current.highest;
      if (Math.abs(delta) <= RESTART_DISTANCE) {
        if (delta > 0) current.highest += delta;
        current.received++;
        return;
      }
      this.lostBefore += Math.max(0, current.highest + 1 - current.received);
    }
    this.layers.set(layer, { base: sequence, highest: 0, received: 1 });
  }
}

/** Freeze times remembered, enough for a 10 s look back at any frame rate that freezes. */
const MAX_FREEZES_KEPT = 64;
/** Weight of a new interval in the mean frame interval. */
const INTERVAL_SMOOTHING = 0.1;

/**
 * Freezes of shown video, as WebRTC counts them (`freezeCount`): a frame shown
 * more than max(3 × the mean frame interval, the mean + 150 ms) after the one
 * before ends a freeze. Intervals while the video was not expected (camera off,
 * not subscribed) are not freezes: {@link reset} then.
 */
export class FreezeDetector {
  /** Freezes so far. */
  count = 0;
  /** Time spent frozen, ms. */
  totalMs = 0;
  private last: number | undefined;
  private meanInterval = Number.NaN;
  /** When recent freezes ended (ms, the caller's clock), oldest first. */
  private readonly ends: number[] = [];

  /** A frame was shown at `now` (ms). */
  shown(now: number): void {
    const last = this.last;
    this.last = now;
    if (last === undefined) return;
    const gap = now - last;
    if (gap < 0) return;
    const mean = this.meanInterval;
    if (!Number.isNaN(mean) && gap > freezeThreshold(mean)) {
      this.count++;
      this.totalMs += gap;
      this.ends.push(now);
      if (this.ends.length > MAX_FREEZES_KEPT) this.ends.shift();
      return; // a freeze says nothing of the normal interval
    }
    this.meanInterval = Number.isNaN(mean) ? gap : mean + INTERVAL_SMOOTHING * (gap - mean);
  }

  /** Freezes that ended at `since` or later. */
  countSince(since: number): number {
    let n = 0;
    for (let i = this.ends.length - 1; i >= 0 && this.ends[i]! >= since; i--) n++;
    return n;
  }

  /** How long no frame has been shown while one was due: 0 unless the gap already exceeds a freeze's threshold. */
  stalledMs(now: number): number {
    if (this.last === undefined || Number.isNaN(this.meanInterval)) return 0;
    const gap = now - this.last;
    return gap > freezeThreshold(this.meanInterval) ? gap : 0;
  }

  /** The video stopped on purpose: the gap until the next frame is not a freeze. */
  reset(): void {
    this.last = undefined;
  }
}

/** WebRTC's freeze rule for a mean frame interval (ms). */
export function freezeThreshold(meanIntervalMs: number): number {
  return Math.max(3 * meanIntervalMs, meanIntervalMs + 150);
}

/** Everything counted for one remote participant. */
export class ReceiveCounters {
  readonly video = new StreamCounters();
  readonly audio = new StreamCounters();
  /** Their screen share's video, and its audio (a shared tab's sound). */
  readonly screen = new StreamCounters();
  readonly screenAudio = new StreamCounters();
  readonly freezes = new FreezeDetector();
}
