/**
 * A token bucket: bursts of up to `capacity`, then `ratePerSecond` sustained.
 * Used per (sender, target) for keyframe requests, where excess is dropped
 * quietly rather than answered, so a misbehaving client cannot cause an error storm.
 */
/**
 * The default clock of the limiters: one function for all of them (a bound
 * `performance.now` per limiter would cost each idle connection a few hundred bytes).
 */
export const monotonicNow = (): number => performance.now();

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly ratePerSecond: number,
    private readonly now: () => number = monotonicNow,
  ) {
    this.tokens = capacity;
    this.last = this.now();
  }

  /** True when the bucket has refilled completely (its key has been quiet): it can be forgotten. */
  get full(): boolean {
    return this.tokens + ((this.now() - this.last) / 1000) * this.ratePerSecond >= this.capacity;
  }

  /** Takes `n` tokens (one by default, or e.g. a message's bytes) if there are that many. */
  take(n = 1): boolean {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

/**
 * A count that leaks away at `leakPerSecond`: what a client did beyond a budget
 * lately. Unlike a count "in a row", a message that squeezes through after a
 * refill does not wipe it, so a flood read slowly (a busy relay reads it spread
 * over seconds) still adds up.
 */
export class LeakyCount {
  private level = 0;
  private last: number;

  constructor(
    private readonly leakPerSecond: number,
    private readonly now: () => number = monotonicNow,
  ) {
    this.last = this.now();
  }

  /** Adds one; returns the count (what has not leaked away, with this one). */
  add(): number {
    const now = this.now();
    this.level = Math.max(0, this.level - ((now - this.last) / 1000) * this.leakPerSecond) + 1;
    this.last = now;
    return this.level;
  }
}

/** One {@link TokenBucket} per key, created on first use. */
export class KeyedRateLimiter {
  /** Made at the first key: most connections never use most of their limiters. */
  private buckets: Map<string, TokenBucket> | undefined;

  constructor(
    private readonly capacity: number,
    private readonly ratePerSecond: number,
  ) {}

  take(key: string): boolean {
    this.buckets ??= new Map();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.capacity, this.ratePerSecond);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }

  /** Forgets a key, e.g. when the peer it names leaves. */
  forget(key: string): void {
    this.buckets?.delete(key);
  }
}
