/**
 * A minimal HTTP/3 WebTransport client for tests, over quiche's client side
 * and a UDP socket: it speaks exactly the bytes a test tells it to, so tests
 * can be well-behaved (a Chromium-like session) or not (malformed frames).
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { FrameReader, FrameType } from '../../server/webtransport/h3-frames.js';
import { loadQuiche, type Quiche, type QuicheConnection } from '../../server/webtransport/quic-binding.js';
import { createClientConfig, DEFAULT_QUIC_CLIENT_LIMITS } from '../../server/webtransport/quic-client.js';
import { decodeFieldSection, type HeaderField } from '../../server/webtransport/qpack.js';
import { concatBytes, encodeVarint } from '../../server/webtransport/varint.js';
import { clientControlStream, connectRequest } from './fake-quic.js';

/** Bound of every wait here. */
export const CLIENT_WAIT_MS = 3000;

/** Flow-control windows the client grants (defaults: 10 MB for the connection, 1 MB per stream). */
export interface ClientWindows {
  maxData?: number;
  maxStreamData?: number;
}

export class QuicTestClient {
  /** While true, received stream data and datagrams stay in quiche unread: the flow-control windows fill up. */
  paused = false;
  private readonly received = new Map<number, { chunks: Uint8Array[]; fin: boolean }>();
  readonly resets = new Map<number, number>();
  readonly datagrams: Uint8Array[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closedFlag = false;

  private constructor(
    private readonly quiche: Quiche,
    readonly conn: QuicheConnection,
    private readonly socket: Socket,
    private readonly server: { host: string; port: number },
    private readonly local: { host: string; port: number },
  ) {}

  /** Connects and completes the QUIC handshake. */
  static async connect(port: number, host = '127.0.0.1', windows: ClientWindows = {}): Promise<QuicTestClient> {
    const load = await loadQuiche();
    if (!load.ok) throw new Error(load.reason);
    const { quiche } = load;
    // The Node client's configuration (no certificate check: the tests trust their relay), with the test's windows.
    const config = createClientConfig(
      quiche,
      { alpn: ['h3'], verifyPeer: false },
      {
        ...DEFAULT_QUIC_CLIENT_LIMITS,
        idleTimeoutMs: 10_000,
        maxData: windows.maxData ?? 10_000_000,
        maxStreamData: windows.maxStreamData ?? 1_000_000,
        datagramQueueLength: 1000,
      },
    );
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const local = { host: '127.0.0.1', port: socket.address().port };
    const server = { host, port };
    const conn = quiche.Connection.connect('localhost', randomBytes(20), local, server, config);
    const client = new QuicTestClient(quiche, conn, socket, server, local);
    socket.on('message', (packet) => client.onPacket(packet));
    client.flush();
    // A refused connection drains (its CONNECTION_CLOSE arrived) rather than closes at once.
    await client.until(() => conn.isEstablished() || conn.isClosed() || conn.peerError() !== null, 'the handshake');
    if (!conn.isEstablished() || conn.peerError()) {
      await client.close();
      throw new Error(`handshake failed: ${JSON.stringify(conn.peerError())}`);
    }
    return client;
  }

  /** Opens the control stream and a CONNECT on stream 0; resolves with the response headers. */
  static async session(
    port: number,
    path = '/wt',
    windows: ClientWindows = {},
    extraHeaders: HeaderField[] = [],
  ): Promise<{ client: QuicTestClient; response: HeaderField[] }> {
    const client = await QuicTestClient.connect(port, '127.0.0.1', windows);
    client.send(2, clientControlStream());
    client.send(0, connectRequest(path, extraHeaders));
    const response = await client.response(0);
    return { client, response };
  }

  /** Bytes received per stream so far, and whether it ended. */
  get streams(): Map<number, { bytes: Uint8Array; fin: boolean }> {
    const out = new Map<number, { bytes: Uint8Array; fin: boolean }>();
    for (const [id, { chunks, fin }] of this.received) {
      const bytes = concatBytes(chunks);
      this.received.set(id, { chunks: [bytes], fin });
      out.set(id, { bytes, fin });
    }
    return out;
  }

  /** Whether a stream ended (cheap: no copying). */
  finished(streamId: number): boolean {
    return this.received.get(streamId)?.fin === true;
  }

  get closed(): boolean {
    return this.conn.isClosed();
  }

  /**
   * Whether the peer asked us to stop sending on `streamId`, a stream we opened and
   * neither finished nor reset: its STOP_SENDING has arrived (`StreamStopped`), or
   * quiche already answered it with a RESET_STREAM, had that acknowledged and
   * forgot the stream (`InvalidStreamState`).
   */
  stopped(streamId: number): boolean {
    try {
      this.conn.streamCapacity(streamId);
      return false;
    } catch (err) {
      return /StreamStopped|InvalidStreamState/.test((err as Error).message);
    }
  }

  send(streamId: number, data: Uint8Array, fin = false): void {
    const written = this.conn.streamSend(streamId, data, fin);
    if (written !== data.length) throw new Error(`stream ${streamId} took ${written} of ${data.length} bytes`);
    this.flush();
  }

  /**
   * Writes all of `data` (and the FIN) however many round trips the server's flow
   * control and the congestion window take, where {@link send} takes one bite.
   */
  async sendAll(streamId: number, data: Uint8Array, fin = false, timeoutMs = CLIENT_WAIT_MS): Promise<void> {
    let rest = data;
    await this.until(
      () => {
        const written = this.conn.streamSend(streamId, rest, fin) ?? 0;
        rest = rest.subarray(written);
        this.flush();
        return rest.length === 0;
      },
      `${data.length} bytes on stream ${streamId}`,
      timeoutMs,
    );
  }

  sendDatagram(data: Uint8Array): void {
    this.conn.dgramSend(data);
    this.flush();
  }

  /** Opens a WebTransport unidirectional stream (client IDs 2, 6, ... : 2 is the control stream). */
  sendUni(streamId: number, sessionId: number, data: Uint8Array, fin = true): void {
    this.send(streamId, concatBytes([encodeVarint(0x54), encodeVarint(sessionId), data]), fin);
  }

  /** Waits for the response HEADERS on a request stream. */
  async response(streamId: number): Promise<HeaderField[]> {
    let headers: HeaderField[] | undefined;
    await this.until(() => {
      const bytes = this.streams.get(streamId)?.bytes;
      if (!bytes) return false;
      const frames = new FrameReader({ limits: new Map([[FrameType.Headers, 65536]]) }).push(bytes);
      const first = frames.find((f) => f.type === FrameType.Headers);
      if (first) headers = decodeFieldSection(first.payload);
      return headers !== undefined;
    }, `a response on stream ${streamId}`);
    return headers!;
  }

  /** Resolves when `predicate` holds; rejects after `timeoutMs`. */
  async until(predicate: () => boolean, what: string, timeoutMs = CLIENT_WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Sends CONNECTION_CLOSE (application code `code`) and releases the socket. */
  async close(code = 0x100): Promise<void> {
    if (this.closedFlag) return;
    try {
      this.conn.close(true, code, Buffer.from(''));
      this.flush();
    } catch {
      // already closed
    }
    this.closedFlag = true;
    if (this.timer) clearTimeout(this.timer);
    // Let the CONNECTION_CLOSE packet leave before the socket goes.
    await new Promise((r) => setTimeout(r, 20));
    this.socket.close();
  }

  private onPacket(packet: Buffer): void {
    if (this.closedFlag) return;
    try {
      this.conn.recv(packet, { from: this.server, to: this.local });
    } catch {
      // a packet quiche refuses; it closes the connection itself when it must
    }
    if (this.paused) return this.flush();
    const buffer = Buffer.alloc(65536);
    for (const streamId of [...this.conn.readable()]) {
      for (;;) {
        let result;
        try {
          result = this.conn.streamRecv(streamId, buffer);
        } catch (err) {
          const reset = /StreamReset\((\d+)\)/.exec((err as Error).message);
          if (reset) this.resets.set(streamId, Number(reset[1]));
          break;
        }
        if (!result) break;
        const entry = this.received.get(streamId) ?? { chunks: [], fin: false };
        entry.chunks.push(new Uint8Array(buffer.subarray(0, result[0])));
        entry.fin = result[1];
        this.received.set(streamId, entry);
        if (result[1]) break;
      }
    }
    for (let d = this.conn.dgramRecvVec(); d; d = this.conn.dgramRecvVec()) this.datagrams.push(d);
    this.flush();
  }

  private flush(): void {
    if (this.closedFlag && this.conn.isClosed()) return;
    for (;;) {
      const out = Buffer.alloc(1500);
      const result = this.conn.send(out);
      if (!result) break;
      this.socket.send(out.subarray(0, result[0]), this.server.port, this.server.host);
    }
    if (this.timer) clearTimeout(this.timer);
    const timeout = this.conn.timeout();
    if (timeout !== null && !this.closedFlag) {
      this.timer = setTimeout(() => {
        this.conn.onTimeout();
        this.flush();
      }, timeout + 1);
      this.timer.unref();
    }
  }

  /** The quiche module this client uses (for constants in tests). */
  get binding(): Quiche {
    return this.quiche;
  }
}
