/**
 * Identities an admin removed from a room: they cannot join it again for the
 * rest of the meeting (`banMs` after the removal, 12 h by default). Kept per
 * relay, and shared over the bus (`relay.ban`), so a removed participant is
 * refused on every relay of the cluster, including one that opens the room later.
 *
 * In open mode (no access tokens) participants have no identity, so a removal
 * closes the session and spends its resume tokens, but nothing stops a new join.
 */

/** Most bans kept; beyond, the oldest go first. */
const MAX_BANS = 100_000;

export class RoomBans {
  /** `room \n identity` → until when (ms) the ban holds. */
  private readonly bans = new Map<string, number>();

  constructor(
    private readonly banMs: number,
    private readonly now: () => number = Date.now,
    /** Called with each ban made here, for the other relays to {@link learn}. */
    private readonly share: (room: string, identity: string) => void = () => {},
  ) {}

  /** Removes `identity` from `room` on every relay. */
  ban(room: string, identity: string): void {
    if (!identity) return;
    this.learn(room, identity);
    this.share(room, identity);
  }

  /** A ban another relay made (validated by the caller). */
  learn(room: string, identity: string): void {
    const key = `${room}\n${identity}`;
    this.bans.delete(key);
    this.bans.set(key, this.now() + this.banMs);
    if (this.bans.size > MAX_BANS) this.prune();
  }

  isBanned(room: string, identity: string): boolean {
    if (!identity) return false;
    const key = `${room}\n${identity}`;
    const until = this.bans.get(key);
    if (until === undefined) return false;
    if (until < this.now()) {
      this.bans.delete(key);
      return false;
    }
    return true;
  }

  get size(): number {
    return this.bans.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, until] of this.bans) if (until < now) this.bans.delete(key);
    for (const key of this.bans.keys()) {
      if (this.bans.size <= MAX_BANS) break;
      this.bans.delete(key);
    }
  }
}
