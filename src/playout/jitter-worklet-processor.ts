/**
 * AudioWorklet processor `vc-jitter-playout`: plays one remote audio stream
 * through an {@link AudioJitterBuffer}. One node per remote participant, so
 * each has its own level meter and gain, and one slow or bursty stream never
 * shifts another's timing.
 *
 * Loaded as a string (`?worklet` import) so the bundle stays one file. It runs
 * in the AudioWorkletGlobalScope; the few names it uses from there are typed
 * locally below, not declared as page globals.
 *
 * Messages in (`port.postMessage`):
 * - `{ type: 'pcm', pcm: Float32Array, timestamp: number }`: 48 kHz mono, media
 *   time in samples; transfer `pcm.buffer`.
 * - `{ type: 'reset' }`: forget the stream (the sender restarted).
 * - `{ type: 'port', port }`: a `MessagePort` on which `pcm` messages come
 *   straight from the page's decode worker (transfer `port`).
 * Messages out, every `reportIntervalMs` (default 100):
 * - `{ type: 'report', rms, peak, stats }`: output level over the interval
 *   (linear, 0..1) and the buffer's {@link JitterBufferStats}.
 */
import { AudioJitterBuffer, type JitterBufferStats } from './audio-jitter-buffer.js';

interface WorkletProcessor {
  readonly port: MessagePort;
}
interface WorkletScope {
  AudioWorkletProcessor: new (options?: AudioWorkletNodeOptions) => WorkletProcessor;
  registerProcessor(name: string, ctor: new (options: AudioWorkletNodeOptions) => WorkletProcessor): void;
  sampleRate: number;
}
const scope = globalThis as unknown as WorkletScope;

/** The media rate of the streams (Opus decodes at 48 kHz). */
const MEDIA_RATE = 48000;

/** Options passed as `processorOptions`. */
export interface JitterProcessorOptions {
  reportIntervalMs?: number;
}

/** Message to the processor. */
export type JitterProcessorMessage =
  | { type: 'pcm'; pcm: Float32Array; timestamp: number }
  | { type: 'reset' }
  /** A port the page's decode worker sends this stream's `pcm` messages on (transferred). */
  | { type: 'port'; port: MessagePort };

/** Message from the processor. */
export interface JitterProcessorReport {
  type: 'report';
  rms: number;
  peak: number;
  stats: JitterBufferStats;
}

class JitterPlayoutProcessor extends scope.AudioWorkletProcessor {
  private readonly buffer = new AudioJitterBuffer({ sampleRate: MEDIA_RATE });
  private readonly reportEvery: number;
  private sinceReport = 0;
  private energy = 0;
  private peak = 0;
  // Resampling, only when the context does not run at 48 kHz.
  private readonly ratio = MEDIA_RATE / scope.sampleRate;
  private media = new Float32Array(0);
  private position = 0;
  private previous = 0;

  constructor(options: AudioWorkletNodeOptions) {
    super(options);
    const processorOptions = (options.processorOptions ?? {}) as JitterProcessorOptions;
    this.reportEvery = Math.round((scope.sampleRate * (processorOptions.reportIntervalMs ?? 100)) / 1000);
    const receive = (event: MessageEvent<JitterProcessorMessage>): void => {
      const message = event.data;
      if (message.type === 'pcm') this.buffer.push(message.pcm, message.timestamp);
      else if (message.type === 'reset') this.buffer.reset();
      else message.port.onmessage = receive;
    };
    this.port.onmessage = receive;
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]?.[0];
    if (!out) return true;
    if (this.ratio === 1) this.buffer.pull(out);
    else this.pullResampled(out);
    // Copy to any further channels (the node is mono, but be safe if configured otherwise).
    for (let c = 1; c < (outputs[0]?.length ?? 0); c++) outputs[0]![c]!.set(out);
    this.meter(out);
    return true;
  }

  /** Linear interpolation from the 48 kHz buffer to the context's rate, continuous across quanta. */
  private pullResampled(out: Float32Array): void {
    for (let i = 0; i < out.length; i++) {
      while (this.position >= this.media.length) {
        this.previous = this.media.length ? this.media[this.media.length - 1]! : this.previous;
        this.position -= this.media.length;
        this.media = new Float32Array(128);
        this.buffer.pull(this.media);
      }
      const i0 = Math.floor(this.position);
      const frac = this.position - i0;
      const a = i0 === 0 ? this.previous : this.media[i0 - 1]!;
      const b = this.media[i0]!;
      out[i] = a + (b - a) * frac;
      this.position += this.ratio;
    }
  }

  private meter(out: Float32Array): void {
    for (let i = 0; i < out.length; i++) {
      const s = out[i]!;
      this.energy += s * s;
      const a = s < 0 ? -s : s;
      if (a > this.peak) this.peak = a;
    }
    this.sinceReport += out.length;
    if (this.sinceReport < this.reportEvery) return;
    const report: JitterProcessorReport = {
      type: 'report',
      rms: Math.sqrt(this.energy / this.sinceReport),
      peak: this.peak,
      stats: this.buffer.stats,
    };
    this.port.postMessage(report);
    this.sinceReport = 0;
    this.energy = 0;
    this.peak = 0;
  }
}

scope.registerProcessor('vc-jitter-playout', JitterPlayoutProcessor);
