// The container readers of videocall-cli on what Debian's ffmpeg really writes, fed in
// arbitrary pipe-sized pieces: every frame comes out whole, with the right keyframe flags.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlvH264Reader } from '../../cli/media/flv-h264-reader.js';
import { isVp8Keyframe, isVp9Keyframe, IvfReader } from '../../cli/media/ivf-reader.js';
import { OggOpusReader } from '../../cli/media/ogg-opus-reader.js';
import { PcmLevels } from '../../cli/media/pcm-levels.js';

/** `bytes` cut into pieces of pseudo-random sizes from 1 byte up to 4 kB. */
function pieces(bytes: Uint8Array, seed = 7): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  let x = seed;
  while (at < bytes.length) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (x % 4096);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

const FRAMES = 20;
const GOP = 8;

describe('container readers on real ffmpeg output', { timeout: 60_000 }, () => {
  let dir: string;
  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
  const pattern = ['-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=30`, '-frames:v', String(FRAMES)];
  const gop = ['-g', String(GOP), '-keyint_min', String(GOP)];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vc-containers-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('IVF: every VP8 and VP9 frame, keyframes every GOP, timestamps at 30 fps', () => {
    for (const [codec, isKey] of [
      ['libvpx', isVp8Keyframe],
      ['libvpx-vp9', isVp9Keyframe],
    ] as const) {
      const file = join(dir, `${codec}.ivf`);
      ffmpeg(...pattern, '-c:v', codec, '-deadline', 'realtime', '-lag-in-frames', '0', '-threads', '1', ...gop, file);
      const reader = new IvfReader();
      const frames = pieces(readFileSync(file)).flatMap((p) => reader.push(p));
      expect(frames.length).toBe(FRAMES);
      const keys = frames.flatMap((f, i) => (isKey(f.data) ? [i] : []));
      expect(keys).toEqual([0, 8, 16]);
      expect(frames[3]!.timestampUs).toBe(100_000);
    }
  });

  it('FLV: H.264 access units in annex B, SPS and PPS before each keyframe', () => {
    const file = join(dir, 'h264.flv');
    ffmpeg(...pattern, '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-bf', '0', ...gop, file);
    const reader = new FlvH264Reader();
    const units = pieces(readFileSync(file)).flatMap((p) => reader.push(p));
    expect(units.length).toBe(FRAMES);
    expect(units.flatMap((u, i) => (u.keyframe ? [i] : []))).toEqual([0, 8, 16]);
    const nalTypes = (data: Uint8Array) => {
      const types: number[] = [];
      for (let i = 0; i + 4 < data.length; i++)
        if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 0 && data[i + 3] === 1)
          types.push(data[i + 4]! & 0x1f);
      return types;
    };
    expect(units[0]!.data.subarray(0, 4)).toEqual(Uint8Array.of(0, 0, 0, 1));
    expect(nalTypes(units[0]!.data).slice(0, 2)).toEqual([7, 8]); // SPS, PPS
    expect(nalTypes(units[0]!.data)).toContain(5); // an IDR slice
    expect(nalTypes(units[1]!.data)).not.toContain(7);
  });

  it('Ogg: every 20 ms Opus packet, headers skipped; PCM levels follow the tone', () => {
    const ogg = join(dir, 'tone.ogg');
    const pcm = join(dir, 'tone.pcm');
    const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '1', '-ac', '1', '-ar', '48000'];
    ffmpeg(...tone, '-c:a', 'libopus', '-frame_duration', '20', '-page_duration', '20000', ogg);
    ffmpeg(...tone, '-f', 's16le', pcm);
    const reader = new OggOpusReader();
    const packets = pieces(readFileSync(ogg)).flatMap((p) => reader.push(p));
    // One second of audio plus the encoder's pre-skip: 50 or 51 packets of 960 samples.
    expect(packets.length).toBeGreaterThanOrEqual(50);
    expect(packets.length).toBeLessThanOrEqual(51);
    expect(packets.every((p) => p.samples === 960)).toBe(true);
    const levels = new PcmLevels();
    for (const p of pieces(readFileSync(pcm), 3)) levels.push(p);
    // ffmpeg's sine has amplitude 1/8: RMS 0.088, -21 dBov.
    expect(levels.next(960)).toBe(21);
    expect(levels.next(960)).toBe(21);
  });
});
