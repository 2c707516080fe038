/**
 * WebTransport participants in the relay, next to WebSocket ones: the quiche
 * test client speaks the wire mapping (control stream, audio datagrams, one
 * unidirectional stream per video frame) to a real relay on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  CloseCode,
  encodeEnvelope,
  ErrorCode,
  framedStreamHeader,
  lengthPrefixed,
  TrackKind,
} from '../../src/protocol/index.js';
import { concatBytes } from '../../src/shared/bytes.js';
import { optionsFromEnv } from '../../server/config.js';
import { ConfigError } from '../../server/errors.js';
import { setLogLevel, setLogSink } from '../../server/log.js';
import type { Relay, RelayOptions } from '../../server/relay.js';
import { loadQuiche } from '../../server/webtransport/quic-binding.js';
import { webTransportCodeToHttp3 } from '../../server/webtransport/webtransport-session.js';
import { WtStreamCode } from '../../server/wt-link.js';
import { MAX_OPEN_UNI_STREAMS } from '../../server/wt-inbound.js';
import { startTestRelay, TestClient, waitFor } from '../server/helpers.js';
import { WtTestParticipant } from './wt-test-participant.js';

const relays: Relay[] = [];
const participants: Array<{ close(): unknown }> = [];

async function relayWith(options: RelayOptions = {}): Promise<Relay> {
  const relay = await startTestRelay(options);
  relays.push(relay);
  return relay;
}

async function wt(relay: Relay, room: string, name?: string, framedStreams = true): Promise<WtTestParticipant> {
  const participant = await WtTestParticipant.joined(relay, room, name, {}, framedStreams);
  participants.push(participant);
  return participant;
}

async function ws(relay: Relay, room: string, name?: string): Promise<TestClient> {
  const client = await TestClient.joined(relay, room, name);
  participants.push(client);
  return client;
}

afterEach(async () => {
  for (const p of participants.splice(0)) await p.close();
  for (const relay of relays.splice(0)) await relay.close();
});

/** A WebSocket and a WebTransport participant in one room, each knowing the other joined. */
/** A WebSocket participant (a) and a WebTransport one (b; `framedStreams` false: an older client). */
async function mixedRoom(
  relay: Relay,
  room = 'mixed',
  framedStreams = true,
): Promise<{ a: TestClient; b: WtTestParticipant }> {
  const a = await ws(relay, room, 'sam');
  const b = await wt(relay, room, 'wendy', framedStreams);
  await a.next('peerJoined');
  return { a, b };
}

describe('WebTransport participants', () => {
  it('join on the control stream: Welcome comes back there, and WebSocket participants see them', async () => {
    const relay = await relayWith();
    const a = await ws(relay, 'lobby', 'sam');
    const b = await WtTestParticipant.connect(relay, 'wendy');
    participants.push(b);
    const welcome = await b.join('lobby', 'wendy');
    expect(welcome.via).toBe('control');
    expect(welcome.welcome).toMatchObject({ room: 'lobby', roster: [expect.objectContaining({ id: a.id })] });
    const joined = await a.next('peerJoined');
    expect(joined.peerJoined.participant).toMatchObject({ id: b.id, name: 'wendy' });
    expect(relay.stats()).toMatchObject({
      connections: 2,
      participants: 2,
      webTransport: { status: 'ok', sessions: 1, sessionsTotal: 1, quicConnections: 1 },
    });
  });

  it('exchange audio datagrams and video streams with a WebSocket participant, stamped with the sender', async () => {
    const relay = await relayWith();
    const { a, b } = await mixedRoom(relay);

    b.sendMedia('wt-audio', { kind: TrackKind.AUDIO });
    b.sendMedia('wt-video', { kind: TrackKind.VIDEO, keyframe: true }, 50_000);
    expect((await a.nextMedia('wt-audio')).from).toBe(b.id);
    const video = await a.nextMedia('wt-video');
    expect(video.from).toBe(b.id);
    expect(video.media.payload?.length).toBe(50_000);

    a.sendMedia('ws-audio', { kind: TrackKind.AUDIO });
    a.sendMedia('ws-video', { kind: TrackKind.VIDEO, keyframe: true }, 200_000);
    const audio = await b.nextMedia('ws-audio');
    expect(audio).toMatchObject({ from: a.id, via: 'datagram' });
    const big = await b.nextMedia('ws-video');
    expect(big).toMatchObject({ from: a.id, via: 'stream' });
    expect(big.media.payload?.length).toBe(200_000);

    // Control addressed to one peer travels on the control stream, stamped too.
    a.send({ keyframeRequest: { target: b.id, kind: TrackKind.VIDEO } });
    expect(await b.next('keyframeRequest')).toMatchObject({ from: a.id, via: 'control' });
    expect(relay.stats().messagesIn.media).toBe(4);
  });

  it('get audio too large for a datagram on a stream', async () => {
    const relay = await relayWith();
    const { a, b } = await mixedRoom(relay);
    a.sendMedia('big-audio', { kind: TrackKind.AUDIO }, 4000);
    expect(await b.nextMedia('big-audio')).toMatchObject({ from: a.id, via: 'stream' });
  });

  it('answer Ping with Pong on the control stream, and leave with 1000', async () => {
    const relay = await relayWith();
    const { a, b } = await mixedRoom(relay);
    b.sendControl({ ping: { time: 42 } });
    expect((await b.next('pong')).pong.time).toBe(42);
    b.sendControl({ leave: {} });
    expect(await b.closed()).toEqual({ code: CloseCode.Normal, reason: 'left' });
    expect((await a.next('peerLeft')).peerLeft).toMatchObject({ id: b.id, reason: 'left' });
    await waitFor(() => relay.stats().webTransport.sessions === 0, 2000, 'the session to go');
  });

  it('send a publisher’s group of pictures on one framed stream, and the next keyframe on a new one', async () => {
    const relay = await relayWith();
    const { a, b } = await mixedRoom(relay);
    a.sendMedia('key-0', { kind: TrackKind.VIDEO, keyframe: true, sequence: 0 }, 20_000);
    for (let i = 1; i <= 3; i++) a.sendMedia(`delta-${i}`, { kind: TrackKind.VIDEO, sequence: i }, 3000);
    const got = [];
    for (const label of ['key-0', 'delta-1', 'delta-2', 'delta-3']) got.push(await b.nextMedia(label));
    // Once those have arrived (a keyframe sent sooner would reset their stream: see the next test).
    a.sendMedia('screen-key', { kind: TrackKind.SCREEN, keyframe: true, sequence: 0 }, 5000);
    a.sendMedia('key-4', { kind: TrackKind.VIDEO, keyframe: true, sequence: 4 }, 20_000);
    a.sendMedia('delta-5', { kind: TrackKind.VIDEO, sequence: 5 }, 3000);
    for (const label of ['screen-key', 'key-4', 'delta-5']) got.push(await b.nextMedia(label));
    const [key0, d1, d2, d3, screen, key4, d5] = got;
    for (const e of got) expect(e).toMatchObject({ from: a.id, via: 'stream', lane: expect.any(Number) });
    // One stream and lane for the first group of pictures, in order.
    expect(new Set([d1, d2, d3].map((e) => e!.streamId))).toEqual(new Set([key0!.streamId]));
    expect(got.slice(0, 4).map((e) => e.media.payload?.length)).toEqual([20_000, 3000, 3000, 3000]);
    // Another track has a lane of its own; the next keyframe starts a new stream on a new lane.
    expect(screen!.lane).not.toBe(key0!.lane);
    expect(key4!.streamId).not.toBe(key0!.streamId);
    expect(key4!.lane).not.toBe(key0!.lane);
    expect(d5!.streamId).toBe(key4!.streamId);
    // The stream it replaced was ended cleanly (all of it had left): nothing counted as superseded.
    expect(relay.stats().dropped['video-superseded'] ?? 0).toBe(0);
    await waitFor(() => b.client.streams.get(key0!.streamId!)?.fin === true, 2000, 'the first stream to end');
  });

  it('send an older client (no framed streams) each video frame on its own stream, and reset the unfinished ones at a keyframe', async () => {
    // Buffer limits above what the deltas queue, so the keyframe is not dropped as congestion.
    const relay = await relayWith({ backpressure: { videoDropBytes: 8 << 20, audioDropBytes: 8 << 20 } });
    const { a, b } = await mixedRoom(relay, 'older', false);
    // Deltas far larger than QUIC's first congestion window, then a keyframe at once: the deltas are still on their way.
    for (let i = 0; i < 4; i++) a.sendMedia(`delta-${i}`, { kind: TrackKind.VIDEO, sequence: i }, 300_000);
    a.sendMedia('key', { kind: TrackKind.VIDEO, keyframe: true, sequence: 4 }, 1000);
    const key = await b.nextMedia('key');
    expect(key).toMatchObject({ from: a.id, via: 'stream' });
    expect(key.lane).toBeUndefined();
    const superseded = relay.stats().dropped['video-superseded'] ?? 0;
    expect(superseded).toBeGreaterThanOrEqual(1);
    const resetCode = webTransportCodeToHttp3(WtStreamCode.Superseded);
    await waitFor(
      () => [...b.client.resets.values()].filter((c) => c === resetCode).length === superseded,
      2000,
      'the resets to arrive',
    );
    console.log(`[webtransport] ${superseded} of 4 superseded delta streams reset (an older client)`);
    // A delta after it: a stream of its own too, not the keyframe's.
    a.sendMedia('next', { kind: TrackKind.VIDEO, sequence: 5 }, 1000);
    const next = await b.nextMedia('next');
    expect(next).toMatchObject({ via: 'stream' });
    expect(next.lane).toBeUndefined();
    expect(next.streamId).not.toBe(key.streamId);
  });

  it('reset a receiver’s video stream of a publisher, deltas still queued, when its next keyframe goes out', async () => {
    // Buffer limits above what the deltas queue, so the keyframe is not dropped as congestion.
    const relay = await relayWith({ backpressure: { videoDropBytes: 8 << 20, audioDropBytes: 8 << 20 } });
    const { a, b } = await mixedRoom(relay);
    // Deltas far larger than QUIC's first congestion window, then a keyframe at once: the deltas are still on their way.
    for (let i = 0; i < 4; i++) a.sendMedia(`delta-${i}`, { kind: TrackKind.VIDEO, sequence: i }, 300_000);
    a.sendMedia('key', { kind: TrackKind.VIDEO, keyframe: true, sequence: 4 }, 1000);
    const key = await b.nextMedia('key');
    expect(key).toMatchObject({ from: a.id, via: 'stream' });
    // The four deltas went on one stream: that stream is the one reset.
    expect(relay.stats().dropped['video-superseded']).toBe(1);
    const resetCode = webTransportCodeToHttp3(WtStreamCode.Superseded);
    await waitFor(
      () => [...b.client.resets.values()].filter((c) => c === resetCode).length === 1,
      2000,
      'the reset to arrive',
    );
    const deltasRead = b.inbox.filter(
      (e) => e.body === 'media' && Buffer.from(e.media!.payload!).toString('utf8', 0, 6) === 'delta-',
    );
    console.log(`[webtransport] ${deltasRead.length} of 4 deltas arrived before their stream was reset`);
    expect(deltasRead.length).toBeLessThan(4);
  });
});

describe('a WebTransport receiver that cannot keep up', () => {
  it('loses video first, then is closed as slow-consumer (4009); the others carry on', async () => {
    const relay = await relayWith({
      resumeGraceMs: 0,
      backpressure: { videoDropBytes: 32 * 1024, audioDropBytes: 48 * 1024, closeBytes: 1 << 20, slowConsumerMs: 300 },
    });
    const a = await ws(relay, 'slow', 'sender');
    const fast = await ws(relay, 'slow', 'fast');
    // Small flow-control windows, so a receiver that stops reading backs the relay up at once.
    const slow = await WtTestParticipant.joined(relay, 'slow', 'slow', {
      maxData: 128 * 1024,
      maxStreamData: 64 * 1024,
    });
    participants.push(slow);
    await a.next('peerJoined');
    await a.next('peerJoined');
    slow.client.paused = true;
    // Datagrams have no flow control: a client that stops reading backs up only the streams. One
    // video frame above the audio limit stalls the receiver; the audio then keeps the stall clock ticking.
    const deadline = Date.now() + 5000;
    for (let i = 0; relay.stats().errors[ErrorCode.SlowConsumer] === undefined && Date.now() < deadline; i++) {
      a.sendMedia(`v-${i}`, { kind: TrackKind.VIDEO, sequence: i }, 200 * 1024);
      a.sendMedia(`a-${i}`, { kind: TrackKind.AUDIO, sequence: i }, 200);
      await fast.nextMedia(`a-${i}`);
    }
    const stats = relay.stats();
    expect(stats.errors[ErrorCode.SlowConsumer]).toBe(1);
    expect(stats.dropped['video-congested']).toBeGreaterThan(0);
    expect((await fast.next('peerLeft')).peerLeft).toMatchObject({ id: slow.id, reason: 'disconnected' });
    slow.client.paused = false;
    expect(await slow.closed(5000)).toEqual({ code: CloseCode.SlowConsumer, reason: ErrorCode.SlowConsumer });
    a.sendMedia('life-goes-on', { kind: TrackKind.AUDIO });
    await fast.nextMedia('life-goes-on');
  });
});

describe('bad input over WebTransport', () => {
  it('answers a malformed envelope on any carrier with an error, and the others carry on', async () => {
    const relay = await relayWith();
    const { a, b } = await mixedRoom(relay);
    b.sendDatagram(Uint8Array.of(0xff, 0xff, 0xff));
    expect((await b.next('error')).error).toMatchObject({ code: ErrorCode.Malformed, fatal: false });
    b.sendStream(Uint8Array.of(0xff, 0x01));
    expect((await b.next('error')).error).toMatchObject({ code: ErrorCode.Malformed, fatal: false });
    // A good length prefix around garbage: the framing holds, the envelope doesn't decode.
    b.sendControlRaw(Uint8Array.of(0, 0, 0, 3, 0xff, 0xff, 0xff));
    expect((await b.next('error')).error).toMatchObject({ code: ErrorCode.Malformed, fatal: false });

    b.sendMedia('still-here', { kind: TrackKind.AUDIO });
    expect((await a.nextMedia('still-here')).from).toBe(b.id);
    a.sendMedia('you-too', { kind: TrackKind.VIDEO, keyframe: true });
    expect((await b.nextMedia('you-too')).from).toBe(a.id);
    expect(relay.stats().errors[ErrorCode.Malformed]).toBe(3);
  });

  it('takes a client’s framed stream envelope by envelope, and a newer stream on its lane stops the older', async () => {
    const relay = await relayWith({ maxMessageBytes: 64 * 1024 });
    const { a, b } = await mixedRoom(relay);
    const framed = (tag: string, sequence: number, size = 1000, keyframe = false): Uint8Array => {
      const payload = new Uint8Array(size);
      payload.set(new TextEncoder().encode(tag));
      return lengthPrefixed(
        encodeEnvelope({ media: { kind: TrackKind.VIDEO, keyframe, sequence, timestamp: 0, payload } }),
      );
    };
    const first = b.sendStream(concatBytes([framedStreamHeader(3), framed('gop1-key', 0, 20_000, true)]), false);
    expect((await a.nextMedia('gop1-key')).from).toBe(b.id);
    // Split inside the length prefix: still one envelope, delivered while the stream stays open.
    const delta = framed('gop1-d1', 1);
    b.continueStream(first, delta.subarray(0, 2));
    b.continueStream(first, delta.subarray(2));
    expect((await a.nextMedia('gop1-d1')).from).toBe(b.id);

    const second = b.sendStream(concatBytes([framedStreamHeader(3), framed('gop2-key', 2, 20_000, true)]), false);
    await a.nextMedia('gop2-key');
    // The relay stops the older stream (STOP_SENDING); once the client knows, nothing more goes on it:
    // quiche refuses the write (StreamStopped), or, when it already answered with a RESET_STREAM that
    // was acknowledged and forgot the stream, takes none of it (Done: "took null").
    await waitFor(() => b.client.stopped(first), 2000, 'STOP_SENDING on the older stream');
    expect(() => b.continueStream(first, framed('gop1-late', 3))).toThrow(/StreamStopped|took null/);
    b.continueStream(second, framed('gop2-d1', 4));
    await a.nextMedia('gop2-d1');
    await expect(a.nextMedia('gop1-late', 300)).rejects.toThrow(/no media "gop1-late" within/);

    // An envelope above maxMessageBytes in a framed stream: that stream stops, the connection stays.
    b.sendStream(concatBytes([framedStreamHeader(4), Uint8Array.of(0, 2, 0, 0)]), false);
    expect((await b.next('error')).error).toMatchObject({ code: ErrorCode.TooLarge, fatal: false });
    // A framed stream that does not name its lane first: refused as malformed.
    b.sendStream(concatBytes([Uint8Array.of(0), framed('no-lane', 9)]), false);
    expect((await b.next('error')).error).toMatchObject({ code: ErrorCode.Malformed, fatal: false });
    b.continueStream(second, framed('gop2-d2', 5));
    await a.nextMedia('gop2-d2');
    expect(relay.stats().messagesIn.media).toBe(5);
    const text = await (await fetch(`${relay.url}/metrics`)).text();
    expect(text).toMatch(/^videocall_webtransport_refused_streams_total\{reason="too-large"\} 1$/m);
    expect(text).toMatch(/^videocall_webtransport_refused_streams_total\{reason="bad-framing"\} 1$/m);
  });

  it('stops a stream beyond maxMessageBytes and answers too-large, without closing', async () => {
    const relay = await relayWith({ maxMessageBytes: 64 * 1024 });
    const { a, b } = await mixedRoom(relay);
    // Not zeros: a stream starting with 0 is framed (see the framed-stream test for its limit).
    b.sendStream(new Uint8Array(100 * 1024).fill(0x0a));
    const error = await b.next('error');
    expect(error).toMatchObject({ via: 'control', error: { code: ErrorCode.TooLarge, fatal: false } });
    const text = await (await fetch(`${relay.url}/metrics`)).text();
    expect(text).toMatch(/^videocall_webtransport_refused_streams_total\{reason="too-large"\} 1$/m);
    b.sendMedia('after', { kind: TrackKind.VIDEO, keyframe: true }, 1000);
    expect((await a.nextMedia('after')).from).toBe(b.id);
  });

  it('refuses a second bidirectional stream and keeps the first as the control stream', async () => {
    const relay = await relayWith();
    const { b } = await mixedRoom(relay);
    const extra = b.openExtraBidi(Uint8Array.of(0, 0, 0, 0));
    await waitFor(() => b.client.resets.has(extra), 2000, 'the extra stream to be reset');
    expect(b.client.resets.get(extra)).toBe(webTransportCodeToHttp3(WtStreamCode.Refused));
    expect(relay.stats().webTransport.sessions).toBe(1);
    b.sendControl({ ping: { time: 7 } });
    expect(await b.next('pong')).toMatchObject({ via: 'control' });
    const text = await (await fetch(`${relay.url}/metrics`)).text();
    expect(text).toMatch(/^videocall_webtransport_refused_streams_total\{reason="extra-bidi"\} 1$/m);
  });

  it(`refuses more than ${MAX_OPEN_UNI_STREAMS} unidirectional streams open at once`, async () => {
    const relay = await relayWith();
    const { b } = await mixedRoom(relay);
    // Streams that never end: each stays open at the relay.
    for (let i = 0; i <= MAX_OPEN_UNI_STREAMS; i++) b.sendStream(Uint8Array.of(0x32), false);
    await waitFor(() => relay.stats().webTransport.refusedStreams['uni-limit'] === 1, 2000, 'a refusal');
    expect(relay.stats().webTransport.sessions).toBe(1);
    b.sendControl({ ping: { time: 8 } });
    await b.next('pong');
  });

  it('closes with 1009 when a length prefix on the control stream is beyond the limit; the others carry on', async () => {
    const relay = await relayWith({ maxMessageBytes: 64 * 1024 });
    const { a, b } = await mixedRoom(relay);
    b.sendControlRaw(Uint8Array.of(0x7f, 0, 0, 0));
    const error = await b.next('error');
    expect(error.error).toMatchObject({ code: ErrorCode.TooLarge, fatal: true });
    expect(await b.closed()).toEqual({ code: CloseCode.TooLarge, reason: ErrorCode.TooLarge });
    expect(b.controlEnded).toBe(true);
    const left = await a.next('peerLeft', 3000);
    expect(left.peerLeft.id).toBe(b.id);
    a.send({ ping: { time: 1 } });
    await a.next('pong');
  });

  it('closes as malformed after a run of refused streams', async () => {
    const relay = await relayWith({ maxBadMessagesInRow: 3, maxMessageBytes: 2048 });
    const { b } = await mixedRoom(relay);
    for (let i = 0; i < 3; i++) b.sendStream(new Uint8Array(4096));
    expect(await b.closed()).toEqual({ code: CloseCode.Malformed, reason: ErrorCode.Malformed });
  });
});

describe('WebTransport session lifetime', () => {
  it('closes a silent participant with heartbeat-timeout (4008), and tells the others it timed out', async () => {
    const relay = await relayWith({ heartbeatIntervalMs: 50, resumeGraceMs: 0 });
    const { a, b } = await mixedRoom(relay);
    // Keep the WebSocket participant talking; the WebTransport one stays silent.
    const keepAlive = setInterval(() => a.send({ ping: { time: 0 } }), 25);
    try {
      const error = await b.next('error', 2000);
      expect(error).toMatchObject({ via: 'control', error: { code: ErrorCode.HeartbeatTimeout, fatal: true } });
      expect(await b.closed()).toEqual({ code: CloseCode.HeartbeatTimeout, reason: ErrorCode.HeartbeatTimeout });
      expect((await a.next('peerLeft')).peerLeft).toMatchObject({ id: b.id, reason: 'timeout' });
    } finally {
      clearInterval(keepAlive);
    }
  });

  it('on shutdown sends server-shutdown and closes with 1001', async () => {
    const relay = await startTestRelay();
    const { b } = await mixedRoom(relay);
    const started = performance.now();
    await relay.close();
    const closeMs = performance.now() - started;
    expect((await b.next('error')).error).toMatchObject({ code: ErrorCode.ServerShutdown, fatal: true });
    expect(await b.closed()).toEqual({ code: CloseCode.GoingAway, reason: ErrorCode.ServerShutdown });
    expect(closeMs).toBeLessThan(1500); // shutdownTimeoutMs is 1000 in tests
    console.log(`[webtransport] relay with a WebTransport participant closed in ${closeMs.toFixed(0)} ms`);
  });

  it('closes the session when the client ends its control stream', async () => {
    const relay = await relayWith({ resumeGraceMs: 0 });
    const { a, b } = await mixedRoom(relay);
    b.sendControlRaw(new Uint8Array(0), true);
    expect((await a.next('peerLeft')).peerLeft).toMatchObject({ id: b.id, reason: 'disconnected' });
    expect((await b.closed()).code).toBe(CloseCode.Normal);
  });
});

describe('the relay’s WebTransport endpoint over HTTP', () => {
  it('publishes /webtransport.json (any origin, never cached) and reports itself in /healthz and /metrics', async () => {
    const relay = await relayWith();
    expect(relay.webTransport).toMatchObject({
      url: `https://127.0.0.1:${relay.webTransport!.port}/wt`,
      certificateHash: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
    });
    const res = await fetch(`${relay.url}/webtransport.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      port: relay.webTransport!.port,
      path: '/wt',
      serverCertificateHashes: [{ algorithm: 'sha-256', value: relay.webTransport!.certificateHash }],
      expires: expect.any(String),
    });
    const health = (await (await fetch(`${relay.url}/healthz`)).json()) as Record<string, unknown>;
    expect(health.webTransport).toEqual({
      status: 'ok',
      port: relay.webTransport!.port,
      path: '/wt',
      certificate: 'generated',
      expires: expect.any(String),
    });
    const b = await wt(relay, 'metrics');
    expect(b.id).not.toBe('');
    const text = await (await fetch(`${relay.url}/metrics`)).text();
    expect(text).toMatch(/^videocall_webtransport_sessions 1$/m);
    expect(text).toMatch(/^videocall_webtransport_sessions_total 1$/m);
    expect(text).toMatch(/^videocall_quic_connections 1$/m);
    expect(text).toMatch(/^videocall_connections 1$/m);
  });

  it('answers 404 with a JSON error when WebTransport is off', async () => {
    const relay = await relayWith({ webTransport: { enabled: false } });
    expect('webTransport' in relay).toBe(false);
    const res = await fetch(`${relay.url}/webtransport.json`);
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toEqual({ error: expect.stringMatching(/WebTransport is off.*\/ws/) });
    const health = (await (await fetch(`${relay.url}/healthz`)).json()) as Record<string, unknown>;
    expect(health.webTransport).toEqual({ status: 'off' });
    expect(relay.stats().webTransport.status).toBe('off');
  });

  it('starts without WebTransport when the QUIC binding is missing, and says so', async () => {
    const missing = await loadQuiche('@matrixai/quic-not-installed/native/index.js');
    const lines: string[] = [];
    const previousSink = setLogSink((line) => lines.push(line));
    setLogLevel('warn');
    let relay: Relay;
    try {
      relay = await relayWith({ webTransport: { loadBinding: () => Promise.resolve(missing) } });
    } finally {
      setLogLevel('silent');
      setLogSink(previousSink);
    }
    expect(lines.some((l) => l.includes('WebTransport unavailable'))).toBe(true);
    const health = (await (await fetch(`${relay.url}/healthz`)).json()) as { webTransport: { status: string } };
    expect(health.webTransport).toEqual({ status: 'unavailable', reason: expect.stringMatching(/quic-unavailable/) });
    const res = await fetch(`${relay.url}/webtransport.json`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/unavailable.*quic-unavailable/);
    // The WebSocket side is unaffected.
    const a = await ws(relay, 'plain');
    expect(a.id).not.toBe('');
  });

  it('reads WEBTRANSPORT and WT_PORT into the options, and refuses bad values as configuration errors', () => {
    expect(optionsFromEnv({ WEBTRANSPORT: 'off' }).options.webTransport).toEqual({ enabled: false });
    expect(optionsFromEnv({ WT_PORT: '4433' }).options.webTransport).toEqual({ port: 4433 });
    expect(optionsFromEnv({}).options.webTransport).toBeUndefined();
    expect(() => optionsFromEnv({ WT_PORT: 'udp' })).toThrow(ConfigError);
    expect(() => optionsFromEnv({ WEBTRANSPORT: 'sometimes' })).toThrow(/WEBTRANSPORT must be on or off/);
  });

  it('uses the TCP port number for UDP when the port is fixed, unless WT_PORT says otherwise', async () => {
    const probe = await relayWith({ webTransport: { enabled: false } });
    const port = probe.port;
    await probe.close();
    relays.splice(relays.indexOf(probe), 1);
    const relay = await relayWith({ port });
    expect(relay.webTransport?.port).toBe(port);
    const other = await relayWith({ webTransport: { port: 0 } });
    expect(other.webTransport?.port).not.toBe(other.port);
  });
});
