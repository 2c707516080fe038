/**
 * A relay participant over WebTransport, for tests: the quiche test client
 * speaking the relay's wire mapping (control stream with length-prefixed
 * envelopes, audio datagrams, video on framed unidirectional streams (a
 * track's group of pictures per stream) or a whole stream per envelope), and
 * able to misbehave on purpose. Every wait is bounded.
 */
import {
  decodeEnvelope,
  encodeEnvelope,
  FRAMED_STREAM_MARKER,
  laneOf,
  lengthPrefixed,
  LengthPrefixedReader,
  PROTOCOL_VERSION,
  TrackKind,
  type BodyKind,
  type DecodedEnvelope,
  type EnvelopeInit,
  type MediaFrameInit,
} from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { createCapsuleReader, CapsuleType, parseCloseSession } from '../../server/webtransport/capsules.js';
import { FrameReader, FrameType } from '../../server/webtransport/h3-frames.js';
import { concatBytes, encodeVarint } from '../../server/webtransport/varint.js';
import { QuicTestClient, type ClientWindows } from './quic-test-client.js';

/** Bound of every wait here. */
export const WT_WAIT_MS = 3000;

/** The session ID: the CONNECT request is the client's first bidirectional stream. */
const SESSION_ID = 0;
/** The control stream: the client's second bidirectional stream. */
export const CONTROL_STREAM = 4;
/** Server-opened unidirectional streams from here on are WebTransport's (3, 7, 11 are HTTP/3's own). */
const FIRST_SERVER_WT_UNI = 15;

/** How a received envelope travelled. */
export type Carrier = 'control' | 'datagram' | 'stream';

/** An envelope received, with its carrier (and for a stream, which one and its lane when framed). */
export type WtReceived<K extends BodyKind = BodyKind> = DecodedEnvelope & {
  [P in K]: NonNullable<DecodedEnvelope[P]>;
} & { via: Carrier; streamId?: number; lane?: number };

/** A framed stream being read: how far, and its reader. */
interface FramedRead {
  offset: number;
  reader: LengthPrefixedReader;
  lane?: number;
}

let count = 0;

export class WtTestParticipant {
  /** Envelopes received and not yet taken by {@link next}. */
  readonly inbox: WtReceived[] = [];
  /** Session id from `Welcome`. */
  id = '';
  private readonly control = new LengthPrefixedReader(64 * 1024 * 1024);
  private controlOffset = 0;
  private datagramsSeen = 0;
  private readonly streamsSeen = new Set<number>();
  private readonly framed = new Map<number, FramedRead>();
  private readonly pending = new Set<Promise<void>>();
  private nextUni = 6; // 2 is the client's HTTP/3 control stream
  private nextBidi = 8;

  private constructor(
    readonly client: QuicTestClient,
    readonly label: string,
  ) {}

  /** Opens a session at the relay's WebTransport endpoint and its control stream. */
  static async connect(
    relay: Pick<Relay, 'webTransport'>,
    label?: string,
    windows: ClientWindows = {},
  ): Promise<WtTestParticipant> {
    if (!relay.webTransport) throw new Error('the relay runs no WebTransport');
    const { client, response } = await QuicTestClient.session(
      relay.webTransport.port,
      relay.webTransport.info.path,
      windows,
    );
    if (!response.some(([n, v]) => n === ':status' && v === '200')) {
      await client.close();
      throw new Error(`CONNECT answered ${JSON.stringify(response)}`);
    }
    const participant = new WtTestParticipant(client, label ?? `wt${++count}`);
    client.send(CONTROL_STREAM, bidiHeader());
    return participant;
  }

  /** Connects and joins `room`; resolves with the `Welcome`. */
  static async joined(
    relay: Pick<Relay, 'webTransport'>,
    room: string,
    name?: string,
    windows: ClientWindows = {},
    framedStreams = true,
  ): Promise<WtTestParticipant> {
    const participant = await WtTestParticipant.connect(relay, name, windows);
    await participant.join(room, name ?? participant.label, framedStreams);
    return participant;
  }

  /** Joins `room`; `framedStreams` false: as a client that reads no framed streams (an older one). */
  async join(room: string, name = this.label, framedStreams = true): Promise<WtReceived<'welcome'>> {
    this.sendControl({ join: { protocolVersion: PROTOCOL_VERSION, room, name, framedStreams } });
    const welcome = await this.next('welcome');
    this.id = welcome.welcome.sessionId ?? '';
    return welcome;
  }

  /** An envelope on the control stream, length-prefixed. */
  sendControl(message: EnvelopeInit): void {
    this.sendControlRaw(lengthPrefixed(encodeEnvelope(message)));
  }

  /** Bytes on the control stream as they are. */
  sendControlRaw(bytes: Uint8Array, fin = false): void {
    this.client.send(CONTROL_STREAM, bytes, fin);
  }

  /** An envelope as one datagram. */
  sendDatagram(message: EnvelopeInit | Uint8Array): void {
    const bytes = message instanceof Uint8Array ? message : encodeEnvelope(message);
    this.client.sendDatagram(concatBytes([encodeVarint(SESSION_ID / 4), bytes]));
  }

  /**
   * An envelope (or any bytes) as a whole unidirectional stream; returns its stream
   * ID. Writing goes on in the background as flow control allows (see {@link writes}).
   */
  sendStream(message: EnvelopeInit | Uint8Array, fin = true): number {
    const bytes = message instanceof Uint8Array ? message : encodeEnvelope(message);
    const id = this.nextUni;
    this.nextUni += 4;
    const header = concatBytes([encodeVarint(0x54), encodeVarint(SESSION_ID)]);
    this.track(this.client.sendAll(id, concatBytes([header, bytes]), fin));
    return id;
  }

  /** Resolves once every stream write started so far finished (or failed: the relay may stop a stream). */
  async writes(): Promise<void> {
    await Promise.allSettled(this.pending);
  }

  /** More bytes on a unidirectional stream opened with {@link sendStream}. */
  continueStream(id: number, bytes: Uint8Array, fin = false): void {
    this.client.send(id, bytes, fin);
  }

  /** Opens another bidirectional stream (the relay takes only the first). Returns its ID. */
  openExtraBidi(data: Uint8Array = new Uint8Array(0)): number {
    const id = this.nextBidi;
    this.nextBidi += 4;
    this.client.send(id, concatBytes([bidiHeader(), data]));
    return id;
  }

  /** A media frame whose payload is `tag` (UTF-8) padded to `size` bytes, on the carrier the mapping says. */
  sendMedia(tag: string, frame: Partial<MediaFrameInit> = {}, size = 0): void {
    const payload = new Uint8Array(Math.max(size, tag.length));
    payload.set(new TextEncoder().encode(tag));
    const media: MediaFrameInit = { kind: TrackKind.VIDEO, sequence: 1, timestamp: 0, ...frame, payload };
    if (media.kind === TrackKind.AUDIO) this.sendDatagram({ media });
    else this.sendStream({ media });
  }

  /** The next received envelope carrying `type` (others stay in the inbox). */
  async next<K extends BodyKind>(type: K, timeoutMs = WT_WAIT_MS): Promise<WtReceived<K>> {
    return (await this.waitFor((e) => e.body === type, timeoutMs, `"${type}"`)) as WtReceived<K>;
  }

  /** The next media frame whose payload starts with `tag`. */
  async nextMedia(tag: string, timeoutMs = WT_WAIT_MS): Promise<WtReceived<'media'>> {
    const found = await this.waitFor(
      (e) =>
        e.body === 'media' &&
        Buffer.from(e.media!.payload ?? [])
          .toString('utf8')
          .startsWith(tag),
      timeoutMs,
      `media "${tag}"`,
    );
    return found as WtReceived<'media'>;
  }

  /** Fails if an envelope of `type` arrives within `ms`. */
  async expectNone(type: BodyKind, ms = 200): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    this.poll();
    const hit = this.inbox.find((e) => e.body === type);
    if (hit) throw new Error(`${this.label} received an unexpected "${type}": ${JSON.stringify(hit)}`);
  }

  /** The session's close code and reason (CLOSE_WEBTRANSPORT_SESSION); rejects after `timeoutMs`. */
  async closed(timeoutMs = WT_WAIT_MS): Promise<{ code: number; reason: string }> {
    let info: { code: number; reason: string } | undefined;
    await this.client.until(
      () => {
        info = this.closeInfo();
        return info !== undefined;
      },
      `${this.label}: the session close`,
      timeoutMs,
    );
    return info!;
  }

  /** Whether the relay ended its side of the control stream. */
  get controlEnded(): boolean {
    return this.client.finished(CONTROL_STREAM);
  }

  /** Closes the QUIC connection. */
  async close(): Promise<void> {
    await this.client.close();
  }

  private async waitFor(match: (e: WtReceived) => boolean, timeoutMs: number, what: string): Promise<WtReceived> {
    let found: WtReceived | undefined;
    try {
      await this.client.until(
        () => {
          this.poll();
          const at = this.inbox.findIndex(match);
          if (at >= 0) found = this.inbox.splice(at, 1)[0];
          return found !== undefined;
        },
        `${this.label}: ${what}`,
        timeoutMs,
      );
    } catch (err) {
      const seen = this.inbox
        .map(
          (e) =>
            `${e.body}/${e.via}${
              e.media
                ? ` ${Buffer.from(e.media.payload ?? [])
                    .toString('utf8', 0, 10)
                    .replace(/\0+$/, '')}`
                : ''
            }`,
        )
        .join(', ');
      throw new Error(`${(err as Error).message} (inbox: ${seen || 'empty'})`, { cause: err });
    }
    return found!;
  }

  private track(write: Promise<void>): void {
    const settled = write.catch(() => undefined).finally(() => this.pending.delete(settled));
    this.pending.add(settled);
  }

  /** Moves what arrived into the inbox. */
  private poll(): void {
    const streams = this.client.streams;
    const control = streams.get(CONTROL_STREAM);
    if (control && control.bytes.length > this.controlOffset) {
      for (const bytes of this.control.push(control.bytes.subarray(this.controlOffset))) this.add(bytes, 'control');
      this.controlOffset = control.bytes.length;
    }
    for (; this.datagramsSeen < this.client.datagrams.length; this.datagramsSeen++) {
      // Skip the quarter stream ID (one byte for session 0).
      this.add(this.client.datagrams[this.datagramsSeen]!.subarray(1), 'datagram');
    }
    for (const [id, { bytes, fin }] of streams) {
      if (id % 4 !== 3 || id < FIRST_SERVER_WT_UNI || this.streamsSeen.has(id)) continue;
      // Skip the stream type (0x54, two bytes) and the session ID (one byte).
      let framed = this.framed.get(id);
      if (!framed && bytes.length > 3 && bytes[3] === FRAMED_STREAM_MARKER) {
        // After the marker: the lane (the first message), then envelopes.
        this.framed.set(id, (framed = { offset: 4, reader: new LengthPrefixedReader(64 * 1024 * 1024) }));
      }
      if (framed) {
        const messages = framed.reader.push(bytes.subarray(framed.offset));
        framed.offset = bytes.length;
        for (const message of messages) {
          if (framed.lane === undefined) framed.lane = laneOf(message);
          else this.add(message, 'stream', { streamId: id, lane: framed.lane });
        }
        if (fin) this.streamsSeen.add(id);
        continue;
      }
      if (!fin) continue;
      this.streamsSeen.add(id);
      this.add(bytes.subarray(3), 'stream', { streamId: id });
    }
  }

  private add(bytes: Uint8Array, via: Carrier, where: { streamId?: number; lane?: number } = {}): void {
    this.inbox.push(Object.assign(decodeEnvelope(bytes), { via }, where) as WtReceived);
  }

  private closeInfo(): { code: number; reason: string } | undefined {
    const connect = this.client.streams.get(SESSION_ID);
    if (!connect) return undefined;
    const frames = new FrameReader({
      limits: new Map([
        [FrameType.Headers, 65536],
        [FrameType.Data, 65536],
      ]),
    }).push(connect.bytes);
    const payload = concatBytes(frames.filter((f) => f.type === FrameType.Data).map((f) => f.payload));
    const close = createCapsuleReader()
      .push(payload)
      .find((c) => c.type === CapsuleType.CloseWebTransportSession);
    return close ? parseCloseSession(close.payload) : undefined;
  }
}

/** The signal and session ID that start a WebTransport bidirectional stream. */
function bidiHeader(): Uint8Array {
  return concatBytes([encodeVarint(0x41), encodeVarint(SESSION_ID)]);
}
