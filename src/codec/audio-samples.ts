/** Small conversions of PCM shared by the audio encode and decode pipelines. */

/** The audio as one mono channel (the mean of its channels), as float samples. */
export function toMono(data: AudioData): Float32Array<ArrayBuffer> {
  const frames = data.numberOfFrames;
  const channels = data.numberOfChannels;
  const mono = new Float32Array(frames);
  if (channels === 1) {
    data.copyTo(mono, { planeIndex: 0, format: 'f32-planar' });
    return mono;
  }
  const plane = new Float32Array(frames);
  for (let c = 0; c < channels; c++) {
    data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
    for (let i = 0; i < frames; i++) mono[i] = mono[i]! + plane[i]! / channels;
  }
  return mono;
}

/**
 * Linear resampling of one block. Good enough for a rare fallback (a decoder
 * that ignores the configured rate); the normal path never resamples.
 */
export function resampleLinear(input: Float32Array, from: number, to: number): Float32Array<ArrayBuffer> {
  const length = Math.round((input.length * to) / from);
  const out = new Float32Array(length);
  const step = from / to;
  for (let i = 0; i < length; i++) {
    const x = i * step;
    const i0 = Math.min(input.length - 1, Math.floor(x));
    const i1 = Math.min(input.length - 1, i0 + 1);
    const frac = x - i0;
    out[i] = input[i0]! * (1 - frac) + input[i1]! * frac;
  }
  return out;
}
