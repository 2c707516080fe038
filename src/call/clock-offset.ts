/**
 * How far the relay's clock is ahead of ours, from Ping/Pong round trips, the
 * way NTP's clock filter does it: each round trip bounds the offset within half
 * its duration, and the shortest recent round trip bounds it best (queueing
 * only ever adds delay, and adds it unevenly).
 */

/** One round trip: our clock when the Ping left and the Pong came back, the relay's when it answered (all ms). */
export interface ClockSample {
  sentAt: number;
  receivedAt: number;
  relayTime: number;
}

/** Samples kept: about a minute of heartbeats, and the fast ones at join. */
const WINDOW = 8;

/**
 * Estimates `relay clock − our clock` in milliseconds. Capture times go on the
 * wire on the relay's clock (ours + offset) and come off it onto the
 * receiver's (theirs − their offset), so two pages whose clocks differ still
 * agree on how long a frame took.
 *
 * @example
 * const clock = new ClockOffset();
 * clock.add({ sentAt, receivedAt: now(), relayTime: pong.relayTime / 1000 });
 * const onRelayClock = localTime + clock.offsetMs;
 */
export class ClockOffset {
  private readonly samples: ClockSample[] = [];
  private best: ClockSample | null = null;

  /** True once a round trip was measured. */
  get known(): boolean {
    return this.best !== null;
  }

  /** Relay clock minus ours, ms; 0 until {@link known}. */
  get offsetMs(): number {
    const s = this.best;
    return s ? s.relayTime - (s.sentAt + s.receivedAt) / 2 : 0;
  }

  /** The round trip the estimate rests on, ms: its error is at most half of it. */
  get rttMs(): number {
    const s = this.best;
    return s ? s.receivedAt - s.sentAt : Number.NaN;
  }

  /** Adds a round trip; one with a negative duration or no relay time is ignored. */
  add(sample: ClockSample): void {
    if (!(sample.receivedAt >= sample.sentAt) || !(sample.relayTime > 0)) return;
    this.samples.push(sample);
    if (this.samples.length > WINDOW) this.samples.shift();
    // The newest of the shortest: a clock that drifts is followed once old samples leave the window.
    let best = this.samples[0]!;
    for (const s of this.samples) if (s.receivedAt - s.sentAt <= best.receivedAt - best.sentAt) best = s;
    this.best = best;
  }

  /** Forgets every sample (another relay, another clock). */
  reset(): void {
    this.samples.length = 0;
    this.best = null;
  }
}
