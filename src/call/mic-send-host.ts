/**
 * The media worker's microphone: reads the audio the page sent it (a track
 * processor's stream, or the capture worklet's port), encodes it and sends each
 * packet on the call's transport, all in the worker. On a busy page the
 * microphone was read, encoded and sent by the main thread, so a 100–200 ms
 * stall sent that much audio in one burst; the others' jitter buffers grew to
 * cover such bursts, and their lip sync held every picture as long. Without
 * E2EE only: the worker holds no keys. The page's side is `worker-mic.ts`.
 */
import { readTransferredAudio, type TransferredAudio } from '../capture/port-audio-data.js';
import { AudioEncodePipeline, type AudioEncodeStats } from '../codec/audio-encode.js';
import type { EncodedMedia } from '../codec/encoded-media.js';
import type { MediaPipelineError } from '../codec/media-pipeline-error.js';
import { wallClockMs } from '../shared/clock.js';
import { writeMediaEnvelope } from './media-envelope-write.js';
import { mediaFrameHeader } from './media-frame-wire.js';

/** A message from the page to the worker's microphone. */
export type MicSendRequest =
  | { t: 'mic-start'; source: TransferredAudio; frameMs?: 10 | 20; muted: boolean }
  | { t: 'mic-mute'; muted: boolean }
  | { t: 'mic-stop' }
  /** Where packets go: a transport of the worker's (`null`: nowhere, not joined), and the relay's clock against ours. */
  | { t: 'mic-route'; transport: number | null; clockOffsetMs: number };

/** A packet sent, for the page's timeline (wall-clock ms). */
export interface MicPacketSent {
  timestamp: number;
  captureTime: number;
  encodedAt: number;
  /** 0: not sent (no route). */
  sentAt: number;
}

/** A message from the worker's microphone to the page. */
export type MicSendReport =
  | { t: 'mic-sent'; packets: MicPacketSent[]; stats: AudioEncodeStats }
  | { t: 'mic-failed'; code: MediaPipelineError['code']; message: string };

const REQUESTS: ReadonlySet<string> = new Set(['mic-start', 'mic-mute', 'mic-stop', 'mic-route']);

/** The page hears of sent packets at most this often: it only keeps count and a timeline. */
const REPORT_MS = 100;

/** Sends one envelope on a transport of the worker's; false when it was not sent. */
export type SendOn = (transport: number, bytes: Uint8Array) => boolean;

/** The microphone's encoder and sender in the worker. */
export class MicSendHost {
  private pipeline: AudioEncodePipeline | null = null;
  private route: number | null = null;
  private clockOffsetMs = 0;
  private pending: MicPacketSent[] = [];
  private reportTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly post: (report: MicSendReport) => void,
    private readonly send: SendOn,
  ) {}

  /** Whether `message` is for the microphone (then {@link handle} it). */
  static takes(message: { t?: unknown }): message is MicSendRequest {
    return typeof message.t === 'string' && REQUESTS.has(message.t);
  }

  handle(request: MicSendRequest): void {
    switch (request.t) {
      case 'mic-start':
        this.start(request);
        break;
      case 'mic-mute':
        this.pipeline?.setMuted(request.muted);
        break;
      case 'mic-stop':
        this.stop();
        break;
      case 'mic-route':
        this.route = request.transport;
        this.clockOffsetMs = request.clockOffsetMs;
        break;
    }
  }

  /** Stops encoding (the call ends). */
  stop(): void {
    // The last packets' report goes first, with this pipeline's counters.
    this.flush();
    this.pipeline?.stop();
    this.pipeline = null;
  }

  private start(request: Extract<MicSendRequest, { t: 'mic-start' }>): void {
    this.stop();
    const pipeline: AudioEncodePipeline = new AudioEncodePipeline({
      ...(request.frameMs ? { frameMs: request.frameMs } : {}),
      onEncoded: (media) => this.sendPacket(media),
      onError: (error) => {
        if (this.pipeline !== pipeline) return;
        this.pipeline = null;
        this.post({ t: 'mic-failed', code: error.code, message: error.message });
      },
    });
    this.pipeline = pipeline;
    pipeline.setMuted(request.muted);
    pipeline.start(readTransferredAudio(request.source));
  }

  private sendPacket(media: EncodedMedia): void {
    const encodedAt = wallClockMs();
    let sentAt = 0;
    if (this.route !== null) {
      // Capture times go out on the relay's clock, as the page's packets do.
      const bytes = writeMediaEnvelope(mediaFrameHeader(media, this.clockOffsetMs), media.data);
      if (this.send(this.route, bytes)) sentAt = wallClockMs();
    }
    this.pending.push({ timestamp: media.timestamp, captureTime: media.captureTime ?? 0, encodedAt, sentAt });
    this.reportTimer ??= setTimeout(() => this.flush(), REPORT_MS);
  }

  private flush(): void {
    clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    const stats = this.pipeline?.stats;
    if (!stats || this.pending.length === 0) return;
    this.post({ t: 'mic-sent', packets: this.pending, stats });
    this.pending = [];
  }
}
