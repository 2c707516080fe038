/**
 * One simulcast layer's `VideoEncoder`: its configuration, its keyframes and
 * its own sequence numbers. {@link VideoEncodePipeline} feeds every layer the
 * same camera frame; a layer configured smaller than the frame scales it
 * (checked by bench/simulcast-encode.ts: each layer's keyframes decode to the
 * layer's size).
 */
import type { VideoCodecName } from './codec-support.js';
import { nextSequence, sequenceDelta, type EncodedMedia } from './encoded-media.js';

/** What a layer reports to its pipeline. */
export interface LayerEncoderCallbacks {
  /** One encoded frame, `encodeMs` after its `encode()` (undefined when unknown). */
  output(layer: LayerEncoder, media: EncodedMedia, encodeMs: number | undefined): void;
  /** The encoder failed; the pipeline decides whether to restart it. */
  error(layer: LayerEncoder, error: DOMException): void;
}

/** What a layer is configured for. */
export interface LayerSettings {
  codec: VideoCodecName;
  width: number;
  height: number;
  bitrate: number;
}

/** Counters of one layer. */
export interface LayerEncoderStats {
  /** `MediaFrame.layer`: 0 the largest. */
  layer: number;
  width: number;
  height: number;
  bitrate: number;
  /** False while nobody watches it (the relay's `LayerDemand`): frames are not encoded. */
  active: boolean;
  /** Frames handed to its encoder. */
  framesIn: number;
  framesEncoded: number;
  keyframes: number;
  bytes: number;
}

/**
 * A layer of a simulcast send. Its first frame, the first after each
 * (re)configuration and the first after it was restarted are keyframes.
 */
export class LayerEncoder {
  private encoder: VideoEncoder | undefined;
  settings: LayerSettings | undefined;
  /** False while the layer is stopped (nobody watches it). */
  active = true;
  private sequence = 0;
  /** Sequence number of the last temporal-layer-0 frame (or keyframe) out: what the next frames depend on. */
  private baseSequence: number | undefined;
  private forceKeyframe = true;
  private keyframeRequested = false;
  private lastKeyframeAt = Number.NEGATIVE_INFINITY;
  /** A keyframe is in the encoder: frames after it wait for it, so their encode times say nothing of the load. */
  keyframePending = false;
  /** Per frame in the encoder, by timestamp: when it went in, with which settings. */
  private readonly pending = new Map<number, { at: number; capturedAt?: number; settings: LayerSettings }>();
  private readonly counters = { framesIn: 0, framesEncoded: 0, keyframes: 0, bytes: 0 };

  constructor(
    /** `MediaFrame.layer` of this layer. */
    readonly index: number,
    private readonly callbacks: LayerEncoderCallbacks,
    /** The track this layer belongs to: the camera, or a shared screen. */
    private readonly kind: 'video' | 'screen' = 'video',
  ) {}

  get stats(): LayerEncoderStats {
    const { width = 0, height = 0, bitrate = 0 } = this.settings ?? {};
    return { layer: this.index, width, height, bitrate, active: this.active, ...this.counters };
  }

  /** True once configured and usable. */
  get ready(): boolean {
    return this.encoder?.state === 'configured';
  }

  /** Frames waiting in the encoder. */
  get queueSize(): number {
    return this.encoder?.encodeQueueSize ?? 0;
  }

  /** (Re)configures; the next frame is a keyframe. */
  configure(config: VideoEncoderConfig, settings: LayerSettings): void {
    if (!this.encoder || this.encoder.state === 'closed') this.encoder = this.create();
    this.encoder.configure(config);
    this.settings = settings;
    this.forceKeyframe = true;
  }

  /** The next frame is a keyframe (a new camera, a resume). */
  startOver(): void {
    this.forceKeyframe = true;
  }

  /** Asks for a keyframe soon (see {@link encode}); any number of calls give one. */
  requestKeyframe(): void {
    this.keyframeRequested = true;
  }

  /** Starts (next frame a keyframe) or stops encoding this layer. */
  setActive(active: boolean): void {
    if (active && !this.active) this.forceKeyframe = true;
    this.active = active;
  }

  /**
   * Encodes `frame` (the caller keeps and closes it): a keyframe when forced,
   * when `intervalMs` passed since the last one, or when one was requested at
   * least `minGapMs` after the last. Returns whether it was a keyframe.
   * `capturedAt`: when the camera captured it (wall clock, ms), if known.
   */
  encode(frame: VideoFrame, now: number, intervalMs: number, minGapMs: number, capturedAt?: number): boolean {
    const encoder = this.encoder;
    if (!encoder || !this.settings) return false;
    const keyFrame =
      this.forceKeyframe ||
      now - this.lastKeyframeAt >= intervalMs ||
      (this.keyframeRequested && now - this.lastKeyframeAt >= minGapMs);
    if (keyFrame) {
      this.forceKeyframe = false;
      this.keyframeRequested = false;
      this.lastKeyframeAt = now;
    }
    if (keyFrame) this.keyframePending = true;
    this.counters.framesIn++;
    this.pending.set(frame.timestamp, { at: now, capturedAt, settings: this.settings });
    encoder.encode(frame, { keyFrame });
    return keyFrame;
  }

  /** Releases the encoder. */
  close(): void {
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = undefined;
    this.pending.clear();
    this.keyframePending = false;
    this.baseSequence = undefined;
  }

  private create(): VideoEncoder {
    const encoder: VideoEncoder = new VideoEncoder({
      output: (chunk, metadata) => this.output(chunk, metadata),
      error: (error) => {
        if (encoder !== this.encoder) return;
        this.encoder = undefined;
        this.pending.clear();
        this.keyframePending = false;
        this.callbacks.error(this, error);
      },
    });
    return encoder;
  }

  private output(chunk: EncodedVideoChunk, metadata?: EncodedVideoChunkMetadata): void {
    const pending = this.pending.get(chunk.timestamp);
    this.pending.delete(chunk.timestamp);
    // Entries for frames the encoder dropped would otherwise pile up.
    if (this.pending.size > 30) this.pending.clear();
    const settings = pending?.settings ?? this.settings!;
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    const keyframe = chunk.type === 'key';
    if (keyframe) this.keyframePending = false;
    const decoderConfig = metadata?.decoderConfig;
    this.counters.framesEncoded++;
    this.counters.bytes += data.byteLength;
    if (keyframe) this.counters.keyframes++;
    const temporalLayer = temporalLayerOf(metadata);
    // L1T2: a layer-1 frame depends on the layer-0 frame before it, a layer-0 frame on the one before that.
    const referenceDistance =
      keyframe || this.baseSequence === undefined ? 0 : sequenceDelta(this.sequence, this.baseSequence);
    if (keyframe || temporalLayer === 0) this.baseSequence = this.sequence;
    const media: EncodedMedia = {
      kind: this.kind,
      codec: settings.codec,
      keyframe,
      timestamp: chunk.timestamp,
      sequence: this.sequence,
      layer: this.index,
      data,
      // Frames encoded before a resize can come out after it: label them with their own size.
      width: decoderConfig?.codedWidth ?? settings.width,
      height: decoderConfig?.codedHeight ?? settings.height,
      temporalLayer,
      referenceDistance,
      // The camera's own time for the frame where known, else when it was read, just before encode().
      captureTime: pending ? (pending.capturedAt ?? performance.timeOrigin + pending.at) : undefined,
    };
    this.sequence = nextSequence(this.sequence);
    this.callbacks.output(this, media, pending ? performance.now() - pending.at : undefined);
  }
}

/** The temporal layer WebCodecs reports with `scalabilityMode` (`svc` is not in TypeScript's DOM types yet). */
function temporalLayerOf(metadata: EncodedVideoChunkMetadata | undefined): number {
  const svc = (metadata as { svc?: { temporalLayerId?: number } } | undefined)?.svc;
  return svc?.temporalLayerId ?? 0;
}
