/**
 * Limits per client address and per relay: open connections (all, and from one
 * address) and joins from one address per minute. One address is one IPv4
 * address or one IPv6 /64 (what one subscriber usually gets), so a client can't
 * step around the limit by walking its own prefix.
 */
import { isIPv6 } from 'node:net';
import { TokenBucket } from './rate-limit.js';

export interface AddressLimitOptions {
  /** Client connections open at once on this relay. */
  maxConnections: number;
  /** Client connections open at once from one address. */
  maxConnectionsPerAddress: number;
  /** Joins from one address per minute (a burst of that many, refilled evenly). */
  joinsPerAddressPerMinute: number;
}

/** Why a connection was refused. */
export type ConnectionRefusal = 'relay-connections' | 'address-connections';

/** Most join buckets kept; past it, full ones (addresses quiet for a minute) are dropped. */
const MAX_JOIN_BUCKETS = 50_000;

export class AddressLimits {
  private readonly open = new Map<string, number>();
  private total = 0;
  private readonly joins = new Map<string, TokenBucket>();

  constructor(private readonly options: AddressLimitOptions) {}

  /** Takes a connection slot for `address`, or says why there is none. Pair with {@link release}. */
  connect(address: string): ConnectionRefusal | undefined {
    if (this.total >= this.options.maxConnections) return 'relay-connections';
    const n = this.open.get(address) ?? 0;
    if (n >= this.options.maxConnectionsPerAddress) return 'address-connections';
    this.open.set(address, n + 1);
    this.total++;
    return undefined;
  }

  /** Gives back a slot {@link connect} took. */
  release(address: string): void {
    const n = this.open.get(address);
    if (n === undefined) return;
    if (n <= 1) this.open.delete(address);
    else this.open.set(address, n - 1);
    this.total--;
  }

  /** Takes one join for `address`; false when it is over its rate. */
  join(address: string): boolean {
    let bucket = this.joins.get(address);
    if (!bucket) {
      if (this.joins.size >= MAX_JOIN_BUCKETS) this.prune();
      const perMinute = this.options.joinsPerAddressPerMinute;
      bucket = new TokenBucket(perMinute, perMinute / 60);
      this.joins.set(address, bucket);
    }
    return bucket.take();
  }

  /** Connections open now from `address`. */
  openFrom(address: string): number {
    return this.open.get(address) ?? 0;
  }

  private prune(): void {
    for (const [address, bucket] of this.joins) if (bucket.full) this.joins.delete(address);
    // Still too many (a flood from many addresses): the oldest go; they get a fresh burst.
    for (const address of this.joins.keys()) {
      if (this.joins.size < MAX_JOIN_BUCKETS) break;
      this.joins.delete(address);
    }
  }
}

/** The limit key of a remote address: IPv4 as it is (also IPv4-mapped IPv6), IPv6 as its /64. */
export function addressKey(ip: string | undefined): string {
  if (!ip) return '?';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
