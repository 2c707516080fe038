/**
 * Address-validation tokens for QUIC Retry (RFC 9000 §8.1.2): what the endpoint
 * puts in a Retry packet and checks when the client's next Initial brings it back.
 *
 * A token is authenticated (HMAC-SHA256 with a per-process secret), short-lived
 * and bound to the client's address and port, to the connection ID the Retry
 * gave it, and to its original destination connection ID. Only a client that
 * received the Retry at that address can return it, so an Initial with a valid
 * token proves the source address is not spoofed. The secret never leaves the
 * process: a restarted relay refuses the old tokens, and their clients retry.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { HostPort } from './quic-binding.js';

/** Why a token was refused. */
export type RetryTokenRefusal =
  /** Not a token of ours: wrong length, version or layout. */
  | 'malformed'
  /** The MAC does not match: forged, altered, or brought from another address or connection ID. */
  | 'unauthentic'
  /** Authentic but older than its lifetime. */
  | 'expired';

export type RetryTokenCheck = { ok: true; originalDcid: Uint8Array } | { ok: false; reason: RetryTokenRefusal };

export interface RetryTokenOptions {
  /** HMAC key. Default 32 random bytes, fresh per process. */
  secret?: Uint8Array;
  /** How long a token is accepted after its Retry, ms. Default 10000: a round trip, with room for a slow client. */
  lifetimeMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Default {@link RetryTokenOptions.lifetimeMs}. */
export const DEFAULT_RETRY_TOKEN_LIFETIME_MS = 10_000;

const VERSION = 1;
const MAC_BYTES = 16;
/** QUIC connection IDs are at most 20 bytes (RFC 9000 §17.2). */
const MAX_CID_BYTES = 20;
/** version (1) + expiry (8) + original DCID length (1). */
const HEAD_BYTES = 10;

export class RetryTokens {
  private readonly secret: Uint8Array;
  private readonly lifetimeMs: number;
  private readonly now: () => number;

  constructor(options: RetryTokenOptions = {}) {
    this.secret = options.secret ?? randomBytes(32);
    this.lifetimeMs = options.lifetimeMs ?? DEFAULT_RETRY_TOKEN_LIFETIME_MS;
    this.now = options.now ?? Date.now;
    if (this.secret.length < 16) throw new RangeError('a retry token secret needs at least 16 bytes');
    if (!(this.lifetimeMs > 0)) throw new RangeError('a retry token lifetime must be positive');
  }

  /**
   * The token for a Retry answering an Initial from `remote` whose destination
   * connection ID was `originalDcid`; the Retry's source connection ID is `retryScid`.
   */
  mint(remote: HostPort, originalDcid: Uint8Array, retryScid: Uint8Array): Buffer {
    if (originalDcid.length > MAX_CID_BYTES) throw new RangeError('a connection ID has at most 20 bytes');
    const head = Buffer.allocUnsafe(HEAD_BYTES + originalDcid.length);
    head[0] = VERSION;
    head.writeBigUInt64BE(BigInt(Math.floor(this.now() + this.lifetimeMs)), 1);
    head[9] = originalDcid.length;
    head.set(originalDcid, HEAD_BYTES);
    return Buffer.concat([head, this.mac(head, remote, retryScid)]);
  }

  /**
   * Checks a token an Initial from `remote`, addressed to `dcid`, carries. On success
   * returns the original destination connection ID that quiche must echo in its
   * transport parameters.
   */
  check(token: Uint8Array, remote: HostPort, dcid: Uint8Array): RetryTokenCheck {
    const bytes = Buffer.from(token.buffer, token.byteOffset, token.byteLength);
    if (bytes.length < HEAD_BYTES + MAC_BYTES || bytes[0] !== VERSION) return { ok: false, reason: 'malformed' };
    const odcidLength = bytes[9]!;
    if (odcidLength > MAX_CID_BYTES || bytes.length !== HEAD_BYTES + odcidLength + MAC_BYTES) {
      return { ok: false, reason: 'malformed' };
    }
    const head = bytes.subarray(0, HEAD_BYTES + odcidLength);
    const expected = this.mac(head, remote, dcid);
    if (!timingSafeEqual(expected, bytes.subarray(head.length))) return { ok: false, reason: 'unauthentic' };
    // Only an authentic expiry is worth reading: anyone can write a date.
    if (Number(bytes.readBigUInt64BE(1)) < this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, originalDcid: Uint8Array.from(bytes.subarray(HEAD_BYTES, HEAD_BYTES + odcidLength)) };
  }

  private mac(head: Uint8Array, remote: HostPort, retryScid: Uint8Array): Buffer {
    const hmac = createHmac('sha256', this.secret);
    hmac.update(head);
    // Lengths first, so no two (scid, address) pairs serialise alike.
    hmac.update(Buffer.from([retryScid.length]));
    hmac.update(retryScid);
    hmac.update(`${remote.host}|${remote.port}`);
    return hmac.digest().subarray(0, MAC_BYTES);
  }
}
