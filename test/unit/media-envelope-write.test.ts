import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeMediaEnvelope } from '../../src/call/media-envelope-write.js';
import { codecToWire, mediaFrameHeader, mediaKindToWire } from '../../src/call/media-frame-wire.js';
import type { CodecName, EncodedMedia, MediaKind } from '../../src/codec/encoded-media.js';
import { Codec, decodeEnvelope, encodeEnvelope, TrackKind } from '../../src/protocol/envelope.js';

/** Media as any pipeline of ours may hand it to be sent. */
const media: fc.Arbitrary<EncodedMedia> = fc.record(
  {
    kind: fc.constantFrom<MediaKind>('audio', 'video', 'screen', 'screen-audio'),
    codec: fc.constantFrom<CodecName>('opus', 'vp8', 'vp9', 'av1', 'h264'),
    keyframe: fc.boolean(),
    timestamp: fc.maxSafeNat(),
    sequence: fc.nat({ max: 0xffffffff }),
    data: fc.uint8Array({ minLength: 0, maxLength: 300 }),
    audioLevel: fc.nat({ max: 127 }),
    layer: fc.nat({ max: 3 }),
    width: fc.nat({ max: 4096 }),
    height: fc.nat({ max: 4096 }),
    // Wall-clock ms with a fraction, as the pipelines stamp them.
    captureTime: fc.double({ min: 1, max: 4e12, noNaN: true }),
    temporalLayer: fc.nat({ max: 1 }),
    referenceDistance: fc.nat({ max: 8 }),
  },
  { requiredKeys: ['kind', 'codec', 'keyframe', 'timestamp', 'data'] },
);

describe('writeMediaEnvelope: a media envelope written without the protocol codec', () => {
  it('writes the bytes the real codec writes for the same header and payload', () => {
    fc.assert(
      fc.property(media, fc.double({ min: -1e6, max: 1e6, noNaN: true }), (m, offsetMs) => {
        const header = mediaFrameHeader(m, offsetMs);
        const written = writeMediaEnvelope(header, m.data);
        expect([...written]).toEqual([...encodeEnvelope({ media: { ...header, payload: m.data } })]);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back as the frame it was written from', () => {
    const header = mediaFrameHeader(
      {
        kind: 'audio',
        codec: 'opus',
        keyframe: true,
        timestamp: 123_456,
        sequence: 7,
        data: new Uint8Array([1, 2, 3]),
        audioLevel: 30,
        captureTime: 1_700_000_000_000.25,
      },
      12.5,
    );
    const env = decodeEnvelope(writeMediaEnvelope(header, new Uint8Array([1, 2, 3])));
    expect(env.body).toBe('media');
    expect(env.media!.kind).toBe(TrackKind.AUDIO);
    expect(env.media!.codec).toBe(Codec.OPUS);
    expect(Number(env.media!.timestamp)).toBe(123_456);
    expect(env.media!.sequence).toBe(7);
    expect(env.media!.audioLevel).toBe(30);
    expect(Number(env.media!.captureTime)).toBe(Math.round((1_700_000_000_000.25 + 12.5) * 1000));
    expect([...env.media!.payload!]).toEqual([1, 2, 3]);
  });

  it("names kinds and codecs with the generated protocol's values", () => {
    expect(mediaKindToWire('audio')).toBe(TrackKind.AUDIO);
    expect(mediaKindToWire('video')).toBe(TrackKind.VIDEO);
    expect(mediaKindToWire('screen')).toBe(TrackKind.SCREEN);
    expect(mediaKindToWire('screen-audio')).toBe(TrackKind.SCREEN_AUDIO);
    expect(codecToWire('opus')).toBe(Codec.OPUS);
    expect(codecToWire('vp8')).toBe(Codec.VP8);
    expect(codecToWire('vp9')).toBe(Codec.VP9);
    expect(codecToWire('av1')).toBe(Codec.AV1);
    expect(codecToWire('h264')).toBe(Codec.H264);
  });
});
