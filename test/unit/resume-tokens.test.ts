import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ResumeTokens } from '../../server/resume-tokens.js';

const SECRET = 'a shared secret of the cluster';

/** A client's resume secret and its commitment (what `Join.resume_key` carries). */
function secret(): { proof: Buffer; commitment: Buffer } {
  const proof = randomBytes(32);
  return { proof, commitment: createHash('sha256').update(proof).digest() };
}

describe('resume tokens', () => {
  it('name the room, session and identity they were issued for', () => {
    const tokens = new ResumeTokens(SECRET, 10_000);
    const { proof, commitment } = secret();
    const token = tokens.issue('standup', 'abcDEF012_-x', commitment, 'ada');
    expect(tokens.verify({ token, proof, room: 'standup', identity: 'ada' })).toEqual({ id: 'abcDEF012_-x' });
    expect(tokens.verify({ token, proof, room: 'retro', identity: 'ada' })).toEqual({ rejected: 'other-room' });
    expect(tokens.verify({ token, proof, room: 'standup', identity: 'eve' })).toEqual({ rejected: 'other-identity' });
  });

  it('are useless without the secret behind their commitment (a stolen token alone)', () => {
    const tokens = new ResumeTokens(SECRET, 10_000);
    const { proof, commitment } = secret();
    const token = tokens.issue('r', 'id1', commitment, '');
    const claim = { token, room: 'r', identity: '' };
    expect(tokens.verify({ ...claim, proof: undefined })).toEqual({ rejected: 'bad-proof' });
    expect(tokens.verify({ ...claim, proof: randomBytes(32) })).toEqual({ rejected: 'bad-proof' });
    expect(tokens.verify({ ...claim, proof: commitment })).toEqual({ rejected: 'bad-proof' });
    expect(tokens.verify({ ...claim, proof: proof.subarray(0, 16) })).toEqual({ rejected: 'bad-proof' });
    expect(tokens.verify({ ...claim, proof })).toEqual({ id: 'id1' });
  });

  it('are single-use: a resume spends every token of that session issued until then; later ones work', () => {
    let now = 1_700_000_000_000;
    const tokens = new ResumeTokens(SECRET, 10_000, () => now);
    const { proof, commitment } = secret();
    const older = tokens.issue('r', 'id1', commitment, '');
    now += 1000;
    const used = tokens.issue('r', 'id1', commitment, '');
    expect(tokens.verify({ token: used, proof, room: 'r', identity: '' })).toEqual({ id: 'id1' });
    tokens.spend('id1');
    expect(tokens.verify({ token: used, proof, room: 'r', identity: '' })).toEqual({ rejected: 'spent' });
    expect(tokens.verify({ token: older, proof, room: 'r', identity: '' })).toEqual({ rejected: 'spent' });
    // Issued in the same millisecond as the resume, the next token is still after the cutoff.
    const next = secret();
    const fresh = tokens.issue('r', 'id1', next.commitment, '');
    expect(tokens.verify({ token: fresh, proof: next.proof, room: 'r', identity: '' })).toEqual({ id: 'id1' });
  });

  it('stop working for good once the participant left, on every relay told of it', () => {
    const shared: [string, number][] = [];
    const a = new ResumeTokens(SECRET, 10_000, Date.now, (id, cutoff) => shared.push([id, cutoff]));
    const b = new ResumeTokens(SECRET, 10_000);
    const { proof, commitment } = secret();
    const token = a.issue('r', 'id1', commitment, '');
    a.revoke('id1');
    expect(a.verify({ token, proof, room: 'r', identity: '' })).toEqual({ rejected: 'left' });
    expect(b.verify({ token, proof, room: 'r', identity: '' })).toEqual({ id: 'id1' });
    for (const [id, cutoff] of shared) b.learn(id, cutoff);
    expect(b.verify({ token, proof, room: 'r', identity: '' })).toEqual({ rejected: 'left' });
  });

  it('are accepted by every relay with the same secret, and by no other', () => {
    const a = new ResumeTokens(SECRET, 10_000);
    const b = new ResumeTokens(SECRET, 10_000);
    const c = new ResumeTokens('another cluster entirely!!', 10_000);
    const random = new ResumeTokens(undefined, 10_000);
    const { proof, commitment } = secret();
    const claim = { token: a.issue('r', 'id1', commitment, ''), proof, room: 'r', identity: '' };
    expect(b.verify(claim)).toEqual({ id: 'id1' });
    expect(c.verify(claim)).toEqual({ rejected: 'bad-signature' });
    expect(random.verify(claim)).toEqual({ rejected: 'bad-signature' });
  });

  it('expire their time to live after being issued', () => {
    let now = 1_700_000_000_000;
    const tokens = new ResumeTokens(SECRET, 10_000, () => now);
    const { proof, commitment } = secret();
    const token = tokens.issue('r', 'id1', commitment, '');
    now += 9_000;
    expect(tokens.verify({ token, proof, room: 'r', identity: '' })).toEqual({ id: 'id1' });
    now += 3_000;
    expect(tokens.verify({ token, proof, room: 'r', identity: '' })).toEqual({ rejected: 'expired' });
  });

  it('refuse anything tampered with or malformed', () => {
    const tokens = new ResumeTokens(SECRET, 10_000);
    const { proof, commitment } = secret();
    const token = tokens.issue('r', 'id1', commitment, '');
    const parts = token.split('.');
    const tampered = (i: number, value: string) => parts.map((p, j) => (j === i ? value : p)).join('.');
    const check = (t: string) => tokens.verify({ token: t, proof, room: 'r', identity: '' });
    expect(check(tampered(2, 'id2'))).toEqual({ rejected: 'bad-signature' });
    expect(check(tampered(3, 'zzzzzz'))).toEqual({ rejected: 'bad-signature' });
    // The commitment is signed too: a thief can't swap in one of its own.
    expect(check(tampered(5, secret().commitment.toString('base64url')))).toEqual({ rejected: 'bad-signature' });
    expect(check(tampered(7, ''))).toEqual({ rejected: 'bad-signature' });
    for (const bad of ['', 'x', 'r2.r.id1', `${token}.x`, 'r1' + token.slice(2), 'x'.repeat(400)]) {
      expect(check(bad)).toHaveProperty('rejected');
    }
  });
});
