import { describe, expect, it } from 'vitest';
import { audioLevel, levelFromRms } from '../../../src/codec/audio-level.js';

describe('audioLevel (RFC 6464, -dBov)', () => {
  it('gives 127 for digital silence and 0 for full scale', () => {
    expect(audioLevel(new Float32Array(960))).toBe(127);
    expect(audioLevel(new Float32Array(960).fill(1))).toBe(0);
    expect(audioLevel(new Float32Array(960).fill(-1))).toBe(0);
  });

  it('measures a sine by its RMS: a full-scale sine is -3 dBov', () => {
    const sine = new Float32Array(960).map((_, i) => Math.sin((2 * Math.PI * 1000 * i) / 48000));
    expect(audioLevel(sine)).toBe(3);
    const quiet = sine.map((s) => s * 0.01); // -40 dB more
    expect(audioLevel(quiet)).toBe(43);
  });

  it('clamps very quiet signals to 127 and reads an RMS amplitude in -dBov', () => {
    expect(levelFromRms(1e-9)).toBe(127);
    expect(levelFromRms(0)).toBe(127);
    expect(levelFromRms(10 ** (-30 / 20))).toBe(30);
  });
});
