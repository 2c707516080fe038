/**
 * A stand-in for `QuicConnection` that records what the HTTP/3 layer does, so
 * that layer can be driven byte by byte without sockets or quiche.
 */
import { FrameReader, FrameType } from '../../server/webtransport/h3-frames.js';
import { WebTransportError } from '../../server/webtransport/errors.js';
import {
  clientControlStream as nodeClientControlStream,
  connectHeaders,
  connectRequest as encodeConnect,
} from '../../server/webtransport/h3-client.js';
import { H3Connection, type H3ConnectionOptions } from '../../server/webtransport/h3-connection.js';
import { decodeFieldSection, type HeaderField } from '../../server/webtransport/qpack.js';
import type { QuicConnection } from '../../server/webtransport/quic-endpoint.js';
import { concatBytes } from '../../server/webtransport/varint.js';
import type { WebTransportSession } from '../../server/webtransport/webtransport-session.js';

export class FakeQuic {
  readonly written = new Map<number, { bytes: Uint8Array; fin: boolean }>();
  readonly stopped = new Map<number, number>();
  readonly resets = new Map<number, number>();
  readonly datagrams: Uint8Array[] = [];
  closedWith: { code: number; reason: string } | undefined;
  readonly remote = { host: '127.0.0.1', port: 1234 };
  readonly traceId = 'fake';
  readonly bufferedAmount = 0;
  readonly maxDatagramSize = 1200;
  readonly rttMs = 1;
  private nextUni = 3;
  private nextBidi = 1;

  /** Set to make every write and stream opening refuse as `congested`. */
  congested = false;

  get closing(): boolean {
    return this.closedWith !== undefined;
  }

  assertWritable(): void {
    if (this.closing) throw new WebTransportError('session-closed', 'closed');
    if (this.congested) throw new WebTransportError('congested', 'congested');
  }

  openStream(kind: 'uni' | 'bidi'): number {
    const id = kind === 'uni' ? this.nextUni : this.nextBidi;
    if (kind === 'uni') this.nextUni += 4;
    else this.nextBidi += 4;
    return id;
  }

  write(streamId: number, data: Uint8Array, fin = false): void {
    this.assertWritable();
    const entry = this.written.get(streamId) ?? { bytes: new Uint8Array(0), fin: false };
    if (entry.fin) throw new Error(`write after FIN on stream ${streamId}`);
    this.written.set(streamId, { bytes: concatBytes([entry.bytes, data]), fin: fin });
  }

  resetStream(streamId: number, code: number): void {
    this.resets.set(streamId, code);
  }

  stopReading(streamId: number, code: number): void {
    this.stopped.set(streamId, code);
  }

  sendDatagram(data: Uint8Array): boolean {
    this.datagrams.push(data);
    return true;
  }

  close(code: number, reason = ''): void {
    this.closedWith ??= { code, reason };
  }

  /** What the server wrote on a stream, as frames (after `skip` leading bytes, e.g. a stream type). */
  frames(streamId: number, skip = 0): Array<{ type: number; payload: Uint8Array }> {
    const bytes = this.written.get(streamId)?.bytes ?? new Uint8Array(0);
    const reader = new FrameReader({
      limits: new Map([
        [FrameType.Headers, 65536],
        [FrameType.Data, 65536],
        [FrameType.Settings, 65536],
        [FrameType.Goaway, 64],
      ]),
    });
    return reader.push(bytes.slice(skip));
  }

  /** The response headers the server wrote on a request stream. */
  response(streamId: number): HeaderField[] | undefined {
    const headers = this.frames(streamId).find((f) => f.type === FrameType.Headers);
    return headers && decodeFieldSection(headers.payload);
  }
}

/** The client's control stream as Chromium 156 opens it: type 0, then its SETTINGS (the Node client's too). */
export function clientControlStream(): Uint8Array {
  return nodeClientControlStream();
}

/** An extended CONNECT request's HEADERS frame, as Chromium sends it (with a page's origin). */
export function connectRequest(path = '/wt', extra: HeaderField[] = []): Uint8Array {
  return encodeConnect(connectHeaders({ authority: '127.0.0.1:4433', path, origin: 'http://127.0.0.1:8080' }, extra));
}

/** An H3Connection over a FakeQuic, established, with the sessions it accepts collected. */
export function fakeConnection(options: Partial<H3ConnectionOptions> = {}): {
  quic: FakeQuic;
  h3: H3Connection;
  sessions: WebTransportSession[];
} {
  const quic = new FakeQuic();
  const sessions: WebTransportSession[] = [];
  const h3 = new H3Connection(quic as unknown as QuicConnection, {
    path: '/wt',
    maxSessions: 2,
    maxFieldSectionSize: 16384,
    onSession: (session) => sessions.push(session),
    ...options,
  });
  h3.onEstablished();
  return { quic, h3, sessions };
}
