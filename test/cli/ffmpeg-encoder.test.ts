// `stream`'s encoder with Debian's real ffmpeg: a keyframe on request (by a fresh
// encoder process) arrives within a few frames although the interval is a minute,
// the frames before and after it decode as one stream, requests in a burst cost one
// keyframe, and stopping leaves no ffmpeg behind.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedMedia } from '../../src/codec/encoded-media.js';
import { FfmpegEncoder, MIN_KEYFRAME_GAP_MS } from '../../cli/media/ffmpeg-encoder.js';
import type { EncodeSettings } from '../../cli/media/ffmpeg-args.js';
import { decode } from './media-files.js';

type Video = EncodedMedia;

const FPS = 15;
const settings = (codec: EncodeSettings['codec']): EncodeSettings => ({
  video: { kind: 'test-pattern' },
  audio: { kind: 'none' },
  codec,
  width: 320,
  height: 180,
  fps: FPS,
  bitrate: 300_000,
  // A minute: every keyframe after the first in these tests is one that was asked for.
  keyframeInterval: 60 * FPS,
  audioBitrate: 32_000,
});

/** Frames as an IVF file (32-byte header, 12-byte frame headers), for ffmpeg to decode. */
function ivf(frames: Video[], fourcc: string): Uint8Array {
  const size = frames.reduce((n, f) => n + 12 + f.data.length, 32);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set([...'DKIF'].map((c) => c.charCodeAt(0)));
  view.setUint16(6, 32, true);
  out.set(
    [...fourcc].map((c) => c.charCodeAt(0)),
    8,
  );
  view.setUint16(12, 320, true);
  view.setUint16(14, 180, true);
  view.setUint32(16, 1_000_000, true);
  view.setUint32(20, 1, true);
  view.setUint32(24, frames.length, true);
  let at = 32;
  for (const f of frames) {
    view.setUint32(at, f.data.length, true);
    view.setUint32(at + 4, f.timestamp, true);
    out.set(f.data, at + 12);
    at += 12 + f.data.length;
  }
  return out;
}

/** Child processes of this test process running ffmpeg: their command lines. */
function ffmpegChildren(): string[] {
  let children: string[];
  try {
    children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
  return children.flatMap((pid) => {
    try {
      const cmdline = pid === '' ? '' : readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      return cmdline.includes('ffmpeg') ? [`${pid}: ${cmdline.slice(0, 120)}`] : [];
    } catch {
      return []; // gone meanwhile
    }
  });
}

describe('the stream encoder: keyframes on request from real ffmpeg', { timeout: 60_000 }, () => {
  let dir: string;
  let encoder: FfmpegEncoder | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vc-encoder-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => encoder?.stop());

  /** Starts an encoder and collects its video frames; `until` is polled every 20 ms, bounded by `timeoutMs`. */
  function run(codec: EncodeSettings['codec']): {
    frames: Video[];
    waitFor: (what: string, until: () => boolean, timeoutMs?: number) => Promise<void>;
  } {
    const frames: Video[] = [];
    let failure: Error | null = null;
    encoder = new FfmpegEncoder(settings(codec), {
      media: (m) => {
        if (m.kind === 'video') frames.push(m);
      },
      ended: (error) => (failure = error ?? new Error('the source ended')),
    });
    encoder.start();
    const waitFor = async (what: string, until: () => boolean, timeoutMs = 20_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!until()) {
        if (failure) throw failure;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    return { frames, waitFor };
  }

  for (const [codec, fourcc] of [
    ['vp8', 'VP80'],
    ['vp9', 'VP90'],
  ] as const) {
    it(`${codec}: a keyframe a few frames after the request, and one stream that decodes cleanly across it`, async () => {
      const { frames, waitFor } = run(codec);
      await waitFor('20 frames', () => frames.length >= 20);
      const askedAt = frames.length;
      const askedMs = performance.now();
      encoder!.requestKeyframe();
      await waitFor('a second keyframe', () => frames.filter((f) => f.keyframe).length >= 2);
      console.log(
        `[encoder] ${codec}: the requested keyframe came ${Math.round(performance.now() - askedMs)} ms later`,
      );
      await waitFor('10 frames after it', () => frames.length >= frames.findLastIndex((f) => f.keyframe) + 10);
      encoder!.stop();

      const keys = frames.flatMap((f, i) => (f.keyframe ? [i] : []));
      expect(keys[0]).toBe(0);
      expect(keys).toHaveLength(2);
      // The new encoder starts on the next raw frame: the keyframe follows the request closely.
      expect(keys[1]! - askedAt).toBeLessThanOrEqual(FPS);
      expect(encoder!.stats.keyframesOnRequest).toBe(1);
      // In order, contiguous, and timed by the source's constant rate.
      expect(frames.map((f) => f.sequence)).toEqual(frames.map((_, i) => i));
      for (let i = 1; i < frames.length; i++) expect(frames[i]!.timestamp).toBeGreaterThan(frames[i - 1]!.timestamp);
      expect(frames[1]!.timestamp - frames[0]!.timestamp).toBe(Math.round(1e6 / FPS));

      const file = join(dir, `${codec}.ivf`);
      writeFileSync(file, ivf(frames, fourcc));
      const decoded = decode(file, undefined, { passthrough: true });
      expect(decoded.errors).toBe('');
      expect(decoded.frames).toBe(frames.length);
    });
  }

  it('h264: the requested keyframe carries SPS and PPS, like the first', async () => {
    const { frames, waitFor } = run('h264');
    await waitFor('10 frames', () => frames.length >= 10);
    encoder!.requestKeyframe();
    await waitFor('a second keyframe', () => frames.filter((f) => f.keyframe).length >= 2);
    const second = frames.filter((f) => f.keyframe)[1]!;
    // Annex B: a start code, then an SPS (NAL type 7) first.
    expect([...second.data.subarray(0, 4)]).toEqual([0, 0, 0, 1]);
    expect(second.data[4]! & 0x1f).toBe(7);
  });

  it(`a burst of requests costs one keyframe; one within ${MIN_KEYFRAME_GAP_MS} ms of it waits for the gap`, async () => {
    const { frames, waitFor } = run('vp8');
    await waitFor('10 frames', () => frames.length >= 10);
    for (let i = 0; i < 5; i++) encoder!.requestKeyframe();
    await waitFor('the requested keyframe', () => frames.filter((f) => f.keyframe).length >= 2);
    const firstAt = performance.now();
    expect(encoder!.stats.keyframesOnRequest).toBe(1);
    encoder!.requestKeyframe();
    await waitFor('the next requested keyframe', () => frames.filter((f) => f.keyframe).length >= 3);
    expect(performance.now() - firstAt).toBeGreaterThanOrEqual(MIN_KEYFRAME_GAP_MS - 50);
    expect(encoder!.stats.keyframesOnRequest).toBe(2);
  });

  it('stopping ends the source and every encoder process', async () => {
    const { frames, waitFor } = run('vp8');
    await waitFor('10 frames', () => frames.length >= 10);
    encoder!.requestKeyframe();
    encoder!.stop();
    await waitFor('no ffmpeg left', () => ffmpegChildren().length === 0, 5000).catch((error: Error) => {
      throw new Error(`${error.message}: ${ffmpegChildren().join('; ')}`);
    });
  });
});
