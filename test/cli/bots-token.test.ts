/**
 * `videocall-cli bots --token` (the built bin) against a real relay that
 * requires tokens: with a room token every bot joins and the relay counts
 * them; without one, or with a forged one, the command says so and exits with
 * `token-refused`'s code.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../cli/errors.js';
import { startRelay, type Relay } from '../../server/relay.js';
import { runCli, startCli } from './run-cli.js';

const SECRET = 'bots-token-test-secret-of-at-least-32-bytes';

describe('videocall-cli bots --token', { timeout: 90_000 }, () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0, auth: { secret: SECRET } });
  });
  afterAll(async () => {
    await relay?.close();
  });

  it('joins every bot with the token, and the relay counts them', async () => {
    const token = await new SignJWT({ room: 'load', sub: 'bots' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    const joinsBefore = relay.stats().joinsTotal ?? 0;
    const run = startCli([
      'bots',
      '--server',
      relay.url,
      '--room',
      'load',
      '--count',
      '3',
      '--seconds',
      '4',
      '--token',
      token,
      '--json',
    ]);
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, relay.stats().participants)), 100);
    const result = await run.exited;
    clearInterval(watch);
    expect(result.code, result.stderr).toBe(0);
    expect(most).toBe(3);
    expect((relay.stats().joinsTotal ?? 0) - joinsBefore).toBe(3);
    const summary = JSON.parse(result.stdout) as { totals: { joined: number; errors: number } };
    expect(summary.totals).toMatchObject({ joined: 3, errors: 0 });
  });

  it('without a token or with a forged one: token-refused, exit 4', async () => {
    for (const extra of [[], ['--token', 'eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl']]) {
      const result = await runCli(
        ['bots', '--server', relay.url, '--room', 'load', '--count', '2', '--seconds', '3', ...extra],
        60_000,
      );
      expect(result.code, result.stderr).toBe(EXIT_CODES['token-refused']);
      expect(result.stderr).toMatch(
        /error \[token-refused\]: The relay refused the access token \(token-(missing|invalid)\)/,
      );
    }
  });
});
