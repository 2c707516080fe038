import { describe, expect, it } from 'vitest';
import { H3Error, H3ErrorCode } from '../../server/webtransport/errors.js';
import {
  encodeData,
  encodeFrame,
  encodeFrameHeader,
  encodeGoaway,
  encodeHeaders,
  encodeSettings,
  FrameReader,
  FrameType,
  parsePushPromise,
  parseSettings,
  parseSingleVarint,
  SettingId,
  type Frame,
} from '../../server/webtransport/h3-frames.js';
import { concatBytes, encodeVarint } from '../../server/webtransport/varint.js';
import { encodeCancelPush, encodeMaxPushId, encodePushPromise } from './h3-push-frames.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function caught(fn: () => unknown): H3Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof H3Error) return err;
    throw err;
  }
  throw new Error('expected an H3Error');
}

/** A reader that accepts every frame type this module knows, up to 1 KiB. */
function reader(): FrameReader {
  return new FrameReader({
    limits: new Map(
      [
        FrameType.Data,
        FrameType.Headers,
        FrameType.CancelPush,
        FrameType.Settings,
        FrameType.PushPromise,
        FrameType.Goaway,
        FrameType.MaxPushId,
      ].map((t) => [t, 1024]),
    ),
  });
}

/** Feeds `bytes` to a fresh reader in pieces of `step` bytes. */
function readAll(bytes: Uint8Array, step = bytes.length): Frame[] {
  const r = reader();
  const frames: Frame[] = [];
  for (let i = 0; i < bytes.length; i += step) frames.push(...r.push(bytes.slice(i, i + step)));
  expect(r.idle).toBe(true);
  return frames;
}

describe('HTTP/3 frames (RFC 9114 §7.2)', () => {
  const settings = new Map([
    [SettingId.QpackMaxTableCapacity, 0],
    [SettingId.MaxFieldSectionSize, 16384],
    [SettingId.EnableConnectProtocol, 1],
    [SettingId.H3Datagram, 1],
    [SettingId.EnableWebTransportDraft02, 1],
    [SettingId.WebTransportMaxSessionsDraft07, 4],
  ]);
  const cases: Array<[string, Uint8Array, (payload: Uint8Array) => unknown, unknown]> = [
    ['DATA', encodeData(Uint8Array.of(1, 2, 3)), (p) => [...p], [1, 2, 3]],
    ['HEADERS', encodeHeaders(Uint8Array.of(0, 0, 0xd9)), (p) => [...p], [0, 0, 0xd9]],
    ['CANCEL_PUSH', encodeCancelPush(7), (p) => parseSingleVarint('CANCEL_PUSH', p), 7],
    ['SETTINGS', encodeSettings(settings), (p) => parseSettings(p), settings],
    [
      'PUSH_PROMISE',
      encodePushPromise(3, Uint8Array.of(0, 0, 0xd1)),
      (p) => {
        const { pushId, fieldSection } = parsePushPromise(p);
        return [pushId, [...fieldSection]];
      },
      [3, [0, 0, 0xd1]],
    ],
    ['GOAWAY', encodeGoaway(1_000_000), (p) => parseSingleVarint('GOAWAY', p), 1_000_000],
    ['MAX_PUSH_ID', encodeMaxPushId(16384), (p) => parseSingleVarint('MAX_PUSH_ID', p), 16384],
  ];

  it.each(cases)('round-trips %s, whole and byte by byte', (_name, bytes, parse, expected) => {
    for (const step of [bytes.length, 1, 2]) {
      const frames = readAll(bytes, step);
      expect(frames).toHaveLength(1);
      expect(parse(frames[0]!.payload)).toEqual(expected);
    }
  });

  it('encodes the frame header as type and length varints', () => {
    expect(hex(encodeFrame(FrameType.Settings, new Uint8Array(0)))).toBe('0400');
    expect(hex(encodeFrameHeader(FrameType.Data, 300))).toBe('00412c');
    expect(hex(encodeGoaway(0))).toBe('070100');
  });

  it('reads several frames from one chunk and skips unknown and GREASE frames, even huge ones', () => {
    const grease = 0x1f * 7 + 0x21;
    const bytes = concatBytes([
      encodeFrame(grease, new Uint8Array(5)),
      encodeGoaway(4),
      encodeFrameHeader(0x2f, 100_000),
      new Uint8Array(100_000),
      encodeMaxPushId(2),
    ]);
    for (const step of [bytes.length, 1000, 7]) {
      const frames = readAll(bytes, step);
      expect(frames.map((f) => f.type)).toEqual([FrameType.Goaway, FrameType.MaxPushId]);
    }
  });

  it.each([0x02, 0x06, 0x08, 0x09])('rejects the HTTP/2-only frame type 0x%s as FrameUnexpected', (type) => {
    expect(caught(() => reader().push(encodeFrame(type, new Uint8Array(1)))).code).toBe(H3ErrorCode.FrameUnexpected);
  });

  it('rejects a frame above its limit before buffering it', () => {
    const error = caught(() => reader().push(encodeFrameHeader(FrameType.Headers, 2048)));
    expect(error.code).toBe(H3ErrorCode.ExcessiveLoad);
    expect(error.scope).toBe('connection');
  });

  it('rejects SETTINGS with a duplicate, an HTTP/2 identifier, a non-boolean boolean, or truncation', () => {
    const duplicate = concatBytes([encodeVarint(0x33), encodeVarint(1), encodeVarint(0x33), encodeVarint(1)]);
    expect(caught(() => parseSettings(duplicate)).code).toBe(H3ErrorCode.SettingsError);
    for (const id of [0x02, 0x03, 0x04, 0x05]) {
      expect(caught(() => parseSettings(concatBytes([encodeVarint(id), encodeVarint(0)]))).code).toBe(
        H3ErrorCode.SettingsError,
      );
    }
    expect(caught(() => parseSettings(concatBytes([encodeVarint(0x08), encodeVarint(2)]))).code).toBe(
      H3ErrorCode.SettingsError,
    );
    expect(caught(() => parseSettings(Uint8Array.of(0x33))).code).toBe(H3ErrorCode.FrameError);
    expect(caught(() => parseSettings(Uint8Array.of(0x40))).code).toBe(H3ErrorCode.FrameError);
  });

  it('keeps unknown and GREASE settings, and reads what Chromium 156 sends', () => {
    // Chromium 156's client SETTINGS, as logged by this server.
    const chromium = new Map([
      [0x1, 65536],
      [0x6, 16384],
      [0x7, 100],
      [0x33, 1],
      [0xffd277, 1],
      [0x2b603742, 1],
      [0x1d4e6bf881, 3860837927],
    ]);
    expect(parseSettings(readAll(encodeSettings(chromium))[0]!.payload)).toEqual(chromium);
  });

  it('rejects GOAWAY, MAX_PUSH_ID and CANCEL_PUSH whose payload is not exactly one varint', () => {
    expect(caught(() => parseSingleVarint('GOAWAY', new Uint8Array(0))).code).toBe(H3ErrorCode.FrameError);
    expect(caught(() => parseSingleVarint('GOAWAY', Uint8Array.of(1, 2))).code).toBe(H3ErrorCode.FrameError);
    expect(caught(() => parseSingleVarint('MAX_PUSH_ID', Uint8Array.of(0x40))).code).toBe(H3ErrorCode.FrameError);
    expect(caught(() => parsePushPromise(new Uint8Array(0))).code).toBe(H3ErrorCode.FrameError);
  });

  it('is not idle while a frame is incomplete', () => {
    const r = reader();
    r.push(encodeData(Uint8Array.of(1, 2, 3)).subarray(0, 3));
    expect(r.idle).toBe(false);
  });
});
