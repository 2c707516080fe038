/**
 * AudioWorklet processor for capturing microphone PCM where there is no
 * `MediaStreamTrackProcessor`. Loaded as a string (`?worklet` import) so the
 * bundle stays one file; it runs in the AudioWorkletGlobalScope, whose names
 * are typed locally below rather than as page globals.
 *
 * Posts `{ frame, channels }` every 10 ms: `frame` is the context frame of the
 * first sample, `channels` one Float32Array per input channel (transferred).
 * It posts to its own port, or to the port the page sends it (`{ port }`): the
 * media worker's, so the microphone reaches the encoder without the page's
 * main thread. `{ ended: true }` (the track ended) is passed on.
 */

interface WorkletProcessor {
  readonly port: MessagePort;
}
interface WorkletScope {
  AudioWorkletProcessor: new () => WorkletProcessor;
  registerProcessor(name: string, ctor: new () => WorkletProcessor): void;
  sampleRate: number;
  currentFrame: number;
}
const scope = globalThis as unknown as WorkletScope;

/** Registered processor name. */
const NAME = 'vc-audio-capture';

class AudioCaptureProcessor extends scope.AudioWorkletProcessor {
  /** 10 ms: the size browsers' own capture paths deliver. */
  private readonly chunk = Math.round(scope.sampleRate / 100);
  private out: MessagePort = this.port;

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent<{ port?: MessagePort; ended?: true }>) => {
      if (event.data.port) this.out = event.data.port;
      if (event.data.ended) this.out.postMessage({ ended: true });
    };
  }
  private channels: Float32Array[] = [];
  private filled = 0;
  private startFrame = 0;

  process(inputs: Float32Array[][]): boolean {
    const input = inputs[0];
    // No input channels: the source ended or is not connected yet; keep the processor alive.
    if (!input || input.length === 0) return true;
    if (this.channels.length !== input.length) {
      this.channels = input.map(() => new Float32Array(this.chunk));
      this.filled = 0;
    }
    let offset = 0;
    const frames = input[0]!.length;
    while (offset < frames) {
      if (this.filled === 0) this.startFrame = scope.currentFrame + offset;
      const n = Math.min(frames - offset, this.chunk - this.filled);
      for (let c = 0; c < input.length; c++) this.channels[c]!.set(input[c]!.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.chunk) {
        const channels = this.channels;
        this.out.postMessage(
          { frame: this.startFrame, channels },
          channels.map((c) => c.buffer),
        );
        this.channels = input.map(() => new Float32Array(this.chunk));
        this.filled = 0;
      }
    }
    return true;
  }
}

scope.registerProcessor(NAME, AudioCaptureProcessor);
