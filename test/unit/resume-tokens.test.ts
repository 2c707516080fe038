import { describe, expect, it } from 'vitest';
import { ResumeTokens } from '../../server/resume-tokens.js';

describe('resume tokens', () => {
  it('name the room and session they were issued for', () => {
    const tokens = new ResumeTokens('a shared secret of the cluster', 10_000);
    expect(tokens.verify(tokens.issue('standup', 'abcDEF012_-x'), 'standup')).toEqual({ id: 'abcDEF012_-x' });
    expect(tokens.verify(tokens.issue('standup', 'abcDEF012_-x'), 'retro')).toEqual({ rejected: 'other-room' });
  });

  it('are accepted by every relay with the same secret, and by no other', () => {
    const a = new ResumeTokens('a shared secret of the cluster', 10_000);
    const b = new ResumeTokens('a shared secret of the cluster', 10_000);
    const c = new ResumeTokens('another cluster entirely!!', 10_000);
    const random = new ResumeTokens(undefined, 10_000);
    const token = a.issue('r', 'id1');
    expect(b.verify(token, 'r')).toEqual({ id: 'id1' });
    expect(c.verify(token, 'r')).toEqual({ rejected: 'bad-signature' });
    expect(random.verify(token, 'r')).toEqual({ rejected: 'bad-signature' });
  });

  it('expire their time to live after being issued', () => {
    let now = 1_700_000_000_000;
    const tokens = new ResumeTokens('a shared secret of the cluster', 10_000, () => now);
    const token = tokens.issue('r', 'id1');
    now += 9_000;
    expect(tokens.verify(token, 'r')).toEqual({ id: 'id1' });
    now += 3_000;
    expect(tokens.verify(token, 'r')).toEqual({ rejected: 'expired' });
  });

  it('refuse anything tampered with or malformed', () => {
    const tokens = new ResumeTokens('a shared secret of the cluster', 10_000);
    const token = tokens.issue('r', 'id1');
    const parts = token.split('.');
    const tampered = (i: number, value: string) => parts.map((p, j) => (j === i ? value : p)).join('.');
    expect(tokens.verify(tampered(2, 'id2'), 'r')).toEqual({ rejected: 'bad-signature' });
    expect(tokens.verify(tampered(3, 'zzzzzz'), 'r')).toEqual({ rejected: 'bad-signature' });
    expect(tokens.verify(tampered(4, ''), 'r')).toEqual({ rejected: 'bad-signature' });
    for (const bad of ['', 'x', 'r1.r.id1', `${token}.x`, 'r2' + token.slice(2), 'x'.repeat(300)]) {
      expect(tokens.verify(bad, 'r')).toHaveProperty('rejected');
    }
  });
});
