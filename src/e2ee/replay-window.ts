/**
 * Anti-replay for one key (one sender, one KID), over the SFrame counter, in
 * the manner of RFC 3711 §3.3.2: remember the highest CTR accepted and which of
 * the `size` counters below it were seen. A counter already seen, or `size` or
 * more below the highest, is refused. RFC 9605 §9.3 leaves replay to the
 * application and suggests exactly this.
 */
export const DEFAULT_REPLAY_WINDOW = 128;

export class ReplayWindow {
  /** Highest counter accepted so far; -1n before the first. */
  private highest = -1n;
  /** seen[ctr % size] for counters in (highest − size, highest]. */
  private readonly seen: Uint8Array;

  constructor(readonly size: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 1 || size > 1 << 16) {
      throw new RangeError(`Replay window must be 1..65536 counters, not ${size}.`);
    }
    this.seen = new Uint8Array(size);
  }

  /**
   * Whether `ctr` would be accepted now: 'ok', 'seen' (a replay) or 'too-old'
   * (below the window). Changes nothing: call {@link accept} once the frame authenticated.
   */
  check(ctr: bigint): 'ok' | 'seen' | 'too-old' {
    if (ctr > this.highest) return 'ok';
    const behind = this.highest - ctr;
    if (behind >= BigInt(this.size)) return 'too-old';
    return this.seen[this.slot(ctr)] ? 'seen' : 'ok';
  }

  /**
   * Records `ctr` as accepted. Returns false (and records nothing) when
   * {@link check} would not say 'ok': two copies of one frame decrypted at once
   * are told apart here.
   */
  accept(ctr: bigint): boolean {
    if (this.check(ctr) !== 'ok') return false;
    if (ctr > this.highest) {
      const advance = ctr - this.highest;
      if (advance >= BigInt(this.size)) {
        this.seen.fill(0);
      } else {
        // Forget the counters that slide out of the window, reusing their slots.
        for (let c = this.highest + 1n; c < ctr; c++) this.seen[this.slot(c)] = 0;
      }
      this.highest = ctr;
    }
    this.seen[this.slot(ctr)] = 1;
    return true;
  }

  private slot(ctr: bigint): number {
    return Number(ctr % BigInt(this.size));
  }
}
