/**
 * videocall-cli's WebTransport for Node (cli/client/node-webtransport) against a
 * real relay on loopback: the browser's transport (src/transport/webtransport.ts)
 * runs over it unchanged, pinned to the relay's certificate hash; media goes both
 * ways as the mapping says (audio datagrams; video on a stream per frame to the
 * relay, on a framed stream per group of pictures from it); closing
 * is clean; refused ports and wrong certificates fail fast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, TestClient, waitFor } from '../server/helpers.js';
import type { Relay } from '../../server/relay.js';
import { decodeEnvelope, encodeEnvelope, PROTOCOL_VERSION, TrackKind } from '../../src/protocol/index.js';
import type { DecodedEnvelope, MediaFrameInit } from '../../src/protocol/index.js';
import { WebTransportTransport } from '../../src/transport/webtransport.js';
import {
  installNodeWebTransport,
  NodeWebTransport,
  nodeWebTransportsClosed,
} from '../../cli/client/node-webtransport/node-webtransport.js';

/** Bound of the failure cases: a refused or mispinned connection must not wait for a timeout. */
const FAILS_WITHIN_MS = 3000;

let relay: Relay;
const open: Array<{ close(): unknown }> = [];

beforeAll(async () => {
  installNodeWebTransport();
  relay = await startTestRelay();
});

afterAll(async () => {
  for (const o of open) o.close();
  await nodeWebTransportsClosed();
  await relay?.close();
});

/** The transport connected and joined to `room`; resolves with it, what it received, and its session id. */
async function joined(room: string, name: string) {
  const transport = await WebTransportTransport.connect(relay.url, { timeoutMs: 5000 });
  open.push(transport);
  const inbox: DecodedEnvelope[] = [];
  transport.onmessage = (bytes) => inbox.push(decodeEnvelope(bytes));
  transport.send(
    encodeEnvelope({ join: { protocolVersion: PROTOCOL_VERSION, room, name, framedStreams: true } }),
    'control',
  );
  await waitFor(() => inbox.some((e) => e.body === 'welcome'), 3000, 'Welcome');
  const id = inbox.find((e) => e.body === 'welcome')!.welcome!.sessionId!;
  return { transport, inbox, id };
}

function media(tag: string, frame: Partial<MediaFrameInit>, size = 0): Uint8Array {
  const payload = new Uint8Array(Math.max(size, tag.length));
  payload.set(new TextEncoder().encode(tag));
  return encodeEnvelope({ media: { kind: TrackKind.VIDEO, sequence: 1, timestamp: 0, ...frame, payload } });
}

const tagOf = (e: DecodedEnvelope): string =>
  e.body === 'media'
    ? Buffer.from(e.media!.payload ?? [])
        .toString('utf8')
        .replace(/\0+$/, '')
    : '';

async function dial(url: string, hash: BufferSource): Promise<{ error: Error; ms: number }> {
  const started = performance.now();
  const wt = new NodeWebTransport(url, { serverCertificateHashes: [{ algorithm: 'sha-256', value: hash }] });
  const error = await wt.ready.then(
    () => new Error('ready resolved'),
    (e: unknown) => e as Error,
  );
  await expect(wt.closed).rejects.toThrow();
  return { error, ms: performance.now() - started };
}

describe('WebTransport from Node (videocall-cli)', () => {
  it('joins the relay over WebTransport, pinned to the hash in /webtransport.json, and closes cleanly', async () => {
    const { transport } = await joined('node-wt-join', 'cli');
    expect(transport.kind).toBe('webtransport');
    expect(relay.stats()).toMatchObject({ participants: 1, webTransport: { sessions: 1, quicConnections: 1 } });
    transport.close(1000, 'left');
    await nodeWebTransportsClosed();
    // The close reached the relay: no session lingers until its idle timeout.
    await waitFor(
      () => relay.stats().webTransport?.quicConnections === 0 && relay.stats().participants === 0,
      2000,
      'the relay to see the session and its connection go',
    );
  });

  it('sends audio as datagrams and video as streams, and receives both from a WebSocket participant', async () => {
    const ws = await TestClient.joined(relay, 'node-wt-media', 'browser');
    open.push(ws);
    const node = await joined('node-wt-media', 'cli');
    await ws.next('peerJoined');

    expect(node.transport.send(media('node-audio', { kind: TrackKind.AUDIO }), 'audio')).toBe(true);
    expect(node.transport.send(media('node-key', { keyframe: true }, 120_000), 'video-key')).toBe(true);
    expect((await ws.nextMedia('node-audio')).from).toBe(node.id);
    const key = await ws.nextMedia('node-key');
    expect(key.media.payload?.length).toBe(120_000);
    expect(node.transport.stats).toMatchObject({ datagramsSent: 1, streamsSent: 1 });

    ws.sendMedia('ws-audio', { kind: TrackKind.AUDIO });
    ws.sendMedia('ws-video', { kind: TrackKind.VIDEO, keyframe: true }, 200_000);
    await waitFor(
      () => ['ws-audio', 'ws-video'].every((tag) => node.inbox.some((e) => tagOf(e) === tag)),
      3000,
      'the WebSocket participant’s media',
    );
    const video = node.inbox.find((e) => tagOf(e) === 'ws-video')!;
    expect(video.from).toBe(ws.id);
    expect(video.media!.payload?.length).toBe(200_000);
    expect(node.transport.stats.datagramsReceived).toBeGreaterThanOrEqual(1);
    expect(node.transport.stats.streamsReceived).toBeGreaterThanOrEqual(1);
  });

  it('receives a track’s group of pictures on one framed stream, in order, and the next on another', async () => {
    const ws = await TestClient.joined(relay, 'node-wt-gop', 'browser');
    open.push(ws);
    const node = await joined('node-wt-gop', 'cli');
    await ws.next('peerJoined');
    const before = node.transport.stats;
    const tags: string[] = [];
    for (let i = 0; i < 20; i++) {
      const keyframe = i === 0 || i === 10;
      const tag = `${keyframe ? 'key' : 'delta'}-${i}`;
      tags.push(tag);
      ws.sendMedia(tag, { kind: TrackKind.VIDEO, keyframe, sequence: i }, keyframe ? 30_000 : 2000);
      // The second keyframe only once the first group has arrived: sooner, the relay resets what is still queued.
      if (i === 9) await waitFor(() => node.inbox.some((e) => tagOf(e) === 'delta-9'), 3000, 'the first group');
    }
    await waitFor(() => node.inbox.some((e) => tagOf(e) === 'delta-19'), 3000, 'the second group');
    expect(node.inbox.filter((e) => e.body === 'media').map(tagOf)).toEqual(tags);
    const after = node.transport.stats;
    expect(after.streamsReceived - before.streamsReceived).toBe(2);
    expect(after.framedReceived - before.framedReceived).toBe(20);
  });

  it('rejects a certificate that matches no pinned hash, and a UDP port nobody listens on, within a bound', async () => {
    const info = relay.webTransport!.info;
    const url = `https://127.0.0.1:${relay.webTransport!.port}${info.path}`;
    const mispinned = await dial(url, new Uint8Array(32));
    expect(mispinned.error.message).toMatch(/matches none of the 1 pinned/);
    expect(mispinned.error).toMatchObject({ name: 'WebTransportError', code: 'certificate-mismatch' });
    expect(mispinned.ms).toBeLessThan(FAILS_WITHIN_MS);

    // A port just released by a socket of our own: nothing listens there.
    const { createSocket } = await import('node:dgram');
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const port = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const refused = await dial(`https://127.0.0.1:${port}/wt`, new Uint8Array(32));
    expect(refused.error.message).toMatch(new RegExp(`nothing listens on UDP port ${port}`));
    expect(refused.error).toMatchObject({ code: 'connect-failed' });
    expect(refused.ms).toBeLessThan(FAILS_WITHIN_MS);
  });

  it('says what the relay answered a CONNECT it refused, and refuses an unpinned self-signed certificate', async () => {
    const { port, info } = relay.webTransport!;
    const hash = Buffer.from(info.serverCertificateHashes[0]!.value, 'base64');
    const wrongPath = await dial(`https://127.0.0.1:${port}/nowhere`, hash);
    expect(wrongPath.error.message).toMatch(/answered the CONNECT with 404/);
    // No hash pinned: the certificate must chain to a root CA, which the relay's generated one does not.
    const started = performance.now();
    const unpinned = new NodeWebTransport(`https://127.0.0.1:${port}${info.path}`);
    await expect(unpinned.ready).rejects.toThrow(/handshake did not complete.*TLS alert/);
    expect(performance.now() - started).toBeLessThan(FAILS_WITHIN_MS);
  });

  it('gives up connecting at once when closed before ready', async () => {
    const { port, info } = relay.webTransport!;
    const wt = new NodeWebTransport(`https://127.0.0.1:${port}${info.path}`, {
      serverCertificateHashes: [{ algorithm: 'sha-256', value: new Uint8Array(32) }],
    });
    wt.close();
    await expect(wt.ready).rejects.toThrow(/closed before/);
    await expect(wt.closed).rejects.toThrow(/closed before/);
  });
});
