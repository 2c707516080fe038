/** The queue of raised hands, kept by the element from the start of a call (the People panel shows it). */

/**
 * The queue of raised hands: who raised first is first. Ids are added when a
 * hand is seen going up (from the room's `hand` events, so two raises between
 * two renders keep their order); hands already up when we joined are queued in
 * the roster's order, as we cannot know better.
 */
export class HandQueue {
  private readonly order = new Map<string, number>();
  private next = 1;

  /** A hand went up (a no-op when it was already queued) or down. */
  set(id: string, raised: boolean): void {
    if (!raised) this.order.delete(id);
    else if (!this.order.has(id)) this.order.set(id, this.next++);
  }

  /** Brings the queue in line with who has a hand up now (`raised`), keeping the order of those already queued. */
  sync(raised: Iterable<string>): void {
    const up = new Set(raised);
    for (const id of this.order.keys()) if (!up.has(id)) this.order.delete(id);
    for (const id of up) this.set(id, true);
  }

  clear(): void {
    this.order.clear();
    this.next = 1;
  }

  /** The ids with a hand up, first raised first. */
  ids(): string[] {
    return [...this.order.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  }

  /** Everyone's place in the queue, from 1. */
  positions(): Map<string, number> {
    return new Map(this.ids().map((id, i) => [id, i + 1]));
  }
}
