/**
 * The in-process bus: what a single relay uses when `NATS_URL` is not set.
 *
 * Subscriptions sit in a token tree (as in nats-server's sublist) and the
 * matches for each published subject are cached, so publishing a media frame
 * costs one map lookup. The cached subjects sit in a token tree of their own, so
 * a subscribe or unsubscribe drops just the cached subjects its pattern matches,
 * walking only their branches: its cost does not grow with the number of rooms. Delivery is synchronous, inside `publish`; handlers may
 * publish, subscribe or unsubscribe while being called.
 */
import { createLogger } from '../log.js';
import { parseSubject, type Bus, type BusHandler, type BusSubscription } from './bus.js';

const log = createLogger('local-bus');

/** Subjects whose matches are cached; beyond this the cache starts over (room churn, not steady state). */
const CACHE_LIMIT = 10_000;

interface Sub {
  readonly tokens: string[];
  readonly handler: BusHandler;
  active: boolean;
}

interface TreeNode {
  readonly next: Map<string, TreeNode>;
  readonly subs: Set<Sub>;
}

const node = (): TreeNode => ({ next: new Map(), subs: new Set() });

/** The cached subjects as a token tree: a node ends a cached subject when `subject` is set. */
interface CacheNode {
  readonly next: Map<string, CacheNode>;
  subject?: string;
}

const cacheNode = (): CacheNode => ({ next: new Map() });

export class LocalBus implements Bus {
  readonly kind = 'local';
  /** In-process: nothing to lose, nothing too large. */
  readonly connected = true;
  readonly maxPayload = Infinity;
  private readonly root = node();
  private readonly cache = new Map<string, Sub[]>();
  private cacheTree = cacheNode();
  private closed = false;

  publish(subject: string, payload: Uint8Array): void {
    if (this.closed) return;
    let matches = this.cache.get(subject);
    if (!matches) {
      matches = [];
      const tokens = parseSubject(subject, false);
      collect(this.root, tokens, 0, matches);
      if (this.cache.size >= CACHE_LIMIT) {
        this.cache.clear();
        this.cacheTree = cacheNode();
      }
      this.cache.set(subject, matches);
      let at = this.cacheTree;
      for (const token of tokens) {
        let child = at.next.get(token);
        if (!child) at.next.set(token, (child = cacheNode()));
        at = child;
      }
      at.subject = subject;
    }
    // `matches` is never mutated once cached (changes replace or drop the entry), so
    // handlers may change subscriptions while we iterate; `active` skips removed ones.
    for (const sub of matches) {
      if (!sub.active) continue;
      try {
        sub.handler(subject, payload);
      } catch (err) {
        log.error('bus handler threw', { subject, err });
      }
    }
  }

  subscribe(pattern: string, handler: BusHandler): BusSubscription {
    const tokens = parseSubject(pattern, true);
    const sub: Sub = { tokens, handler, active: !this.closed };
    if (!sub.active) return { unsubscribe: () => {} };
    let at = this.root;
    for (const token of tokens) {
      let child = at.next.get(token);
      if (!child) at.next.set(token, (child = node()));
      at = child;
    }
    at.subs.add(sub);
    this.invalidate(tokens);
    return {
      unsubscribe: () => {
        if (!sub.active) return;
        sub.active = false;
        this.remove(sub);
        this.invalidate(tokens);
      },
    };
  }

  onConnectionChange(): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cache.clear();
    this.cacheTree = cacheNode();
    this.root.next.clear();
    this.root.subs.clear();
  }

  /** Drops cached match lists of subjects the changed pattern matches, walking only their branches. */
  private invalidate(pattern: string[]): void {
    this.invalidateAt(this.cacheTree, pattern, 0);
  }

  /** Returns true when `at` was left empty (its parent then drops it, so churn does not leak). */
  private invalidateAt(at: CacheNode, pattern: string[], i: number): boolean {
    if (i === pattern.length) {
      if (at.subject !== undefined) {
        this.cache.delete(at.subject);
        at.subject = undefined;
      }
    } else if (pattern[i] === '>') {
      // One or more tokens: everything below this node.
      for (const child of at.next.values()) this.dropAll(child);
      at.next.clear();
    } else if (pattern[i] === '*') {
      for (const [token, child] of at.next) if (this.invalidateAt(child, pattern, i + 1)) at.next.delete(token);
    } else {
      const child = at.next.get(pattern[i]!);
      if (child && this.invalidateAt(child, pattern, i + 1)) at.next.delete(pattern[i]!);
    }
    return at.subject === undefined && at.next.size === 0;
  }

  private dropAll(at: CacheNode): void {
    if (at.subject !== undefined) this.cache.delete(at.subject);
    for (const child of at.next.values()) this.dropAll(child);
  }

  /** Removes `sub` from the tree and prunes nodes left empty, so room churn does not leak. */
  private remove(sub: Sub): void {
    const path: TreeNode[] = [this.root];
    for (const token of sub.tokens) {
      const child = path[path.length - 1].next.get(token);
      if (!child) return;
      path.push(child);
    }
    path[path.length - 1].subs.delete(sub);
    for (let i = path.length - 1; i > 0; i--) {
      const n = path[i];
      if (n.subs.size > 0 || n.next.size > 0) break;
      path[i - 1].next.delete(sub.tokens[i - 1]);
    }
  }
}

function collect(at: TreeNode, tokens: string[], i: number, out: Sub[]): void {
  if (i === tokens.length) {
    for (const sub of at.subs) out.push(sub);
    return;
  }
  const literal = at.next.get(tokens[i]);
  if (literal) collect(literal, tokens, i + 1, out);
  const star = at.next.get('*');
  if (star) collect(star, tokens, i + 1, out);
  // `>` needs at least one more token, which tokens[i] is.
  const rest = at.next.get('>');
  if (rest) for (const sub of rest.subs) out.push(sub);
}
