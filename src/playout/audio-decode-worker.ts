/**
 * Dedicated worker that decodes every remote Opus stream of a page and hands
 * the samples straight to each stream's jitter-buffer worklet through a
 * `MessagePort`, so the page's main thread is never between the decoder and the
 * audio thread. On a busy page (rendering, video decode, layout) decoder
 * outputs on the main thread waited 10–300 ms and more; the jitter buffer had
 * to cover that, and lip sync held every video frame as long.
 *
 * Loaded as a string (`?worklet` import) and started from a Blob URL, like the
 * worklets. The page side is `audio-decode-offload.ts`.
 */
import { AudioDecodePipeline, type AudioDecodeStats } from '../codec/audio-decode.js';
import type { EncodedMedia } from '../codec/encoded-media.js';
import type { JitterProcessorMessage } from './jitter-worklet-processor.js';

/** A message to the worker. `key` names one stream (unique per worker). */
export type DecodeWorkerRequest =
  /** Start a decoder for a stream now (configured before its first packet). */
  | { t: 'open'; key: number }
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

interface WorkerScope {
  postMessage(message: DecodeWorkerReport): void;
  onmessage: ((event: MessageEvent<DecodeWorkerRequest>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

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
}

const streams = new Map<number, Stream>();
let running = false;
let reportTimer: ReturnType<typeof setTimeout> | undefined;

function open(key: number): Stream {
  let stream = streams.get(key);
  if (stream) return stream;
  const created: Stream = {
    port: null,
    early: [],
    timestamps: [],
    at: [],
    dirty: false,
    reported: false,
    decoder: new AudioDecodePipeline({
      onAudio: (pcm, timestamp, info) => {
        const message: PcmMessage = { type: 'pcm', pcm, timestamp };
        const handed = !created.port || running; // nothing plays: queueing would only be dropped later as stale
        if (!created.port) {
          created.early.push(message);
          if (created.early.length > MAX_EARLY) created.early.shift();
        } else if (running) created.port.postMessage(message, [pcm.buffer as ArrayBuffer]);
        if (handed) {
          created.timestamps.push(info.timestamp);
          created.at.push(performance.timeOrigin + performance.now());
        }
        created.dirty = true;
        if (!created.reported && handed) report();
        else reportTimer ??= setTimeout(report, REPORT_MS);
      },
    }),
  };
  stream = created;
  streams.set(key, stream);
  stream.decoder.prepare();
  return stream;
}

function report(): void {
  clearTimeout(reportTimer);
  reportTimer = undefined;
  for (const [key, stream] of streams) {
    if (!stream.dirty) continue;
    scope.postMessage({ t: 'decoded', key, timestamps: stream.timestamps, at: stream.at, stats: stream.decoder.stats });
    stream.reported ||= stream.timestamps.length > 0;
    stream.timestamps = [];
    stream.at = [];
    stream.dirty = false;
  }
}

function close(key: number): void {
  const stream = streams.get(key);
  if (!stream) return;
  stream.decoder.close();
  stream.port?.close();
  streams.delete(key);
}

scope.onmessage = ({ data: request }) => {
  switch (request.t) {
    case 'open':
      open(request.key);
      break;
    case 'media':
      open(request.key).decoder.push(request.media);
      break;
    case 'port': {
      const stream = streams.get(request.key);
      if (!stream) {
        request.port?.close();
        break;
      }
      stream.port?.close();
      stream.port = request.port;
      if (!request.port) break;
      for (const message of stream.early) request.port.postMessage(message, [message.pcm.buffer as ArrayBuffer]);
      stream.early = [];
      break;
    }
    case 'running':
      running = request.running;
      break;
    case 'close':
      close(request.key);
      break;
  }
};

scope.postMessage({ t: 'ready', ok: typeof AudioDecoder === 'function' });
