// Each failure of videocall-cli gives its message and its own exit code, as a script sees them.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Codec, encodeEnvelope, PROTOCOL_VERSION } from '../../src/protocol/index.js';
import { startRelay, type Relay } from '../../server/relay.js';
import { EXIT_CODES, type CliErrorCode } from '../../cli/errors.js';
import { runCli } from './run-cli.js';

// Each case starts Node (and some ffmpeg): slow on a loaded machine.
describe('videocall-cli errors and exit codes', { timeout: 60_000 }, () => {
  let relay: Relay;
  let locked: Relay;
  let dir: string;

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    locked = await startRelay({
      host: '127.0.0.1',
      port: 0,
      auth: { secret: 'a-secret-long-enough-for-hs256-0123456789' },
    });
    dir = mkdtempSync(join(tmpdir(), 'vc-cli-'));
  });

  afterAll(async () => {
    await relay?.close();
    await locked?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stream = (server: string, ...extra: string[]) =>
    runCli(
      ['stream', '--server', server, '--room', 'errors', '--size', '320x180', '--duration', '20', ...extra],
      60_000,
    );

  it('gives every error code its own exit code', () => {
    const codes = Object.values(EXIT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).not.toContain(0);
  });

  it('documents one exit-code table: the README and `videocall-cli --help` list every code with its number', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const documented = new Map(
      [...readme.matchAll(/^\| (\d+) \| `([a-z0-9-]+)` \|/gm)].map((m) => [m[2] as CliErrorCode, Number(m[1])]),
    );
    expect(Object.fromEntries(documented)).toEqual(EXIT_CODES);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const [code, exit] of Object.entries(EXIT_CODES))
      expect(help.stdout).toMatch(new RegExp(`^\\s+${exit}\\s+${code}\\s`, 'm'));
  });

  it('usage: a missing source, an unknown flag, an unknown command exit 2 and say what is wrong', async () => {
    const noSource = await runCli(['stream', '--server', relay.url, '--room', 'r']);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toContain('exactly one source');
    const unknown = await runCli(['stream', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    const command = await runCli(['teleport']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "teleport"');
  });

  it('--help of every command prints its usage and exits 0', async () => {
    for (const args of [
      ['--help'],
      ['stream', '--help'],
      ['record', '--help'],
      ['bots', '--help'],
      ['info', '--help'],
    ]) {
      const result = await runCli(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Usage: videocall-cli/);
    }
  });

  it('relay unreachable: exit 3, naming the address', async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const result = await stream('http://127.0.0.1:9', '--test-pattern', '--json');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Cannot reach the relay at http://127.0.0.1:9');
    expect(JSON.parse(result.stdout.trim().split('\n').pop()!)).toMatchObject({
      event: 'error',
      code: 'relay-unreachable',
      exitCode: 3,
    });
  });

  it('refused token: exit 4, with how to get a new one', async () => {
    const missing = await stream(locked.url, '--test-pattern');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('token-missing');
    const forged = await stream(locked.url, '--test-pattern', '--token', 'eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl');
    expect(forged.code).toBe(4);
    expect(forged.stderr).toContain('token-invalid');
    expect(forged.stderr).toContain('videocall-token');
  });

  it('missing ffmpeg: exit 6, saying how to install it', async () => {
    const result = await runCli(['stream', '--server', relay.url, '--room', 'r', '--test-pattern'], 30_000, {
      ...process.env,
      FFMPEG: join(dir, 'no-ffmpeg-here'),
    });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('apt-get install ffmpeg');
  });

  it('unsupported device: a device that is no V4L2 camera exits 7', async () => {
    const result = await stream(relay.url, '--video-device', '/dev/null');
    expect(result.code).toBe(7);
    expect(result.stderr).toContain('/dev/null cannot deliver what was asked');
  });

  it('file unreadable: a missing file and a file that is no media exit 8', async () => {
    const missing = await stream(relay.url, '--file', join(dir, 'absent.mp4'));
    expect(missing.code).toBe(8);
    expect(missing.stderr).toContain('no such file');
    const junk = join(dir, 'junk.mp4');
    writeFileSync(junk, 'this is not a video file\n'.repeat(100));
    const garbage = await stream(relay.url, '--file', junk);
    expect(garbage.code).toBe(8);
    expect(garbage.stderr).toContain(`Cannot read ${junk}`);
  });

  it('webtransport from a relay that offers none: exit 9, saying so and pointing at websocket', async () => {
    const plain = await startRelay({ host: '127.0.0.1', port: 0, webTransport: { enabled: false } });
    try {
      const result = await stream(plain.url, '--test-pattern', '--transport', 'webtransport');
      expect(result.code).toBe(9);
      expect(result.stderr).toContain('does not offer WebTransport');
      expect(result.stderr).toContain('--transport websocket');
    } finally {
      await plain.close();
    }
    // No relay at all is still exit 3, whichever transport was asked for.
    const down = await stream('http://127.0.0.1:1', '--test-pattern', '--transport', 'webtransport');
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('Cannot reach the relay at http://127.0.0.1:1');
  });

  it('a codec someone in the room cannot decode: exit 10, naming who and what they decode', async () => {
    const socket = new WebSocket(relay.wsUrl);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(
      encodeEnvelope({
        join: {
          protocolVersion: PROTOCOL_VERSION,
          room: 'codecs',
          name: 'OldBrowser',
          state: {},
          decoders: [Codec.VP8],
        },
      }),
    );
    await new Promise((resolve) => socket.once('message', resolve));
    const result = await runCli(
      ['stream', '--server', relay.url, '--room', 'codecs', '--test-pattern', '--codec', 'h264', '--duration', '20'],
      60_000,
    );
    socket.close();
    expect(result.code).toBe(10);
    expect(result.stderr).toContain('OldBrowser cannot decode h264');
    expect(result.stderr).toContain('--codec vp8');
  });
});

describe('videocall-cli info', { timeout: 60_000 }, () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await relay?.close();
  });

  it('--json prints one object with ffmpeg, devices and the relay health a script can read', async () => {
    const result = await runCli(['info', '--server', relay.url, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, never>;
    expect(report.ffmpeg).toMatchObject({ version: expect.stringMatching(/^ffmpeg version/) });
    expect(Array.isArray(report.cameras)).toBe(true);
    expect(Array.isArray(report.audioDevices)).toBe(true);
    expect(report.relay).toMatchObject({ url: relay.url, health: { status: 'ok', protocol: PROTOCOL_VERSION } });
  });

  it('an unreachable relay is reported in the output and exits 3', async () => {
    const result = await runCli(['info', '--server', 'http://127.0.0.1:9', '--json']);
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ relay: { code: 'relay-unreachable' } });
  });
});
