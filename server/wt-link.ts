/**
 * A WebTransport session as a {@link ClientLink}, sending by the relay's wire
 * mapping:
 *
 * - control: on the client's control stream (its first bidirectional stream),
 *   each envelope length-prefixed (`src/protocol/stream-framing.ts`);
 * - audio: one envelope per datagram when it fits, else a stream of its own;
 * - video, to a client that reads them (`Join.framedStreams`): a framed
 *   stream per publisher's track and group of pictures
 *   (`framedStreamHeader` in `src/protocol/stream-framing.ts`): the keyframe
 *   opens a server-opened unidirectional stream, the deltas that follow are
 *   written to it, length-prefixed, and the next keyframe starts the next
 *   stream on the same lane. A delta then costs a write, not a stream (at 20
 *   tiles, 600 streams a second for the page to accept and read otherwise). The
 *   stream a keyframe replaces is ended, or reset when part of it is still
 *   queued here: a late delta is worthless once the keyframe that replaces it
 *   is sent;
 * - video, to an older client: each envelope on its own server-opened
 *   unidirectional stream, FIN at its end; a publisher's keyframe resets that
 *   track's streams still on their way.
 *
 * Closing follows the WebSocket's close handshake: the `Error` envelope the
 * session queued, then the control stream's end, then (after a bounded linger
 * for it to arrive) CLOSE_WEBTRANSPORT_SESSION with the WebSocket close code
 * and reason.
 */
import { concatBytes } from '../src/shared/bytes.js';
import { framedStreamHeader, lengthPrefixed } from '../src/protocol/index.js';
import type { ClientLink } from './client-link.js';
import { createLogger } from './log.js';
import type { DropReason, Metrics } from './metrics.js';
import { isAudioKind } from './track-kinds.js';
import {
  WebTransportError,
  type WebTransportBidiStream,
  type WebTransportSendStream,
  type WebTransportSession,
} from './webtransport/index.js';

const log = createLogger('webtransport');

/**
 * WebTransport stream error codes the relay sends (RESET_STREAM, STOP_SENDING).
 * Small numbers: browsers expose stream error codes to pages, some only as a byte.
 */
export const WtStreamCode = {
  /** A video frame superseded by its publisher's next keyframe. */
  Superseded: 1,
  /** A stream beyond `maxMessageBytes`. */
  TooLarge: 2,
  /** A stream the relay does not take (a second bidirectional stream, too many at once). */
  Refused: 3,
} as const;

/** Longest a close lingers, whatever the round-trip time (ws bounds a closing handshake by 2 s too). */
const MAX_CLOSE_LINGER_MS = 2000;

/** Unfinished one-frame video streams remembered per publisher track (older clients); older ones are left to finish. */
const MAX_TRACKED_STREAMS = 64;

export interface WtLinkOptions {
  /**
   * How long a close waits (plus two round trips), after the control stream's
   * end, for the client to close the session itself (it does on a fatal `Error`)
   * before the relay closes it. Chromium drops what a page has not read yet from
   * a stream when the session closes: closing at once loses the `Error`.
   */
  closeLingerMs: number;
}

export class WtLink implements ClientLink {
  readonly kind = 'webtransport';
  private control: WebTransportBidiStream | undefined;
  private closing = false;
  private closeCode = 0;
  private closeReason = '';
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Per publisher, per track kind: the framed stream its current group of pictures goes on. */
  private readonly lanes = new Map<string, Map<number, WebTransportSendStream>>();
  /** The lane number the next framed stream names (unique within this session). */
  private nextLane = 1;
  /** Per publisher, per track kind: one-frame video streams sent since its last keyframe (older clients). */
  private readonly recentVideo = new Map<string, Map<number, WebTransportSendStream[]>>();
  /** The client reads framed streams (`Join.framedStreams`): set by its Connection at the join. */
  framedVideo = false;

  constructor(
    readonly session: WebTransportSession,
    private readonly metrics: Metrics,
    private readonly options: WtLinkOptions,
  ) {}

  /** The client's control stream, once it opened it. */
  get controlStream(): WebTransportBidiStream | undefined {
    return this.control;
  }

  /** Takes the client's first bidirectional stream as the control stream. */
  attachControl(stream: WebTransportBidiStream): void {
    this.control = stream;
  }

  get open(): boolean {
    return !this.closing && !this.session.closed;
  }

  /**
   * Stream bytes QUIC has not taken yet (flow control or congestion holds them),
   * plus datagrams it has not sent yet (congestion only: datagrams have no flow
   * control, so a client that stops reading them backs nothing up here).
   */
  get bufferedAmount(): number {
    return this.session.bufferedAmount + this.session.quic.datagramsQueued;
  }

  sendControl(bytes: Uint8Array): boolean {
    const control = this.control;
    if (!control || control.writable.writeClosed) return this.drop('no-control-stream');
    try {
      control.write(lengthPrefixed(bytes));
      return true;
    } catch (err) {
      // Lost control would desynchronise the client: end the session rather than go on without it.
      log.debug('control not sent: closing', { session: this.session.id, err: (err as Error).message });
      this.terminate();
      return this.drop('receiver-closed');
    }
  }

  sendMedia(bytes: Uint8Array, publisher: string, kind: number, keyframe: boolean): boolean {
    const audio = isAudioKind(kind);
    if (audio && bytes.length <= this.session.maxDatagramSize) {
      return this.session.sendDatagram(bytes) || this.drop('datagram-queue-full');
    }
    if (audio) return this.sendOwnStream(bytes);
    return this.sendVideo(bytes, publisher, kind, keyframe);
  }

  /** One envelope as a whole unidirectional stream (audio too large for a datagram). */
  private sendOwnStream(bytes: Uint8Array): boolean {
    try {
      this.session.openUniStream(bytes);
      return true;
    } catch (err) {
      return this.refusedWrite(err);
    }
  }

  /** A video envelope on its track's lane: a keyframe opens the lane's next stream, a delta goes on the current one. */
  private sendVideo(bytes: Uint8Array, publisher: string, kind: number, keyframe: boolean): boolean {
    if (!this.framedVideo) return this.sendFrameStream(bytes, publisher, kind, keyframe);
    let tracks = this.lanes.get(publisher);
    const current = tracks?.get(kind);
    if (current && !keyframe && !current.writeClosed) {
      try {
        current.write(lengthPrefixed(bytes));
        return true;
      } catch (err) {
        return this.refusedWrite(err);
      }
    }
    if (current) {
      tracks!.delete(kind);
      this.endLane(current, true);
    }
    const lane = this.nextLane++;
    let stream: WebTransportSendStream;
    try {
      stream = this.session.openUniStream(concatBytes([framedStreamHeader(lane), lengthPrefixed(bytes)]), false);
    } catch (err) {
      return this.refusedWrite(err);
    }
    if (!tracks) this.lanes.set(publisher, (tracks = new Map()));
    tracks.set(kind, stream);
    return true;
  }

  /** A video envelope on a stream of its own, for a client that reads no framed streams. */
  private sendFrameStream(bytes: Uint8Array, publisher: string, kind: number, keyframe: boolean): boolean {
    if (keyframe) this.supersede(publisher, kind);
    let stream: WebTransportSendStream;
    try {
      stream = this.session.openUniStream(bytes);
    } catch (err) {
      return this.refusedWrite(err);
    }
    let tracks = this.recentVideo.get(publisher);
    if (!tracks) this.recentVideo.set(publisher, (tracks = new Map()));
    let streams = tracks.get(kind);
    if (!streams) tracks.set(kind, (streams = []));
    streams.push(stream);
    if (streams.length > MAX_TRACKED_STREAMS) streams.shift();
    return true;
  }

  /** Resets a publisher track's one-frame streams still on their way: its keyframe makes them worthless. */
  private supersede(publisher: string, kind: number): void {
    const tracks = this.recentVideo.get(publisher);
    const streams = tracks?.get(kind);
    if (!streams) return;
    tracks!.delete(kind);
    for (const stream of streams) {
      if (stream.abandon(WtStreamCode.Superseded)) this.metrics.dropped.inc('video-superseded');
    }
  }

  /** Counts a write the session refused; rethrows what is not a WebTransport refusal. */
  private refusedWrite(err: unknown): false {
    if (!(err instanceof WebTransportError)) throw err;
    if (err.code === 'stream-limit') return this.drop('stream-limit');
    // `congested`: the connection's queue is full (Outbound closes slow consumers before that).
    return this.drop(err.code === 'congested' ? 'video-congested' : 'receiver-closed');
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.closeCode = code;
    this.closeReason = reason;
    // Video still on its way is worthless now, and would hold up the close behind it (a slow consumer's).
    this.abandonVideo();
    if (this.session.closed) return;
    const control = this.control;
    if (!control || this.options.closeLingerMs === 0) return this.closeNow();
    try {
      control.end();
    } catch {
      return this.closeNow();
    }
    // Two round trips on top: for the Error to reach the client, and for the client's own close to come back.
    const linger = Math.min(MAX_CLOSE_LINGER_MS, this.options.closeLingerMs + 2 * this.session.rttMs);
    this.lingerTimer = setTimeout(() => this.closeNow(), linger);
  }

  terminate(): void {
    this.closing = true;
    this.closeNow();
  }

  forgetPublisher(publisher: string): void {
    this.recentVideo.delete(publisher);
    const tracks = this.lanes.get(publisher);
    if (!tracks) return;
    this.lanes.delete(publisher);
    for (const stream of tracks.values()) this.endLane(stream, false);
  }

  /** The session ended (either side): nothing is left to wait for. */
  sessionClosed(): void {
    this.closing = true;
    clearTimeout(this.lingerTimer);
    this.lanes.clear();
    this.recentVideo.clear();
  }

  private closeNow(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.session.closed) return;
    try {
      this.session.close(this.closeCode, this.closeReason);
    } catch (err) {
      log.debug('session close failed', { session: this.session.id, err: (err as Error).message });
    }
  }

  private abandonVideo(): void {
    for (const tracks of this.lanes.values()) {
      for (const stream of tracks.values()) stream.abandon(WtStreamCode.Superseded);
    }
    this.lanes.clear();
    for (const tracks of this.recentVideo.values()) {
      for (const streams of tracks.values()) for (const stream of streams) stream.abandon(WtStreamCode.Superseded);
    }
    this.recentVideo.clear();
  }

  /**
   * Finishes a lane's stream: ended (FIN) when QUIC has taken all of it, else
   * reset, dropping the deltas still queued here. `superseded`: a newer keyframe
   * replaces them (counted as such).
   */
  private endLane(stream: WebTransportSendStream, superseded: boolean): void {
    if (stream.writeClosed) return;
    if (stream.queuedBytes === 0) {
      try {
        stream.end();
        return;
      } catch {
        // the connection is closing: the reset below is dropped with it
      }
    }
    if (stream.abandon(WtStreamCode.Superseded) && superseded) this.metrics.dropped.inc('video-superseded');
  }

  private drop(reason: DropReason): false {
    this.metrics.dropped.inc(reason);
    return false;
  }
}
