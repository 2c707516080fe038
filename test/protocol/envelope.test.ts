import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  appendStamp,
  Codec,
  decodeEnvelope,
  encodeEnvelope,
  senderStamp,
  TrackKind,
  type BodyKind,
  type EnvelopeInit,
} from '../../src/protocol/index.js';

/** One fully populated example of every message type the envelope can carry. */
const examples: { [K in BodyKind]: EnvelopeInit } = {
  join: {
    join: {
      protocolVersion: 1,
      room: 'team-standup_1',
      name: 'Zoë 👋',
      token: 'eyJhbGciOi.x.y',
      state: { mic: true, camera: false, screen: true },
      decoders: [Codec.VP8, Codec.AV1, Codec.H264],
      resumeKey: new Uint8Array(65).fill(4),
      resumeProof: new Uint8Array(64).fill(9),
    },
  },
  tokenRefresh: { tokenRefresh: { token: 'eyJhbGciOi.x.z' } },
  welcome: {
    welcome: {
      protocolVersion: 1,
      sessionId: 'AbCdEfGhIjKl',
      room: 'r',
      roster: [
        { id: 'p1', name: 'Ann', state: { mic: true, camera: true, screen: false }, decoders: [Codec.VP9] },
        { id: 'p2', name: 'Bo', state: { mic: false, camera: false, screen: false }, decoders: [] },
      ],
      maxMessageBytes: 524288,
      heartbeatIntervalMs: 5000,
      serverVersion: '0.1.0',
    },
  },
  peerJoined: {
    peerJoined: {
      participant: { id: 'p3', name: 'Cy', state: { mic: true, camera: false, screen: false }, decoders: [Codec.VP8] },
    },
  },
  peerLeft: { peerLeft: { id: 'p3', reason: 'timeout' } },
  media: {
    media: {
      kind: TrackKind.VIDEO,
      sequence: 4_000_000_000,
      timestamp: 2 ** 52 + 7, // uint64 (decoded as a number: --force-number), still exact below 2^53
      keyframe: true,
      codec: Codec.VP9,
      audioLevel: 127,
      layer: 2,
      width: 1280,
      height: 720,
      payload: new Uint8Array([0, 1, 2, 253, 254, 255]),
    },
  },
  keyframeRequest: { keyframeRequest: { target: 'p2', kind: TrackKind.SCREEN, layer: 1 } },
  chat: { chat: { to: ['p1', 'p2'], sealed: new Uint8Array([9, 8, 7]), at: 1_790_000_000_123 } },
  mediaState: {
    mediaState: {
      mic: false,
      camera: true,
      screen: true,
      videoLayers: [
        { width: 1280, height: 720, maxFramerate: 30, maxBitrate: 1_500_000 },
        { width: 640, height: 360, maxFramerate: 30, maxBitrate: 500_000 },
        { width: 320, height: 180, maxFramerate: 15, maxBitrate: 150_000 },
      ],
      screenLayers: [{ width: 1920, height: 1080, maxFramerate: 5, maxBitrate: 2_000_000 }],
    },
  },
  subscription: {
    subscription: {
      tracks: [
        { publisher: 'p1', kind: TrackKind.VIDEO, layer: 2 },
        { publisher: 'p2', kind: TrackKind.SCREEN, layer: 1 },
      ],
    },
  },
  layerDemand: { layerDemand: { kind: TrackKind.VIDEO, layers: [1, 2] } },
  activeSpeakers: { activeSpeakers: { ids: ['p2', 'p1'] } },
  peersJoined: {
    peersJoined: {
      participants: [
        { id: 'p4', name: 'Di', state: { mic: false, camera: false, screen: false }, decoders: [Codec.VP8] },
        { id: 'p5', name: 'Ed', decoders: [Codec.AV1, Codec.VP8] },
      ],
    },
  },
  lobbyWait: { lobbyWait: { locked: true } },
  knock: { knock: { waiting: [{ id: 'p4', name: 'Dee', identity: 'dee@example.com' }] } },
  admission: { admission: { id: 'p4', admit: true } },
  moderation: { moderation: { action: 1, target: 'p2', lock: true } },
  ping: { ping: { time: 1_764_000_000_123 } },
  pong: { pong: { time: 1_764_000_000_123 } },
  error: { error: { code: 'room-full', message: 'room "r" is full', fatal: true } },
  leave: { leave: {} },
  keyExchange: {
    keyExchange: {
      target: 'p2',
      step: 3,
      data: new Uint8Array([1, 2, 3]),
      mac: new Uint8Array(32).fill(7),
      kid: 2 ** 33 + 5,
    },
  },
};

/** JSON replacer giving plain data: bytes as arrays. */
function toPlain(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // Read the holder: a Buffer's toJSON has already run on `value`.
  const raw = this[key];
  if (raw instanceof Uint8Array) return Array.from(raw);
  return value;
}

/** Proto3 does not send default values (false, 0, "", []), so compare without them. */
function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[key] = withoutDefaults(v);
  }
  return out;
}

const plain = (value: unknown): unknown => withoutDefaults(JSON.parse(JSON.stringify(value, toPlain)));

describe('envelope encoding', () => {
  it.each(Object.entries(examples) as [BodyKind, EnvelopeInit][])(
    'round-trips a %s message unchanged',
    (kind, message) => {
      const decoded = decodeEnvelope(encodeEnvelope({ from: 'sender-1', ...message }));
      expect(decoded.body).toBe(kind);
      expect(decoded.from).toBe('sender-1');
      expect(plain(decoded)).toEqual(plain({ from: 'sender-1', ...message }));
    },
  );

  it('has an example for every body type in the proto', () => {
    const proto = readFileSync(new URL('../../proto/videocall.proto', import.meta.url), 'utf8');
    const oneof = /oneof body \{([^}]*)\}/.exec(proto)?.[1] ?? '';
    const fields = [...oneof.matchAll(/^\s*\w+\s+(\w+)\s*=\s*\d+;/gm)].map((m) =>
      m[1].replace(/_(\w)/g, (_, c: string) => c.toUpperCase()),
    );
    expect(fields.length).toBeGreaterThan(0);
    expect(Object.keys(examples).sort()).toEqual(fields.sort());
  });

  it('decodes media payload bytes as a view, not a copy', () => {
    const bytes = encodeEnvelope(examples.media);
    const payload = decodeEnvelope(bytes).media!.payload!;
    expect(payload.buffer).toBe(bytes.buffer);
  });

  it('decodes 64-bit fields as plain numbers, set or unset', () => {
    const timestamp = 2 ** 40 + 123;
    expect(decodeEnvelope(encodeEnvelope({ media: { timestamp } })).media!.timestamp).toBe(timestamp);
    expect(decodeEnvelope(encodeEnvelope({ media: { sequence: 1 } })).media!.timestamp).toBe(0);
    expect(decodeEnvelope(encodeEnvelope({ ping: {} })).ping!.time).toBe(0);
  });

  it('rejects truncated bytes', () => {
    const bytes = encodeEnvelope(examples.join);
    expect(() => decodeEnvelope(bytes.subarray(0, bytes.length - 3))).toThrow();
  });
});

describe('sender stamping', () => {
  it('sets from on a message that had none', () => {
    const stamped = appendStamp(encodeEnvelope({ ping: { time: 5 } }), senderStamp('abc123'));
    const decoded = decodeEnvelope(stamped);
    expect(decoded.from).toBe('abc123');
    expect(decoded.ping?.time).toBe(5);
  });

  it('overrides a forged from and leaves the body intact', () => {
    const forged = encodeEnvelope({ from: 'someone-else', ...examples.media });
    const decoded = decodeEnvelope(appendStamp(forged, senderStamp('real-sender')));
    expect(decoded.from).toBe('real-sender');
    expect(decoded.body).toBe('media');
    expect(Array.from(decoded.media!.payload!)).toEqual([0, 1, 2, 253, 254, 255]);
  });

  it('stamps a 12-character session id in 14 bytes', () => {
    expect(senderStamp('AbCdEfGhIjKl')).toHaveLength(14);
  });

  it('refuses ids too long for a one-byte length', () => {
    expect(() => senderStamp('x'.repeat(128))).toThrow(RangeError);
  });
});
