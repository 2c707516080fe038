/**
 * A WebTransport session as a {@link ClientLink}, sending by the relay's wire
 * mapping:
 *
 * - control: on the client's control stream (its first bidirectional stream),
 *   each envelope length-prefixed (`src/protocol/stream-framing.ts`);
 * - audio: one envelope per datagram when it fits, else like video;
 * - video: each envelope on its own server-opened unidirectional stream, FIN
 *   at its end. When a publisher's keyframe goes out, the streams of that
 *   publisher's track still on their way are reset: a late delta is worthless
 *   once the keyframe that replaces it is sent.
 *
 * Closing follows the WebSocket's close handshake: the `Error` envelope the
 * session queued, then the control stream's end, then (after a bounded linger
 * for it to arrive) CLOSE_WEBTRANSPORT_SESSION with the WebSocket close code
 * and reason.
 */
import { lengthPrefixed } from '../src/protocol/index.js';
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

/** Unfinished video streams remembered per publisher track; older ones are left to finish. */
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
  /** Per publisher, per track kind: video streams sent since its last keyframe, oldest first. */
  private readonly recentVideo = new Map<string, Map<number, WebTransportSendStream[]>>();

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
    const video = !audio;
    if (video && keyframe) this.supersede(publisher, kind);
    let stream: WebTransportSendStream;
    try {
      stream = this.session.openUniStream(bytes);
    } catch (err) {
      if (!(err instanceof WebTransportError)) throw err;
      if (err.code === 'stream-limit') return this.drop('stream-limit');
      // `congested`: the connection's queue is full (Outbound closes slow consumers before that).
      return this.drop(err.code === 'congested' ? 'video-congested' : 'receiver-closed');
    }
    if (video) this.remember(publisher, kind, stream);
    return true;
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
  }

  /** The session ended (either side): nothing is left to wait for. */
  sessionClosed(): void {
    this.closing = true;
    clearTimeout(this.lingerTimer);
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
    for (const tracks of this.recentVideo.values()) {
      for (const streams of tracks.values()) for (const stream of streams) stream.abandon(WtStreamCode.Superseded);
    }
    this.recentVideo.clear();
  }

  /** Resets the streams of a publisher's track still on their way: its keyframe makes them worthless. */
  private supersede(publisher: string, kind: number): void {
    const tracks = this.recentVideo.get(publisher);
    const streams = tracks?.get(kind);
    if (!streams) return;
    tracks!.delete(kind);
    for (const stream of streams) {
      if (stream.abandon(WtStreamCode.Superseded)) this.metrics.dropped.inc('video-superseded');
    }
  }

  private remember(publisher: string, kind: number, stream: WebTransportSendStream): void {
    let tracks = this.recentVideo.get(publisher);
    if (!tracks) this.recentVideo.set(publisher, (tracks = new Map()));
    let streams = tracks.get(kind);
    if (!streams) tracks.set(kind, (streams = []));
    streams.push(stream);
    if (streams.length > MAX_TRACKED_STREAMS) streams.shift();
  }

  private drop(reason: DropReason): false {
    this.metrics.dropped.inc(reason);
    return false;
  }
}
