/**
 * Resume tokens: what lets a participant whose connection died come back, on
 * this relay or any other of the cluster, as the same participant (same session
 * id, no leave/join for the others).
 *
 * A token names the room and the session id and when it expires, signed with
 * HMAC-SHA-256 under a secret every relay of the cluster shares (`RESUME_SECRET`).
 * It is short-lived on purpose: the relay hands out a fresh one in `Welcome` and
 * in every `Pong`, and a token expires `ttlMs` after it was issued, so one that
 * leaks is worthless soon after its participant is gone. Stateless: no relay has
 * to remember tokens, and a relay that never saw the participant can check one.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Bytes of the HMAC kept in a token: 128 bits is plenty against forgery. */
const MAC_BYTES = 16;
const VERSION = 'r1';

/** Why a token was not honoured, for metrics and logs. */
export type ResumeRejection = 'malformed' | 'bad-signature' | 'expired' | 'other-room';

export class ResumeTokens {
  private readonly secret: Buffer;

  /**
   * @param secret shared by every relay of a cluster; a random one (per process) when not given,
   *   which only lets participants resume on the relay that issued the token.
   * @param ttlMs how long a token stays valid after it is issued.
   */
  constructor(
    secret: string | Uint8Array | undefined,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.secret = secret === undefined || secret.length === 0 ? randomBytes(32) : Buffer.from(secret);
  }

  /** A token for session `id` in `room`. */
  issue(room: string, id: string): string {
    const expires = Math.ceil((this.now() + this.ttlMs) / 1000).toString(36);
    const body = `${VERSION}.${room}.${id}.${expires}`;
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The session id `token` lets its bearer resume in `room`, or why not. */
  verify(token: string, room: string): { id: string } | { rejected: ResumeRejection } {
    // Room names and session ids never contain '.', so the split is unambiguous.
    const parts = token.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION || !parts[2] || token.length > 256) {
      return { rejected: 'malformed' };
    }
    const [, tokenRoom, id, expires, mac] = parts as [string, string, string, string, string];
    const given = Buffer.from(mac, 'base64url');
    const wanted = this.mac(parts.slice(0, 4).join('.'));
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return { rejected: 'bad-signature' };
    if (parseInt(expires, 36) * 1000 < this.now()) return { rejected: 'expired' };
    if (tokenRoom !== room) return { rejected: 'other-room' };
    return { id };
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.secret).update(body).digest().subarray(0, MAC_BYTES);
  }
}
