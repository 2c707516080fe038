import type { SendPriority, Transport, TransportClose, TransportState } from './transport.js';
import { relayWebTransportInfoUrl, relayWebTransportUrl } from './relay-url.js';
import { invalidRelayAddress } from './errors.js';
import {
  FRAMED_STREAM_MARKER,
  FrameTooLargeError,
  laneOf,
  lengthPrefixed,
  LengthPrefixedReader,
} from '../protocol/stream-framing.js';
import type { WebTransportInfo } from '../protocol/endpoints.js';
import { concatBytes } from '../shared/bytes.js';
import {
  fetchWebTransportInfo,
  forgetWebTransportInfo,
  messageOf,
  rememberedWebTransportInfo,
  rememberWebTransportInfo,
  sameWebTransportInfo,
  unavailable,
} from './webtransport-info.js';
import { untilAborted } from '../shared/until-aborted.js';

/**
 * Video deltas are dropped (the sender then forces a keyframe) while this many
 * video streams are still being written, or this many bytes are in them: a queue
 * of late frames only adds delay. Same figure as the WebSocket transport's.
 */
const MAX_VIDEO_STREAMS = 6;
const DROP_VIDEO_ABOVE_BYTES = 256 * 1024;
/** Keyframes are dropped only above this (older video has been aborted by then, so it is other traffic). */
const DROP_KEY_ABOVE_BYTES = 1024 * 1024;
/** Audio datagrams queued in the browser beyond the writable's high-water mark before audio is dropped. */
const AUDIO_QUEUE_SLACK = 64;
/**
 * Largest envelope accepted from the relay on a stream. The relay enforces its own
 * `maxMessageBytes` (≤ NATS's 1 MB payload) on what it forwards; this only bounds memory.
 */
const MAX_INCOMING_BYTES = 4 * 1024 * 1024;
/**
 * How long a stream that finished is held back for an earlier one still arriving
 * (a retransmission), so frames reach the decoder in the order the relay sent them.
 * Past it the late one is skipped: a decoder handles a gap with a keyframe request.
 */
const REORDER_HOLD_MS = 100;
/** After the control stream ends, how long to wait for the session's own close (with its code) before calling it a drop. */
const CONTROL_END_GRACE_MS = 1000;

/**
 * Stream priorities (higher is sent first). Control must never wait behind a
 * keyframe; a keyframe goes before deltas that depend on it.
 */
const SEND_ORDER: Record<SendPriority, number> = { control: 3, audio: 2, 'video-key': 1, video: 0 };

/** Options for {@link WebTransportTransport.connect}. */
export interface WebTransportConnectOptions {
  /** Give up when the session is not ready after this long (fetching the info included). Default 10 s. */
  timeoutMs?: number;
  /** Aborting gives up at once (e.g. `auto` chose WebSocket meanwhile). */
  signal?: AbortSignal;
}

/** Counters for tests and benchmarks. */
export interface WebTransportStats {
  datagramsSent: number;
  datagramsReceived: number;
  streamsSent: number;
  streamsReceived: number;
  /** Video deltas not sent because older video streams were still being written. */
  videoDropped: number;
  /** Unfinished video streams abandoned because a newer keyframe went out. */
  videoAborted: number;
  /** Received streams handed on after a later one (an earlier stream was held past {@link REORDER_HOLD_MS}). */
  streamsSkippedAhead: number;
  /** Envelopes received on framed streams (a video track's group of pictures per stream). */
  framedReceived: number;
}

/** An outgoing per-frame stream not finished yet. */
interface OutgoingStream {
  bytes: number;
  video: boolean;
  writer: WritableStreamDefaultWriter<Uint8Array> | null;
  settled: boolean;
}

/** An incoming per-frame stream, kept in arrival order until it can be delivered. */
interface IncomingStream {
  parts: Uint8Array[];
  length: number;
  state: 'reading' | 'done' | 'failed';
  /** Taken out of the ordered queue: delivered on its own whenever it completes. */
  skipped: boolean;
  doneAt: number;
}

/**
 * The WebTransport (HTTP/3) transport. One bidirectional control stream carries
 * every non-media envelope, length-prefixed; audio frames travel as datagrams
 * (a uni stream when too large); each video frame this side sends gets its own
 * unidirectional stream, so a late frame can be abandoned without holding up
 * the next. From the relay, video comes on framed streams (one per track and
 * group of pictures, `src/protocol/stream-framing.ts`) or, from an older
 * relay, a stream per frame: both are read.
 *
 * @example
 * ```ts
 * const transport = await WebTransportTransport.connect('https://relay.example', { timeoutMs: 3000 });
 * transport.onmessage = (bytes) => handle(decodeEnvelope(bytes));
 * transport.send(encodeEnvelope({ join }), 'control');
 * ```
 */
export class WebTransportTransport implements Transport {
  readonly kind = 'webtransport';
  onmessage: ((bytes: Uint8Array) => void) | null = null;
  onclose: ((info: TransportClose) => void) | null = null;
  private readonly stats_: WebTransportStats = {
    datagramsSent: 0,
    datagramsReceived: 0,
    streamsSent: 0,
    streamsReceived: 0,
    videoDropped: 0,
    videoAborted: 0,
    streamsSkippedAhead: 0,
    framedReceived: 0,
  };
  private readonly controlWriter: WritableStreamDefaultWriter<Uint8Array>;
  private readonly datagramWriter: WritableStreamDefaultWriter<Uint8Array>;
  private readonly outgoing = new Set<OutgoingStream>();
  /**
   * The stream the next video frame goes on, opened ahead of it. Opening a stream
   * is a round trip between the page and the browser's network process (a few ms,
   * tens under load) that would otherwise delay every frame's first packet.
   */
  private spareVideo: Promise<WritableStream<Uint8Array>> | null = null;
  private videoBytes = 0;
  private readonly inbound: IncomingStream[] = [];
  /** The framed stream read on each lane now; a newer one on the lane supersedes it. */
  private readonly lanes = new Map<number, ReadableStreamDefaultReader<Uint8Array>>();
  private reorderTimer: ReturnType<typeof setTimeout> | undefined;
  private controlEndTimer: ReturnType<typeof setTimeout> | undefined;
  private closedLocally = false;
  private closed = false;

  private constructor(
    private readonly session: WebTransport,
    control: WebTransportBidirectionalStream,
  ) {
    this.controlWriter = control.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>;
    this.datagramWriter = session.datagrams.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>;
    void this.readControl(control.readable as ReadableStream<Uint8Array>);
    void this.readDatagrams();
    void this.readUniStreams();
    session.closed.then(
      // A session closed without a code is the analogue of WebSocket's 1005 (no status received).
      (info) => this.finish(info.closeCode || (info.reason ? 1000 : 1005), info.reason ?? ''),
      () => this.finish(1006, ''),
    );
  }

  /**
   * Opens a session to the relay at `server` (its base URL, http(s) or ws(s)):
   * fetches `webtransport.json` there, connects to the UDP port it names (pinning
   * the certificate hashes it lists), and opens the control stream. With that
   * description remembered from an earlier connect (`webtransport-info.ts`), the
   * handshake starts at once and the fetched one only replaces it if it differs.
   *
   * Rejects with a `webtransport-unavailable` {@link TransportError} saying why:
   * no WebTransport in this browser, the relay doesn't offer it, the handshake
   * failed, or it did not complete within `timeoutMs` (a blocked UDP port looks like that).
   */
  static async connect(server: string, options: WebTransportConnectOptions = {}): Promise<WebTransportTransport> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (typeof WebTransport === 'undefined') {
      throw unavailable('This browser has no WebTransport; use transport="auto" or "websocket".');
    }
    const base = globalThis.location?.href;
    let infoUrl: string;
    try {
      infoUrl = relayWebTransportInfoUrl(server, base);
    } catch (cause) {
      throw invalidRelayAddress(server, cause);
    }

    // One deadline for the whole connect; the caller's signal cancels it too.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort('timeout'), timeoutMs);
    const onAbort = () => deadline.abort('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) deadline.abort('cancelled');
    const why = () => (deadline.signal.reason === 'timeout' ? `timed out after ${timeoutMs} ms` : 'cancelled');
    // Always asked, also while a remembered answer is tried: it checks that one and keeps it fresh.
    const fetched = fetchWebTransportInfo(infoUrl, deadline.signal, why).then(
      (info) => {
        rememberWebTransportInfo(infoUrl, info);
        return info;
      },
      (error: unknown) => {
        if (!deadline.signal.aborted) forgetWebTransportInfo(infoUrl);
        throw error;
      },
    );
    fetched.catch(() => undefined); // awaited below only when needed
    const remembered = rememberedWebTransportInfo(infoUrl);
    try {
      if (!remembered)
        return await WebTransportTransport.openSession(server, base, await fetched, deadline.signal, why);
      // The handshake starts now; a different fetched answer (a relay restarted
      // with another certificate or port) stops it, and that answer is used.
      const early = new AbortController();
      const stop = () => early.abort(deadline.signal.reason);
      deadline.signal.addEventListener('abort', stop, { once: true });
      fetched.then(
        (info) => {
          if (!sameWebTransportInfo(info, remembered)) early.abort('stale');
        },
        () => early.abort('stale'),
      );
      const earlyWhy = () => (early.signal.reason === 'stale' ? 'the relay now describes another endpoint' : why());
      try {
        return await WebTransportTransport.openSession(server, base, remembered, early.signal, earlyWhy);
      } catch (error) {
        if (deadline.signal.aborted) throw error;
        const info = await fetched;
        // The same description failed: asking again would fail the same way.
        if (sameWebTransportInfo(info, remembered)) throw error;
        return await WebTransportTransport.openSession(server, base, info, deadline.signal, why);
      } finally {
        deadline.signal.removeEventListener('abort', stop);
      }
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Opens the session `info` describes and its control stream. Rejects with a
   * `webtransport-unavailable` `TransportError` saying why.
   */
  private static async openSession(
    server: string,
    base: string | undefined,
    info: WebTransportInfo,
    signal: AbortSignal,
    why: () => string,
  ): Promise<WebTransportTransport> {
    const url = relayWebTransportUrl(server, info.port, info.path, base);
    const hashes = info.serverCertificateHashes.map((h) => ({
      algorithm: h.algorithm,
      value: base64Bytes(h.value) as BufferSource,
    }));
    let session: WebTransport;
    try {
      session = new WebTransport(url, {
        ...(hashes.length ? { serverCertificateHashes: hashes } : {}),
        // HTTP/3 only: a pooled HTTP/2 fallback would carry no datagrams.
        requireUnreliable: true,
      });
    } catch (cause) {
      throw unavailable(`Cannot open WebTransport to ${url}: ${messageOf(cause)}.`, cause);
    }
    session.closed.catch(() => undefined); // observed by the transport once open; never unhandled meanwhile
    try {
      try {
        await untilAborted(session.ready, signal);
      } catch (cause) {
        if (signal.aborted) {
          throw unavailable(
            `The WebTransport handshake with ${url} did not complete (${why()}): UDP port ${info.port} may be blocked.`,
          );
        }
        throw unavailable(`The WebTransport handshake with ${url} failed: ${messageOf(cause)}.`, cause);
      }
      let control: WebTransportBidirectionalStream;
      try {
        control = await untilAborted(session.createBidirectionalStream({ sendOrder: SEND_ORDER.control }), signal);
      } catch (cause) {
        throw unavailable(
          `WebTransport to ${url} opened but its control stream did not (${signal.aborted ? why() : messageOf(cause)}).`,
          cause,
        );
      }
      return new WebTransportTransport(session, control);
    } catch (error) {
      try {
        session.close({ closeCode: 1000, reason: 'gave up' });
      } catch {
        // already closed
      }
      throw error;
    }
  }

  get state(): TransportState {
    return this.closed ? 'closed' : 'open';
  }

  /** Counters since the session opened. */
  get stats(): Readonly<WebTransportStats> {
    return { ...this.stats_ };
  }

  /** Bytes in video streams not finished yet. */
  get videoBytesInFlight(): number {
    return this.videoBytes;
  }

  send(bytes: Uint8Array, priority: SendPriority): boolean {
    if (this.closed) return false;
    switch (priority) {
      case 'control':
        ignore(this.controlWriter.write(lengthPrefixed(bytes)));
        return true;
      case 'audio':
        if (bytes.length <= this.session.datagrams.maxDatagramSize) {
          if ((this.datagramWriter.desiredSize ?? 0) < -AUDIO_QUEUE_SLACK) return false;
          this.stats_.datagramsSent++;
          ignore(this.datagramWriter.write(bytes));
          return true;
        }
        return this.sendStream(bytes, priority);
      case 'video-key':
        // Frames before a keyframe are worthless once it is on its way: stop spending bandwidth on them.
        this.abortVideo();
        if (this.videoBytes > DROP_KEY_ABOVE_BYTES) return false;
        return this.sendStream(bytes, priority);
      case 'video':
        if (this.videoStreams >= MAX_VIDEO_STREAMS || this.videoBytes > DROP_VIDEO_ABOVE_BYTES) {
          this.stats_.videoDropped++;
          return false;
        }
        return this.sendStream(bytes, priority);
    }
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.closedLocally = true;
    try {
      this.session.close({ closeCode: code, reason });
    } catch {
      // already closing
    }
    this.finish(code, reason);
  }

  private get videoStreams(): number {
    let n = 0;
    for (const out of this.outgoing) if (out.video) n++;
    return n;
  }

  /** One envelope on its own unidirectional stream (the whole stream, FIN at its end). */
  private sendStream(bytes: Uint8Array, priority: SendPriority): boolean {
    const out: OutgoingStream = { bytes: bytes.length, video: priority !== 'audio', writer: null, settled: false };
    this.outgoing.add(out);
    if (out.video) this.videoBytes += out.bytes;
    this.stats_.streamsSent++;
    const opening = out.video ? this.takeSpareVideoStream() : this.openStream(priority);
    opening
      .then(async (stream) => {
        if (out.settled || this.closed) return void ignore(stream.abort());
        // A spare was opened with the delta's send order; a keyframe goes before deltas.
        if (priority === 'video-key' && 'sendOrder' in stream) stream.sendOrder = SEND_ORDER['video-key'];
        const writer = stream.getWriter() as WritableStreamDefaultWriter<Uint8Array>;
        out.writer = writer;
        ignore(writer.write(bytes));
        await writer.close();
      })
      .catch(() => undefined)
      .finally(() => this.settle(out));
    return true;
  }

  private openStream(priority: SendPriority): Promise<WritableStream<Uint8Array>> {
    return this.session.createUnidirectionalStream({ sendOrder: SEND_ORDER[priority] }) as Promise<
      WritableStream<Uint8Array>
    >;
  }

  /**
   * The stream opened ahead for this video frame (a new one for the first frame),
   * and opens the next frame's at once. Streams are used in the order they were
   * opened, so frames still leave on increasing stream IDs. The spare costs the
   * relay nothing but one idle stream (its header only).
   */
  private takeSpareVideoStream(): Promise<WritableStream<Uint8Array>> {
    const stream = this.spareVideo ?? this.openStream('video');
    const next = this.openStream('video');
    next.catch(() => undefined); // a session closing meanwhile: the frame that takes it finds out
    this.spareVideo = next;
    return stream;
  }

  private settle(out: OutgoingStream): void {
    if (out.settled) return;
    out.settled = true;
    this.outgoing.delete(out);
    if (out.video) this.videoBytes -= out.bytes;
  }

  /** Abandons every unfinished video stream (RESET_STREAM: the relay drops the partial frame). */
  private abortVideo(): void {
    for (const out of [...this.outgoing]) {
      if (!out.video) continue;
      this.stats_.videoAborted++;
      const writer = out.writer;
      this.settle(out);
      if (writer) ignore(writer.abort('superseded by a keyframe'));
    }
  }

  private async readControl(readable: ReadableStream<Uint8Array>): Promise<void> {
    const framing = new LengthPrefixedReader(MAX_INCOMING_BYTES);
    const reader = readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const message of framing.push(value)) {
          if (this.closed) return;
          this.onmessage?.(message);
        }
      }
    } catch (error) {
      if (error instanceof FrameTooLargeError) {
        this.close(1009, 'too-large');
        return;
      }
      // A reset control stream: the session's close (below, or in `closed`) says why.
    }
    if (this.closed) return;
    // The relay ends the control stream only as part of closing the session; give that close
    // a moment to arrive with its code, else treat it as a dropped connection.
    this.controlEndTimer = setTimeout(() => this.drop(), CONTROL_END_GRACE_MS);
  }

  private async readDatagrams(): Promise<void> {
    const reader = this.session.datagrams.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.closed) return;
        this.stats_.datagramsReceived++;
        this.onmessage?.(value as Uint8Array);
      }
    } catch {
      // the session closed: `closed` reports it
    }
  }

  private async readUniStreams(): Promise<void> {
    const streams = this.session.incomingUnidirectionalStreams.getReader();
    try {
      for (;;) {
        const { value, done } = await streams.read();
        if (done || this.closed) return;
        this.stats_.streamsReceived++;
        this.readStream(value as ReadableStream<Uint8Array>);
      }
    } catch {
      // the session closed: `closed` reports it
    }
  }

  /**
   * Reads one incoming stream, concurrently with the others: a framed stream
   * (first byte {@link FRAMED_STREAM_MARKER}) envelope by envelope as they
   * arrive, any other to its end as one envelope.
   */
  private readStream(stream: ReadableStream<Uint8Array>): void {
    const entry: IncomingStream = { parts: [], length: 0, state: 'reading', skipped: false, doneAt: 0 };
    this.inbound.push(entry);
    const reader = stream.getReader();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (entry.length === 0 && value.length > 0 && value[0] === FRAMED_STREAM_MARKER) {
            // Not a one-envelope stream: it leaves the ordered queue (its envelopes are ordered within it).
            entry.state = 'failed';
            const at = this.inbound.indexOf(entry);
            if (at >= 0) this.inbound.splice(at, 1);
            this.flushInbound();
            return await this.readFramed(reader, value);
          }
          entry.length += value.length;
          if (entry.length > MAX_INCOMING_BYTES) {
            // STOP_SENDING: nothing this large is a frame we can use.
            ignore(reader.cancel('too large'));
            entry.state = 'failed';
            break;
          }
          entry.parts.push(value);
        }
        if (entry.state === 'reading') entry.state = 'done';
      } catch {
        entry.state = 'failed'; // reset by the relay (a frame it abandoned) or the session closed
      }
      entry.doneAt = performance.now();
      if (entry.skipped) this.deliver(entry);
      else this.flushInbound();
    })();
  }

  /**
   * Delivers a framed stream's envelopes as each completes, until the stream
   * ends, is reset (its keyframe's successor went out) or a newer stream on its
   * lane starts: what this one still brings is older than that stream's keyframe.
   */
  private async readFramed(reader: ReadableStreamDefaultReader<Uint8Array>, first: Uint8Array): Promise<void> {
    const framing = new LengthPrefixedReader(MAX_INCOMING_BYTES);
    let lane: number | undefined;
    try {
      for (let chunk: Uint8Array | undefined = first.subarray(1); chunk; chunk = (await reader.read()).value) {
        for (const message of framing.push(chunk)) {
          if (lane === undefined) {
            // The first message names the lane: the stream before on it is superseded (and stops).
            lane = laneOf(message);
            const before = this.lanes.get(lane);
            if (before) ignore(before.cancel());
            this.lanes.set(lane, reader);
          } else if (this.lanes.get(lane) !== reader || this.closed) {
            return;
          } else {
            this.stats_.framedReceived++;
            this.onmessage?.(message);
          }
        }
      }
    } catch {
      // Reset by the relay, or the session closed: what was delivered stands. (Too large: the framing is lost.)
      ignore(reader.cancel());
    } finally {
      if (lane !== undefined && this.lanes.get(lane) === reader) this.lanes.delete(lane);
    }
  }

  /** Delivers finished streams in arrival order; a stream stuck at the head is waited for at most {@link REORDER_HOLD_MS}. */
  private flushInbound(): void {
    while (this.inbound.length > 0 && this.inbound[0]!.state !== 'reading') this.deliver(this.inbound.shift()!);
    clearTimeout(this.reorderTimer);
    this.reorderTimer = undefined;
    const waiting = this.inbound.find((e) => e.state !== 'reading');
    if (!waiting || this.closed) return;
    const wait = Math.max(0, waiting.doneAt + REORDER_HOLD_MS - performance.now());
    this.reorderTimer = setTimeout(() => {
      // Give up on order for the streams still arriving ahead of the one that waited longest.
      while (this.inbound.length > 0 && this.inbound[0]!.state === 'reading') {
        this.inbound.shift()!.skipped = true;
        this.stats_.streamsSkippedAhead++;
      }
      this.flushInbound();
    }, wait);
  }

  private deliver(entry: IncomingStream): void {
    if (entry.state !== 'done' || this.closed) return;
    const parts = entry.parts;
    entry.parts = [];
    this.onmessage?.(parts.length === 1 ? parts[0]! : concatBytes(parts));
  }

  /** The connection is gone without a close from the relay. */
  private drop(): void {
    try {
      this.session.close({ closeCode: 1006, reason: '' });
    } catch {
      // already closing
    }
    this.finish(1006, '');
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reorderTimer);
    clearTimeout(this.controlEndTimer);
    this.inbound.length = 0;
    this.lanes.clear();
    for (const out of [...this.outgoing]) this.settle(out);
    this.spareVideo?.then(
      (stream) => ignore(stream.abort()),
      () => undefined,
    );
    this.spareVideo = null;
    this.onclose?.({ code, reason, local: this.closedLocally });
  }
}

function base64Bytes(value: string): Uint8Array {
  const binary = atob(value);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Stream writes settle later; their failures show up as the session's close, so nothing to do here. */
function ignore(promise: Promise<unknown>): void {
  promise.catch(() => undefined);
}
