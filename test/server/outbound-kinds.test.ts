/**
 * What a congested receiver loses, by track kind: a screen share's audio is
 * audio (kept past the video limit, every packet on its own), never video
 * (dropped first, then held back until a keyframe).
 */
import { describe, expect, it } from 'vitest';
import { TrackKind } from '../../src/protocol/index.js';
import type { ClientLink } from '../../server/client-link.js';
import { Metrics } from '../../server/metrics.js';
import { Outbound } from '../../server/outbound.js';

const KiB = 1024;
const LIMITS = { videoDropBytes: 64 * KiB, audioDropBytes: 256 * KiB, closeBytes: 1024 * KiB, slowConsumerMs: 60_000 };

/** A link whose backlog the test sets, keeping what it was handed. */
function link(): ClientLink & { buffered: number; sent: { kind: number; keyframe: boolean }[] } {
  const sent: { kind: number; keyframe: boolean }[] = [];
  return {
    kind: 'websocket',
    open: true,
    buffered: 0,
    get bufferedAmount() {
      return this.buffered;
    },
    sent,
    sendControl: () => true,
    sendMedia: (_bytes, _publisher, kind, keyframe) => sent.push({ kind, keyframe }) > 0,
    close: () => undefined,
    terminate: () => undefined,
  };
}

describe('Outbound by track kind', () => {
  it("sends a screen share's audio past the video limit, drops it only past the audio limit, and never waits for a keyframe", () => {
    const l = link();
    const metrics = new Metrics('test', 1);
    const keyframesAsked: number[] = [];
    const out = new Outbound(l, LIMITS, metrics, {
      onSlowConsumer: () => undefined,
      onKeyframeNeeded: (_p, kind) => keyframesAsked.push(kind),
    });
    const packet = new Uint8Array(80);
    // Between the video and the audio limits: video goes, the share's audio (like the mic's) is sent.
    l.buffered = 128 * KiB;
    expect(out.media(packet, 'p', TrackKind.SCREEN, false)).toBe(false);
    expect(out.media(packet, 'p', TrackKind.SCREEN_AUDIO, true)).toBe(true);
    expect(out.media(packet, 'p', TrackKind.AUDIO, true)).toBe(true);
    // Past the audio limit: dropped as audio.
    l.buffered = 512 * KiB;
    expect(out.media(packet, 'p', TrackKind.SCREEN_AUDIO, true)).toBe(false);
    expect(metrics.dropped.get('audio-congested')).toBe(1);
    expect(metrics.dropped.get('video-congested')).toBe(1);
    // Drained: the screen waits for its keyframe (asked for); the share's audio goes on at once.
    l.buffered = 0;
    expect(out.media(packet, 'p', TrackKind.SCREEN_AUDIO, true)).toBe(true);
    expect(out.media(packet, 'p', TrackKind.SCREEN, false)).toBe(false);
    expect(keyframesAsked).toEqual([TrackKind.SCREEN]);
    expect(l.sent.map((s) => s.kind)).toEqual([TrackKind.SCREEN_AUDIO, TrackKind.AUDIO, TrackKind.SCREEN_AUDIO]);
  });
});
