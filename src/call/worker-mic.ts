/**
 * The page's side of the media worker's microphone (`mic-send-host.ts`): hands
 * the worker the microphone's audio (a track processor's stream, or the capture
 * worklet's port) and keeps the counters and timeline marks the worker reports.
 * To the rest of the page it is the microphone's encoder, as the page's own
 * `AudioEncodePipeline` is.
 */
import { transferableAudio } from '../capture/audio-data.js';
import { emptyAudioEncodeStats, type AudioEncodeStats } from '../codec/audio-encode.js';
import { MediaPipelineError } from '../codec/media-pipeline-error.js';
import type { MicEncoder, MicEncoderEvents } from './local-media.js';
import type { MicPacketSent, MicSendReport, MicSendRequest } from './mic-send-host.js';

/** Where requests go: the worker. */
export interface MicChannel {
  post(request: MicSendRequest, transfer?: Transferable[]): void;
}

/** The microphone encoded and sent in the media worker. */
export class WorkerMic implements MicEncoder {
  readonly offThread = true;
  private counters: AudioEncodeStats = emptyAudioEncodeStats();
  private isMuted = false;
  private stopped = false;
  /** Counts `start()`s: an earlier one still opening its audio gives it up. */
  private generation = 0;
  private releaseSource: (() => void) | null = null;

  constructor(
    private readonly channel: MicChannel,
    private readonly events: MicEncoderEvents,
    /** Packets the worker encoded (and sent, where `sentAt` is set), for the timeline. */
    private readonly sent: (packets: readonly MicPacketSent[]) => void,
    private readonly frameMs?: 10 | 20,
  ) {}

  get muted(): boolean {
    return this.isMuted;
  }

  /** The worker's counters as last reported (every 100 ms while it sends). */
  get stats(): AudioEncodeStats {
    return { ...this.counters };
  }

  start(track: MediaStreamTrack): void {
    if (this.stopped) throw new Error('WorkerMic: start() after stop()');
    const generation = ++this.generation;
    transferableAudio(track).then(
      ({ source, transfer, close }) => {
        if (this.stopped || generation !== this.generation) {
          if ('readable' in source) void source.readable.cancel().catch(() => {});
          close();
          return;
        }
        this.releaseSource?.();
        this.releaseSource = close;
        this.channel.post(
          { t: 'mic-start', source, muted: this.isMuted, ...(this.frameMs ? { frameMs: this.frameMs } : {}) },
          transfer,
        );
      },
      (error: unknown) => {
        if (this.stopped || generation !== this.generation) return;
        this.events.failed(new MediaPipelineError('capture-ended', 'Reading the microphone failed.', { cause: error }));
      },
    );
  }

  setMuted(muted: boolean): void {
    if (muted === this.isMuted) return;
    this.isMuted = muted;
    if (!this.stopped) this.channel.post({ t: 'mic-mute', muted });
  }

  stop(): void {
    if (this.stopped) return;
    this.channel.post({ t: 'mic-stop' });
    this.end();
  }

  /** The worker stopped: the owner encodes on the page from now on. */
  lost(): void {
    if (this.stopped) return;
    this.end();
    this.events.lost();
  }

  private end(): void {
    this.stopped = true;
    this.releaseSource?.();
    this.releaseSource = null;
  }

  /** A report from the worker's microphone. */
  received(report: MicSendReport): void {
    if (this.stopped) return;
    if (report.t === 'mic-sent') {
      this.counters = report.stats;
      this.sent(report.packets);
    } else {
      this.stop();
      this.events.failed(new MediaPipelineError(report.code, report.message));
    }
  }
}
