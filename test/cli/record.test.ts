/**
 * `videocall-cli record` (the built bin) against a real relay, recording real
 * `videocall-cli stream --test-pattern --tone` publishers: the WebM files it
 * writes, as Debian's ffprobe and ffmpeg read them (codec, duration, pictures,
 * sound), for a plain call with a rejoin, an end-to-end encrypted one, and a
 * recording ended by Ctrl-C; and each of its errors with its exit code.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../cli/errors.js';
import type { RecordingManifest } from '../../cli/record/room-recorder.js';
import { startRelay, type Relay } from '../../server/relay.js';
import { decode, lumaSpread, maxVolume, probe } from './media-files.js';
import { runCli, startCli, type RunningCli } from './run-cli.js';

const SECRET = 'cli-record-test-secret-of-at-least-32-bytes';
const FPS = 15;

/** What a finished `stream --json` said it sent. */
interface StreamLeft {
  videoFrames: number;
  /** Video frames the stream handed to the relay: after a frame it could not send, it holds the rest back until a keyframe. */
  videoFramesSent: number;
  audioPackets: number;
}

/** Resolves when `cli`'s stderr has matched `pattern` `times` times (bounded), or rejects with what it printed. */
async function stderrShows(cli: RunningCli, pattern: RegExp, timeoutMs = 60_000, times = 1): Promise<void> {
  const all = new RegExp(pattern.source, 'g');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((cli.stderr().match(all)?.length ?? 0) >= times) return;
    if (cli.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${pattern} (${times}×) on stderr in ${timeoutMs} ms:\n${cli.stderr()}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `cli` (with `--json`) has reported `event` (bounded), or rejects with what it printed. */
async function waitForEvent(cli: RunningCli, event: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cli.events.some((e) => e.event === event)) return;
    if (cli.child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`no ${event} event in ${timeoutMs} ms:\n${cli.stderr()}`);
}

/** A CLI publisher: the moving test pattern with its beeping tone, small enough for a loaded machine. */
function streamPattern(server: string, room: string, name: string, seconds: number, ...extra: string[]): RunningCli {
  return startCli([
    'stream',
    '--server',
    server,
    '--room',
    room,
    '--name',
    name,
    '--test-pattern',
    '--tone',
    '--size',
    '320x180',
    '--fps',
    String(FPS),
    '--duration',
    String(seconds),
    '--json',
    ...extra,
  ]);
}

/** Waits for a stream to end on its own and returns what it sent. */
async function streamed(cli: RunningCli): Promise<StreamLeft> {
  const result = await cli.exited;
  expect(result.code, result.stderr).toBe(0);
  const left = cli.events.find((e) => e.event === 'left') as StreamLeft | undefined;
  expect(left, result.stdout).toBeDefined();
  return left!;
}

function manifestOf(dir: string): RecordingManifest {
  return JSON.parse(readFileSync(join(dir, 'recording.json'), 'utf8')) as RecordingManifest;
}

/**
 * Checks one recorded file as a person would: ffprobe reads it with its codec
 * and a duration within 1 s of what the publisher sent, ffmpeg decodes it
 * without complaint, its pictures are not flat, its tone is loud.
 */
function expectPlayable(file: RecordingManifest['files'][number], sent: StreamLeft, videoCodec: string): void {
  const key = `${file.name} ${file.track} (${file.file})`;
  const probed = probe(file.file);
  const expected = file.track === 'audio' ? sent.audioPackets * 0.02 : sent.videoFramesSent / FPS;
  expect(probed, key).toMatchObject(
    file.track === 'audio' ? { type: 'audio', codec: 'opus' } : { type: 'video', codec: videoCodec },
  );
  expect(probed.duration, key).toBeDefined();
  expect(
    Math.abs(probed.duration! - expected),
    `${key}: ${probed.duration} s, the publisher sent ${expected} s`,
  ).toBeLessThanOrEqual(1);
  const decoded = decode(file.file);
  expect(decoded.errors, key).toBe('');
  if (file.track === 'video') {
    expect(decoded.frames, key).toBeGreaterThanOrEqual(sent.videoFramesSent - FPS);
    // Seekable, and the test pattern's picture (not a flat or garbled frame) from the middle.
    expect(lumaSpread(file.file, probed.duration! / 2), key).toBeGreaterThan(8);
  } else {
    // The tone beeps: the recorded audio is not silence.
    expect(maxVolume(file.file), key).toBeGreaterThan(-30);
  }
}

describe('videocall-cli record', { timeout: 180_000 }, () => {
  let relay: Relay;
  let locked: Relay;
  const dirs: string[] = [];
  const outDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-record-'));
    dirs.push(dir);
    return dir;
  };
  const record = (server: string, room: string, out: string, ...extra: string[]): RunningCli =>
    startCli(['record', '--server', server, '--room', room, '--out', out, ...extra]);

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    locked = await startRelay({ host: '127.0.0.1', port: 0, auth: { secret: SECRET } });
  });

  afterAll(async () => {
    await relay?.close();
    await locked?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('writes each publisher’s VP8/VP9 video and Opus audio to WebM files, new ones for a rejoin, and exits when the room empties', async () => {
    const out = outDir();
    const rec = record(relay.url, 'rec-plain', out);
    await stderrShows(rec, /recording room rec-plain/);

    // Each publisher streams until it is seen writing both files for a while, then Ctrl-C: on a loaded
    // machine ffmpeg can take seconds to start, so a fixed --duration could end before the first frame.
    const ada = streamPattern(relay.url, 'rec-plain', 'Ada', 600);
    await stderrShows(rec, /Ada: video → /);
    await stderrShows(rec, /Ada: audio → /);
    const sessions: StreamLeft[] = [];
    for (let round = 1; round <= 2; round++) {
      // Grace comes back after leaving: a new session, new files.
      const grace = streamPattern(relay.url, 'rec-plain', 'Grace', 600, '--codec', 'vp9');
      await stderrShows(rec, /Grace: video → /, 60_000, round);
      await stderrShows(rec, /Grace: audio → /, 60_000, round);
      await sleep(3000);
      grace.child.kill('SIGINT');
      sessions.push(await streamed(grace));
      await stderrShows(rec, /Grace left/, 30_000, round);
    }
    ada.child.kill('SIGINT');
    const adaSent = await streamed(ada);
    const [first, second] = sessions as [StreamLeft, StreamLeft];

    const result = await rec.exited;
    expect(result.code, result.stderr).toBe(0);
    const manifest = manifestOf(out);
    expect(manifest.reason).toBe('room-empty');
    expect(readdirSync(out).filter((f) => f.endsWith('.webm'))).toHaveLength(6);
    expect(manifest.files.map((f) => `${f.name} ${f.track}`).sort()).toEqual([
      'Ada audio',
      'Ada video',
      'Grace audio',
      'Grace audio',
      'Grace video',
      'Grace video',
    ]);
    const graceSessions = [...new Set(manifest.files.filter((f) => f.name === 'Grace').map((f) => f.participant))];
    expect(graceSessions).toHaveLength(2);
    for (const f of manifest.files) {
      if (f.name === 'Ada') expectPlayable(f, adaSent, 'vp8');
      else expectPlayable(f, f.participant === graceSessions[0] ? first : second, 'vp9');
    }
  });

  it('records an end-to-end encrypted call with its passphrase, and refuses without it or with a wrong one (exit 5)', async () => {
    const publisher = streamPattern(relay.url, 'rec-e2ee', 'Ada', 40, '--passphrase', 'correct horse');
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (publisher.events.some((e) => e.event === 'joined') || publisher.child.exitCode !== null) {
          clearInterval(check);
          resolve();
        }
      }, 100);
    });
    for (const extra of [[], ['--passphrase', 'wrong guess']]) {
      const refused = await runCli(
        ['record', '--server', relay.url, '--room', 'rec-e2ee', '--out', outDir(), ...extra],
        60_000,
      );
      expect(refused.code, refused.stderr).toBe(EXIT_CODES['wrong-passphrase']);
      expect(refused.stderr).toMatch(/error \[wrong-passphrase\]: .*passphrase/);
    }
    publisher.child.kill('SIGINT');
    await publisher.exited;

    const out = outDir();
    const rec = record(relay.url, 'rec-e2ee', out, '--passphrase', 'correct horse');
    await stderrShows(rec, /recording room rec-e2ee/);
    const ada = streamPattern(relay.url, 'rec-e2ee', 'Ada', 600, '--passphrase', 'correct horse');
    await stderrShows(rec, /Ada: video → /);
    await stderrShows(rec, /Ada: audio → /);
    await sleep(4000);
    ada.child.kill('SIGINT');
    const sent = await streamed(ada);
    const result = await rec.exited;
    expect(result.code, result.stderr).toBe(0);
    const manifest = manifestOf(out);
    expect(manifest.reason).toBe('room-empty');
    expect(manifest.files.map((f) => f.track).sort()).toEqual(['audio', 'video']);
    // Decrypted: VP8 pictures and Opus sound, not ciphertext.
    for (const f of manifest.files) expectPlayable(f, sent, 'vp8');
  });

  it('records over WebTransport what a publisher streams over WebTransport: the files play', async () => {
    const out = outDir();
    const before = relay.stats().webTransport?.sessionsTotal ?? 0;
    const rec = record(relay.url, 'rec-wt', out, '--transport', 'webtransport');
    await stderrShows(rec, /recording room rec-wt/);
    const ada = streamPattern(relay.url, 'rec-wt', 'Ada', 600, '--transport', 'webtransport');
    await stderrShows(rec, /Ada: video → /);
    await stderrShows(rec, /Ada: audio → /);
    expect(relay.stats().webTransport?.sessionsTotal).toBe(before + 2);
    await sleep(4000);
    ada.child.kill('SIGINT');
    const sent = await streamed(ada);
    const result = await rec.exited;
    expect(result.code, result.stderr).toBe(0);
    const manifest = manifestOf(out);
    expect(manifest.reason).toBe('room-empty');
    expect(manifest.files.map((f) => f.track).sort()).toEqual(['audio', 'video']);
    for (const f of manifest.files) expectPlayable(f, sent, 'vp8');
  });

  it('stream and record both come back on their own when the relay restarts, and the recording goes on in files that play', async () => {
    const first = await startRelay({ host: '127.0.0.1', port: 0 });
    let second: Relay | undefined;
    try {
      const out = outDir();
      const rec = record(first.url, 'rec-restart', out);
      await stderrShows(rec, /recording room rec-restart/);
      const ada = streamPattern(first.url, 'rec-restart', 'Ada', 600);
      await stderrShows(rec, /Ada: video → /);
      await stderrShows(rec, /Ada: audio → /);
      await sleep(2000);
      // A restart, as in a deploy: every client is told, the port goes quiet, then a new relay (no resume state).
      await first.close();
      await sleep(1000);
      second = await startRelay({ host: '127.0.0.1', port: first.port });
      await waitForEvent(ada, 'reconnected', 60_000);
      await stderrShows(rec, /back on the relay/);
      // Everyone rejoined as new: Ada's new session is recorded to new files.
      await stderrShows(rec, /Ada: video → /, 60_000, 2);
      await stderrShows(rec, /Ada: audio → /, 60_000, 2);
      await sleep(3000);
      ada.child.kill('SIGINT');
      const sent = await streamed(ada);
      const result = await rec.exited;
      expect(result.code, result.stderr).toBe(0);
      const manifest = manifestOf(out);
      expect(manifest.reason).toBe('room-empty');
      expect(manifest.files.map((f) => `${f.name} ${f.track}`).sort()).toEqual([
        'Ada audio',
        'Ada audio',
        'Ada video',
        'Ada video',
      ]);
      const video = manifest.files.filter((f) => f.track === 'video');
      for (const f of manifest.files) {
        expect(decode(f.file).errors, f.file).toBe('');
        if (f.track === 'video') expect(lumaSpread(f.file, probe(f.file).duration! / 2), f.file).toBeGreaterThan(8);
        else expect(maxVolume(f.file), f.file).toBeGreaterThan(-30);
      }
      // Before and after the restart together hold what Ada sent (nothing while the relay was away).
      const recorded = video.reduce((sum, f) => sum + probe(f.file).duration!, 0);
      expect(Math.abs(recorded - sent.videoFramesSent / FPS), `${recorded} s recorded`).toBeLessThanOrEqual(1.5);
    } finally {
      await first.close();
      await second?.close();
    }
  });

  it('Ctrl-C finishes every file cleanly: ffprobe reads them with their duration', async () => {
    const out = outDir();
    const rec = record(relay.url, 'rec-sigint', out, '--json');
    await stderrShows(rec, /recording room rec-sigint/);
    const publisher = streamPattern(relay.url, 'rec-sigint', 'Ada', 600);
    await stderrShows(rec, /Ada: audio → /);
    await stderrShows(rec, /Ada: video → /);
    await sleep(4000);
    rec.child.kill('SIGINT');
    const result = await rec.exited;
    publisher.child.kill('SIGINT');
    await publisher.exited;
    expect(result.code, result.stderr).toBe(0);
    const manifest = JSON.parse(result.stdout) as RecordingManifest;
    expect(manifest.reason).toBe('stopped');
    expect(manifest.files).toHaveLength(2);
    for (const f of manifest.files) {
      const probed = probe(f.file);
      expect(probed.type).toBe(f.track);
      // The container knows its duration: the file was finished, not cut off.
      expect(probed.duration, f.file).toBeGreaterThan(2);
      expect(Math.abs(probed.duration! - f.durationMs / 1000), f.file).toBeLessThanOrEqual(1);
      expect(decode(f.file).errors, f.file).toBe('');
    }
  });

  it('says what went wrong, with its code and exit code', async () => {
    const hidden = await new SignJWT({ room: '*', sub: 'r', grants: { hidden: true } })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    const cases: { args: string[]; env?: NodeJS.ProcessEnv; code: keyof typeof EXIT_CODES; message: RegExp }[] = [
      { args: ['--room', 'r', '--out', outDir()], code: 'usage', message: /--server is required/ },
      {
        args: ['--server', 'http://127.0.0.1:9', '--room', 'r', '--out', outDir()],
        code: 'relay-unreachable',
        message: /Cannot reach the relay at http:\/\/127\.0\.0\.1:9/,
      },
      {
        args: ['--server', locked.url, '--room', 'r', '--out', outDir()],
        code: 'token-refused',
        message: /token-missing/,
      },
      {
        args: ['--server', relay.url, '--room', 'r', '--out', join('/etc/hostname', 'recordings')],
        code: 'output-not-writable',
        message: /Cannot write recordings into \/etc\/hostname\/recordings \(ENOTDIR\)/,
      },
      {
        args: ['--server', relay.url, '--room', 'r', '--out', outDir()],
        env: { ...process.env, FFMPEG: '/nonexistent/ffmpeg' },
        code: 'ffmpeg-missing',
        message: /apt-get install ffmpeg/,
      },
      {
        args: ['--server', locked.url, '--room', 'r', '--out', outDir(), '--e2ee', '--token', hidden],
        code: 'usage',
        message: /A hidden recorder cannot decrypt/,
      },
    ];
    for (const c of cases) {
      const result = await runCli(['record', ...c.args], 30_000, c.env);
      expect(result.code, result.stderr).toBe(EXIT_CODES[c.code]);
      expect(result.stderr).toContain(`error [${c.code}]`);
      expect(result.stderr).toMatch(c.message);
    }
    const help = await runCli(['record', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: videocall-cli record --server URL --room R --out DIR/);
    expect(help.stdout).toMatch(/14\s+output-not-writable/);
  });
});
