import { describe, expect, it } from 'vitest';
import type { VideoCodecName } from '../../src/codec/codec-support.js';
import type { EncodedMedia } from '../../src/codec/encoded-media.js';
import { Codec, decodeEnvelope, encodeEnvelope, TrackKind } from '../../src/protocol/envelope.js';
import {
  codecFromWire,
  codecToWire,
  encodedMediaOf,
  mediaFrameHeader,
  mediaKindFromWire,
  mediaKindToWire,
  videoCodecFromWire,
} from '../../src/call/media-frame-wire.js';

const VIDEO: readonly VideoCodecName[] = ['vp8', 'vp9', 'av1', 'h264'];

describe('wire enums ⇄ media names', () => {
  it('maps every codec to its protocol value and back', () => {
    expect(VIDEO.map(codecToWire)).toEqual([Codec.VP8, Codec.VP9, Codec.AV1, Codec.H264]);
    expect(codecToWire('opus')).toBe(Codec.OPUS);
    for (const name of [...VIDEO, 'opus'] as const) expect(codecFromWire(codecToWire(name))).toBe(name);
    expect(codecFromWire(Codec.CODEC_UNSPECIFIED)).toBeNull();
    expect(codecFromWire(undefined)).toBeNull();
    expect(codecFromWire(99)).toBeNull();
  });

  it('reads only video codecs from a decoder list', () => {
    for (const name of VIDEO) expect(videoCodecFromWire(codecToWire(name))).toBe(name);
    expect(videoCodecFromWire(Codec.OPUS)).toBeNull();
    expect(videoCodecFromWire(99)).toBeNull();
  });

  it('maps audio, video, screen and screen audio to their track kinds and back; unset has no kind', () => {
    expect(mediaKindToWire('audio')).toBe(TrackKind.AUDIO);
    expect(mediaKindToWire('video')).toBe(TrackKind.VIDEO);
    expect(mediaKindToWire('screen')).toBe(TrackKind.SCREEN);
    expect(mediaKindToWire('screen-audio')).toBe(TrackKind.SCREEN_AUDIO);
    expect(mediaKindFromWire(TrackKind.AUDIO)).toBe('audio');
    expect(mediaKindFromWire(TrackKind.VIDEO)).toBe('video');
    expect(mediaKindFromWire(TrackKind.SCREEN)).toBe('screen');
    expect(mediaKindFromWire(TrackKind.SCREEN_AUDIO)).toBe('screen-audio');
    expect(mediaKindFromWire(TrackKind.TRACK_KIND_UNSPECIFIED)).toBeNull();
    expect(mediaKindFromWire(null)).toBeNull();
  });
});

describe('MediaFrame ⇄ EncodedMedia', () => {
  const video: EncodedMedia = {
    kind: 'video',
    codec: 'vp9',
    keyframe: true,
    timestamp: 1_000_000,
    sequence: 7,
    layer: 1,
    data: Uint8Array.of(1, 2, 3),
    width: 1280,
    height: 720,
    temporalLayer: 1,
    referenceDistance: 1,
  };

  it('writes every header field, with wire enums and defaults for what the media leaves out', () => {
    expect(mediaFrameHeader(video)).toEqual({
      kind: TrackKind.VIDEO,
      sequence: 7,
      timestamp: 1_000_000,
      keyframe: true,
      codec: Codec.VP9,
      audioLevel: 127,
      layer: 1, // the simulcast layer, authenticated with the rest under E2EE
      width: 1280,
      height: 720,
      captureTime: 0, // unknown
      temporalLayer: 1,
      referenceDistance: 1, // depends on the frame just before
    });
    const audio = mediaFrameHeader({
      kind: 'audio',
      codec: 'opus',
      keyframe: true,
      timestamp: 20_000,
      data: video.data,
      audioLevel: 30,
    });
    expect(audio).toMatchObject({
      kind: TrackKind.AUDIO,
      codec: Codec.OPUS,
      sequence: 0,
      audioLevel: 30,
      layer: 0,
      width: 0,
      height: 0,
    });
  });

  it("carries the capture time on the relay's clock, and brings it onto the receiver's", () => {
    // Sender's clock 1 s behind the relay's; receiver's 2 s ahead of it.
    const captured = { ...video, captureTime: 1_765_000_000_123.25 };
    const header = mediaFrameHeader(captured, 1000);
    expect(header.captureTime).toBe(1_765_000_001_123_250); // µs on the relay's clock
    const bytes = encodeEnvelope({ media: { ...header, payload: video.data } });
    const received = encodedMediaOf(decodeEnvelope(bytes).media!, -2000);
    expect(received!.captureTime).toBeCloseTo(1_765_000_003_123.25, 6);
    // Unknown stays unknown.
    expect(encodedMediaOf({ ...mediaFrameHeader(video), payload: video.data })!.captureTime).toBeUndefined();
  });

  it('round-trips a frame through an encoded envelope', () => {
    const bytes = encodeEnvelope({ media: { ...mediaFrameHeader(video), payload: video.data } });
    const received = encodedMediaOf(decodeEnvelope(bytes).media!);
    expect(received && { ...received, data: Uint8Array.from(received.data) }).toEqual({ ...video, audioLevel: 127 });
  });

  it('takes absent fields at their defaults, the audio level at silence', () => {
    expect(encodedMediaOf({ kind: TrackKind.AUDIO, codec: Codec.OPUS, payload: Uint8Array.of(9) })).toEqual({
      kind: 'audio',
      codec: 'opus',
      keyframe: false,
      timestamp: 0,
      sequence: 0,
      layer: 0,
      data: Uint8Array.of(9),
      width: 0,
      height: 0,
      audioLevel: 127,
      temporalLayer: 0,
      referenceDistance: 0,
    });
  });

  it('refuses frames without a payload or with a kind or codec it does not know', () => {
    const payload = Uint8Array.of(1);
    expect(encodedMediaOf({ kind: TrackKind.VIDEO, codec: Codec.VP8 })).toBeNull();
    expect(
      encodedMediaOf({ kind: 9 as (typeof TrackKind)[keyof typeof TrackKind], codec: Codec.VP8, payload }),
    ).toBeNull();
    // A screen share is a track of its own kind.
    expect(encodedMediaOf({ kind: TrackKind.SCREEN, codec: Codec.VP8, payload })?.kind).toBe('screen');
    // So is its audio: never taken for the microphone.
    expect(encodedMediaOf({ kind: TrackKind.SCREEN_AUDIO, codec: Codec.OPUS, payload })?.kind).toBe('screen-audio');
    expect(encodedMediaOf({ kind: TrackKind.VIDEO, payload })).toBeNull();
    expect(
      encodedMediaOf({ kind: TrackKind.VIDEO, codec: 42 as (typeof Codec)[keyof typeof Codec], payload }),
    ).toBeNull();
    // A known codec on the wrong kind still passes: the video decoder counts it as unknown.
    expect(encodedMediaOf({ kind: TrackKind.VIDEO, codec: Codec.OPUS, payload })?.codec).toBe('opus');
  });
});
