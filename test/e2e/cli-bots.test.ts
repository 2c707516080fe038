/**
 * `videocall-cli bots` against a real relay (in this process, so the test
 * reads its counters): bots join, publish and leave cleanly, their summary
 * matches what the relay counted, progress shows live on a terminal and as
 * plain lines otherwise, and errors come with their exit codes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotSummary, FleetTotals } from '../../cli/bots/bot-fleet.js';
import { startRelay, type Relay } from '../../server/relay.js';
import { waitFor } from './browser.js';
import { runCli } from './cli-process.js';

interface BotsJson {
  seconds: number;
  totals: FleetTotals;
  bots: BotSummary[];
}

describe('videocall-cli bots', () => {
  let relay: Relay;

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await relay?.close();
  });

  it('joins, publishes and leaves cleanly; its summary matches what the relay counted', async () => {
    const before = relay.stats();
    const run = runCli([
      'bots',
      '--server',
      relay.url,
      '--room',
      'bots',
      '--count',
      '5',
      '--publish',
      '3',
      '--seconds',
      '7',
      '--json',
    ]);
    await waitFor('five bots in the room', async () => (relay.stats().participants === 5 ? true : undefined), 30_000);
    expect(await run.exited, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as BotsJson;
    // Left on purpose: every bot said Leave, and the room is empty at once (no resume grace).
    await waitFor('an empty relay', async () => (relay.stats().participants === 0 ? true : undefined), 5000);
    const after = relay.stats();
    const delta = (pick: (s: typeof after) => number | undefined) => (pick(after) ?? 0) - (pick(before) ?? 0);
    expect(delta((s) => s.messagesIn['leave'])).toBe(5);
    expect(delta((s) => s.joinsTotal)).toBe(5);

    expect(summary.totals.joined).toBe(5);
    expect(summary.totals.errors).toBe(0);
    expect(summary.bots.filter((b) => b.publishing)).toHaveLength(3);
    for (const bot of summary.bots) {
      if (bot.publishing)
        expect(bot.framesOut, bot.name).toBeGreaterThan(7 * 50 * 0.5); // 50 audio packets/s and video
      else expect(bot.framesOut, bot.name).toBe(0);
      expect(bot.framesIn, bot.name).toBeGreaterThan(0);
    }
    // What the bots say they sent and received is what the relay counted, frame for frame.
    expect(summary.totals.framesOut).toBe(delta((s) => s.messagesIn['media']));
    expect(summary.totals.framesIn).toBe(delta((s) => s.messagesOut['media']));
    // Not a terminal: the progress is plain lines (on stderr with --json).
    expect(run.stderr).toMatch(/^joined 5\/5 · sent \d+ fr\/s · received \d+ fr\/s · errors 0 · \d+ s$/m);
  });

  it('does the same over WebTransport: the relay counts WebTransport sessions, and every one closes', async () => {
    const before = relay.stats();
    const run = runCli(
      ['bots', '--server', relay.url, '--room', 'bots-wt', '--count', '4', '--publish', '2', '--seconds', '5'].concat([
        '--transport',
        'webtransport',
        '--json',
      ]),
    );
    await waitFor(
      'four WebTransport bots in the room',
      async () => (relay.stats().participants === 4 && relay.stats().webTransport?.sessions === 4 ? true : undefined),
      30_000,
    );
    expect(await run.exited, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as BotsJson;
    // Each session's close reached the relay: none waits for its idle timeout.
    await waitFor(
      'no participant and no QUIC connection left',
      async () =>
        relay.stats().participants === 0 && relay.stats().webTransport?.quicConnections === 0 ? true : undefined,
      5000,
    );
    const after = relay.stats();
    const delta = (pick: (s: typeof after) => number | undefined) => (pick(after) ?? 0) - (pick(before) ?? 0);
    expect(delta((s) => s.webTransport?.sessionsTotal)).toBe(4);
    expect(delta((s) => s.connectionsTotal)).toBe(4);
    expect(delta((s) => s.messagesIn['leave'])).toBe(4);
    expect(delta((s) => s.joinsTotal)).toBe(4);
    expect(summary.totals).toMatchObject({ joined: 4, errors: 0 });
    for (const bot of summary.bots) {
      if (bot.publishing) expect(bot.framesOut, bot.name).toBeGreaterThan(5 * 50 * 0.5);
      expect(bot.framesIn, bot.name).toBeGreaterThan(0);
    }
    // Audio travels as datagrams, which QUIC may lose (loopback under load rarely does): the relay
    // counted no more than the bots sent, and short of it by at most 1 %; the same the other way.
    const relayIn = delta((s) => s.messagesIn['media']);
    expect(relayIn).toBeLessThanOrEqual(summary.totals.framesOut);
    expect(relayIn).toBeGreaterThanOrEqual(Math.floor(summary.totals.framesOut * 0.99));
    const relayOut = delta((s) => s.messagesOut['media']);
    expect(summary.totals.framesIn).toBeLessThanOrEqual(relayOut);
    expect(summary.totals.framesIn).toBeGreaterThanOrEqual(Math.floor(relayOut * 0.99));
  });

  it('leaves cleanly on Ctrl-C and prints its table', async () => {
    const run = runCli(['bots', '--server', relay.url, '--room', 'bots-int', '--count', '3']);
    await waitFor('three bots in the room', async () => (relay.stats().participants === 3 ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    run.child.kill('SIGINT');
    expect(await run.exited, run.stderr).toBe(0);
    expect(relay.stats().participants).toBe(0);
    expect(run.stdout).toMatch(/^bot\s+id\s+pub\s+frames out\s+MB out\s+frames in\s+MB in\s+kf req\s+errors$/m);
    expect(run.stdout).toMatch(/^total\s+3\/3\s+3\s+\d+/m);
  });

  it('redraws one live progress line on a terminal', async () => {
    const entry = fileURLToPath(new URL('./cli-command.ts', import.meta.url));
    const command = `${process.execPath} --import tsx ${entry} bots --server ${relay.url} --room bots-tty --count 2 --seconds 4`;
    // util-linux `script` gives the command a pseudo-terminal, as a person's shell would. Not spawnSync:
    // the relay runs in this process and must go on answering.
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const out = { status, stdout };
    expect(out.status, out.stdout).toBe(0);
    expect(out.stdout).toContain('\r\u001b[Kjoined 2/2 · sent ');
    expect(out.stdout).toMatch(/total\s+2\/2/);
  });

  it('says what went wrong, with a stable code and exit code', async () => {
    const cases = [
      {
        args: ['--room', 'r', '--count', '0'],
        exit: 2,
        message: /error \[usage\]: --count must be a whole number from 1 to 100000, got "0"/,
      },
      { args: ['--count', '2'], exit: 2, message: /error \[usage\]: --count and --room are required/ },
      {
        args: ['--server', 'http://127.0.0.1:1', '--room', 'r', '--count', '2', '--seconds', '3'],
        exit: 3,
        message: /error \[relay-unreachable\]: Cannot reach the relay at http:\/\/127\.0\.0\.1:1: ECONNREFUSED/,
      },
    ];
    for (const c of cases) {
      const run = runCli(['bots', ...c.args]);
      expect(await run.exited, run.stderr).toBe(c.exit);
      expect(run.stderr).toMatch(c.message);
    }
    const help = runCli(['bots', '--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout).toMatch(/^Usage: videocall-cli bots --count N --room R/);
  });
});
