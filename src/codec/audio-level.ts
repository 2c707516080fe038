/**
 * Audio level as RFC 6464 carries it: 0 (loudest, 0 dBov) to 127 (silence),
 * in -dBov. 0 dBov is a full-scale signal (RMS of ±1.0 samples = 1), the
 * convention WebRTC uses for its level header extension.
 */

/** The RFC 6464 level of mono PCM (samples in −1..1). */
export function audioLevel(pcm: Float32Array, from = 0, to = pcm.length): number {
  const n = to - from;
  if (n <= 0) return 127;
  let energy = 0;
  for (let i = from; i < to; i++) energy += pcm[i]! * pcm[i]!;
  return levelFromRms(Math.sqrt(energy / n));
}

/** The RFC 6464 level of an RMS amplitude (0..1). */
export function levelFromRms(rms: number): number {
  if (!(rms > 0)) return 127;
  const dbov = 20 * Math.log10(Math.min(1, rms));
  return Math.min(127, Math.max(0, Math.round(-dbov)));
}
