/** Shared helpers of the media browser tests. */
import type { EncodedMedia } from '../../../src/codec/encoded-media.js';

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (condition()) return true;
    await sleep(20);
  }
  return condition();
}

/** Luma samples of a canvas on a coarse grid (enough to tell a picture from a blank one). */
export function lumaGrid(canvas: HTMLCanvasElement, step = 16): number[] {
  const ctx = canvas.getContext('2d')!;
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const luma: number[] = [];
  for (let y = 0; y < canvas.height; y += step) {
    for (let x = 0; x < canvas.width; x += step) {
      const i = (y * canvas.width + x) * 4;
      luma.push(0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!);
    }
  }
  return luma;
}

export function standardDeviation(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

export function meanAbsDifference(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/**
 * Real Opus packets from the browser's own encoder: `count` × 20 ms of a 440 Hz
 * tone at `amplitude`, numbered from 0, timestamps in µs from 0.
 */
export async function opusPackets(count: number, amplitude = 0.3): Promise<EncodedMedia[]> {
  const packets: EncodedMedia[] = [];
  const encoder = new AudioEncoder({
    output: (chunk) => {
      const data = new Uint8Array(chunk.byteLength);
      chunk.copyTo(data);
      packets.push({
        kind: 'audio',
        codec: 'opus',
        keyframe: true,
        timestamp: chunk.timestamp,
        sequence: packets.length,
        data,
      });
    },
    error: (e) => {
      throw e;
    },
  });
  encoder.configure({ codec: 'opus', sampleRate: 48_000, numberOfChannels: 1, bitrate: 32_000 });
  const samples = 960;
  for (let i = 0; i < count; i++) {
    const pcm = new Float32Array(samples);
    for (let s = 0; s < samples; s++) pcm[s] = amplitude * Math.sin((2 * Math.PI * 440 * (i * samples + s)) / 48_000);
    const data = new AudioData({
      format: 'f32',
      sampleRate: 48_000,
      numberOfFrames: samples,
      numberOfChannels: 1,
      timestamp: (i * samples * 1e6) / 48_000,
      data: pcm,
    });
    encoder.encode(data);
    data.close();
  }
  await encoder.flush();
  encoder.close();
  return packets;
}
