/**
 * An adaptive audio jitter buffer, free of DOM and Web Audio so it runs in an
 * AudioWorklet and in unit tests alike.
 *
 * Model. Two clocks, both in samples: the sender's media clock (packet
 * timestamps) and the output clock (samples pulled so far). The playhead `P`
 * is the media time of the next sample to play; `O = clock - P` maps media time
 * to output time. For a packet arriving at output time `A` with timestamp `ts`,
 * its transit `T = A - ts` (an unknown constant plus network and scheduling
 * delay). It is on time when `T <= O`. So the buffering delay is `O - min(T)`
 * and the delay jitter needs is a high quantile of `T - min(T)` over a recent
 * window (95 % by default, as WebRTC's NetEq aims: covering every outlier, the
 * maximum, would let one main-thread stall hold all audio back for seconds):
 * the target delay is that plus a margin, within [min, max]. The rare packet
 * later than that is concealed and the delay it caused is caught up again.
 * The buffer moves `O` towards `min(T) + target`:
 * - up by holding the playhead when it runs dry (an underrun: a late packet),
 *   or by inserting a quantum in quiet audio;
 * - down for free across gaps (silence, mute, a loss burst), by dropping quiet
 *   quanta, and, when far behind, by dropping short slices of audio with a fade.
 *
 * Missing audio is concealed by repeating the last 10 ms with a decaying gain
 * (silence after 60 ms); every discontinuity is smoothed over 64 samples, so
 * nothing clicks.
 */

/** Options of {@link AudioJitterBuffer}; all have sensible defaults for 48 kHz speech. */
export interface JitterBufferOptions {
  /** Media and output sample rate; default 48000. */
  sampleRate?: number;
  /** Least target delay; default 20 ms. */
  minDelayMs?: number;
  /** Greatest target delay; default 200 ms. More than this late is caught up at once. */
  maxDelayMs?: number;
  /** Target delay before anything is measured; default 40 ms. */
  initialDelayMs?: number;
  /** How long transits are remembered for the jitter estimate; default 4 s. */
  windowMs?: number;
  /**
   * Share of recent packets the target delay should have been enough for;
   * default 0.95. 1 covers the latest packet of the window (the maximum).
   */
  jitterQuantile?: number;
  /**
   * How fast the target shrinks when the network calms down; default 40 ms per
   * second (replayed calls, `npm run bench -- jitter`: against 20 ms/s it cut the
   * median delay by a quarter for 0.2 % more concealment).
   */
  shrinkMsPerSecond?: number;
  /** A packet whose transit differs from the recent minimum by more than this starts a new stream; default 1000 ms. */
  resetThresholdMs?: number;
  /** At most this much audio is kept; older packets are dropped (a suspended context stops pulling). Default 2000 ms. */
  maxBufferedMs?: number;
  /**
   * How far the delay may sit above the target before the buffer catches up
   * (in a quiet moment, or by dropping bits of sound when it lasts); the larger
   * of this and a quarter of the target. Default 8 ms: with the network read
   * and audio decoded in the media worker, arrivals on replayed calls (`npm run
   * bench -- jitter`, the worker-quiet and worker-loaded traces) cost 6–8 ms
   * less delay at p50 than with 15 ms, for 0.02–0.1 % more concealment. On
   * arrivals read by a busy page's main thread it was a worse trade.
   */
  slackMs?: number;
}

/** What the buffer did, for meters and tests. Durations in ms, counts since creation. */
export interface JitterBufferStats {
  /** Delay the buffer aims for. */
  targetDelayMs: number;
  /** Current buffering delay for the least delayed packets (`O - min T`). */
  delayMs: number;
  /** Audio buffered ahead of the playhead (newest packet end − playhead). */
  bufferedMs: number;
  /** Measured delay jitter (the {@link JitterBufferOptions.jitterQuantile} of `T − min T` over the window). */
  jitterMs: number;
  /** The latest packet's lateness over the window (`max T − min T`). */
  maxJitterMs: number;
  packetsPushed: number;
  /** Packets that arrived after their time had passed (dropped). */
  packetsLate: number;
  packetsDuplicate: number;
  /** Packets dropped because too much audio was buffered. */
  packetsOverflow: number;
  /** Times the buffer ran dry while playing. */
  underruns: number;
  /** Gaps concealed while later audio was already there (loss). */
  lossConcealments: number;
  /** Samples synthesized by concealment (loss and underrun). */
  concealedSamples: number;
  /** Real audio samples played. */
  playedSamples: number;
  /** Real audio samples skipped to catch up. */
  droppedSamples: number;
  /** Samples inserted in quiet audio to grow the delay. */
  insertedSamples: number;
  /** Gap samples skipped for free (silences, mute) to catch up. */
  skippedGapSamples: number;
  /** New streams started (timestamp jumps and clock resets). */
  resets: number;
}

interface Packet {
  ts: number;
  end: number;
  pcm: Float32Array;
}

/** Length of the discontinuity smoothing ramp (1.3 ms at 48 kHz). */
const BLEND = 64;
/** Concealment repeats this much of the last audio (10 ms at 48 kHz). */
const LOOP_MS = 10;
/** Concealment fades to silence over this long. */
const CONCEAL_FADE_MS = 60;
/** Below this peak a quantum is "quiet": dropping or inserting it is inaudible. */
const QUIET_PEAK = 0.01;

/**
 * One remote audio stream's jitter buffer (see the module comment for the model).
 *
 * @example
 * const buffer = new AudioJitterBuffer();
 * buffer.push(pcm, timestampSamples); // as packets arrive
 * buffer.pull(output);                // every render quantum (128 samples)
 */
export class AudioJitterBuffer {
  private readonly rate: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly initialDelay: number;
  private readonly windowSamples: number;
  private readonly quantile: number;
  private readonly shrinkPerSample: number;
  private readonly resetThreshold: number;
  private readonly maxBuffered: number;
  private readonly slack: number;
  /** Safety on top of the measured jitter: one render quantum plus 5 ms of scheduling slack. */
  private readonly margin: number;

  private packets: Packet[] = [];
  /** Output clock: samples pulled so far. */
  private clock = 0;
  /** Media time of the next sample to play; undefined before the first packet. */
  private playheadPos: number | undefined;
  private target: number;
  /** Recent (arrival, transit) pairs, oldest first. */
  private transits: { arrival: number; transit: number }[] = [];
  /** The same transits in ascending order, for the quantile (kept sorted: no sort, no garbage per packet). */
  private sortedTransits: number[] = [];
  private minTransit = 0;
  /** The {@link quantile} of recent transits: what the target must cover. */
  private highTransit = 0;
  private maxTransit = 0;
  /** Media time of the first sample of the current stream: before it, the output is plain silence. */
  private streamStart = 0;

  // Concealment and smoothing state.
  private readonly history: Float32Array;
  private historyPos = 0;
  private readonly loop: Float32Array;
  private concealing = false;
  private concealPos = 0;
  private lastOut = 0;
  private blendFrom = 0;
  private blendLeft = 0;
  /** True while the buffer has run dry (one underrun is counted per episode). */
  private dry = false;
  /** Samples the delay has been continuously above the compress threshold. */
  private overSince = 0;
  private quantaSinceDrop = 0;
  /** Samples to hold the playhead for at the next real audio (stretching in a quiet moment). */
  private pendingHold = 0;

  private readonly counters: Omit<
    JitterBufferStats,
    'targetDelayMs' | 'delayMs' | 'bufferedMs' | 'jitterMs' | 'maxJitterMs'
  > = {
    packetsPushed: 0,
    packetsLate: 0,
    packetsDuplicate: 0,
    packetsOverflow: 0,
    underruns: 0,
    lossConcealments: 0,
    concealedSamples: 0,
    playedSamples: 0,
    droppedSamples: 0,
    insertedSamples: 0,
    skippedGapSamples: 0,
    resets: 0,
  };

  constructor(options: JitterBufferOptions = {}) {
    this.rate = options.sampleRate ?? 48000;
    const ms = (v: number) => Math.round((v * this.rate) / 1000);
    this.minDelay = ms(options.minDelayMs ?? 20);
    this.maxDelay = ms(options.maxDelayMs ?? 200);
    this.initialDelay = Math.min(this.maxDelay, Math.max(this.minDelay, ms(options.initialDelayMs ?? 40)));
    this.windowSamples = ms(options.windowMs ?? 4000);
    this.quantile = Math.min(1, Math.max(0.5, options.jitterQuantile ?? 0.95));
    this.shrinkPerSample = (options.shrinkMsPerSecond ?? 40) / 1000;
    this.resetThreshold = ms(options.resetThresholdMs ?? 1000);
    this.maxBuffered = ms(options.maxBufferedMs ?? 2000);
    this.slack = ms(options.slackMs ?? 8);
    this.margin = 128 + ms(5);
    this.target = this.initialDelay;
    this.history = new Float32Array(ms(LOOP_MS));
    this.loop = new Float32Array(this.history.length);
  }

  /** Samples pulled so far (the output clock that arrivals are measured on). */
  get now(): number {
    return this.clock;
  }

  /** Media time (samples) of the next sample to play; `undefined` before the first packet. */
  get playhead(): number | undefined {
    return this.playheadPos;
  }

  /** A snapshot of what the buffer did. */
  get stats(): JitterBufferStats {
    const toMs = (samples: number) => (samples * 1000) / this.rate;
    const playing = this.playheadPos !== undefined;
    const newestEnd = this.packets.length ? this.packets[this.packets.length - 1]!.end : (this.playheadPos ?? 0);
    return {
      ...this.counters,
      targetDelayMs: toMs(this.target),
      delayMs: playing ? toMs(this.offset() - this.minTransit) : 0,
      bufferedMs: playing ? toMs(Math.max(0, newestEnd - this.playheadPos!)) : 0,
      jitterMs: toMs(this.highTransit - this.minTransit),
      maxJitterMs: toMs(this.maxTransit - this.minTransit),
    };
  }

  /**
   * Adds a packet of mono PCM starting at media time `timestamp` (samples).
   * The buffer keeps `pcm` (it is not copied). `arrival` is in output-clock
   * samples ({@link now}); it defaults to now.
   */
  push(pcm: Float32Array, timestamp: number, arrival: number = this.clock): void {
    if (pcm.length === 0) return;
    this.counters.packetsPushed++;
    const transit = arrival - timestamp;

    if (this.playheadPos === undefined) {
      this.startStream(timestamp, transit);
    } else if (Math.abs(transit - this.minTransit) > this.resetThreshold) {
      // The sender's clock jumped (a new stream, a restarted encoder) or the network stalled for
      // longer than any buffer should hide: start over rather than play stale or far-future audio.
      this.counters.resets++;
      this.packets = [];
      this.transits = [];
      this.sortedTransits = [];
      this.startBlend();
      this.startStream(timestamp, transit);
    } else if (timestamp + pcm.length <= this.playheadPos) {
      // Its time has passed. Its transit still says the network is slower than we thought.
      this.counters.packetsLate++;
      this.recordTransit(arrival, transit);
      return;
    }

    this.recordTransit(arrival, transit);
    if (!this.insert({ ts: timestamp, end: timestamp + pcm.length, pcm })) {
      this.counters.packetsDuplicate++;
      return;
    }
    this.dropOverflow();
  }

  /** Fills `out` with the next samples to play (any length; the worklet uses 128). */
  pull(out: Float32Array): void {
    const n = out.length;
    if (this.playheadPos === undefined) {
      out.fill(0);
      this.clock += n;
      return;
    }
    this.shrinkTarget(n);
    this.adjustDelay(n);

    let i = 0;
    while (i < n) {
      const P: number = this.playheadPos!;
      this.discardPlayed(P);
      const packet = this.packets[0];
      if (packet && packet.ts <= P) {
        i += this.playReal(packet, out, i, n);
      } else if (packet) {
        // A gap before the next packet: silence before the stream starts, loss after.
        let gap = packet.ts - P;
        const excess = this.excess();
        if (excess > 0) {
          // Skipping part of a gap costs nothing: there is no audio in it.
          const skip = Math.min(excess, gap);
          this.playheadPos = P + skip;
          this.counters.skippedGapSamples += skip;
          gap -= skip;
          if (gap === 0) continue;
        }
        const run = Math.min(n - i, gap);
        if (this.playheadPos! < this.streamStart) {
          this.emitSilence(out, i, run);
        } else {
          if (!this.concealing) this.counters.lossConcealments++;
          this.conceal(out, i, run);
        }
        this.playheadPos! += run;
        this.dry = false;
        i += run;
      } else {
        // Nothing buffered at all: hold the playhead (the delay grows by what is missing) and conceal.
        if (!this.dry && this.playheadPos! >= this.streamStart) this.counters.underruns++;
        this.dry = true;
        this.conceal(out, i, n - i);
        i = n;
      }
    }
    this.clock += n;
  }

  /** Forgets everything: the next packet starts a new stream. */
  reset(): void {
    this.packets = [];
    this.transits = [];
    this.sortedTransits = [];
    this.playheadPos = undefined;
    this.target = this.initialDelay;
    this.startBlend();
  }

  // --- stream and delay control -------------------------------------------

  private offset(): number {
    return this.clock - this.playheadPos!;
  }

  /** How much more delay there is than the target, in whole samples (the playhead stays an integer). */
  private excess(): number {
    return Math.floor(this.offset() - this.minTransit - this.target);
  }

  private startStream(timestamp: number, transit: number): void {
    this.minTransit = this.highTransit = this.maxTransit = transit;
    this.target = this.initialDelay;
    // Play this packet `target` after it arrived: O = transit + target, and P = clock - O.
    this.playheadPos = this.clock - (transit + this.target);
    this.streamStart = timestamp;
    this.dry = false;
  }

  private recordTransit(arrival: number, transit: number): void {
    this.transits.push({ arrival, transit });
    insertSorted(this.sortedTransits, transit);
    const horizon = arrival - this.windowSamples;
    let drop = 0;
    while (drop < this.transits.length - 1 && this.transits[drop]!.arrival < horizon) {
      removeSorted(this.sortedTransits, this.transits[drop]!.transit);
      drop++;
    }
    if (drop) this.transits.splice(0, drop);
    const sorted = this.sortedTransits;
    this.minTransit = sorted[0]!;
    this.maxTransit = sorted[sorted.length - 1]!;
    this.highTransit = sorted[Math.ceil(this.quantile * (sorted.length - 1))]!;
    const required = this.clampDelay(this.highTransit - this.minTransit + this.margin);
    // Grow at once: the next packet this late would otherwise be lost.
    if (required > this.target) this.target = required;
  }

  /** Shrinks the target slowly towards what the recent jitter requires. */
  private shrinkTarget(n: number): void {
    const required = this.clampDelay(this.highTransit - this.minTransit + this.margin);
    if (this.target > required) this.target = Math.max(required, this.target - this.shrinkPerSample * n);
  }

  private clampDelay(samples: number): number {
    return Math.min(this.maxDelay, Math.max(this.minDelay, samples));
  }

  /** Once per pull: move the delay towards the target where that is cheap, or when far off. */
  private adjustDelay(n: number): void {
    const excess = this.excess();
    const threshold = Math.max(this.slack, this.target >> 2);
    if (excess <= threshold) this.overSince = 0;
    else this.overSince += n;
    this.quantaSinceDrop++;

    if (excess > this.maxDelay) {
      // Far behind (a burst after a stall, or a long silence): catch up at once, with one smoothed jump.
      this.skipAudio(excess);
      return;
    }
    if (excess > threshold) {
      const quiet = this.upcomingIsQuiet(n);
      if (quiet) {
        this.skipAudio(Math.min(excess, n));
      } else if (this.overSince > this.rate / 5 && this.quantaSinceDrop >= 4) {
        // Persistently behind in continuous sound: drop 2.5 ms every ~10 ms until back on target.
        this.skipAudio(Math.min(excess, Math.round(this.rate * 0.0025)));
        this.quantaSinceDrop = 0;
      }
    } else if (excess < -threshold && this.packets.length && this.upcomingIsQuiet(n)) {
      // The target grew: add a quantum of (quiet) concealment now rather than wait for an underrun.
      this.pendingHold = n;
    }
  }

  /**
   * Moves the playhead forward by up to `samples`, never past the buffered audio.
   * Only the audio skipped counts as dropped; skipped gaps (silence, loss) cost nothing.
   */
  private skipAudio(samples: number): void {
    const P = this.playheadPos!;
    const newestEnd = this.packets.length ? this.packets[this.packets.length - 1]!.end : P;
    const skip = Math.max(0, Math.min(Math.round(samples), newestEnd - P));
    if (skip === 0) return;
    let audio = 0;
    for (const packet of this.packets) {
      audio += Math.max(0, Math.min(packet.end, P + skip) - Math.max(packet.ts, P));
    }
    this.playheadPos = P + skip;
    this.counters.droppedSamples += audio;
    this.counters.skippedGapSamples += skip - audio;
    if (audio > 0) this.startBlend();
  }

  private upcomingIsQuiet(n: number): boolean {
    const P = this.playheadPos!;
    let covered = 0;
    for (const packet of this.packets) {
      if (packet.end <= P) continue;
      if (packet.ts > P + covered) break;
      const from = Math.max(0, P + covered - packet.ts);
      const to = Math.min(packet.pcm.length, from + n - covered);
      for (let k = from; k < to; k++) if (Math.abs(packet.pcm[k]!) > QUIET_PEAK) return false;
      covered += to - from;
      if (covered >= n) return true;
    }
    return false;
  }

  // --- packets ---------------------------------------------------------------

  /** Inserts in timestamp order; false for a duplicate. */
  private insert(packet: Packet): boolean {
    const list = this.packets;
    let i = list.length;
    while (i > 0 && list[i - 1]!.ts > packet.ts) i--;
    if (i > 0 && list[i - 1]!.ts === packet.ts) return false;
    list.splice(i, 0, packet);
    return true;
  }

  private discardPlayed(P: number): void {
    let drop = 0;
    while (drop < this.packets.length && this.packets[drop]!.end <= P) drop++;
    if (drop) this.packets.splice(0, drop);
  }

  private dropOverflow(): void {
    while (this.packets.length > 1) {
      const span = this.packets[this.packets.length - 1]!.end - Math.max(this.playheadPos!, this.packets[0]!.ts);
      if (span <= this.maxBuffered) return;
      const dropped = this.packets.shift()!;
      this.counters.packetsOverflow++;
      if (this.playheadPos! < dropped.end) {
        this.playheadPos = dropped.end;
        this.startBlend();
      }
    }
  }

  // --- output ----------------------------------------------------------------

  /** Plays real audio from `packet` at the playhead; returns samples written. */
  private playReal(packet: Packet, out: Float32Array, i: number, n: number): number {
    if (this.pendingHold > 0) {
      const hold = Math.min(this.pendingHold, n - i);
      this.pendingHold = 0;
      this.conceal(out, i, hold);
      this.counters.concealedSamples -= hold;
      this.counters.insertedSamples += hold;
      return hold;
    }
    if (this.concealing || this.dry) {
      // Back from concealment or silence: ramp from where the output was.
      this.concealing = false;
      this.dry = false;
      this.startBlend();
    }
    const P = this.playheadPos!;
    const from = P - packet.ts;
    const run = Math.min(n - i, packet.end - P);
    for (let k = 0; k < run; k++) {
      const s = packet.pcm[from + k]!;
      this.history[this.historyPos] = s;
      this.historyPos = (this.historyPos + 1) % this.history.length;
      out[i + k] = this.emit(s);
    }
    this.playheadPos = P + run;
    this.counters.playedSamples += run;
    return run;
  }

  /** Repeats the last 10 ms with a decaying gain, then silence. */
  private conceal(out: Float32Array, i: number, count: number): void {
    const L = this.loop.length;
    if (!this.concealing) {
      this.concealing = true;
      this.concealPos = 0;
      // Unroll the history ring, oldest first, so the loop plays in time order.
      for (let k = 0; k < L; k++) this.loop[k] = this.history[(this.historyPos + k) % L]!;
      this.startBlend();
    }
    const fade = Math.round((this.rate * CONCEAL_FADE_MS) / 1000);
    for (let k = 0; k < count; k++) {
      const pos = this.concealPos++;
      const j = pos % L;
      // The loop's end does not meet its start: smooth each wrap.
      if (j === 0 && pos > 0) this.startBlend();
      const gain = pos < fade ? 1 - pos / fade : 0;
      out[i + k] = this.emit(gain > 0 ? this.loop[j]! * gain : 0);
    }
    this.counters.concealedSamples += count;
  }

  private emitSilence(out: Float32Array, i: number, count: number): void {
    for (let k = 0; k < count; k++) out[i + k] = this.emit(0);
  }

  /** Starts a ramp from the last output value to whatever comes next. */
  private startBlend(): void {
    this.blendFrom = this.lastOut;
    this.blendLeft = BLEND;
  }

  private emit(sample: number): number {
    let s = sample;
    if (this.blendLeft > 0) {
      const w = this.blendLeft / BLEND;
      s = sample * (1 - w) + this.blendFrom * w;
      this.blendLeft--;
    }
    this.lastOut = s;
    return s;
  }
}

/** The first index of ascending `list` whose value is not below `value` (binary search). */
function lowerBound(list: number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts `value` into ascending `list` (the list stays short, so the shift is cheap). */
function insertSorted(list: number[], value: number): void {
  list.splice(lowerBound(list, value), 0, value);
}

/** Removes one occurrence of `value` from ascending `list`. */
function removeSorted(list: number[], value: number): void {
  const at = lowerBound(list, value);
  if (list[at] === value) list.splice(at, 1);
}
