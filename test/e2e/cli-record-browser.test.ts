/**
 * `videocall-cli record --passphrase` (the built bin) recording a Chromium page
 * of an end-to-end encrypted call (fake camera and microphone): the page's
 * video and audio are decrypted into WebM files ffprobe reads, whose pictures
 * are the fake camera's and whose sound is its beep.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingManifest } from '../../cli/record/room-recorder.js';
import { startRelay, type Relay } from '../../server/relay.js';
import { decode, lumaSpread, maxVolume, probe } from '../cli/media-files.js';
import { startCli } from '../cli/run-cli.js';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';

describe('videocall-cli record, a Chromium page with E2EE', { timeout: 180_000 }, () => {
  let relay: Relay;
  let chromium: TestBrowser;
  const out = mkdtempSync(join(tmpdir(), 'vc-record-page-'));

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await chromium?.close();
    await relay?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('decrypts the page’s VP8 video and Opus audio into WebM files that play', async () => {
    const page = await chromium.newPage(`${relay.url}/?room=rec-page&name=Ada&codec=vp8#vc-key=correct%20horse`);
    await waitFor('the page in the room', async () => (relay.stats().participants === 1 ? true : undefined), 90_000);
    const rec = startCli([
      'record',
      '--server',
      relay.url,
      '--room',
      'rec-page',
      '--out',
      out,
      '--passphrase',
      'correct horse',
      '--seconds',
      '20',
      '--json',
    ]);
    const result = await rec.exited;
    await page.close();
    expect(result.code, result.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'recording.json'), 'utf8')) as RecordingManifest;
    expect(manifest.reason).toBe('time-up');
    expect(manifest.files.map((f) => f.track).sort()).toEqual(['audio', 'video']);
    for (const f of manifest.files) {
      const probed = probe(f.file);
      expect(probed, f.file).toMatchObject(
        f.track === 'video' ? { type: 'video', codec: 'vp8' } : { type: 'audio', codec: 'opus' },
      );
      // Finished with its duration, which is the media time the recorder wrote (at least most of the 20 s).
      expect(probed.duration, f.file).toBeGreaterThan(10);
      expect(Math.abs(probed.duration! - f.durationMs / 1000), f.file).toBeLessThanOrEqual(1);
      // Decoded with the file's own frame times: a browser's can repeat at millisecond resolution, and the
      // recorder then writes the later frame 1 ms on, which ffmpeg's default constant-rate null output
      // reports as non-monotonic although the file is correct (see track-recording.test.ts).
      expect(decode(f.file, undefined, { passthrough: true }).errors, f.file).toBe('');
      if (f.track === 'video') expect(lumaSpread(f.file, probed.duration! / 2), f.file).toBeGreaterThan(8);
      else expect(maxVolume(f.file), f.file).toBeGreaterThan(-30);
    }
  });
});
