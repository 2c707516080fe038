import { describe, expect, it } from 'vitest';
import { encodeSize, videoBitrate } from '../../../src/codec/video-bitrate.js';

describe('videoBitrate', () => {
  it('gives the usual figures for common sizes at 30 fps', () => {
    expect(videoBitrate(1280, 720, 30)).toBe(1_300_000);
    expect(videoBitrate(640, 360, 30)).toBeGreaterThanOrEqual(500_000);
    expect(videoBitrate(640, 360, 30)).toBeLessThanOrEqual(600_000);
    expect(videoBitrate(1920, 1080, 30)).toBeGreaterThan(2_000_000);
  });

  it('grows with pixels and frame rate, less than linearly, within bounds', () => {
    expect(videoBitrate(1280, 720, 15)).toBeLessThan(videoBitrate(1280, 720, 30));
    expect(videoBitrate(1280, 720, 15)).toBeGreaterThan(videoBitrate(1280, 720, 30) / 2);
    expect(videoBitrate(16, 16, 1)).toBe(80_000);
    expect(videoBitrate(7680, 4320, 60)).toBe(4_000_000);
  });
});

describe('encodeSize', () => {
  it('keeps sizes that fit, and scales larger ones down keeping the aspect ratio', () => {
    expect(encodeSize(1280, 720, 1280, 720)).toEqual({ width: 1280, height: 720 });
    expect(encodeSize(3840, 2160, 1920, 1080)).toEqual({ width: 1920, height: 1080 });
    expect(encodeSize(1280, 720, 640, 640)).toEqual({ width: 640, height: 360 });
    expect(encodeSize(720, 1280, 1280, 720)).toEqual({ width: 404, height: 720 }); // portrait phone
  });

  it('rounds both sides down to even numbers', () => {
    expect(encodeSize(641, 359, 2000, 2000)).toEqual({ width: 640, height: 358 });
  });
});
