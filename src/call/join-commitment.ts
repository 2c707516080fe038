/**
 * The commitments a `Join` carries: a fresh 32-byte secret, and its SHA-256
 * (`Join.resume_key`) that the relay binds the resume tokens to. The secret is
 * revealed only by the resume that spends those tokens.
 *
 * Hashed with WebCrypto, which the page already has, rather than a bundled
 * SHA-256; where WebCrypto is missing (a page served over plain http from
 * another host than localhost is not a secure context), `@noble/hashes` is
 * loaded on demand. Hashing is asynchronous there, so each commitment is made
 * ahead of the Join that sends it.
 */

export interface JoinCommitment {
  secret: Uint8Array;
  /** SHA-256 of `secret`. */
  key: Uint8Array;
}

/** Commitments made one ahead: {@link take} hands over the one ready and starts the next. */
export class JoinCommitments {
  private next: Promise<JoinCommitment> = makeCommitment();

  /** A fresh commitment; never the same one twice. */
  take(): Promise<JoinCommitment> {
    const ready = this.next;
    this.next = makeCommitment();
    return ready;
  }
}

/** A random secret and its SHA-256. */
export async function makeCommitment(): Promise<JoinCommitment> {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  return { secret, key: await sha256(secret) };
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) return new Uint8Array(await subtle.digest('SHA-256', bytes));
  const { sha256: noble } = await import('@noble/hashes/sha2.js');
  return noble(bytes);
}
