/**
 * Short VP8 clips of one flat colour each, encoded by Debian's ffmpeg, for
 * simulated publishers (cli/sim `clips`) whose tiles a test tells apart by
 * colour: a picture per face, decoded by the page like any camera.
 */
import { spawn } from 'node:child_process';
import { Codec } from '../../src/protocol/index.js';
import { IvfReader, isVp8Keyframe } from '../../cli/media/ivf-reader.js';
import type { SimClip, SimLayer } from '../../cli/sim/index.js';

export type Rgb = readonly [number, number, number];

/**
 * `count` colours far apart (each channel 0, 128 or 255, no greys, so two
 * differ by at least 128 in some channel): any two tiles are told apart after
 * compression, and none is the black of a tile without a picture.
 */
export function distinctColours(count: number): Rgb[] {
  const levels = [0, 128, 255];
  const out: Rgb[] = [];
  for (const r of levels)
    for (const g of levels) for (const b of levels) if (!(r === g && g === b)) out.push([r, g, b]);
  if (count > out.length) throw new RangeError(`at most ${out.length} distinct colours`);
  return out.slice(0, count);
}

/** The one layer the clips are: 320×180 at 15 fps. */
export const CLIP_LAYER: SimLayer = {
  width: 320,
  height: 180,
  fps: 15,
  deltaBytes: 100,
  keyframeBytes: 1000,
  bitrate: 150_000,
};

/** Encodes `frames` frames of `colour` as VP8 (a keyframe first, then deltas), at {@link CLIP_LAYER}'s size and rate. */
export async function colourClip(colour: Rgb, frames = 30, timeoutMs = 30_000): Promise<SimClip> {
  const hex = colour.map((c) => c.toString(16).padStart(2, '0')).join('');
  const { width, height, fps } = CLIP_LAYER;
  const args = [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi'],
    ...['-i', `color=c=0x${hex}:s=${width}x${height}:r=${fps}`],
    ...['-frames:v', String(frames), '-c:v', 'libvpx', '-b:v', '150k', '-g', String(frames)],
    ...['-deadline', 'realtime', '-f', 'ivf', 'pipe:1'],
  ];
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const reader = new IvfReader();
  const out: SimClip['frames'][number][] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    for (const f of reader.push(chunk)) out.push({ data: f.data, keyframe: isVp8Keyframe(f.data) });
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ffmpeg took over ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  if (code !== 0 || out.length === 0 || !out[0]!.keyframe) throw new Error(`ffmpeg failed (${code}): ${stderr}`);
  return { codec: Codec.VP8, frames: out };
}
