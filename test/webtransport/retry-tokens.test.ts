/** Retry tokens on their own: what a valid one gives back, and each way one is refused. */
import { describe, expect, it } from 'vitest';
import { RetryTokens } from '../../server/webtransport/retry-tokens.js';

const client = { host: '127.0.0.1', port: 40000 };
const odcid = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const retryScid = Uint8Array.from({ length: 20 }, (_, i) => 100 + i);

describe('RetryTokens', () => {
  it('gives back the original DCID for the address and connection ID it was minted for', () => {
    const tokens = new RetryTokens();
    const check = tokens.check(tokens.mint(client, odcid, retryScid), client, retryScid);
    expect(check).toEqual({ ok: true, originalDcid: odcid });
  });

  it('refuses a token brought from another port, another host, or to another connection ID', () => {
    const tokens = new RetryTokens();
    const token = tokens.mint(client, odcid, retryScid);
    expect(tokens.check(token, { ...client, port: 40001 }, retryScid)).toEqual({ ok: false, reason: 'unauthentic' });
    expect(tokens.check(token, { ...client, host: '127.0.0.2' }, retryScid)).toEqual({
      ok: false,
      reason: 'unauthentic',
    });
    const otherScid = Uint8Array.from(retryScid);
    otherScid[0] ^= 1;
    expect(tokens.check(token, client, otherScid)).toEqual({ ok: false, reason: 'unauthentic' });
  });

  it('refuses a token altered in any byte, and one from another process (secret)', () => {
    const tokens = new RetryTokens();
    const token = tokens.mint(client, odcid, retryScid);
    for (let i = 1; i < token.length; i++) {
      const altered = Buffer.from(token);
      altered[i] ^= 0x40;
      const check = tokens.check(altered, client, retryScid);
      expect(check.ok, `byte ${i}`).toBe(false);
    }
    expect(new RetryTokens().check(token, client, retryScid)).toEqual({ ok: false, reason: 'unauthentic' });
  });

  it('refuses an authentic token after its lifetime', () => {
    let now = 1_000_000;
    const tokens = new RetryTokens({ lifetimeMs: 5000, now: () => now });
    const token = tokens.mint(client, odcid, retryScid);
    now += 5000;
    expect(tokens.check(token, client, retryScid).ok).toBe(true);
    now += 1;
    expect(tokens.check(token, client, retryScid)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses bytes that are not a token as malformed', () => {
    const tokens = new RetryTokens();
    const token = tokens.mint(client, odcid, retryScid);
    expect(tokens.check(new Uint8Array(0), client, retryScid)).toEqual({ ok: false, reason: 'malformed' });
    expect(tokens.check(token.subarray(0, token.length - 1), client, retryScid)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    const wrongVersion = Buffer.from(token);
    wrongVersion[0] = 2;
    expect(tokens.check(wrongVersion, client, retryScid)).toEqual({ ok: false, reason: 'malformed' });
    const longCid = Buffer.from(token);
    longCid[9] = 21;
    expect(tokens.check(longCid, client, retryScid)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a short secret and a lifetime that is not positive', () => {
    expect(() => new RetryTokens({ secret: new Uint8Array(8) })).toThrow(RangeError);
    expect(() => new RetryTokens({ lifetimeMs: 0 })).toThrow(RangeError);
  });
});
