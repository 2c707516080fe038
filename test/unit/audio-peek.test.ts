import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { peekAudio } from '../../src/call/audio-peek.js';
import { encodedMediaOf } from '../../src/call/media-frame-wire.js';
import {
  appendStamp,
  Codec,
  decodeEnvelope,
  encodeEnvelope,
  senderStamp,
  TrackKind,
  type EnvelopeInit,
  type MediaFrameInit,
} from '../../src/protocol/envelope.js';

/** A MediaFrame as any sender may write it: every header field, any value in its wire range. */
const frames: fc.Arbitrary<MediaFrameInit> = fc.record({
  kind: fc.constantFrom(TrackKind.AUDIO, TrackKind.VIDEO, TrackKind.SCREEN, TrackKind.SCREEN_AUDIO, 0, 9),
  sequence: fc.nat({ max: 0xffffffff }),
  timestamp: fc.maxSafeNat(),
  keyframe: fc.boolean(),
  codec: fc.constantFrom(Codec.OPUS, Codec.VP8, Codec.H264, 0),
  audioLevel: fc.nat({ max: 127 }),
  layer: fc.nat({ max: 3 }),
  width: fc.nat({ max: 4096 }),
  height: fc.nat({ max: 4096 }),
  captureTime: fc.maxSafeNat(),
  temporalLayer: fc.nat({ max: 1 }),
  referenceDistance: fc.nat({ max: 8 }),
  payload: fc.uint8Array({ minLength: 0, maxLength: 64 }),
});

/** What the media worker must make of `bytes`: the real codec's reading, kept to Opus microphone packets. */
function expected(bytes: Uint8Array): { from: string; media: ReturnType<typeof encodedMediaOf> } | null {
  const env = decodeEnvelope(bytes);
  if (env.body !== 'media' || !env.media) return null;
  const media = encodedMediaOf(env.media);
  if (!media || media.kind !== 'audio' || media.codec !== 'opus' || media.data.length === 0) return null;
  return { from: env.from, media };
}

/** The fields the worker's decoder reads, as `peekAudio` and the real codec give them. */
function decodedFields(media: NonNullable<ReturnType<typeof encodedMediaOf>>) {
  return {
    kind: media.kind,
    codec: media.codec,
    keyframe: media.keyframe,
    timestamp: media.timestamp,
    sequence: media.sequence,
    audioLevel: media.audioLevel,
    data: [...media.data],
  };
}

describe('peekAudio: a microphone packet read without the protocol codec', () => {
  it('reads what the real codec reads from any media envelope, stamped by the relay', () => {
    fc.assert(
      fc.property(
        frames,
        fc.string({ maxLength: 8 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        (media, written, stamped) => {
          // A client may write any `from`; the relay appends its own, which wins.
          const bytes = appendStamp(encodeEnvelope({ from: written, media }), senderStamp(stamped));
          const want = expected(bytes);
          const got = peekAudio(bytes);
          if (!want) {
            expect(got).toBeNull();
          } else {
            expect(got?.from).toBe(stamped);
            expect(decodedFields(got!.media)).toEqual(decodedFields(want.media!));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('takes nothing but media envelopes', () => {
    const others: EnvelopeInit[] = [
      { ping: { time: 5 } },
      { keyExchange: {} },
      { peerJoined: { participant: { id: 'x', name: 'X' } } },
      { chat: { text: 'hi' } },
      { welcome: { sessionId: 's' } },
      {},
    ];
    for (const env of others) expect(peekAudio(appendStamp(encodeEnvelope(env), senderStamp('a')))).toBeNull();
  });

  it('gives up on bytes that are not an envelope, without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const got = peekAudio(bytes);
        if (got) expect(expected(bytes)?.from).toBe(got.from); // only ever what the codec would read too
      }),
      { numRuns: 5000 },
    );
    const packet = encodeEnvelope({
      from: 'a',
      media: { kind: TrackKind.AUDIO, codec: Codec.OPUS, payload: new Uint8Array(30) },
    });
    for (let cut = 0; cut < packet.length; cut++) expect(() => peekAudio(packet.subarray(0, cut))).not.toThrow();
    expect(peekAudio(packet)?.media.data.length).toBe(30);
  });
});
