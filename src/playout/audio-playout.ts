/**
 * Plays remote audio: one `AudioContext` for the page, one jitter-buffer
 * worklet node per remote stream.
 */
import processorCode from './jitter-worklet-processor.ts?worklet';
import { AudioDecodePipeline, emptyAudioDecodeStats, type AudioDecodeStats } from '../codec/audio-decode.js';
import type { EncodedMedia } from '../codec/encoded-media.js';
import { wallClockMs } from '../shared/clock.js';
import type { AudioDecodeOffload } from './audio-decode-offload.js';
import type { JitterBufferStats } from './audio-jitter-buffer.js';
import type { JitterProcessorMessage, JitterProcessorReport } from './jitter-worklet-processor.js';
import { OutputGlitchMonitor } from './output-glitches.js';
import { ownBuffer } from '../shared/bytes.js';

/** Options of {@link AudioPlayout}. */
export interface AudioPlayoutOptions {
  /** How often each stream reports its level and stats; default 100 ms. */
  reportIntervalMs?: number;
  /**
   * Start on the smallest output buffer (Chromium: 2.7 ms base + 8 ms device,
   * against 10 + 30 ms at `'interactive'`), and step up to `'interactive'` for
   * good if the output glitches (see output-glitches.ts). Default: true where
   * the browser reports glitches (`AudioContext.playbackStats`), false elsewhere,
   * where a glitching output could not be noticed.
   */
  lowLatency?: boolean;
  /**
   * A worker to decode {@link PlayoutStream.decode}'s packets in (the media
   * worker's decoding half): it hands the samples straight to the audio thread,
   * away from a busy main thread. Started before the playout, with the join: a
   * worker takes 100–200 ms to start on a busy page. Without one, or where it
   * fails (a CSP forbidding `blob:` workers), the page decodes.
   */
  decodeWorker?: AudioDecodeOffload;
}

/** How the output is buffered: the smallest buffer, or the browser's `'interactive'` one. */
export type OutputMode = 'low-latency' | 'interactive';

/** Chromium's `AudioContext.playbackStats` (not in the DOM typings yet): cumulative since the context started. */
interface PlaybackStats {
  underrunEvents: number;
  underrunDuration: number;
  totalDuration: number;
}

/** How often a low-latency output's glitches are read. */
const GLITCH_CHECK_MS = 1000;

/** One remote stream being played. */
export interface PlayoutStream {
  readonly id: string;
  /**
   * Queues decoded audio: mono 48 kHz samples starting at media time
   * `timestampSamples`. The samples are transferred to the audio thread:
   * `pcm` is unusable afterwards.
   */
  push(pcm: Float32Array, timestampSamples: number): void;
  /**
   * Decodes a received Opus packet and plays it; made ready by {@link prepare}
   * or the first packet. Use either this or {@link push} for a stream, not both.
   */
  decode(media: EncodedMedia): void;
  /** Makes and configures the decoder now, so the first packet does not wait for it. */
  prepare(): void;
  /** The decoder's counters; null before {@link decode} or {@link prepare}. */
  readonly decodeStats: AudioDecodeStats | null;
  /** Called with decoded packets handed to playout: their media timestamps (µs) and when (wall clock ms). */
  ondecoded: ((timestamp: number, at: number) => void) | null;
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
  /** Settles when the worklet is loaded; rejects if it cannot be (streams then stay silent). */
  readonly ready: Promise<void>;
  /** Called when the output moved to a larger buffer because it glitched. */
  onoutputchange: ((mode: OutputMode) => void) | null = null;

  private readonly options: AudioPlayoutOptions;
  private readonly streams = new Set<PlayoutStreamImpl>();
  private ctx: AudioContext;
  private mode: OutputMode;
  private loaded = false;
  private closed = false;
  private readonly moduleUrl: string;
  private glitchTimer: ReturnType<typeof setInterval> | undefined;
  /** The output chosen with {@link setSinkId}; a context made later (stepping up) plays there too. */
  private sinkId = '';
  /** The decode worker, made with the first stream that decodes; null where it cannot run. */
  private offload: AudioDecodeOffload | null | undefined;

  constructor(options: AudioPlayoutOptions = {}) {
    this.options = options;
    this.mode = (options.lowLatency ?? reportsGlitches()) ? 'low-latency' : 'interactive';
    this.moduleUrl = URL.createObjectURL(new Blob([processorCode], { type: 'text/javascript' }));
    this.ctx = this.openContext();
    this.ready = this.ctx.audioWorklet.addModule(this.moduleUrl).then(() => {
      this.loaded = true;
      if (this.closed) return;
      for (const stream of this.streams) stream.attach();
    });
    // Nobody may await `ready`; a failure shows as silence and in `stats` staying undefined.
    this.ready.catch(() => {});
    if (this.mode === 'low-latency' && reportsGlitches()) this.watchGlitches();
  }

  /** The context everything plays through now (48 kHz where the browser allows it); replaced if the output steps up. */
  get context(): AudioContext {
    return this.ctx;
  }

  /** How the output is buffered now. */
  get outputMode(): OutputMode {
    return this.mode;
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
    this.sinkId = deviceId;
    return true;
  }

  /**
   * A new stream to play (one per remote participant). `from`: the participant
   * whose microphone it plays, where the decode worker also reads the transport
   * (the media worker): it then decodes their packets as they arrive, and the
   * page does not {@link PlayoutStream.decode} those.
   */
  createStream(id: string, from?: string): PlayoutStream {
    if (this.closed) throw new Error('AudioPlayout is closed');
    const stream = new PlayoutStreamImpl(
      id,
      this.context,
      this.options.reportIntervalMs ?? 100,
      () => this.streams.delete(stream),
      () => this.decodeWorker(),
      from,
    );
    this.streams.add(stream);
    if (this.loaded) stream.attach();
    return stream;
  }

  /** Stops every stream and closes the context. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.glitchTimer);
    for (const stream of [...this.streams]) stream.close();
    // An adopted worker no stream asked for yet is this playout's to stop too.
    (this.offload === undefined ? this.options.decodeWorker : this.offload)?.terminate();
    URL.revokeObjectURL(this.moduleUrl);
    if (this.ctx.state !== 'closed') await this.ctx.close();
  }

  /** A context for {@link mode}, tried at once: resuming succeeds where autoplay is allowed (or after a gesture). */
  private openContext(): AudioContext {
    const context = createContext(this.mode === 'low-latency' ? 0 : 'interactive');
    context.onstatechange = () => {
      this.offload?.setRunning(context.state === 'running');
      this.onstatechange?.();
    };
    void context.resume().catch(() => {});
    return context;
  }

  /** The decode worker, started on first use; null where it is off or cannot run. */
  private decodeWorker(): AudioDecodeOffload | null {
    if (this.offload !== undefined) return this.offload?.usable ? this.offload : null;
    const offload = this.options.decodeWorker;
    if (!offload) return (this.offload = null);
    offload.setRunning(this.ctx.state === 'running');
    // Streams already handed to it go on on the page; it is asked for nothing more.
    offload.onfailed = () => {
      for (const stream of this.streams) stream.workerFailed();
    };
    this.offload = offload;
    return offload.usable ? offload : null;
  }

  /** Reads the low-latency output's glitches, and steps up to `'interactive'` when they come too often. */
  private watchGlitches(): void {
    const monitor = new OutputGlitchMonitor();
    this.glitchTimer = setInterval(() => {
      const stats = (this.ctx as AudioContext & { playbackStats?: PlaybackStats }).playbackStats;
      if (this.ctx.state !== 'running' || !stats) return;
      if (monitor.sample(stats.underrunEvents, performance.now())) void this.stepUp();
    }, GLITCH_CHECK_MS);
  }

  /**
   * Moves every stream onto a new `'interactive'` context and closes the old one,
   * as a glitching low-latency output does by itself. Each stream's jitter buffer
   * starts again: one short gap, once per call. Settles when the streams play again.
   */
  async stepUp(): Promise<void> {
    clearInterval(this.glitchTimer);
    if (this.closed || this.mode === 'interactive') return;
    this.mode = 'interactive';
    const old = this.ctx;
    old.onstatechange = null;
    this.ctx = this.openContext();
    this.offload?.setRunning(this.ctx.state === 'running');
    if (this.sinkId) {
      const context = this.ctx as AudioContext & { setSinkId?: (id: string) => Promise<void> };
      void context.setSinkId?.(this.sinkId).catch(() => undefined); // gone meanwhile: the default plays
    }
    this.loaded = false; // streams made meanwhile wait for the new context's worklet
    for (const stream of this.streams) stream.moveTo(this.ctx);
    try {
      await this.ctx.audioWorklet.addModule(this.moduleUrl);
      this.loaded = true;
      if (this.closed) return;
      for (const stream of this.streams) stream.attach();
    } catch {
      // As at the start: a worklet that cannot load leaves the streams silent.
    }
    void old.close().catch(() => {});
    this.onoutputchange?.(this.mode);
    this.onstatechange?.();
  }
}

/** Whether this browser says when its audio output glitched (Chromium's `playbackStats`). */
function reportsGlitches(): boolean {
  return typeof AudioContext !== 'undefined' && 'playbackStats' in AudioContext.prototype;
}

class PlayoutStreamImpl implements PlayoutStream {
  level = 0;
  peak = 0;
  onlevel: ((rms: number) => void) | null = null;
  ondecoded: ((timestamp: number, at: number) => void) | null = null;
  stats: JitterBufferStats | undefined;
  private node: AudioWorkletNode | undefined;
  private gain: GainNode;
  private early: JitterProcessorMessage[] = [];
  private closed = false;
  /** Decoding in the worker: its key there, and its last counters. */
  private worker: { offload: AudioDecodeOffload; key: number; stats: AudioDecodeStats } | null = null;
  /** Decoding on the page (no worker, or it failed). */
  private local: AudioDecodePipeline | null = null;

  constructor(
    readonly id: string,
    private context: AudioContext,
    private readonly reportIntervalMs: number,
    private readonly onClose: () => void,
    private readonly decodeWorker: () => AudioDecodeOffload | null,
    private readonly from?: string,
  ) {
    this.gain = context.createGain();
    this.gain.connect(context.destination);
  }

  get decodeStats(): AudioDecodeStats | null {
    return this.local?.stats ?? (this.worker ? { ...this.worker.stats } : null);
  }

  decode(media: EncodedMedia): void {
    if (this.closed) return;
    this.prepare();
    if (this.worker) this.worker.offload.push(this.worker.key, media);
    else this.local?.push(media);
  }

  prepare(): void {
    if (this.closed || this.worker || this.local) return;
    const offload = this.decodeWorker();
    if (!offload) {
      this.decodeOnPage();
      return;
    }
    const worker = {
      offload,
      stats: emptyAudioDecodeStats(),
      key: offload.open((timestamps, at, stats) => {
        worker.stats = stats;
        for (let i = 0; i < timestamps.length; i++) this.ondecoded?.(timestamps[i]!, at[i]!);
      }, this.from),
    };
    this.worker = worker;
    if (this.node) this.connectWorker();
  }

  /** The worker failed: a stream it decoded decodes on the page from now on. */
  workerFailed(): void {
    if (!this.worker) return;
    this.worker = null;
    this.decodeOnPage();
  }

  /** Decodes on the page (no worker, or it failed). */
  private decodeOnPage(): void {
    if (this.closed || this.local) return;
    this.local = new AudioDecodePipeline({
      onAudio: (pcm, timestampSamples, info) => {
        this.push(pcm, timestampSamples);
        this.ondecoded?.(info.timestamp, wallClockMs());
      },
    });
    this.local.prepare();
  }

  /** Gives the worker a port straight to this stream's worklet. */
  private connectWorker(): void {
    const channel = new MessageChannel();
    this.post({ type: 'port', port: channel.port1 });
    this.worker!.offload.setPort(this.worker!.key, channel.port2);
  }

  get volume(): number {
    return this.gain.gain.value;
  }

  set volume(value: number) {
    this.gain.gain.value = Math.max(0, value);
  }

  /** Leaves the old context for `context`; {@link attach} follows once its worklet is loaded. */
  moveTo(context: AudioContext): void {
    if (this.closed) return;
    const volume = this.volume;
    if (this.worker) this.worker.offload.setPort(this.worker.key, null);
    this.node?.port.close();
    this.node?.disconnect();
    this.node = undefined;
    this.gain.disconnect();
    this.context = context;
    this.gain = context.createGain();
    this.gain.gain.value = volume;
    this.gain.connect(context.destination);
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
    if (this.worker) this.connectWorker();
  }

  push(pcm: Float32Array, timestampSamples: number): void {
    if (this.closed) return;
    // While suspended nothing plays; queueing would only be dropped later as stale.
    if (this.context.state !== 'running' && this.node) return;
    // Transfer only a buffer the samples own entirely, so no unrelated bytes move along.
    const own = ownBuffer(pcm);
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
    this.worker?.offload.close(this.worker.key);
    this.worker = null;
    this.local?.close();
    this.local = null;
    this.node?.port.close();
    this.node?.disconnect();
    this.gain.disconnect();
    this.early = [];
    this.level = this.peak = 0;
    this.onClose();
  }

  private post(message: JitterProcessorMessage): void {
    if (message.type === 'pcm') this.node!.port.postMessage(message, [message.pcm.buffer as ArrayBuffer]);
    else if (message.type === 'port') this.node!.port.postMessage(message, [message.port]);
    else this.node!.port.postMessage(message);
  }
}

/** 48 kHz (Opus's rate: no resampling in the worklet) where allowed, else the device rate. */
function createContext(latencyHint: AudioContextLatencyCategory | number): AudioContext {
  try {
    return new AudioContext({ sampleRate: 48000, latencyHint });
  } catch {
    return new AudioContext({ latencyHint });
  }
}
