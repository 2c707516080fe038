/**
 * Camera track → `VideoEncoder` (realtime) → {@link EncodedMedia}.
 */
import { readEach } from '../capture/read-each.js';
import { videoFrames } from '../capture/video-frames.js';
import { supportedEncoderConfig, videoEncoderConfig, type VideoCodecName } from './codec-support.js';
import { nextSequence, type EncodedMedia } from './encoded-media.js';
import { MediaPipelineError } from './media-pipeline-error.js';
import { SendAdaptation, sendLadder, type SendAdaptationOptions, type SendQuality } from './send-adaptation.js';
import { encodeSize, videoBitrate } from './video-bitrate.js';

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
  /** The size or frame rate sent changed, and why. */
  onQuality?: (quality: SendQuality) => void;
}

/** Counters of a {@link VideoEncodePipeline}. */
export interface VideoEncodeStats {
  codec: VideoCodecName;
  /** Size being encoded (0 before the first frame). */
  width: number;
  height: number;
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
  bytes: number;
  /** Mean time from `encode()` to its output, over the recent frames, in ms. */
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
}

/** The encoder may hold this many frames; beyond it, new frames are dropped (realtime: never queue latency). */
const MAX_ENCODE_QUEUE = 2;
/** Consecutive encoder failures before giving up. */
const MAX_RESTARTS = 3;

/**
 * Encodes a video track for the room.
 *
 * Frames are closed as soon as they are handed to the encoder (or dropped).
 * Keyframes come every `keyframeIntervalMs`, after every (re)configuration,
 * and on {@link requestKeyframe} (repeated requests coalesce into one).
 *
 * @example
 * const pipeline = new VideoEncodePipeline({ codec: 'vp8', onEncoded: (m) => room.sendMedia(m) });
 * pipeline.start(cameraTrack);
 * pipeline.requestKeyframe(); // a peer joined
 * pipeline.stop();
 */
export class VideoEncodePipeline {
  private readonly options: VideoEncodeOptions;
  private track: MediaStreamTrack | undefined;
  private reader: ReadableStreamDefaultReader<VideoFrame> | undefined;
  private encoder: VideoEncoder | undefined;
  private codecName: VideoCodecName;
  /** Source size the encoder is configured for, `WxH`; changes trigger a reconfiguration. */
  private sourceKey = '';
  /** True while an asynchronous (re)configuration is under way: frames are dropped meanwhile. */
  private configuring = false;
  private needsConfigure = true;
  private forceKeyframe = true;
  private keyframeRequested = false;
  private lastKeyframeAt = -Infinity;
  private lastEncodedTimestamp = -Infinity;
  private sequence = 0;
  private failures = 0;
  private stopped = false;
  private isPaused = false;
  /** Codec the encoder is configured for (differs from `codecName` while a switch is pending). */
  private configuredCodec: VideoCodecName | undefined;
  /** Per frame in the encoder, by timestamp: when it went in, with which codec and size (outputs can follow a reconfigure). */
  private readonly pendingEncodes = new Map<
    number,
    { at: number; codec: VideoCodecName; width: number; height: number }
  >();
  private readonly counters: VideoEncodeStats;
  /** The adaptation for the current source; rebuilt when the source size or rate changes. */
  private adaptation: SendAdaptation | undefined;
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
   * Starts encoding `track`, or switches to it (another camera): the encoder is
   * kept and the next frame is a keyframe. The pipeline never stops the track.
   */
  start(track: MediaStreamTrack): void {
    if (track.kind !== 'video') throw new TypeError('VideoEncodePipeline needs a video track');
    if (this.stopped) throw new Error('VideoEncodePipeline: start() after stop()');
    if (track === this.track) return;
    this.reader?.cancel().catch(() => {});
    this.track = track;
    const reader = videoFrames(track, { forceFallback: this.options.forceFallback ?? false }).getReader();
    this.reader = reader;
    this.forceKeyframe = true;
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
    return { ...this.counters, codec: this.codecName, encodeUsage: this.adaptation?.encodeUsage ?? Number.NaN };
  }

  /** What is sent now (size, frame rate) and why it is less than the best, once the encoder is configured. */
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
   * Asks for a keyframe soon: the next frame, or the first one `minKeyframeGapMs`
   * after the previous keyframe. Any number of calls before then give one keyframe.
   */
  requestKeyframe(): void {
    this.keyframeRequested = true;
  }

  /** Switches codec: the encoder is reconfigured and the next frame is a keyframe. */
  setCodec(codec: VideoCodecName): void {
    if (codec === this.codecName) return;
    this.codecName = codec;
    this.needsConfigure = true;
  }

  /** Stops sending (camera off) without releasing the camera; frames are read and discarded. */
  pause(): void {
    this.isPaused = true;
  }

  /** Sends again after {@link pause}, starting with a keyframe. */
  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.forceKeyframe = true;
  }

  /** Stops reading and releases the encoder. The track is left running for its owner. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reader?.cancel().catch(() => {});
    this.reader = undefined;
    this.closeEncoder();
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
    if (this.isPaused) {
      this.counters.droppedPaused++;
      return;
    }
    const sourceKey = `${frame.displayWidth}x${frame.displayHeight}`;
    if (sourceKey !== this.sourceKey) this.needsConfigure = true;
    if (this.needsConfigure && !this.configuring)
      void this.configure(frame.displayWidth, frame.displayHeight, sourceKey);
    const encoder = this.encoder;
    if (this.configuring || !encoder || encoder.state !== 'configured') return;

    const now = performance.now();
    if (this.adapt(now)) return; // reconfiguring: this frame is skipped

    const maxFramerate = this.counters.framerate || this.maxFramerate();
    // A little slack (10%) so a camera at exactly maxFramerate is not thinned by timestamp jitter.
    const sinceLast = frame.timestamp - this.lastEncodedTimestamp;
    if (sinceLast >= 0 && sinceLast < (0.9 * 1e6) / maxFramerate) {
      this.counters.droppedRate++;
      return;
    }
    if (encoder.encodeQueueSize > MAX_ENCODE_QUEUE) {
      this.counters.droppedBusy++;
      this.adaptation?.encoderBusy();
      return;
    }

    const interval = this.options.keyframeIntervalMs ?? 5000;
    const minGap = this.options.minKeyframeGapMs ?? 500;
    const keyFrame =
      this.forceKeyframe ||
      now - this.lastKeyframeAt >= interval ||
      (this.keyframeRequested && now - this.lastKeyframeAt >= minGap);
    if (keyFrame) {
      this.forceKeyframe = false;
      this.keyframeRequested = false;
      this.lastKeyframeAt = now;
    }
    this.lastEncodedTimestamp = frame.timestamp;
    this.pendingEncodes.set(frame.timestamp, {
      at: now,
      codec: this.configuredCodec ?? this.codecName,
      width: this.counters.width,
      height: this.counters.height,
    });
    encoder.encode(frame, { keyFrame });
  }

  private maxFramerate(): number {
    return this.options.maxFramerate ?? 30;
  }

  /** Lets the adaptation decide; true when it changed the step (the encoder is reconfigured). */
  private adapt(now: number): boolean {
    const change = this.adaptation?.check(now);
    if (!change) return false;
    this.counters.qualityChanges++;
    this.needsConfigure = true;
    this.sourceKey = '';
    return true;
  }

  /** The step to send at for this source: from the adaptation, or the top one without it. */
  private step(sourceHeight: number, sourceRate: number): SendQuality {
    const maxHeight = this.options.maxHeight ?? 720;
    const key = `${sourceHeight}@${sourceRate}`;
    if (this.options.adapt !== false && key !== this.ladderKey) {
      // A new source (another camera, a resize): start again from its top step.
      this.ladderKey = key;
      this.adaptation = new SendAdaptation(sendLadder(sourceHeight, maxHeight, sourceRate), this.options.adaptation);
    }
    return (
      this.adaptation?.current ?? { height: Math.min(sourceHeight, maxHeight), framerate: sourceRate, limitedBy: null }
    );
  }

  /** (Re)configures for a source size; frames are dropped until it is done. */
  private async configure(sourceWidth: number, sourceHeight: number, sourceKey: string): Promise<void> {
    this.configuring = true;
    this.needsConfigure = false;
    const codec = this.codecName;
    const trackRate = this.track?.getSettings().frameRate;
    const sourceRate = Math.round(Math.min(this.maxFramerate(), trackRate && trackRate > 0 ? trackRate : 30));
    const step = this.step(sourceHeight, sourceRate);
    const { width, height } = encodeSize(sourceWidth, sourceHeight, this.options.maxWidth ?? 1280, step.height);
    const framerate = step.framerate;
    const bitrate = this.options.bitrate ?? videoBitrate(width, height, framerate);
    const contentHint = this.track?.contentHint ?? '';
    try {
      const config = await supportedEncoderConfig(
        videoEncoderConfig(codec, { width, height, framerate, bitrate, contentHint }),
      );
      if (this.stopped) return;
      if (!config) {
        this.fail('codec-unsupported', `This browser cannot encode ${codec} at ${width}×${height}.`);
        return;
      }
      // A codec switch requested while we awaited wins: configure again on the next frame.
      if (codec !== this.codecName) {
        this.needsConfigure = true;
        return;
      }
      if (!this.encoder || this.encoder.state === 'closed') this.encoder = this.createEncoder();
      this.encoder.configure(config);
      this.configuredCodec = codec;
      this.sourceKey = sourceKey;
      this.forceKeyframe = true;
      const changed = this.counters.height !== height || this.counters.framerate !== framerate;
      Object.assign(this.counters, { width, height, bitrate, framerate, limitedBy: step.limitedBy });
      if (changed) this.options.onQuality?.({ height, framerate, limitedBy: step.limitedBy });
    } catch (error) {
      this.fail('codec-unsupported', `Configuring the ${codec} encoder failed.`, error);
    } finally {
      this.configuring = false;
    }
  }

  private createEncoder(): VideoEncoder {
    const encoder: VideoEncoder = new VideoEncoder({
      output: (chunk, metadata) => this.output(chunk, metadata),
      error: (error) => this.encoderError(encoder, error),
    });
    return encoder;
  }

  private output(chunk: EncodedVideoChunk, metadata?: EncodedVideoChunkMetadata): void {
    if (this.stopped) return;
    this.failures = 0;
    const pending = this.pendingEncodes.get(chunk.timestamp);
    if (pending !== undefined) {
      this.pendingEncodes.delete(chunk.timestamp);
      const now = performance.now();
      const took = now - pending.at;
      this.counters.encodeTimeMs =
        this.counters.framesEncoded === 0 ? took : this.counters.encodeTimeMs * 0.9 + took * 0.1;
      this.adaptation?.frameEncoded(took, chunk.type === 'key', now);
    }
    const codec = pending?.codec ?? this.configuredCodec ?? this.codecName;
    // Entries for frames the encoder dropped would otherwise pile up.
    if (this.pendingEncodes.size > 30) this.pendingEncodes.clear();
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    const keyframe = chunk.type === 'key';
    const decoderConfig = metadata?.decoderConfig;
    // Frames encoded before a resize can come out after it: label them with their own size.
    const width = decoderConfig?.codedWidth ?? pending?.width ?? this.counters.width;
    const height = decoderConfig?.codedHeight ?? pending?.height ?? this.counters.height;
    this.counters.framesEncoded++;
    this.counters.bytes += data.byteLength;
    if (keyframe) this.counters.keyframes++;
    const media: EncodedMedia = {
      kind: 'video',
      codec,
      keyframe,
      timestamp: chunk.timestamp,
      sequence: this.sequence,
      data,
      width,
      height,
      temporalLayer: temporalLayerOf(metadata),
      // Read from the camera just before encode(): the capture time, to within a frame's wait in the track.
      captureTime: pending ? performance.timeOrigin + pending.at : undefined,
    };
    this.sequence = nextSequence(this.sequence);
    this.options.onEncoded(media);
  }

  private encoderError(encoder: VideoEncoder, error: DOMException): void {
    if (this.stopped || encoder !== this.encoder) return;
    this.encoder = undefined;
    this.failures++;
    this.counters.restarts++;
    if (this.failures > MAX_RESTARTS) {
      this.fail('encoder-failed', `The ${this.codecName} encoder failed ${this.failures} times in a row.`, error);
      return;
    }
    // A fresh encoder on the next frame; its first output is a keyframe.
    this.needsConfigure = true;
    this.sourceKey = '';
  }

  private fail(code: MediaPipelineError['code'], message: string, cause?: unknown): void {
    const error = new MediaPipelineError(code, message, { cause });
    this.stop();
    this.options.onError?.(error);
  }

  private closeEncoder(): void {
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = undefined;
  }
}

/** The temporal layer WebCodecs reports with `scalabilityMode` (`svc` is not in TypeScript's DOM types yet). */
function temporalLayerOf(metadata: EncodedVideoChunkMetadata | undefined): number {
  const svc = (metadata as { svc?: { temporalLayerId?: number } } | undefined)?.svc;
  return svc?.temporalLayerId ?? 0;
}
