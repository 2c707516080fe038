/**
 * `videocall-cli record` against a real relay with Chromium pages (fake camera
 * and microphone) in the room: the WebM files it writes, as ffprobe and ffmpeg
 * read them, for a plain call (hidden recorder, late joiners, a leaver) and an
 * end-to-end encrypted one; and each of its errors with its exit code.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingManifest } from '../../cli/record/room-recorder.js';
import { startRelay, type Relay } from '../../server/relay.js';
import { launchChromium, readRemoteTiles, waitFor, type TestBrowser } from './browser.js';
import { runCli, type CliRun } from './cli-process.js';
import { decode, lumaSpread, maxVolume, probe } from './media-files.js';

const SECRET = 'cli-record-test-secret-of-at-least-32-bytes';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ room: '*', exp: Math.floor(Date.now() / 1000) + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));
}

/** Opens the demo page without a room and puts a `<videocall-room>` with `token` in it. */
async function joinWithToken(browser: TestBrowser, relay: Relay, room: string, name: string): Promise<Page> {
  const page = await browser.newPage(`${relay.url}/`);
  const jwt = await token({ sub: name.toLowerCase(), name });
  await page.evaluate(
    ({ room, name, jwt }) => {
      const call = document.createElement('videocall-room');
      call.setAttribute('room', room);
      call.setAttribute('name', name);
      call.setAttribute('codec', 'vp8');
      call.setAttribute('token', jwt);
      document.body.append(call);
    },
    { room, name, jwt },
  );
  return page;
}

async function seesLive(page: Page, other: string): Promise<void> {
  // Generous: on a machine shared with other test runs, a page's first join can take a while.
  await waitFor(
    `${other}'s live tile`,
    async () => {
      const tiles = await readRemoteTiles(page);
      return tiles.some((t) => t.name === other && t.width >= 160 && t.lumaSpread > 8) ? true : undefined;
    },
    90_000,
  );
}

/** When (test clock) the recorder said it opened `who`'s `track` file. */
function fileOpened(rec: CliRun, who: string, track: string): Promise<number> {
  return rec.waitForStderr(new RegExp(`${who}: ${track} → `), 90_000);
}

function manifestOf(dir: string): RecordingManifest {
  return JSON.parse(readFileSync(join(dir, 'recording.json'), 'utf8')) as RecordingManifest;
}

describe('videocall-cli record', () => {
  let authRelay: Relay;
  let openRelay: Relay;
  let chromium: TestBrowser;
  /** The second page of a call gets its own browser: a tab behind another sent a few frames a second. */
  let second: TestBrowser;
  const dirs: string[] = [];
  const outDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'vc-record-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    authRelay = await startRelay({ host: '127.0.0.1', port: 0, auth: { secret: SECRET } });
    openRelay = await startRelay({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    second = await launchChromium();
  });

  afterAll(async () => {
    await chromium?.close();
    await second?.close();
    await authRelay?.close();
    await openRelay?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a hidden recorder writes each page’s audio and video to WebM files that ffprobe reads with their real duration', async () => {
    const out = outDir();
    const recorderToken = await token({ sub: 'recorder', grants: { hidden: true } });
    const rec = runCli([
      'record',
      '--server',
      authRelay.url,
      '--room',
      'rec-plain',
      '--out',
      out,
      '--token',
      recorderToken,
    ]);
    await rec.waitForStderr(/recording room rec-plain/);

    // Both join after the recorder: late joiners get their own files.
    const ada = await joinWithToken(chromium, authRelay, 'rec-plain', 'Ada');
    const grace = await joinWithToken(second, authRelay, 'rec-plain', 'Grace');
    await seesLive(ada, 'Grace');
    await seesLive(grace, 'Ada');
    await Promise.all([
      fileOpened(rec, 'Ada', 'video'),
      fileOpened(rec, 'Ada', 'audio'),
      fileOpened(rec, 'Grace', 'video'),
      fileOpened(rec, 'Grace', 'audio'),
    ]);
    // Hidden: the pages see each other and nobody else.
    expect(
      (await ada.evaluate(() => document.querySelector('videocall-room')!.participants)).map((p) => p.name),
    ).toEqual(['Grace']);

    await sleep(4000);
    await ada.close();
    const adaLeft = Date.now();
    await rec.waitForStderr(/Ada left/, 30_000);
    await sleep(3000);
    await grace.close();
    const graceLeft = Date.now();

    // The room is empty: the recorder finishes its files and exits by itself.
    expect(await rec.exited).toBe(0);
    const manifest = manifestOf(out);
    expect(manifest.reason).toBe('room-empty');
    expect(manifest.files).toHaveLength(4);
    expect(readdirSync(out).filter((f) => f.endsWith('.webm'))).toHaveLength(4);
    // From when the page captured the file's first frame (its own stamp, carried in the clear header)
    // to when the page left: on a loaded machine a page's first frames can arrive seconds late.
    const leftAt: Record<string, number> = { Ada: adaLeft, Grace: graceLeft };
    const expected = (f: (typeof manifest.files)[number]) => (leftAt[f.name]! - Date.parse(f.startedAt)) / 1000;
    for (const f of manifest.files) {
      const key = `${f.name} ${f.track}`;
      const probed = probe(f.file);
      expect(probed, key).toMatchObject(
        f.track === 'video' ? { type: 'video', codec: 'vp8' } : { type: 'audio', codec: 'opus' },
      );
      // Finished: the container knows its duration, and it is the time the track was recorded.
      expect(probed.duration, key).toBeDefined();
      expect(
        Math.abs(probed.duration! - expected(f)),
        `${key}: ${probed.duration} s, expected ${expected(f)} s (${JSON.stringify(manifest.files)})`,
      ).toBeLessThanOrEqual(1);
      const decoded = decode(f.file);
      expect(decoded.errors, key).toBe('');
      if (f.track === 'video') {
        expect(decoded.frames, key).toBeGreaterThan(probed.duration! * 10);
        // Seekable: decoding from the middle works, and shows the fake camera's picture.
        expect(decode(f.file, probed.duration! / 2).errors, key).toBe('');
        expect(lumaSpread(f.file, probed.duration! / 2), key).toBeGreaterThan(8);
      }
    }
  }, 300_000);

  it('records an end-to-end encrypted call with its passphrase, and refuses without it or with a wrong one', async () => {
    const passphrase = 'correct horse';
    const ada = await chromium.newPage(`${openRelay.url}/?room=rec-e2ee&name=Ada&codec=vp8#vc-key=correct%20horse`);
    const grace = await second.newPage(`${openRelay.url}/?room=rec-e2ee&name=Grace&codec=vp8#vc-key=correct%20horse`);
    await seesLive(ada, 'Grace');
    await seesLive(grace, 'Ada');

    for (const args of [[], ['--passphrase', 'wrong guess']]) {
      const refused = runCli(['record', '--server', openRelay.url, '--room', 'rec-e2ee', '--out', outDir(), ...args]);
      expect(await refused.exited, refused.stderr).toBe(5);
      expect(refused.stderr).toMatch(/error \[wrong-passphrase\]: .*passphrase/);
    }

    // Already in the room before the recorder: they come from its Welcome roster.
    const out = outDir();
    const rec = runCli([
      'record',
      '--server',
      openRelay.url,
      '--room',
      'rec-e2ee',
      '--out',
      out,
      '--passphrase',
      passphrase,
    ]);
    await Promise.all([fileOpened(rec, 'Ada', 'video'), fileOpened(rec, 'Grace', 'video')]);
    await fileOpened(rec, 'Ada', 'audio');
    await sleep(5000);
    rec.child.kill('SIGINT');
    expect(await rec.exited, rec.stderr).toBe(0);
    const manifest = manifestOf(out);
    expect(manifest.reason).toBe('stopped');
    for (const f of manifest.files) {
      const key = `${f.name} ${f.track}`;
      const probed = probe(f.file);
      expect(probed.duration, key).toBeGreaterThan(3);
      const decoded = decode(f.file);
      expect(decoded.errors, key).toBe('');
      if (f.track === 'video') {
        expect(decoded.frames, key).toBeGreaterThan(30);
        expect(lumaSpread(f.file, probed.duration! / 2), key).toBeGreaterThan(8);
      }
    }
    // The fake microphone beeps: the decrypted audio is not silence.
    const audio = manifest.files.filter((f) => f.track === 'audio');
    expect(audio.length).toBeGreaterThan(0);
    expect(Math.max(...audio.map((f) => maxVolume(f.file)))).toBeGreaterThan(-30);
    await ada.close();
    await grace.close();
  }, 300_000);

  it('says what went wrong, with a stable code and exit code', async () => {
    const cases: { args: string[]; env?: NodeJS.ProcessEnv; exit: number; message: RegExp }[] = [
      { args: ['--room', 'r', '--out', outDir()], exit: 2, message: /error \[usage\]: --server is required/ },
      {
        args: ['--server', 'http://127.0.0.1:1', '--room', 'r', '--out', outDir()],
        exit: 3,
        message: /error \[relay-unreachable\]: Cannot reach the relay at ws:\/\/127\.0\.0\.1:1\/ws: ECONNREFUSED/,
      },
      {
        args: ['--server', authRelay.url, '--room', 'r', '--out', outDir(), '--token', 'not-a-token'],
        exit: 4,
        message: /error \[token-refused\]: The relay refused the token \(token-invalid\)/,
      },
      {
        args: ['--server', authRelay.url, '--room', 'r', '--out', outDir()],
        exit: 4,
        message: /error \[token-refused\]: The relay refused the token \(token-missing\)/,
      },
      {
        args: ['--server', openRelay.url, '--room', 'r', '--out', join('/etc/hostname', 'recordings')],
        exit: 6,
        message: /error \[output-not-writable\]: Cannot write recordings into \/etc\/hostname\/recordings \(ENOTDIR\)/,
      },
      {
        args: ['--server', openRelay.url, '--room', 'r', '--out', outDir()],
        env: { ...process.env, PATH: '/nonexistent' },
        exit: 7,
        message: /error \[ffmpeg-missing\]: .*apt-get install ffmpeg/,
      },
      {
        args: [
          '--server',
          openRelay.url,
          '--room',
          'r',
          '--out',
          outDir(),
          '--e2ee',
          '--token',
          await token({ sub: 'r', grants: { hidden: true } }),
        ],
        exit: 2,
        message: /error \[usage\]: A hidden recorder cannot decrypt/,
      },
    ];
    for (const c of cases) {
      const run = runCli(['record', ...c.args], c.env);
      expect(await run.exited, run.stderr).toBe(c.exit);
      expect(run.stderr).toMatch(c.message);
    }
    const help = runCli(['record', '--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout).toMatch(/^Usage: videocall-cli record --server URL --room R --out DIR/);
  }, 240_000);
});
