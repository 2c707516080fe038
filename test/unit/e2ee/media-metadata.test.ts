import { describe, expect, it } from 'vitest';
import { E2eeError } from '../../../src/e2ee/errors.js';
import { mediaFrameMetadata, type MediaFrameFields } from '../../../src/e2ee/media-metadata.js';
import { toHex } from './helpers.js';

const frame: Required<{ [K in keyof MediaFrameFields]: NonNullable<MediaFrameFields[K]> }> = {
  kind: 2,
  codec: 3,
  keyframe: true,
  audioLevel: 127,
  sequence: 0x01020304,
  timestamp: 0x0102030405,
  layer: 1,
  width: 1280,
  height: 720,
  captureTime: 0x0708090a0b0c,
  temporalLayer: 1,
};

describe('mediaFrameMetadata', () => {
  it('lays the routing header out byte by byte as documented', () => {
    expect(toHex(mediaFrameMetadata('ab', frame))).toBe(
      '02' +
        '02' +
        '03' +
        '01' +
        '7f' +
        '01020304' +
        '0000000102030405' +
        '00000001' +
        '00000500' +
        '000002d0' +
        '00000708090a0b0c' +
        '01' +
        '02' +
        '6162',
    );
  });

  it('treats missing fields as protobuf does: zero or false', () => {
    expect(mediaFrameMetadata('s', {})).toEqual(
      mediaFrameMetadata('s', {
        kind: 0,
        codec: 0,
        keyframe: false,
        audioLevel: 0,
        sequence: 0,
        timestamp: 0,
        layer: 0,
        width: 0,
        height: 0,
        captureTime: 0,
        temporalLayer: 0,
      }),
    );
    expect(mediaFrameMetadata('s', { kind: null, timestamp: null })).toEqual(mediaFrameMetadata('s', {}));
  });

  it('differs when any field or the sender differs', () => {
    const base = toHex(mediaFrameMetadata('peer-1', frame));
    const changes: MediaFrameFields[] = [
      { kind: 1 },
      { codec: 2 },
      { keyframe: false },
      { audioLevel: 126 },
      { sequence: frame.sequence + 1 },
      { timestamp: frame.timestamp + 1 },
      { layer: 0 },
      { width: 640 },
      { height: 360 },
      { captureTime: frame.captureTime + 1 },
      { temporalLayer: 0 },
    ];
    for (const change of changes) expect(toHex(mediaFrameMetadata('peer-1', { ...frame, ...change }))).not.toBe(base);
    expect(toHex(mediaFrameMetadata('peer-2', frame))).not.toBe(base);
    // Length-prefixed: the sender id cannot run into another field.
    expect(toHex(mediaFrameMetadata('peer-10', frame))).not.toBe(base);
  });

  it('refuses values outside their wire ranges and unusable sender ids', () => {
    const bad: [string, MediaFrameFields][] = [
      ['s', { kind: 256 }],
      ['s', { codec: -1 }],
      ['s', { audioLevel: 1.5 }],
      ['s', { sequence: 2 ** 32 }],
      ['s', { timestamp: -1 }],
      ['s', { timestamp: 2 ** 53 }],
      ['s', { width: Number.NaN }],
      ['', {}],
      ['x'.repeat(256), {}],
    ];
    for (const [sender, fields] of bad) {
      expect(() => mediaFrameMetadata(sender, fields), JSON.stringify(fields)).toThrow(E2eeError);
    }
  });
});
