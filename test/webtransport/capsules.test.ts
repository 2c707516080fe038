import { describe, expect, it } from 'vitest';
import {
  CapsuleType,
  createCapsuleReader,
  encodeCapsule,
  encodeCloseSession,
  encodeDrainSession,
  parseCloseSession,
} from '../../server/webtransport/capsules.js';
import { H3Error, H3ErrorCode } from '../../server/webtransport/errors.js';
import { concatBytes } from '../../server/webtransport/varint.js';
import { http3CodeToWebTransport, webTransportCodeToHttp3 } from '../../server/webtransport/webtransport-session.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('WebTransport capsules', () => {
  it('encodes CLOSE_WEBTRANSPORT_SESSION as type 0x2843, length, 32-bit code, reason', () => {
    expect(hex(encodeCloseSession(7, 'bye'))).toBe('6843' + '07' + '00000007' + hex(Buffer.from('bye')));
    expect(hex(encodeDrainSession())).toBe('80' + '0078ae' + '00');
  });

  it('round-trips close capsules through the reader, split anywhere, skipping others', () => {
    const bytes = concatBytes([
      encodeCapsule(CapsuleType.Datagram, Uint8Array.of(0, 1, 2)),
      encodeCapsule(0x190b4d3d, Uint8Array.of(0x44, 0x00)), // a flow-control capsule of later drafts
      encodeDrainSession(),
      encodeCloseSession(0xffffffff, 'é'.repeat(10)),
    ]);
    for (let step = 1; step <= bytes.length; step += 5) {
      const reader = createCapsuleReader();
      const capsules = [];
      for (let i = 0; i < bytes.length; i += step) capsules.push(...reader.push(bytes.slice(i, i + step)));
      expect(capsules.map((c) => c.type)).toEqual([
        CapsuleType.DrainWebTransportSession,
        CapsuleType.CloseWebTransportSession,
      ]);
      expect(parseCloseSession(capsules[1]!.payload)).toEqual({ code: 0xffffffff, reason: 'é'.repeat(10) });
    }
  });

  it('cuts a long reason to 1024 bytes without splitting a character', () => {
    const capsule = encodeCloseSession(1, '€'.repeat(400)); // 3 bytes each
    const [parsed] = createCapsuleReader().push(capsule);
    const { reason } = parseCloseSession(parsed!.payload);
    expect(reason).toBe('€'.repeat(341));
  });

  it('rejects a close capsule shorter than its code, or with a reason over 1024 bytes', () => {
    const expectMessageError = (fn: () => unknown): void => {
      let error: unknown;
      try {
        fn();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(H3Error);
      expect(error).toMatchObject({ code: H3ErrorCode.MessageError, scope: 'stream' });
    };
    expectMessageError(() => parseCloseSession(Uint8Array.of(0, 0, 1)));
    expectMessageError(() => parseCloseSession(new Uint8Array(4 + 1025)));
    expectMessageError(() =>
      createCapsuleReader().push(encodeCapsule(CapsuleType.CloseWebTransportSession, new Uint8Array(5000))),
    );
  });
});

describe('WebTransport stream error codes (draft-ietf-webtrans-http3 §4.3)', () => {
  it('maps application codes into the HTTP/3 range, skipping GREASE code points, and back', () => {
    expect(webTransportCodeToHttp3(0)).toBe(0x52e4a40fa8db);
    expect(webTransportCodeToHttp3(0xffffffff)).toBe(0x52e5ac983162);
    for (const code of [0, 1, 0x1d, 0x1e, 0x1f, 1000, 0xffffffff]) {
      const wire = webTransportCodeToHttp3(code);
      expect((wire - 0x21) % 0x1f).not.toBe(0);
      expect(http3CodeToWebTransport(wire)).toBe(code);
    }
    expect(http3CodeToWebTransport(0x100)).toBeUndefined();
    // 0x52e4a40fa8f9 is 0x1f * N + 0x21: a GREASE value inside the range.
    expect((0x52e4a40fa8f9 - 0x21) % 0x1f).toBe(0);
    expect(http3CodeToWebTransport(0x52e4a40fa8f9)).toBeUndefined();
  });
});
