/**
 * Plays remote audio: one `AudioContext` for the page, one jitter-buffer
 * worklet node per remote stream.
 */
import processorCode from './jitter-worklet-processor.ts?worklet';
import type { JitterBufferStats } from './audio-jitter-buffer.js';
import type { JitterProcessorMessage, JitterProcessorReport } from './jitter-worklet-processor.js';

/** Options of {@link AudioPlayout}. */
export interface AudioPlayoutOptions {
  /** How often each stream reports its level and stats; default 100 ms. */
  reportIntervalMs?: number;
}

/** One remote stream being played. */
export interface PlayoutStream {
  readonly id: string;
  /**
   * Queues decoded audio: mono 48 kHz samples starting at media time
   * `timestampSamples`. The samples are transferred to the audio thread:
   * `pcm` is unusable afterwards.
   */
  push(pcm: Float32Array, timestampSamples: number): void;
  /** Output level over the last report interval: RMS, linear 0..1. */
  readonly level: number;
  /** Output peak over the last report interval, linear 0..1. */
  readonly peak: number;
  /** The jitter buffer's latest stats (`undefined` before the first report). */
  readonly stats: JitterBufferStats | undefined;
  /** Playback gain, 1 by default (0 silences this stream only). */
  volume: number;
  /** Called with the RMS of every level report (about every report interval). */
  onlevel: ((rms: number) => void) | null;
  /** Stops and disconnects this stream. */
  close(): void;
}

/**
 * Pushes kept while the worklet loads: the newest 60 ms. Older audio is stale by
 * the time the worklet runs, and handing it over in one burst would look like a
 * second of network jitter to the jitter buffer, which would then hold every
 * later packet ~200 ms for the next ten seconds.
 */
const MAX_EARLY_PUSHES = 3;

/**
 * The page's audio output. Browsers start an `AudioContext` suspended until
 * the user interacts with the page (autoplay policy): `state` is then
 * `'suspended'`, `onstatechange` fires when it changes, and the element should
 * offer a "click to hear" button that calls {@link resume}.
 *
 * @example
 * const playout = new AudioPlayout();
 * playout.onstatechange = () => showClickToHear(playout.state === 'suspended');
 * const stream = playout.createStream(peerId);
 * decoder = new AudioDecodePipeline({ onAudio: (pcm, ts) => stream.push(pcm, ts) });
 */
export class AudioPlayout {
  /** Called whenever {@link state} changes. */
  onstatechange: (() => void) | null = null;
  /** The context everything plays through (48 kHz where the browser allows it). */
  readonly context: AudioContext;
  /** Settles when the worklet is loaded; rejects if it cannot be (streams then stay silent). */
  readonly ready: Promise<void>;

  private readonly options: AudioPlayoutOptions;
  private readonly streams = new Set<PlayoutStreamImpl>();
  private loaded = false;
  private closed = false;
  private readonly moduleUrl: string;

  constructor(options: AudioPlayoutOptions = {}) {
    this.options = options;
    this.context = createContext();
    this.context.onstatechange = () => this.onstatechange?.();
    this.moduleUrl = URL.createObjectURL(new Blob([processorCode], { type: 'text/javascript' }));
    this.ready = this.context.audioWorklet.addModule(this.moduleUrl).then(() => {
      this.loaded = true;
      if (this.closed) return;
      for (const stream of this.streams) stream.attach();
    });
    // Nobody may await `ready`; a failure shows as silence and in `stats` staying undefined.
    this.ready.catch(() => {});
    // Try at once: this succeeds where autoplay is allowed (or after a gesture already happened).
    void this.context.resume().catch(() => {});
  }

  /** `'running'`, `'suspended'` (waiting for a user gesture) or `'closed'`. */
  get state(): AudioContextState {
    return this.context.state;
  }

  /** Resumes playback; call from a user gesture (a click) when {@link state} is `'suspended'`. */
  async resume(): Promise<void> {
    if (this.context.state !== 'closed') await this.context.resume();
  }

  /**
   * Plays through the audio output `deviceId` (from `enumerateDevices`, kind
   * `audiooutput`; empty: the system default). Resolves false where the browser
   * cannot choose the output of an `AudioContext` (Chromium 110+ can).
   */
  async setSinkId(deviceId: string): Promise<boolean> {
    const context = this.context as AudioContext & { setSinkId?: (id: string) => Promise<void> };
    if (typeof context.setSinkId !== 'function' || this.closed) return false;
    await context.setSinkId(deviceId);
    return true;
  }

  /** A new stream to play (one per remote participant). */
  createStream(id: string): PlayoutStream {
    if (this.closed) throw new Error('AudioPlayout is closed');
    const stream = new PlayoutStreamImpl(id, this.context, this.options.reportIntervalMs ?? 100, () =>
      this.streams.delete(stream),
    );
    this.streams.add(stream);
    if (this.loaded) stream.attach();
    return stream;
  }

  /** Stops every stream and closes the context. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stream of [...this.streams]) stream.close();
    URL.revokeObjectURL(this.moduleUrl);
    if (this.context.state !== 'closed') await this.context.close();
  }
}

class PlayoutStreamImpl implements PlayoutStream {
  level = 0;
  peak = 0;
  onlevel: ((rms: number) => void) | null = null;
  stats: JitterBufferStats | undefined;
  private node: AudioWorkletNode | undefined;
  private readonly gain: GainNode;
  private early: JitterProcessorMessage[] = [];
  private closed = false;

  constructor(
    readonly id: string,
    private readonly context: AudioContext,
    private readonly reportIntervalMs: number,
    private readonly onClose: () => void,
  ) {
    this.gain = context.createGain();
    this.gain.connect(context.destination);
  }

  get volume(): number {
    return this.gain.gain.value;
  }

  set volume(value: number) {
    this.gain.gain.value = Math.max(0, value);
  }

  /** Creates the worklet node once the module is loaded, and hands it what arrived meanwhile. */
  attach(): void {
    if (this.closed || this.node) return;
    const node = new AudioWorkletNode(this.context, 'vc-jitter-playout', {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: { reportIntervalMs: this.reportIntervalMs },
    });
    node.port.onmessage = (event: MessageEvent<JitterProcessorReport>) => {
      if (event.data.type !== 'report') return;
      this.level = event.data.rms;
      this.peak = event.data.peak;
      this.stats = event.data.stats;
      this.onlevel?.(this.level);
    };
    node.connect(this.gain);
    this.node = node;
    for (const message of this.early) this.post(message);
    this.early = [];
  }

  push(pcm: Float32Array, timestampSamples: number): void {
    if (this.closed) return;
    // While suspended nothing plays; queueing would only be dropped later as stale.
    if (this.context.state !== 'running' && this.node) return;
    // Transfer only a buffer the samples own entirely, so no unrelated bytes move along.
    const own = pcm.byteOffset === 0 && pcm.byteLength === pcm.buffer.byteLength ? pcm : pcm.slice();
    const message: JitterProcessorMessage = { type: 'pcm', pcm: own, timestamp: timestampSamples };
    if (!this.node) {
      this.early.push(message);
      if (this.early.length > MAX_EARLY_PUSHES) this.early.shift();
      return;
    }
    this.post(message);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.node?.port.close();
    this.node?.disconnect();
    this.gain.disconnect();
    this.early = [];
    this.level = this.peak = 0;
    this.onClose();
  }

  private post(message: JitterProcessorMessage): void {
    if (message.type === 'pcm') this.node!.port.postMessage(message, [message.pcm.buffer as ArrayBuffer]);
    else this.node!.port.postMessage(message);
  }
}

/** 48 kHz (Opus's rate: no resampling in the worklet) where allowed, else the device rate. */
function createContext(): AudioContext {
  try {
    return new AudioContext({ sampleRate: 48000, latencyHint: 'interactive' });
  } catch {
    return new AudioContext({ latencyHint: 'interactive' });
  }
}
