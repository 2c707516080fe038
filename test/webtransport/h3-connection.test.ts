import { describe, expect, it, vi } from 'vitest';
import { encodeCloseSession, parseCloseSession } from '../../server/webtransport/capsules.js';
import { H3ErrorCode } from '../../server/webtransport/errors.js';
import {
  encodeData,
  encodeFrame,
  encodeGoaway,
  encodeHeaders,
  encodeSettings,
  FrameReader,
  FrameType,
  parseSettings,
  SettingId,
  StreamType,
} from '../../server/webtransport/h3-frames.js';
import { encodeFieldSection } from '../../server/webtransport/qpack.js';
import { concatBytes, encodeVarint } from '../../server/webtransport/varint.js';
import {
  WT_BUFFERED_STREAM_REJECTED,
  WT_SESSION_GONE,
  webTransportCodeToHttp3,
} from '../../server/webtransport/webtransport-session.js';
import { clientControlStream, connectRequest, fakeConnection } from './fake-quic.js';

const CONTROL = 2;
const REQUEST = 0;

/** A connection with the client's control stream and an accepted session on stream 0. */
function withSession() {
  const setup = fakeConnection();
  setup.h3.onStreamData(CONTROL, clientControlStream(), false);
  setup.h3.onStreamData(REQUEST, connectRequest(), false);
  expect(setup.sessions).toHaveLength(1);
  return { ...setup, session: setup.sessions[0]! };
}

describe('HTTP/3 connection: control streams and SETTINGS', () => {
  it('opens its control stream with SETTINGS for WebTransport, then idle QPACK encoder and decoder streams', () => {
    const { quic } = fakeConnection();
    const control = quic.written.get(3)!.bytes;
    expect(control[0]).toBe(StreamType.Control);
    const [settings] = new FrameReader({ limits: new Map([[FrameType.Settings, 1024]]) }).push(control.subarray(1));
    expect(settings!.type).toBe(FrameType.Settings);
    const values = parseSettings(settings!.payload);
    expect(values.get(SettingId.QpackMaxTableCapacity)).toBe(0);
    expect(values.get(SettingId.EnableConnectProtocol)).toBe(1);
    expect(values.get(SettingId.H3Datagram)).toBe(1);
    expect(values.get(SettingId.EnableWebTransportDraft02)).toBe(1);
    expect(values.get(SettingId.WebTransportMaxSessionsDraft07)).toBe(2);
    expect(quic.written.get(7)!.bytes).toEqual(Uint8Array.of(StreamType.QpackEncoder));
    expect(quic.written.get(11)!.bytes).toEqual(Uint8Array.of(StreamType.QpackDecoder));
  });

  it('reads the client SETTINGS even one byte at a time', () => {
    const { h3, quic } = fakeConnection();
    for (const byte of clientControlStream()) h3.onStreamData(CONTROL, Uint8Array.of(byte), false);
    expect(h3.peerSettings?.get(SettingId.H3Datagram)).toBe(1);
    expect(quic.closedWith).toBeUndefined();
  });

  const connectionErrors: Array<[string, Array<[number, Uint8Array, boolean]>, number]> = [
    [
      'a control stream that does not start with SETTINGS',
      [[CONTROL, concatBytes([Uint8Array.of(0), encodeGoaway(0)]), false]],
      H3ErrorCode.MissingSettings,
    ],
    [
      'a second SETTINGS frame',
      [[CONTROL, concatBytes([clientControlStream(), encodeSettings(new Map())]), false]],
      H3ErrorCode.FrameUnexpected,
    ],
    [
      'DATA on the control stream',
      [[CONTROL, concatBytes([clientControlStream(), encodeData(Uint8Array.of(1))]), false]],
      H3ErrorCode.FrameUnexpected,
    ],
    [
      'HEADERS on the control stream',
      [[CONTROL, concatBytes([clientControlStream(), encodeHeaders(Uint8Array.of(0, 0))]), false]],
      H3ErrorCode.FrameUnexpected,
    ],
    [
      'an HTTP/2 frame type',
      [[CONTROL, concatBytes([clientControlStream(), encodeFrame(0x06, new Uint8Array(8))]), false]],
      H3ErrorCode.FrameUnexpected,
    ],
    ['the end of the control stream', [[CONTROL, clientControlStream(), true]], H3ErrorCode.ClosedCriticalStream],
    [
      'a second control stream',
      [
        [CONTROL, clientControlStream(), false],
        [6, clientControlStream(), false],
      ],
      H3ErrorCode.StreamCreationError,
    ],
    ['a push stream from the client', [[6, Uint8Array.of(StreamType.Push, 0), false]], H3ErrorCode.StreamCreationError],
    [
      'a malformed GOAWAY',
      [[CONTROL, concatBytes([clientControlStream(), encodeFrame(FrameType.Goaway, Uint8Array.of(1, 2))]), false]],
      H3ErrorCode.FrameError,
    ],
    [
      'an oversized SETTINGS frame',
      [[CONTROL, concatBytes([Uint8Array.of(0), encodeFrame(FrameType.Settings, new Uint8Array(5000))]), false]],
      H3ErrorCode.ExcessiveLoad,
    ],
    [
      'a QPACK encoder stream inserting into a zero table',
      [[6, Uint8Array.of(StreamType.QpackEncoder, 0xc0 | 1, 0x01, 0x61), false]],
      H3ErrorCode.QpackEncoderStreamError,
    ],
    [
      'a QPACK decoder stream acknowledging a section',
      [[10, Uint8Array.of(StreamType.QpackDecoder, 0x80), false]],
      H3ErrorCode.QpackDecoderStreamError,
    ],
    [
      'the end of the QPACK encoder stream',
      [[6, Uint8Array.of(StreamType.QpackEncoder), true]],
      H3ErrorCode.ClosedCriticalStream,
    ],
    [
      'DATA before HEADERS on a request stream',
      [[REQUEST, encodeData(Uint8Array.of(1)), false]],
      H3ErrorCode.FrameUnexpected,
    ],
    ['SETTINGS on a request stream', [[REQUEST, encodeSettings(new Map()), false]], H3ErrorCode.FrameUnexpected],
    [
      'a field section that needs the dynamic table',
      [[REQUEST, encodeHeaders(Uint8Array.of(0x02, 0x00, 0x80)), false]],
      H3ErrorCode.QpackDecompressionFailed,
    ],
  ];

  it.each(connectionErrors)('closes the connection on %s', (_what, deliveries, code) => {
    const { h3, quic } = fakeConnection();
    for (const [stream, bytes, fin] of deliveries) h3.onStreamData(stream, bytes, fin);
    expect(quic.closedWith?.code).toBe(code);
  });

  it('closes the connection when the client resets its control stream', () => {
    const { h3, quic } = fakeConnection();
    h3.onStreamData(CONTROL, clientControlStream(), false);
    h3.onStreamReset(CONTROL, 0x100);
    expect(quic.closedWith?.code).toBe(H3ErrorCode.ClosedCriticalStream);
  });

  it('stops reading unknown and GREASE unidirectional stream types without closing', () => {
    const { h3, quic } = fakeConnection();
    h3.onStreamData(6, concatBytes([encodeVarint(0x1f * 3 + 0x21), Uint8Array.of(1, 2, 3)]), false);
    h3.onStreamData(6, Uint8Array.of(4, 5), true);
    expect(quic.stopped.get(6)).toBe(H3ErrorCode.StreamCreationError);
    expect(quic.closedWith).toBeUndefined();
  });

  it('ignores GOAWAY, MAX_PUSH_ID, CANCEL_PUSH and unknown frames after SETTINGS', () => {
    const { h3, quic } = fakeConnection();
    h3.onStreamData(
      CONTROL,
      concatBytes([
        clientControlStream(),
        encodeGoaway(8),
        encodeFrame(FrameType.MaxPushId, encodeVarint(10)),
        encodeFrame(FrameType.CancelPush, encodeVarint(1)),
        encodeFrame(0x21, new Uint8Array(300)),
      ]),
      false,
    );
    expect(quic.closedWith).toBeUndefined();
  });
});

describe('HTTP/3 connection: requests', () => {
  it('answers an extended CONNECT to the WebTransport path with 200 and the draft-02 header, keeping the stream open', () => {
    const { quic, session } = withSession();
    expect(quic.response(REQUEST)).toEqual([
      [':status', '200'],
      ['sec-webtransport-http3-draft', 'draft02'],
    ]);
    expect(quic.written.get(REQUEST)!.fin).toBe(false);
    expect(session.path).toBe('/wt');
    expect(session.origin).toBe('http://127.0.0.1:8080');
    expect(session.header('sec-webtransport-http3-draft02')).toBe('1');
  });

  it('accepts a request that arrives one byte at a time, after GREASE frames', () => {
    const { h3, sessions } = fakeConnection();
    const bytes = concatBytes([encodeFrame(0x21 + 0x1f, Uint8Array.of(9, 9)), connectRequest()]);
    for (const byte of bytes) h3.onStreamData(REQUEST, Uint8Array.of(byte), false);
    expect(sessions).toHaveLength(1);
  });

  it('answers 404 to another path and to a GET, ending the stream', () => {
    const { h3, quic, sessions } = fakeConnection();
    h3.onStreamData(REQUEST, connectRequest('/elsewhere'), false);
    const get = encodeFieldSection([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'a'],
      [':path', '/'],
    ]);
    h3.onStreamData(4, encodeHeaders(get), true);
    expect(quic.response(REQUEST)).toEqual([[':status', '404']]);
    expect(quic.written.get(REQUEST)!.fin).toBe(true);
    expect(quic.response(4)).toEqual([[':status', '404']]);
    expect(sessions).toHaveLength(0);
  });

  it('answers 429 past the session limit and the status authorize returns', () => {
    const { h3, quic, sessions } = fakeConnection({
      authorize: (r) => (r.origin === 'https://evil.example' ? 403 : 200),
    });
    h3.onStreamData(0, connectRequest(), false);
    h3.onStreamData(4, connectRequest('/wt', [['x', '1']]), false);
    h3.onStreamData(8, connectRequest(), false);
    expect(sessions).toHaveLength(2);
    expect(quic.response(8)).toEqual([[':status', '429']]);
    sessions[0]!.close();
    // The origin header comes first in connectRequest: a second one would be a duplicate, so build anew.
    const evil = encodeFieldSection([
      [':method', 'CONNECT'],
      [':protocol', 'webtransport'],
      [':scheme', 'https'],
      [':authority', 'a'],
      [':path', '/wt'],
      ['origin', 'https://evil.example'],
    ]);
    h3.onStreamData(12, encodeHeaders(evil), false);
    expect(quic.response(12)).toEqual([[':status', '403']]);
  });

  it.each([
    ['an uppercase field name', [['X-Upper', '1']]],
    [
      'a pseudo-header after a regular field',
      [
        ['a', '1'],
        [':method', 'CONNECT'],
      ],
    ],
    ['a connection-specific field', [['connection', 'close']]],
    ['a value with a newline', [['x', 'a\nb']]],
  ] as Array<[string, Array<[string, string]>]>)(
    'resets the request stream on %s, keeping the connection',
    (_what, extra) => {
      const { h3, quic, sessions } = fakeConnection();
      h3.onStreamData(REQUEST, connectRequest('/wt', extra), false);
      expect(quic.resets.get(REQUEST)).toBe(H3ErrorCode.MessageError);
      expect(quic.stopped.get(REQUEST)).toBe(H3ErrorCode.MessageError);
      expect(quic.closedWith).toBeUndefined();
      expect(sessions).toHaveLength(0);
    },
  );

  it('resets a request stream that ends before its HEADERS', () => {
    const { h3, quic } = fakeConnection();
    h3.onStreamData(REQUEST, encodeFrame(0x21, Uint8Array.of(1)), true);
    expect(quic.resets.get(REQUEST)).toBe(H3ErrorCode.RequestIncomplete);
  });

  it('refuses new requests after GOAWAY and drains open sessions', () => {
    const { h3, quic, session } = withSession();
    h3.goaway();
    const control = quic.frames(3, 1);
    expect(control.at(-1)!.type).toBe(FrameType.Goaway);
    h3.onStreamData(4, connectRequest(), false);
    expect(quic.resets.get(4)).toBe(H3ErrorCode.RequestRejected);
    const capsules = quic.frames(REQUEST).filter((f) => f.type === FrameType.Data);
    expect(capsules.at(-1)!.payload).toEqual(Uint8Array.of(0x80, 0x00, 0x78, 0xae, 0x00));
    expect(session.closed).toBe(false);
  });
});

describe('WebTransport sessions over the HTTP/3 connection', () => {
  it('routes datagrams by quarter stream ID and prefixes the ones it sends', () => {
    const { h3, quic, session } = withSession();
    const got: number[][] = [];
    session.ondatagram = (d) => got.push([...d]);
    h3.onDatagram(Uint8Array.of(0x00, 1, 2, 3));
    h3.onDatagram(Uint8Array.of(0x01, 9)); // session 4: none, dropped
    expect(got).toEqual([[1, 2, 3]]);
    session.sendDatagram(Uint8Array.of(7));
    expect(quic.datagrams).toEqual([Uint8Array.of(0x00, 7)]);
  });

  it('closes the connection on a datagram without a quarter stream ID', () => {
    const { h3, quic } = withSession();
    h3.onDatagram(new Uint8Array(0));
    expect(quic.closedWith?.code).toBe(H3ErrorCode.DatagramError);
  });

  it('hands over client bidirectional and unidirectional streams with their data, split anywhere', () => {
    const { h3, quic, session } = withSession();
    const bidi: string[] = [];
    const uni: string[] = [];
    let uniEnded = false;
    session.onbidistream = (stream) => {
      stream.ondata = (chunk) => {
        bidi.push(Buffer.from(chunk).toString());
        stream.write(chunk);
      };
      stream.onend = () => stream.end();
    };
    session.onunistream = (stream) => {
      stream.ondata = (chunk) => uni.push(Buffer.from(chunk).toString());
      stream.onend = () => (uniEnded = true);
    };
    const bidiBytes = concatBytes([encodeVarint(0x41), encodeVarint(0), Buffer.from('hello')]);
    h3.onStreamData(4, bidiBytes.subarray(0, 1), false);
    h3.onStreamData(4, bidiBytes.subarray(1), true);
    const uniBytes = concatBytes([encodeVarint(0x54), encodeVarint(0), Buffer.from('frame')]);
    for (const byte of uniBytes) h3.onStreamData(6, Uint8Array.of(byte), false);
    h3.onStreamData(6, new Uint8Array(0), true);
    expect(bidi.join('')).toBe('hello');
    expect(quic.written.get(4)).toEqual({ bytes: new Uint8Array(Buffer.from('hello')), fin: true });
    expect(uni.join('')).toBe('frame');
    expect(uniEnded).toBe(true);
  });

  it('holds data that arrives before ondata is set and delivers it in order', () => {
    const { h3, session } = withSession();
    let stream: import('../../server/webtransport/webtransport-session.js').WebTransportReceiveStream | undefined;
    session.onunistream = (s) => (stream = s);
    h3.onStreamData(6, concatBytes([Uint8Array.of(0x40, 0x54, 0x00), Buffer.from('ab')]), false);
    h3.onStreamData(6, Buffer.from('cd'), true);
    const got: string[] = [];
    let ended = false;
    stream!.onend = () => (ended = true);
    stream!.ondata = (c) => got.push(Buffer.from(c).toString());
    expect(got.join('')).toBe('abcd');
    expect(ended).toBe(true);
  });

  it('opens server unidirectional streams: type 0x54, session ID, the whole message, FIN', () => {
    const { quic, session } = withSession();
    const stream = session.openUniStream(Buffer.from('video frame'));
    expect(stream.writeClosed).toBe(true);
    expect(quic.written.get(stream.id)).toEqual({
      bytes: concatBytes([Uint8Array.of(0x40, 0x54, 0x00), Buffer.from('video frame')]),
      fin: true,
    });
  });

  it('refuses to open a stream on a congested connection without using up a stream ID', () => {
    const { quic, session } = withSession();
    quic.congested = true;
    expect(() => session.openUniStream(Buffer.from('frame'))).toThrow(expect.objectContaining({ code: 'congested' }));
    quic.congested = false;
    const stream = session.openUniStream(Buffer.from('frame'));
    expect(stream.id).toBe(15); // 3, 7, 11 are HTTP/3's own; 15 is the first WebTransport stream
  });

  it('stops a stream nobody reads once the session holds more than 1 MiB for it', () => {
    const { h3, quic, session } = withSession();
    session.onunistream = () => {}; // never sets ondata
    h3.onStreamData(6, Uint8Array.of(0x40, 0x54, 0x00), false);
    for (let i = 0; i < 20; i++) h3.onStreamData(6, new Uint8Array(64 * 1024), false);
    expect(quic.stopped.get(6)).toBe(webTransportCodeToHttp3(0));
    expect(quic.closedWith).toBeUndefined();
  });

  it('opens server bidirectional streams that receive the client’s answer', () => {
    const { h3, quic, session } = withSession();
    const stream = session.openBidiStream();
    const got: string[] = [];
    stream.ondata = (c) => got.push(Buffer.from(c).toString());
    stream.write(Buffer.from('ping'), true);
    expect(quic.written.get(stream.id)!.bytes).toEqual(
      concatBytes([Uint8Array.of(0x40, 0x41, 0x00), Buffer.from('ping')]),
    );
    h3.onStreamData(stream.id, Buffer.from('pong'), true);
    expect(got).toEqual(['pong']);
  });

  it('refuses a stream naming a session that does not exist', () => {
    const { h3, quic } = withSession();
    h3.onStreamData(6, concatBytes([encodeVarint(0x54), encodeVarint(8), Uint8Array.of(1)]), false);
    h3.onStreamData(4, concatBytes([encodeVarint(0x41), encodeVarint(12)]), false);
    expect(quic.stopped.get(6)).toBe(WT_BUFFERED_STREAM_REJECTED);
    expect(quic.stopped.get(4)).toBe(WT_BUFFERED_STREAM_REJECTED);
    expect(quic.resets.get(4)).toBe(WT_BUFFERED_STREAM_REJECTED);
    expect(quic.closedWith).toBeUndefined();
  });

  it('reports client stream resets with the WebTransport code', () => {
    const { h3, session } = withSession();
    let code: number | undefined = -1;
    session.onunistream = (s) => (s.onreset = (c) => (code = c));
    h3.onStreamData(6, Uint8Array.of(0x40, 0x54, 0x00), false);
    h3.onStreamReset(6, webTransportCodeToHttp3(42));
    expect(code).toBe(42);
  });

  it('closes with a CLOSE_WEBTRANSPORT_SESSION capsule and FIN, and resets the session’s streams once it is on its way', () => {
    vi.useFakeTimers();
    const { h3, quic, session } = withSession();
    const closes: unknown[] = [];
    session.onclose = (info) => closes.push(info);
    session.onunistream = () => {};
    h3.onStreamData(6, Uint8Array.of(0x40, 0x54, 0x00), false);
    const out = session.openUniStream(Buffer.from('x'), false);
    session.close(3, 'done');
    const data = quic.frames(REQUEST).filter((f) => f.type === FrameType.Data);
    const capsule = data[0]!.payload;
    expect(capsule.subarray(0, 2)).toEqual(Uint8Array.of(0x68, 0x43)); // 0x2843 as a 2-byte varint
    expect(parseCloseSession(capsule.subarray(3))).toEqual({ code: 3, reason: 'done' });
    expect(quic.written.get(REQUEST)!.fin).toBe(true);
    // Resets packed with (or ahead of) the capsule can make a browser drop the session without its code.
    expect(quic.stopped.get(6)).toBeUndefined();
    expect(quic.resets.get(out.id)).toBeUndefined();
    vi.advanceTimersByTime(50);
    vi.useRealTimers();
    expect(quic.stopped.get(6)).toBe(WT_SESSION_GONE);
    expect(quic.resets.get(out.id)).toBe(WT_SESSION_GONE);
    expect(closes).toEqual([{ by: 'local', code: 3, reason: 'done' }]);
    expect(() => session.openUniStream(Uint8Array.of(1))).toThrow(/closed/);
    expect(session.sendDatagram(Uint8Array.of(1))).toBe(false);
  });

  it('ends the session when the client sends a close capsule, answering with FIN', () => {
    const { h3, quic, session } = withSession();
    const closes: unknown[] = [];
    session.onclose = (info) => closes.push(info);
    h3.onStreamData(REQUEST, encodeData(encodeCloseSession(7, 'bye')), false);
    expect(closes).toEqual([{ by: 'peer', code: 7, reason: 'bye' }]);
    expect(quic.written.get(REQUEST)!.fin).toBe(true);
    h3.onStreamData(REQUEST, new Uint8Array(0), true);
    expect(closes).toHaveLength(1);
  });

  it('ends the session when the CONNECT stream ends or is reset, or the connection closes', () => {
    const a = withSession();
    const closes: unknown[] = [];
    a.session.onclose = (info) => closes.push(info);
    a.h3.onStreamData(REQUEST, new Uint8Array(0), true);
    const b = withSession();
    b.session.onclose = (info) => closes.push(info);
    b.h3.onStreamReset(REQUEST, 0x10c);
    const c = withSession();
    c.session.onclose = (info) => closes.push(info);
    c.h3.onClosed({ by: 'peer', app: true, code: 0x100, reason: 'gone' });
    expect(closes).toEqual([
      { by: 'peer', code: 0, reason: '' },
      { by: 'peer', code: 0, reason: 'CONNECT stream reset (RequestCancelled)' },
      { by: 'connection', code: 0x100, reason: 'gone' },
    ]);
  });

  it('treats a malformed close capsule as a stream error that ends the session only', () => {
    const { h3, quic, session } = withSession();
    let closed = false;
    session.onclose = () => (closed = true);
    h3.onStreamData(REQUEST, encodeData(Uint8Array.of(0x68, 0x43, 0x01, 0x00)), false);
    expect(closed).toBe(true);
    expect(quic.resets.get(REQUEST)).toBe(H3ErrorCode.MessageError);
    expect(quic.closedWith).toBeUndefined();
  });
});
