/**
 * Which microphones a room forwards: the `maxAudible` loudest, chosen from the
 * audio level in each frame's clear header (`MediaFrame.audio_level`, 0 loudest
 * to 127 silence, as RFC 6464), so it works the same with end-to-end encryption.
 *
 * - A speaker in the audible set is forwarded, every frame. While the set has
 *   room, anyone who sends is let in.
 * - Someone outside it whose level crosses `speakingLevel` is let in at once,
 *   from that very frame (heard from their first words), even when the set is
 *   full: it may hold up to `2 × maxAudible` for a while.
 * - A member of the set is evicted only when the set is over `maxAudible` (or
 *   someone new needs its place) and it has been quiet for `holdMs`: so nobody is
 *   cut mid-sentence, and nobody hears a gap when the set changes.
 *
 * The active speakers (`ActiveSpeakers`) are the audible members that spoke in
 * the last `holdMs`, loudest first by a smoothed level; two swap places only when
 * the later one is louder by `orderMargin`, so the order does not flap.
 */

export interface LoudestSpeakersOptions {
  /** Most microphones forwarded at once; 0 forwards every one. */
  maxAudible: number;
  /** Level at or below which (louder) a frame counts as speech. Default 60 (−60 dBov). */
  speakingLevel?: number;
  /** How long a speaker must be quiet before it may lose its place. Default 1500 ms. */
  holdMs?: number;
  /** How much louder (smoothed, in dB) a speaker must be to pass another in the active list. Default 6. */
  orderMargin?: number;
  now?: () => number;
}

interface Speaker {
  /** When it last spoke (a frame at or above the speaking level). */
  lastLoud: number;
  /** Smoothed loudness, 127 − level (higher is louder). */
  loudness: number;
}

/** Weight of each new frame in the smoothed loudness: about 10 frames (200 ms of 20 ms packets). */
const SMOOTHING = 0.1;

export class LoudestSpeakers {
  private readonly audible = new Map<string, Speaker>();
  private readonly max: number;
  private readonly speakingLevel: number;
  private readonly holdMs: number;
  private readonly orderMargin: number;
  private readonly now: () => number;
  /** The active speakers as last reported. */
  private active: string[] = [];

  constructor(options: LoudestSpeakersOptions) {
    this.max = options.maxAudible;
    this.speakingLevel = options.speakingLevel ?? 60;
    this.holdMs = options.holdMs ?? 1500;
    this.orderMargin = options.orderMargin ?? 6;
    this.now = options.now ?? (() => performance.now());
  }

  /** Whether `publisher`'s audio frame at `level` is forwarded. */
  offer(publisher: string, level: number): boolean {
    const now = this.now();
    const loud = level <= this.speakingLevel;
    const speaker = this.audible.get(publisher);
    if (speaker) {
      speaker.loudness += SMOOTHING * (127 - level - speaker.loudness);
      if (loud) speaker.lastLoud = now;
      if (this.max > 0 && this.audible.size > this.max) this.shrink(now);
      return true;
    }
    if (this.max === 0) {
      // Everyone is forwarded; the set still tracks who speaks, for the active speakers.
      if (loud) this.audible.set(publisher, { lastLoud: now, loudness: 127 - level });
      return true;
    }
    // While there is room, anyone is forwarded (a small room hears every microphone, as before).
    if (this.audible.size < this.max) {
      this.audible.set(publisher, { lastLoud: loud ? now : -Infinity, loudness: 127 - level });
      return true;
    }
    if (!loud) return false;
    this.shrink(now, 1);
    if (this.audible.size >= 2 * this.max) return false;
    this.audible.set(publisher, { lastLoud: now, loudness: 127 - level });
    return true;
  }

  /** `publisher` left: its place is free. */
  forget(publisher: string): void {
    this.audible.delete(publisher);
  }

  /** The active speakers as last reported by {@link activeSpeakersChange}, loudest first. */
  get current(): readonly string[] {
    return this.active;
  }

  /** Who is forwarded now (for tests and metrics). */
  get audibleIds(): string[] {
    return [...this.audible.keys()];
  }

  /**
   * The active speakers, loudest first, when they changed since the last call;
   * undefined when they did not. Call it every few hundred milliseconds.
   */
  activeSpeakersChange(): string[] | undefined {
    const now = this.now();
    if (this.max === 0) {
      for (const [id, s] of this.audible) if (now - s.lastLoud > this.holdMs) this.audible.delete(id);
    }
    const speaking = (id: string): boolean => {
      const s = this.audible.get(id);
      return s !== undefined && now - s.lastLoud <= this.holdMs;
    };
    // The previous order, minus who stopped, plus who started (loudest first among them).
    const list = this.active.filter(speaking);
    const fresh = [...this.audible.keys()].filter((id) => speaking(id) && !list.includes(id));
    fresh.sort((a, b) => this.loudness(b) - this.loudness(a));
    list.push(...fresh);
    // Bubble louder speakers up, but only past someone quieter by the margin.
    for (let pass = 0; pass < list.length; pass++) {
      let swapped = false;
      for (let i = 0; i + 1 < list.length; i++) {
        if (this.loudness(list[i + 1]!) > this.loudness(list[i]!) + this.orderMargin) {
          [list[i], list[i + 1]] = [list[i + 1]!, list[i]!];
          swapped = true;
        }
      }
      if (!swapped) break;
    }
    if (list.length === this.active.length && list.every((id, i) => id === this.active[i])) return undefined;
    this.active = list;
    return list;
  }

  private loudness(id: string): number {
    return this.audible.get(id)?.loudness ?? 0;
  }

  /**
   * Evicts members quiet for `holdMs`, longest quiet first, until the set is at
   * `maxAudible − room` (room: places needed now) or nobody more may go.
   */
  private shrink(now: number, room = 0): void {
    while (this.audible.size > this.max - room) {
      let victim: string | undefined;
      let oldest = Infinity;
      for (const [id, s] of this.audible) {
        if (s.lastLoud < oldest) {
          oldest = s.lastLoud;
          victim = id;
        }
      }
      if (victim === undefined || now - oldest < this.holdMs) return;
      this.audible.delete(victim);
    }
  }
}
