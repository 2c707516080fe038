/**
 * Camera track → `VideoEncoder`s (realtime; one per simulcast layer) → {@link EncodedMedia}.
 */
import { CaptureClock } from '../capture/capture-clock.js';
import { CaptureSizer, type CaptureSize } from '../capture/capture-sizer.js';
import { readEach } from '../capture/read-each.js';
import { videoFrames } from '../capture/video-frames.js';
import {
  forgetCodecSupport,
  supportedEncoderConfig,
  videoEncoderConfig,
  type VideoCodecName,
} from './codec-support.js';
import type { EncodedMedia } from './encoded-media.js';
import { LayerEncoder, type LayerEncoderStats, type LayerSettings } from './layer-encoder.js';
import { MediaPipelineError } from './media-pipeline-error.js';
import {
  detailLadder,
  SendAdaptation,
  sendLadder,
  simulcastLadder,
  type SendAdaptationOptions,
  type SendQuality,
  type SendStep,
} from './send-adaptation.js';
import { simulcastLayerSizes, type LayerSize } from './simulcast-layers.js';
import { wallClockMs } from '../shared/clock.js';
import { encodeSize, videoBitrate } from './video-bitrate.js';

/** One layer as a publisher announces it (`MediaState.video_layers`). */
export interface SimulcastLayerInfo {
  width: number;
  height: number;
  maxFramerate: number;
  /** Bits per second. */
  maxBitrate: number;
}

/** Options of {@link VideoEncodePipeline}. */
export interface VideoEncodeOptions {
  codec: VideoCodecName;
  /** Called for every encoded frame, in order. */
  onEncoded: (media: EncodedMedia) => void;
  /** Called when the pipeline cannot go on (`codec-unsupported`, `encoder-failed`, `capture-ended`). */
  onError?: (error: MediaPipelineError) => void;
  /** Periodic keyframe interval; default 5000 ms. */
  keyframeIntervalMs?: number;
  /** Requested keyframes come at most this often; default 500 ms. */
  minKeyframeGapMs?: number;
  /** Largest encoded size; default 1280×720. */
  maxWidth?: number;
  maxHeight?: number;
  /** Frames beyond this rate are skipped; default 30. */
  maxFramerate?: number;
  /** Fixed bitrate in bps; default {@link videoBitrate} of the encoded size and frame rate. */
  bitrate?: number;
  /** Read frames through the `<video>` fallback (tests). */
  forceFallback?: boolean;
  /**
   * Step the size (then the frame rate) down when the encoder or the network
   * falls behind, and back up when they recover; default true. False sends at
   * the largest size whatever it costs.
   */
  adapt?: boolean;
  /** Tuning of the adaptation (tests). */
  adaptation?: SendAdaptationOptions;
  /**
   * What the adaptation gives up first when the encoder or the network falls
   * behind: `motion` (default, a camera) keeps the frame rate and steps the
   * size down; `detail` (a screen of text) steps the frame rate down to 5 fps
   * at full size first ({@link detailLadder}), and only then the size.
   */
  favour?: 'motion' | 'detail';
  /** The size or frame rate sent changed, and why. */
  onQuality?: (quality: SendQuality) => void;
  /**
   * Send simulcast layers: about 1280×720, 640×360 and 320×180, never larger
   * than the camera ({@link simulcastLayerSizes}), each from its own encoder.
   * Default false: one layer of the largest size. With simulcast, overuse
   * stops the top layer first, then the next, then lowers the frame rate.
   */
  simulcast?: boolean;
  /** The layers sent changed (index = `MediaFrame.layer`, largest first): announce them. */
  onLayers?: (layers: SimulcastLayerInfo[]) => void;
  /** The track encoded: `video` (the camera, default) or `screen`; frames carry it as their kind. */
  kind?: 'video' | 'screen';
  /** With simulcast, the heights of the layers below the top one (default 360 and 180). */
  lowerLayerHeights?: readonly number[];
  /** Multiplies the default {@link videoBitrate} (default 1): screens spend more per pixel to keep text sharp. */
  bitrateFactor?: number;
  /**
   * Have the camera capture no larger than the largest layer encoded (default
   * true, camera only, where the browser scales captures: {@link CaptureSizer}).
   */
  fitCapture?: boolean;
}

/** Counters of a {@link VideoEncodePipeline}. */
export interface VideoEncodeStats {
  codec: VideoCodecName;
  /** Size of the largest layer being encoded (0 before the first frame). */
  width: number;
  height: number;
  /** All layers together, bits per second. */
  bitrate: number;
  framesRead: number;
  framesEncoded: number;
  keyframes: number;
  /** Frames skipped because the encoder had more than two queued (it is falling behind). */
  droppedBusy: number;
  /** Frames skipped to respect `maxFramerate`. */
  droppedRate: number;
  /** Frames read and discarded while paused. */
  droppedPaused: number;
  /** Frames read and discarded because nobody watches any layer (`LayerDemand` empty). */
  droppedUnwatched: number;
  bytes: number;
  /** Mean time from `encode()` to its output, over the recent frames, in ms (to the last layer's output). */
  encodeTimeMs: number;
  /** Encoder restarts after errors. */
  restarts: number;
  /** Frame rate aimed at now (the adaptation may lower it). */
  framerate: number;
  /** Why the size or frame rate is below the best the camera allows; null when it is not. */
  limitedBy: SendQuality['limitedBy'];
  /** Smoothed share of each frame interval the encoder needs (1 = all of it). */
  encodeUsage: number;
  /** Steps down and up taken by the adaptation. */
  qualityChanges: number;
  /** Each layer being sent, index = `MediaFrame.layer`. */
  layers: LayerEncoderStats[];
}

/** The encoder may hold this many frames; beyond it, new frames are dropped (realtime: never queue latency). */
const MAX_ENCODE_QUEUE = 2;
/** No layer is given more than this, whatever `bitrateFactor` asks (bits per second). */
const MAX_LAYER_BITRATE = 6_000_000;
/** Consecutive encoder failures before giving up. */
const MAX_RESTARTS = 3;

/**
 * Encodes a video track for the room, in one layer or (with `simulcast`) in
 * several, each frame of the camera handed to every active layer.
 *
 * Frames are closed as soon as they are handed to the encoders (or dropped).
 * Each layer's keyframes come every `keyframeIntervalMs`, after every
 * (re)configuration, when it starts again after {@link setLayerDemand} stopped
 * it, and on {@link requestKeyframe} (repeated requests coalesce into one).
 *
 * @example
 * const pipeline = new VideoEncodePipeline({ codec: 'vp8', simulcast: true, onEncoded: (m) => room.sendMedia(m) });
 * pipeline.start(cameraTrack);
 * pipeline.setLayerDemand([1, 2]); // nobody watches the 720p layer
 * pipeline.requestKeyframe(1); // a receiver switches to 360p
 * pipeline.stop();
 */
export class VideoEncodePipeline {
  private readonly options: VideoEncodeOptions;
  private track: MediaStreamTrack | undefined;
  private reader: ReadableStreamDefaultReader<VideoFrame> | undefined;
  /** The layers, index = `MediaFrame.layer`; one without simulcast. */
  private layers: LayerEncoder[] = [];
  private codecName: VideoCodecName;
  /** Source size the encoders are configured for, `WxH`; changes trigger a reconfiguration. */
  private sourceKey = '';
  /** True while an asynchronous (re)configuration is under way: frames are dropped meanwhile. */
  private configuring = false;
  private needsConfigure = true;
  private lastEncodedTimestamp = -Infinity;
  private failures = 0;
  private stopped = false;
  private isPaused = false;
  /** Layers someone watches (the relay's `LayerDemand`); null: all (none received yet). */
  private demand: Set<number> | null = null;
  /** The announced layers, as a key: a change is announced again. */
  private layersKey = '';
  /** Maps the camera's frame timestamps to when it captured them, so a backlog in reading it shows. */
  private readonly captureClock = new CaptureClock();
  /** Per camera frame in the encoders, by timestamp: layers still to come out and the longest encode time so far. */
  private readonly frameCosts = new Map<number, { remaining: number; ms: number; keyframe: boolean }>();
  private readonly counters: Omit<VideoEncodeStats, 'layers'>;
  /** The adaptation for the current source; rebuilt when the source size or rate changes. */
  private adaptation: SendAdaptation | undefined;
  /** The camera's own size (frames smaller than it are our {@link sizer}'s doing). */
  private native: CaptureSize | null = null;
  /** Keeps the camera capturing no larger than the largest layer encoded; undefined where it cannot. */
  private sizer: CaptureSizer | undefined;
  private ladderKey = '';

  constructor(options: VideoEncodeOptions) {
    this.options = options;
    this.codecName = options.codec;
    this.counters = {
      codec: options.codec,
      width: 0,
      height: 0,
      bitrate: 0,
      framesRead: 0,
      framesEncoded: 0,
      keyframes: 0,
      droppedBusy: 0,
      droppedRate: 0,
      droppedPaused: 0,
      droppedUnwatched: 0,
      bytes: 0,
      encodeTimeMs: 0,
      restarts: 0,
      framerate: 0,
      limitedBy: null,
      encodeUsage: Number.NaN,
      qualityChanges: 0,
    };
  }

  /**
   * Starts encoding `track`, or switches to it (another camera): the encoders
   * are kept and the next frame of each layer is a keyframe. The pipeline never stops the track.
   */
  start(track: MediaStreamTrack): void {
    if (track.kind !== 'video') throw new TypeError('VideoEncodePipeline needs a video track');
    if (this.stopped) throw new Error('VideoEncodePipeline: start() after stop()');
    if (track === this.track) return;
    this.reader?.cancel().catch(() => {});
    this.sizer?.stop();
    this.sizer = undefined;
    this.native = null;
    this.track = track;
    this.captureClock.reset(); // another camera may keep another clock
    const reader = videoFrames(track, { forceFallback: this.options.forceFallback ?? false }).getReader();
    this.reader = reader;
    for (const layer of this.layers) layer.startOver();
    void this.run(reader);
  }

  /** The codec being sent. */
  get codec(): VideoCodecName {
    return this.codecName;
  }

  /** True between {@link pause} and {@link resume}. */
  get paused(): boolean {
    return this.isPaused;
  }

  /** A snapshot of the counters. */
  get stats(): VideoEncodeStats {
    return {
      ...this.counters,
      codec: this.codecName,
      encodeUsage: this.adaptation?.encodeUsage ?? Number.NaN,
      layers: this.layers.map((l) => l.stats),
    };
  }

  /** The layers sent now, as announced (index = `MediaFrame.layer`); empty before the first configuration. */
  get layerInfo(): SimulcastLayerInfo[] {
    return this.layers.map((l) => ({
      width: l.settings?.width ?? 0,
      height: l.settings?.height ?? 0,
      maxFramerate: this.counters.framerate,
      maxBitrate: l.settings?.bitrate ?? 0,
    }));
  }

  /** What is sent now (size of the largest layer, frame rate) and why it is less than the best, once configured. */
  get quality(): SendQuality | null {
    if (!this.counters.width) return null;
    return {
      height: this.counters.height,
      framerate: this.counters.framerate,
      limitedBy: this.counters.limitedBy,
    };
  }

  /** The transport could not send one of our video frames (congestion): counts towards stepping down. */
  networkDrop(): void {
    this.adaptation?.networkDrop();
  }

  /**
   * Asks for a keyframe soon on `layer` (every layer when omitted): its next
   * frame, or the first one `minKeyframeGapMs` after its previous keyframe. Any
   * number of calls before then give one keyframe.
   */
  requestKeyframe(layer?: number): void {
    if (layer === undefined) for (const l of this.layers) l.requestKeyframe();
    else this.layers[layer]?.requestKeyframe();
  }

  /**
   * Which layers someone watches (the relay's `LayerDemand`); null: all. A
   * layer not listed is not encoded; one listed again starts with a keyframe.
   */
  setLayerDemand(layers: readonly number[] | null): void {
    this.demand = layers === null ? null : new Set(layers);
    this.applyDemand();
  }

  /** Switches codec: the encoders are reconfigured and the next frames are keyframes. */
  setCodec(codec: VideoCodecName): void {
    if (codec === this.codecName) return;
    this.codecName = codec;
    this.needsConfigure = true;
  }

  /** Stops sending (camera off) without releasing the camera; frames are read and discarded. */
  pause(): void {
    this.isPaused = true;
  }

  /** Sends again after {@link pause}, starting with keyframes. */
  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    for (const layer of this.layers) layer.startOver();
  }

  /** Stops reading and releases the encoders. The track is left running for its owner. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reader?.cancel().catch(() => {});
    this.reader = undefined;
    this.sizer?.stop();
    for (const layer of this.layers) layer.close();
  }

  private run(reader: ReadableStreamDefaultReader<VideoFrame>): Promise<void> {
    return readEach(reader, {
      // Ends when stopped or when start() moved on to another track (another reader).
      current: () => !this.stopped && reader === this.reader,
      handle: (frame) => this.handle(frame),
      failed: (error) => this.fail('capture-ended', 'Reading the video track failed.', error),
      ended: () => this.fail('capture-ended', 'The video track ended.'),
    });
  }

  private handle(frame: VideoFrame): void {
    this.counters.framesRead++;
    if (this.stopped) return;
    // Every frame read, sent or not, teaches the clock how soon frames can be read.
    this.captureClock.read(frame.timestamp, wallClockMs());
    if (this.isPaused) {
      this.counters.droppedPaused++;
      return;
    }
    const source = this.sourceSize(frame.displayWidth, frame.displayHeight);
    const sourceKey = `${source.width}x${source.height}`;
    if (sourceKey !== this.sourceKey) this.needsConfigure = true;
    if (this.needsConfigure && !this.configuring) void this.configure(source.width, source.height, sourceKey);
    if (this.configuring || this.layers.length === 0 || !this.layers.every((l) => l.ready)) return;

    const now = performance.now();
    if (this.adapt(now)) return; // reconfiguring: this frame is skipped

    const maxFramerate = this.counters.framerate || this.maxFramerate();
    // A little slack (10%) so a camera at exactly maxFramerate is not thinned by timestamp jitter.
    const sinceLast = frame.timestamp - this.lastEncodedTimestamp;
    if (sinceLast >= 0 && sinceLast < (0.9 * 1e6) / maxFramerate) {
      this.counters.droppedRate++;
      return;
    }
    const active = this.layers.filter((l) => l.active);
    if (active.length === 0) {
      this.counters.droppedUnwatched++;
      return;
    }
    // One layer behind skips the frame for all: the layers stay in step, and the load is what is too high.
    if (active.some((l) => l.queueSize > MAX_ENCODE_QUEUE)) {
      this.counters.droppedBusy++;
      this.adaptation?.encoderBusy();
      return;
    }

    const interval = this.options.keyframeIntervalMs ?? 5000;
    const minGap = this.options.minKeyframeGapMs ?? 500;
    this.lastEncodedTimestamp = frame.timestamp;
    // A frame queued behind a keyframe (any layer's: they share the machine) is slow for that reason:
    // counted like the keyframe, not as load.
    const behindKeyframe = active.some((l) => l.keyframePending);
    this.frameCosts.set(frame.timestamp, { remaining: active.length, ms: 0, keyframe: behindKeyframe });
    // Entries for frames an encoder dropped would otherwise pile up.
    if (this.frameCosts.size > 30) this.frameCosts.delete(this.frameCosts.keys().next().value!);
    const capturedAt = this.captureClock.wallClockOf(frame.timestamp);
    for (const layer of active) layer.encode(frame, now, interval, minGap, capturedAt);
  }

  /**
   * The source's size for planning layers and the adaptation's ladder: the
   * camera's own, also while our {@link sizer} has it capture smaller (a frame
   * of a size it asked for). Any other size is a new source.
   */
  private sourceSize(width: number, height: number): CaptureSize {
    const native = this.native;
    if (native && ((width === native.width && height === native.height) || this.sizer?.owns(width, height))) {
      return native;
    }
    this.native = { width, height };
    this.sizer?.stop();
    const track = this.track;
    this.sizer =
      track && this.options.kind !== 'screen' && this.options.fitCapture !== false && CaptureSizer.canResize(track)
        ? new CaptureSizer(track, this.native)
        : undefined;
    return this.native;
  }

  /** Has the camera capture the largest layer being encoded (not below 360p: the self-view shows it). */
  private fitCapture(): void {
    if (!this.sizer) return;
    let top: CaptureSize | null = null;
    for (const layer of this.layers) {
      const size = layer.settings;
      if (layer.active && size && (!top || size.height > top.height)) top = { width: size.width, height: size.height };
    }
    // Nobody watches any layer: nothing is encoded, and the next viewer's layer is not known yet.
    if (top) this.sizer.fit(top);
  }

  private maxFramerate(): number {
    return this.options.maxFramerate ?? 30;
  }

  /** Lets the adaptation decide; true when it changed the step (the encoders are reconfigured). */
  private adapt(now: number): boolean {
    let change = this.adaptation?.check(now);
    if (!change) return false;
    // Stopping only layers nobody watches (not encoded anyway) relieves nothing: go on down.
    while (change && change.height < this.counters.height && this.cutsOnlyInactive(change.height)) {
      const further = this.adaptation!.stepDownFurther(now);
      if (!further) break;
      change = further;
    }
    this.counters.qualityChanges++;
    this.needsConfigure = true;
    this.sourceKey = '';
    return true;
  }

  /** Whether a step to `height` stops only layers that are not being encoded (simulcast, nobody watches them). */
  private cutsOnlyInactive(height: number): boolean {
    if (!this.options.simulcast) return false;
    const cut = this.layers.filter((l) => (l.settings?.height ?? 0) > height);
    const kept = this.layers.filter((l) => (l.settings?.height ?? 0) <= height);
    return cut.length > 0 && cut.every((l) => !l.active) && kept.some((l) => l.active);
  }

  /** The step to send at for this source: from the adaptation, or the top one without it. */
  private step(sourceHeight: number, sourceRate: number, layerHeights: readonly number[] | null): SendQuality {
    const maxHeight = this.options.maxHeight ?? 720;
    const key = `${sourceHeight}@${sourceRate}:${layerHeights?.join(',') ?? ''}`;
    if (this.options.adapt !== false && key !== this.ladderKey) {
      // A new source (another camera, a resize): start again from its top step.
      this.ladderKey = key;
      const ladder =
        this.options.favour === 'detail'
          ? detailLadder(layerHeights ?? ladderHeights(sendLadder(sourceHeight, maxHeight, sourceRate)), sourceRate)
          : layerHeights
            ? simulcastLadder(layerHeights, sourceRate)
            : sendLadder(sourceHeight, maxHeight, sourceRate);
      this.adaptation = new SendAdaptation(ladder, this.options.adaptation);
    }
    return (
      this.adaptation?.current ?? {
        height: Math.min(sourceHeight, maxHeight),
        framerate: sourceRate,
        limitedBy: null,
      }
    );
  }

  /** The sizes to encode for a source at `step`: the simulcast layers not above the step, or one size. */
  private plan(
    sourceWidth: number,
    sourceHeight: number,
    sourceRate: number,
  ): { sizes: LayerSize[]; step: SendQuality } {
    const maxWidth = this.options.maxWidth ?? 1280;
    const maxHeight = this.options.maxHeight ?? 720;
    if (!this.options.simulcast) {
      const step = this.step(sourceHeight, sourceRate, null);
      return { sizes: [encodeSize(sourceWidth, sourceHeight, maxWidth, step.height)], step };
    }
    const all = simulcastLayerSizes(sourceWidth, sourceHeight, maxWidth, maxHeight, this.options.lowerLayerHeights);
    const step = this.step(
      sourceHeight,
      sourceRate,
      all.map((l) => l.height),
    );
    const sizes = all.filter((l) => l.height <= step.height);
    return { sizes: sizes.length > 0 ? sizes : all.slice(-1), step };
  }

  /** (Re)configures every layer for a source size; frames are dropped until it is done. */
  private async configure(sourceWidth: number, sourceHeight: number, sourceKey: string): Promise<void> {
    this.configuring = true;
    this.needsConfigure = false;
    const codec = this.codecName;
    const trackRate = this.track?.getSettings().frameRate;
    const sourceRate = Math.round(Math.min(this.maxFramerate(), trackRate && trackRate > 0 ? trackRate : 30));
    const { sizes, step } = this.plan(sourceWidth, sourceHeight, sourceRate);
    const framerate = step.framerate;
    const contentHint = this.track?.contentHint ?? '';
    const settings: LayerSettings[] = sizes.map(({ width, height }) => ({
      codec,
      width,
      height,
      bitrate:
        this.options.bitrate ??
        Math.min(
          MAX_LAYER_BITRATE,
          Math.round(videoBitrate(width, height, framerate) * (this.options.bitrateFactor ?? 1)),
        ),
    }));
    try {
      const configs = await Promise.all(
        settings.map((s) => supportedEncoderConfig(videoEncoderConfig(codec, { ...s, framerate, contentHint }))),
      );
      if (this.stopped) return;
      const unsupported = settings.find((_, i) => !configs[i]);
      if (unsupported) {
        this.fail(
          'codec-unsupported',
          `This browser cannot encode ${codec} at ${unsupported.width}×${unsupported.height}.`,
        );
        return;
      }
      // A codec switch requested while we awaited wins: configure again on the next frame.
      if (codec !== this.codecName) {
        this.needsConfigure = true;
        return;
      }
      settings.forEach((s, i) => {
        this.layers[i] ??= new LayerEncoder(
          i,
          {
            output: (layer, media, encodeMs) => this.output(layer, media, encodeMs),
            error: (layer, error) => this.encoderError(layer, error),
          },
          this.options.kind,
        );
        this.layers[i].configure(configs[i]!, s);
      });
      for (const extra of this.layers.splice(settings.length)) extra.close();
      this.frameCosts.clear();
      this.sourceKey = sourceKey;
      const top = settings[0]!;
      const bitrate = settings.reduce((sum, s) => sum + s.bitrate, 0);
      const changed = this.counters.height !== top.height || this.counters.framerate !== framerate;
      Object.assign(this.counters, {
        width: top.width,
        height: top.height,
        bitrate,
        framerate,
        limitedBy: step.limitedBy,
      });
      this.layersChanged();
      if (changed) this.options.onQuality?.({ height: top.height, framerate, limitedBy: step.limitedBy });
    } catch (error) {
      this.fail('codec-unsupported', `Configuring the ${codec} encoder failed.`, error);
    } finally {
      this.configuring = false;
    }
  }

  /** Announces the layers when they changed; a demand for the old ones no longer applies. */
  private layersChanged(): void {
    const info = this.layerInfo;
    const key = JSON.stringify(info);
    if (key === this.layersKey) return this.applyDemand();
    this.layersKey = key;
    // Indexes now name other sizes: send them all until the relay says again what is watched.
    this.demand = null;
    this.applyDemand();
    this.options.onLayers?.(info);
  }

  private applyDemand(): void {
    for (const layer of this.layers) layer.setActive(this.demand === null || this.demand.has(layer.index));
    this.fitCapture();
  }

  private output(layer: LayerEncoder, media: EncodedMedia, encodeMs: number | undefined): void {
    if (this.stopped || this.layers[layer.index] !== layer) return;
    this.failures = 0;
    this.counters.framesEncoded++;
    this.counters.bytes += media.data.byteLength;
    if (media.keyframe) this.counters.keyframes++;
    const cost = this.frameCosts.get(media.timestamp);
    if (cost && encodeMs !== undefined) {
      cost.ms = Math.max(cost.ms, encodeMs);
      cost.keyframe ||= media.keyframe;
      if (--cost.remaining === 0) {
        // The whole camera frame is out: its cost is the time from encode() to the last layer's output.
        // The layers' encoders work side by side (in parallel where there are threads, in turn where not),
        // so this span is what must fit in a frame interval; adding the layers' times up would count
        // parallel work twice and step down a machine that keeps up.
        this.frameCosts.delete(media.timestamp);
        this.counters.encodeTimeMs =
          this.counters.framesEncoded <= 1 ? cost.ms : this.counters.encodeTimeMs * 0.9 + cost.ms * 0.1;
        this.adaptation?.frameEncoded(cost.ms, cost.keyframe, performance.now());
      }
    }
    this.options.onEncoded(media);
  }

  private encoderError(layer: LayerEncoder, error: DOMException): void {
    if (this.stopped || this.layers[layer.index] !== layer) return;
    this.failures++;
    this.counters.restarts++;
    if (this.failures > MAX_RESTARTS) {
      this.fail('encoder-failed', `The ${this.codecName} encoder failed ${this.failures} times in a row.`, error);
      return;
    }
    // Fresh encoders on the next frame; their first outputs are keyframes.
    this.needsConfigure = true;
    this.sourceKey = '';
  }

  private fail(code: MediaPipelineError['code'], message: string, cause?: unknown): void {
    // The answers remembered about this browser's encoders may be what failed (a changed machine,
    // damaged storage): the next configuration asks the browser afresh.
    if (code !== 'capture-ended') forgetCodecSupport();
    const error = new MediaPipelineError(code, message, { cause });
    this.stop();
    this.options.onError?.(error);
  }
}

/** The sizes a one-layer ladder steps through (its rungs at the full frame rate). */
function ladderHeights(ladder: readonly SendStep[]): number[] {
  const rate = ladder[0]!.framerate;
  return ladder.filter((s) => s.framerate === rate).map((s) => s.height);
}
