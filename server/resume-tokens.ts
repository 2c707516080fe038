/**
 * Resume tokens: what lets a participant whose connection died come back, on
 * this relay or any other of the cluster, as the same participant (same session
 * id, no leave/join for the others).
 *
 * A token names the room, the session id, the identity (a hash of the access
 * token's `sub`), when it was issued and when it expires, and a **commitment**:
 * SHA-256 of a 32-byte secret the client chose for that connection and never sent
 * (`Join.resume_key`). It is signed with HMAC-SHA-256 under a secret every relay of
 * the cluster shares (`RESUME_SECRET`), so any relay checks it without state.
 *
 * A token alone resumes nothing: the resume must reveal the secret behind the
 * commitment (`Join.resume_proof`), which only the client has. Each secret is
 * revealed once, in the resume that spends it, and that Join commits to a fresh
 * one. Tokens are single-use: a resume of session S at time T sets S's cutoff to T
 * (on every relay, over the bus), and tokens of S issued at or before T are then
 * refused; a `Leave` (or an access token that ran out) sets it to forever. The
 * relay hands out a fresh token in `Welcome` and every `Pong`, each expiring
 * `ttlMs` after issue, so cutoffs need keeping only that long.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Bytes of the HMAC kept in a token: 128 bits is plenty against forgery. */
const MAC_BYTES = 16;
/** Bytes of the identity hash kept in a token: it only has to tell identities apart. */
const IDENTITY_HASH_BYTES = 12;
/** Size of the client's resume secret and of its commitment (SHA-256). */
export const RESUME_SECRET_BYTES = 32;
const VERSION = 'r2';
/** Longest token: the room (64), the session id, and fixed-size fields. */
const MAX_TOKEN_LENGTH = 320;
/** Most cutoffs kept; beyond, the oldest go first (their tokens have mostly expired). */
const MAX_CUTOFFS = 200_000;
/** A cutoff that never passes: the participant left. */
const FOREVER = Number.MAX_SAFE_INTEGER;

/** Why a token was not honoured, for metrics and logs. */
export type ResumeRejection =
  | 'malformed'
  | 'bad-signature'
  | 'expired'
  | 'other-room'
  | 'other-identity'
  /** No secret revealed, or not the one the token commits to. */
  | 'bad-proof'
  /** The token was issued before this participant last resumed: already spent. */
  | 'spent'
  /** The participant left (or its access ended): it is not coming back. */
  | 'left';

/** What a resume presents: the token, and the secret its commitment is of. */
export interface ResumeClaim {
  token: string;
  proof: Uint8Array | undefined;
  room: string;
  /** The access token's identity (`sub`); empty in open mode. */
  identity: string;
}

export class ResumeTokens {
  private readonly secret: Buffer;
  /** Session id → tokens issued at or before this (ms) are refused; with when the entry may go. */
  private readonly cutoffs = new Map<string, { cutoff: number; until: number }>();

  /**
   * @param secret shared by every relay of a cluster; a random one (per process) when not given,
   *   which only lets participants resume on the relay that issued the token.
   * @param ttlMs how long a token stays valid after it is issued.
   * @param share called with each cutoff set here, for the other relays to {@link learn}.
   */
  constructor(
    secret: string | Uint8Array | undefined,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly share: (id: string, cutoff: number) => void = () => {},
  ) {
    this.secret = secret === undefined || secret.length === 0 ? randomBytes(32) : Buffer.from(secret);
  }

  /**
   * A token for session `id` in `room`, bound to `commitment` (SHA-256 of the
   * client's secret) and `identity`. Issued after the session's cutoff, so a
   * token handed out in the same millisecond as a resume is not already spent.
   */
  issue(room: string, id: string, commitment: Uint8Array, identity: string): string {
    const issued = Math.max(this.now(), this.cutoffOf(id) + 1);
    const expires = Math.ceil((issued + this.ttlMs) / 1000).toString(36);
    const body = [
      VERSION,
      room,
      id,
      issued.toString(36),
      expires,
      Buffer.from(commitment).toString('base64url'),
      identityHash(identity),
    ].join('.');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The session id `claim` lets its bearer resume, or why not. Does not spend the token: {@link spend} does. */
  verify(claim: ResumeClaim): { id: string } | { rejected: ResumeRejection } {
    const { token } = claim;
    // Room names and session ids never contain '.', nor does base64url: the split is unambiguous.
    const parts = token.split('.');
    if (parts.length !== 8 || parts[0] !== VERSION || !parts[2] || token.length > MAX_TOKEN_LENGTH) {
      return { rejected: 'malformed' };
    }
    const [, tokenRoom, id, issued36, expires36, commitment64, identity64, mac] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const given = Buffer.from(mac, 'base64url');
    const wanted = this.mac(parts.slice(0, 7).join('.'));
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return { rejected: 'bad-signature' };
    if (parseInt(expires36, 36) * 1000 < this.now()) return { rejected: 'expired' };
    if (tokenRoom !== claim.room) return { rejected: 'other-room' };
    if (identity64 !== identityHash(claim.identity)) return { rejected: 'other-identity' };
    const commitment = Buffer.from(commitment64, 'base64url');
    const proof = claim.proof;
    if (!proof || proof.length !== RESUME_SECRET_BYTES) return { rejected: 'bad-proof' };
    const opened = createHash('sha256').update(proof).digest();
    if (commitment.length !== opened.length || !timingSafeEqual(commitment, opened)) return { rejected: 'bad-proof' };
    const cutoff = this.cutoffOf(id);
    if (cutoff === FOREVER) return { rejected: 'left' };
    if (parseInt(issued36, 36) <= cutoff) return { rejected: 'spent' };
    return { id };
  }

  /** Session `id` resumed now: every token of it issued until now is spent, on every relay. */
  spend(id: string): void {
    this.setCutoff(id, this.now(), true);
  }

  /** Session `id` left (or its access ended): no token of it resumes any more, on any relay. */
  revoke(id: string): void {
    this.setCutoff(id, FOREVER, true);
  }

  /** A cutoff another relay set (validated by the caller); kept if later than what is known. */
  learn(id: string, cutoff: number): void {
    this.setCutoff(id, Math.min(cutoff, FOREVER), false);
  }

  /** Cutoffs kept now (bounded), for tests and metrics. */
  get size(): number {
    return this.cutoffs.size;
  }

  private cutoffOf(id: string): number {
    const entry = this.cutoffs.get(id);
    if (!entry) return 0;
    if (entry.until < this.now()) {
      this.cutoffs.delete(id);
      return 0;
    }
    return entry.cutoff;
  }

  private setCutoff(id: string, cutoff: number, share: boolean): void {
    const known = this.cutoffOf(id);
    if (cutoff <= known) return;
    // Any token issued before now expires within ttlMs; a cutoff is useless after that.
    this.cutoffs.delete(id);
    this.cutoffs.set(id, { cutoff, until: this.now() + this.ttlMs + 1000 });
    if (this.cutoffs.size > MAX_CUTOFFS) this.prune();
    if (share) this.share(id, cutoff);
  }

  /** Drops expired entries, then the oldest ones while over the bound (a flood of resumes and leaves). */
  private prune(): void {
    const now = this.now();
    for (const [id, entry] of this.cutoffs) if (entry.until < now) this.cutoffs.delete(id);
    for (const id of this.cutoffs.keys()) {
      if (this.cutoffs.size <= MAX_CUTOFFS) break;
      this.cutoffs.delete(id);
    }
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.secret).update(body).digest().subarray(0, MAC_BYTES);
  }
}

function identityHash(identity: string): string {
  return createHash('sha256').update(identity).digest().subarray(0, IDENTITY_HASH_BYTES).toString('base64url');
}
