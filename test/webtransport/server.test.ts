/**
 * The WebTransport server over real UDP sockets and quiche on both ends: the
 * client here is quiche's client side driven by the test, so it can misbehave.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCloseSession, parseCloseSession } from '../../server/webtransport/capsules.js';
import { generateDevCertificate } from '../../server/webtransport/dev-certificate.js';
import { H3ErrorCode, WebTransportError } from '../../server/webtransport/errors.js';
import { encodeData, FrameReader, FrameType } from '../../server/webtransport/h3-frames.js';
import { concatBytes, encodeVarint } from '../../server/webtransport/varint.js';
import {
  startWebTransportServer,
  webTransportAvailability,
  type WebTransportServer,
  type WebTransportServerOptions,
} from '../../server/webtransport/webtransport-server.js';
import type { SessionCloseInfo, WebTransportSession } from '../../server/webtransport/webtransport-session.js';
import { QuicTestClient } from './quic-test-client.js';

const QUIC_CONNECTION_REFUSED = 0x02;

let server: WebTransportServer | undefined;
const clients: QuicTestClient[] = [];

/** An echo server: datagrams back, bidirectional streams back, unidirectional streams answered on a new one. */
async function echoServer(options: Partial<WebTransportServerOptions> = {}): Promise<WebTransportServer> {
  server = await startWebTransportServer({ host: '127.0.0.1', port: 0, ...options });
  server.onsession = (session) => {
    session.ondatagram = (d) => session.sendDatagram(d);
    session.onbidistream = (stream) => {
      stream.ondata = (chunk) => stream.write(chunk);
      stream.onend = () => stream.end();
    };
    session.onunistream = (stream) => {
      const parts: Uint8Array[] = [];
      stream.ondata = (chunk) => parts.push(chunk);
      stream.onend = () => session.openUniStream(concatBytes([Buffer.from('echo:'), ...parts]));
    };
  };
  return server;
}

async function session(path = '/wt'): Promise<QuicTestClient> {
  const { client, response } = await QuicTestClient.session(server!.port, path);
  clients.push(client);
  expect(response).toContainEqual([':status', '200']);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await server?.close();
  server = undefined;
});

describe('WebTransport server over QUIC', () => {
  it('reports the native QUIC binding as available here', async () => {
    expect(await webTransportAvailability()).toEqual({ available: true });
  });

  it('accepts a session and echoes datagrams, a bidirectional stream and a unidirectional stream', async () => {
    await echoServer();
    const client = await session();
    client.sendDatagram(Uint8Array.of(0x00, 1, 2, 3));
    await client.until(() => client.datagrams.length === 1, 'the datagram echo');
    expect(client.datagrams[0]).toEqual(Uint8Array.of(0x00, 1, 2, 3));

    client.send(4, concatBytes([encodeVarint(0x41), encodeVarint(0), Buffer.from('hello')]), true);
    await client.until(() => client.streams.get(4)?.fin === true, 'the bidirectional echo');
    expect(Buffer.from(client.streams.get(4)!.bytes).toString()).toBe('hello');

    client.sendUni(6, 0, Buffer.from('frame'));
    // Server unidirectional streams: 3, 7, 11 are HTTP/3's; the first WebTransport one is 15.
    await client.until(() => client.streams.get(15)?.fin === true, 'the server unidirectional stream');
    expect(client.streams.get(15)!.bytes).toEqual(
      concatBytes([Uint8Array.of(0x40, 0x54, 0x00), Buffer.from('echo:frame')]),
    );
    expect(server!.stats()).toMatchObject({ sessions: 1, sessionsTotal: 1, connections: 1 });
  });

  it('carries a message larger than the flow-control windows on one stream, in order', async () => {
    await echoServer({ limits: { maxStreamData: 64 * 1024, maxData: 128 * 1024 } });
    let sessionRef: WebTransportSession | undefined;
    const onsession = server!.onsession!;
    server!.onsession = (s) => {
      sessionRef = s;
      onsession(s);
    };
    const client = await session();
    await client.until(() => sessionRef !== undefined, 'the session');
    const big = Buffer.alloc(3_000_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const stream = sessionRef!.openUniStream(big);
    await client.until(() => client.finished(stream.id), 'a 3 MB stream', 10_000);
    // Buffer.equals: a deep toEqual over 3 MB would take longer than the transfer.
    expect(big.equals(client.streams.get(stream.id)!.bytes.subarray(3))).toBe(true);
    expect(sessionRef!.bufferedAmount).toBe(0);
  });

  it('answers 404 on another path', async () => {
    await echoServer();
    const { client, response } = await QuicTestClient.session(server!.port, '/nope');
    clients.push(client);
    expect(response).toEqual([[':status', '404']]);
  });

  it('closes a session with a capsule and FIN, and sees the client’s close capsule', async () => {
    await echoServer();
    const closes: SessionCloseInfo[] = [];
    const sessions: WebTransportSession[] = [];
    server!.onsession = (s) => {
      sessions.push(s);
      s.onclose = (info) => closes.push(info);
    };
    const a = await session();
    await a.until(() => sessions.length === 1, 'the first session');
    sessions[0]!.close(0xabc, 'server done');
    await a.until(() => a.streams.get(0)?.fin === true, 'the CONNECT stream to end');
    const frames = new FrameReader({
      limits: new Map([
        [FrameType.Headers, 1024],
        [FrameType.Data, 1024],
      ]),
    }).push(a.streams.get(0)!.bytes);
    const data = frames.find((f) => f.type === FrameType.Data)!;
    expect(parseCloseSession(data.payload.subarray(3))).toEqual({ code: 0xabc, reason: 'server done' });

    const b = await session();
    await b.until(() => sessions.length === 2, 'the second session');
    b.send(0, encodeData(encodeCloseSession(5, 'client done')), true);
    await b.until(() => closes.length === 2, 'the client close');
    expect(closes).toEqual([
      { by: 'local', code: 0xabc, reason: 'server done' },
      { by: 'peer', code: 5, reason: 'client done' },
    ]);
  });

  it('closes only the connection that breaks HTTP/3; another keeps its session', async () => {
    await echoServer();
    const good = await session();
    const bad = await session();
    // DATA on the control stream is a connection error (H3_FRAME_UNEXPECTED).
    bad.send(2, encodeData(Uint8Array.of(1, 2, 3)));
    await bad.until(() => bad.conn.peerError() !== null, 'the bad connection to be closed');
    expect(bad.conn.peerError()).toMatchObject({ isApp: true, errorCode: H3ErrorCode.FrameUnexpected });

    good.sendDatagram(Uint8Array.of(0x00, 42));
    await good.until(() => good.datagrams.length === 1, 'the good session’s echo');
    expect(good.conn.peerError()).toBeNull();
    expect(server!.stats().handlerErrors).toBe(0);
  });

  it('closes a connection whose request needs the dynamic table with QPACK_DECOMPRESSION_FAILED', async () => {
    await echoServer();
    const client = await QuicTestClient.connect(server!.port);
    clients.push(client);
    client.send(0, Uint8Array.of(FrameType.Headers, 3, 0x02, 0x00, 0x80));
    await client.until(() => client.conn.peerError() !== null, 'the close');
    expect(client.conn.peerError()?.errorCode).toBe(H3ErrorCode.QpackDecompressionFailed);
  });

  it('refuses connections past maxConnections with CONNECTION_REFUSED', async () => {
    await echoServer({ limits: { maxConnections: 1 } });
    await session();
    const refused = QuicTestClient.connect(server!.port);
    await expect(refused).rejects.toThrow(new RegExp(`handshake failed: .*"errorCode":${QUIC_CONNECTION_REFUSED}`));
    expect(server!.stats().refused).toBe(1);
  });

  it('advertises the stream limits it enforces', async () => {
    await echoServer({ limits: { maxStreamsBidi: 7, maxStreamsUni: 9 } });
    const client = await session();
    expect(client.conn.peerStreamsLeftBidi()).toBe(7 - 1); // stream 0 is the CONNECT
    expect(client.conn.peerStreamsLeftUni()).toBe(9 - 1); // stream 2 is the control stream
  });

  it('uses a configured certificate and publishes its SHA-256', async () => {
    const dev = generateDevCertificate();
    await echoServer({ cert: dev.cert, key: dev.key });
    expect(server!.certificateHash).toEqual(dev.sha256);
    expect(server!.generatedCertificate).toBe(false);
    await session();
  });

  it('refuses an unusable certificate with a coded error', async () => {
    const dev = generateDevCertificate();
    const start = startWebTransportServer({ host: '127.0.0.1', port: 0, cert: 'not a certificate', key: dev.key });
    await expect(start).rejects.toBeInstanceOf(WebTransportError);
    await expect(start).rejects.toMatchObject({ code: 'bad-certificate' });
  });

  it('closes every connection on close()', async () => {
    await echoServer();
    const client = await session();
    await server!.close();
    await client.until(() => client.conn.peerError() !== null, 'the close');
    expect(client.conn.peerError()).toMatchObject({ isApp: true, errorCode: H3ErrorCode.NoError });
  });
});
