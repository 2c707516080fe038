import { createHash, webcrypto } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JoinCommitments, makeCommitment } from '../../src/call/join-commitment.js';

const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());

describe('Join commitments', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('commit to a fresh 32-byte secret by its SHA-256', async () => {
    const { secret, key } = await makeCommitment();
    expect(secret.length).toBe(32);
    expect(key).toEqual(sha256(secret));
  });

  it('are never handed out twice', async () => {
    const commitments = new JoinCommitments();
    const taken = await Promise.all(Array.from({ length: 8 }, () => commitments.take()));
    const secrets = new Set(taken.map((c) => Buffer.from(c.secret).toString('hex')));
    expect(secrets.size).toBe(8);
    for (const c of taken) expect(c.key).toEqual(sha256(c.secret));
  });

  it('hash the same without WebCrypto’s subtle API (a page that is not a secure context)', async () => {
    vi.stubGlobal('crypto', { getRandomValues: (a: Uint8Array) => webcrypto.getRandomValues(a) });
    expect(globalThis.crypto.subtle).toBeUndefined();
    const { secret, key } = await makeCommitment();
    expect(key).toEqual(sha256(secret));
  });
});
