/**
 * What a worker that decodes remote Opus streams does with its messages: one
 * decoder per stream, samples handed straight to each stream's jitter-buffer
 * worklet through a `MessagePort`, counters reported back to the page. Run by
 * the media worker (`src/call/media-worker.ts`), which also holds the
 * transport and hands this host the audio it reads (`play`) without the page's
 * main thread in between.
 */
import { AudioDecodePipeline, type AudioDecodeStats } from '../codec/audio-decode.js';
import type { EncodedMedia } from '../codec/encoded-media.js';
import type { JitterProcessorMessage } from './jitter-worklet-processor.js';

/** A message to the worker. `key` names one stream (unique per worker). */
export type DecodeWorkerRequest =
  /**
   * Start a decoder for a stream now (configured before its first packet).
   * `from`: the participant whose microphone it plays, where the worker reads the
   * transport itself and may decode their packets as they arrive (not encrypted).
   */
  | { t: 'open'; key: number; from?: string }
  /** Where the stream's samples go now: its worklet's port, or null while it has none (loading, moving). */
  | { t: 'port'; key: number; port: MessagePort | null }
  /** Whether the output plays; while it does not, samples for an attached worklet are dropped. */
  | { t: 'running'; running: boolean }
  /** One received packet; `data` owns its buffer (transferred). */
  | { t: 'media'; key: number; media: EncodedMedia }
  | { t: 'close'; key: number };

/** A message from the worker. */
export type DecodeWorkerReport =
  /** The worker runs; `ok` is false where it has no `AudioDecoder` (the page then decodes itself). */
  | { t: 'ready'; ok: boolean }
  /**
   * Packets handed to a stream's worklet since the last report: their media
   * timestamps (µs) and when (wall clock ms), with the decoder's counters.
   */
  | { t: 'decoded'; key: number; timestamps: number[]; at: number[]; stats: AudioDecodeStats };

/** How often decoded packets are reported to the page (the first at once). */
const REPORT_MS = 100;
/** Samples kept for a stream whose worklet is not there yet: the newest 60 ms (see audio-playout.ts). */
const MAX_EARLY = 3;

type PcmMessage = Extract<JitterProcessorMessage, { type: 'pcm' }>;

interface Stream {
  decoder: AudioDecodePipeline;
  port: MessagePort | null;
  early: PcmMessage[];
  timestamps: number[];
  at: number[];
  /** Decoded something since the last report (handed over or not: the counters moved). */
  dirty: boolean;
  reported: boolean;
  from: string | undefined;
}

/** The decoding half of a worker: feed it {@link DecodeWorkerRequest}s. */
export class AudioDecodeHost {
  private readonly streams = new Map<number, Stream>();
  /** Streams by the participant whose packets the worker reads itself. */
  private readonly routes = new Map<string, Stream>();
  private running = false;
  private reportTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly post: (report: DecodeWorkerReport) => void) {}

  /** Says whether this worker can decode at all; send once at start. */
  announce(): void {
    this.post({ t: 'ready', ok: typeof AudioDecoder === 'function' });
  }

  handle(request: DecodeWorkerRequest): void {
    switch (request.t) {
      case 'open':
        this.open(request.key, request.from);
        break;
      case 'media':
        this.open(request.key).decoder.push(request.media);
        break;
      case 'port':
        this.setPort(request.key, request.port);
        break;
      case 'running':
        this.running = request.running;
        break;
      case 'close':
        this.close(request.key);
        break;
    }
  }

  /**
   * A microphone packet read by this worker: decoded here when the page routed
   * `from`'s stream to it. False when no stream takes it (the page decodes it).
   */
  play(from: string, media: EncodedMedia): boolean {
    const stream = this.routes.get(from);
    if (!stream || typeof AudioDecoder !== 'function') return false;
    stream.decoder.push(media);
    return true;
  }

  private open(key: number, from?: string): Stream {
    let stream = this.streams.get(key);
    if (stream) return stream;
    const created: Stream = {
      port: null,
      early: [],
      timestamps: [],
      at: [],
      dirty: false,
      reported: false,
      from,
      decoder: new AudioDecodePipeline({
        onAudio: (pcm, timestamp, info) => {
          const message: PcmMessage = { type: 'pcm', pcm, timestamp };
          const handed = !created.port || this.running; // nothing plays: queueing would only be dropped later as stale
          if (!created.port) {
            created.early.push(message);
            if (created.early.length > MAX_EARLY) created.early.shift();
          } else if (this.running) created.port.postMessage(message, [pcm.buffer as ArrayBuffer]);
          if (handed) {
            created.timestamps.push(info.timestamp);
            created.at.push(performance.timeOrigin + performance.now());
          }
          created.dirty = true;
          if (!created.reported && handed) this.report();
          else this.reportTimer ??= setTimeout(() => this.report(), REPORT_MS);
        },
      }),
    };
    stream = created;
    this.streams.set(key, stream);
    if (from !== undefined) this.routes.set(from, stream);
    stream.decoder.prepare();
    return stream;
  }

  private setPort(key: number, port: MessagePort | null): void {
    const stream = this.streams.get(key);
    if (!stream) {
      port?.close();
      return;
    }
    stream.port?.close();
    stream.port = port;
    if (!port) return;
    for (const message of stream.early) port.postMessage(message, [message.pcm.buffer as ArrayBuffer]);
    stream.early = [];
  }

  private report(): void {
    clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    for (const [key, stream] of this.streams) {
      if (!stream.dirty) continue;
      this.post({ t: 'decoded', key, timestamps: stream.timestamps, at: stream.at, stats: stream.decoder.stats });
      stream.reported ||= stream.timestamps.length > 0;
      stream.timestamps = [];
      stream.at = [];
      stream.dirty = false;
    }
  }

  private close(key: number): void {
    const stream = this.streams.get(key);
    if (!stream) return;
    stream.decoder.close();
    stream.port?.close();
    this.streams.delete(key);
    if (stream.from !== undefined && this.routes.get(stream.from) === stream) this.routes.delete(stream.from);
  }
}
