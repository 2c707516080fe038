import { describe, expect, it } from 'vitest';
import { simulcastLayerSizes } from '../../../src/codec/simulcast-layers.js';

const sizes = (w: number, h: number, maxW = 1280, maxH = 720) =>
  simulcastLayerSizes(w, h, maxW, maxH).map((l) => `${l.width}x${l.height}`);

describe('simulcastLayerSizes', () => {
  it('sends 720p, 360p and 180p from a 720p camera, largest first', () => {
    expect(sizes(1280, 720)).toEqual(['1280x720', '640x360', '320x180']);
  });

  it('caps the top layer at the largest size asked for (a 1080p camera still sends 720p at most)', () => {
    expect(sizes(1920, 1080)).toEqual(['1280x720', '640x360', '320x180']);
    expect(sizes(1280, 720, 640, 360)).toEqual(['640x360', '320x180']);
  });

  it('never upscales: a 360p camera gives 360p and 180p, a 180p camera one layer', () => {
    expect(sizes(640, 360)).toEqual(['640x360', '320x180']);
    expect(sizes(320, 180)).toEqual(['320x180']);
  });

  it('keeps the camera aspect ratio, with even sides, and skips a layer hardly smaller than the one above', () => {
    expect(sizes(640, 480)).toEqual(['640x480', '480x360', '240x180']);
    // 240p: 180p would be 75 % of it: still kept; 200p: 180p is 90 %: not worth an encoder.
    expect(sizes(426, 240)).toEqual(['426x240', '318x180']);
    expect(sizes(356, 200)).toEqual(['356x200']);
  });
});
