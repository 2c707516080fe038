import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CODEC_PREFERENCE,
  chooseCodec,
  h264CodecString,
  videoCodecOf,
  videoDecoderConfig,
  videoEncoderConfig,
} from '../../../src/codec/codec-support.js';

const ALL = ['vp8', 'vp9', 'av1', 'h264'] as const;

describe('codec names and WebCodecs strings', () => {
  it('tells video codecs from Opus', () => {
    for (const name of ALL) expect(videoCodecOf(name)).toBe(name);
    expect(videoCodecOf('opus')).toBeNull();
  });

  it('uses the WebCodecs strings headless Chromium accepts, H.264 in annex B', () => {
    const strings = ['vp8', 'vp09.00.10.08', 'av01.0.04M.08', 'avc1.42E01F'];
    expect(ALL.map((name) => videoDecoderConfig(name).codec)).toEqual(strings);
    const settings = { width: 640, height: 360, framerate: 30, bitrate: 500_000 };
    expect(ALL.map((name) => videoEncoderConfig(name, settings).codec)).toEqual(strings);
    const h264 = videoEncoderConfig('h264', { width: 640, height: 360, framerate: 30, bitrate: 500_000 });
    expect(h264.avc).toEqual({ format: 'annexb' });
    expect(h264.latencyMode).toBe('realtime');
    expect(videoEncoderConfig('vp8', { width: 640, height: 360, framerate: 30, bitrate: 500_000 }).avc).toBeUndefined();
    expect(videoDecoderConfig('h264').description).toBeUndefined();
  });
});

describe('H.264 level by frame size', () => {
  it('keeps level 3.1 up to 1280×720 at 30 fps and rises for larger frames (screen shares)', () => {
    expect(h264CodecString(320, 180)).toBe('avc1.42E01F');
    expect(h264CodecString(1280, 720, 30)).toBe('avc1.42E01F');
    // 1280×800 is 4000 macroblocks: above 3.1's 3600.
    expect(h264CodecString(1280, 800, 15)).toBe('avc1.42E028');
    expect(h264CodecString(1920, 1080, 30)).toBe('avc1.42E028');
    expect(h264CodecString(1920, 1080, 60)).toBe('avc1.42E033');
    expect(h264CodecString(2560, 1600, 15)).toBe('avc1.42E033');
    expect(h264CodecString(3840, 2160, 30)).toBe('avc1.42E033');
    expect(h264CodecString(3840, 2160, 60)).toBe('avc1.42E034');
    // Beyond every level: the highest, and the encoder decides.
    expect(h264CodecString(7680, 4320, 30)).toBe('avc1.42E034');
  });

  it('configures encoders and sized decoders with the level of their frames', () => {
    const settings = { width: 1920, height: 1080, framerate: 15, bitrate: 2_000_000 };
    expect(videoEncoderConfig('h264', settings).codec).toBe('avc1.42E028');
    expect(videoDecoderConfig('h264', { width: 1920, height: 1080 }).codec).toBe('avc1.42E028');
    expect(videoEncoderConfig('vp9', settings).codec).toBe('vp09.00.10.08');
  });
});

describe('chooseCodec', () => {
  it('takes the most preferred codec everyone can decode', () => {
    const first = DEFAULT_CODEC_PREFERENCE[0]!;
    expect(chooseCodec(ALL, [ALL, ALL])).toEqual({ codec: first, everyoneCanDecode: true, undecodableBy: [] });
    expect(
      chooseCodec(ALL, [
        ['vp9', 'av1'],
        ['av1', 'vp9', 'vp8'],
      ]).codec,
    ).toBe('vp9');
    expect(chooseCodec(ALL, [['av1'], ['av1', 'h264']]).codec).toBe('av1');
  });

  it('only offers what this browser can encode', () => {
    expect(chooseCodec(['vp8'], [ALL]).codec).toBe('vp8');
    expect(chooseCodec(['h264', 'av1'], [['vp8', 'av1']]).codec).toBe('av1');
  });

  it('puts a preferred codec first, and accepts a whole order', () => {
    expect(chooseCodec(ALL, [ALL], 'av1').codec).toBe('av1');
    expect(chooseCodec(ALL, [['vp8', 'vp9']], 'av1').codec).toBe(
      DEFAULT_CODEC_PREFERENCE.find((c) => c === 'vp8' || c === 'vp9'),
    );
    expect(chooseCodec(ALL, [ALL], ['h264', 'vp8']).codec).toBe('h264');
  });

  it('with no peers, sends the most preferred codec it can encode', () => {
    expect(chooseCodec(['av1', 'vp8'], []).codec).toBe(
      DEFAULT_CODEC_PREFERENCE.find((c) => c === 'av1' || c === 'vp8'),
    );
  });

  it('when no codec suits everyone, serves the most peers and says who is left out', () => {
    const choice = chooseCodec(ALL, [['vp8'], ['vp8'], ['h264']]);
    expect(choice).toEqual({ codec: 'vp8', everyoneCanDecode: false, undecodableBy: [2] });
  });

  it('falls back to VP8 and reports it when this browser can encode nothing known', () => {
    expect(chooseCodec([], [['vp9'], ['vp8']])).toEqual({ codec: 'vp8', everyoneCanDecode: false, undecodableBy: [0] });
  });
});
