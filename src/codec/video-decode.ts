/**
 * {@link EncodedMedia} of one remote video track → `VideoDecoder` → `VideoFrame`s.
 */
import { videoCodecOf, videoDecoderConfig, type VideoCodecName } from './codec-support.js';
import { sequenceDelta, type EncodedMedia } from './encoded-media.js';
import { MediaPipelineError } from './media-pipeline-error.js';

/** Options of {@link VideoDecodePipeline}. */
export interface VideoDecodeOptions {
  /** Each decoded frame, in order. The callee owns it and must close it (a renderer draws and closes). */
  onFrame: (frame: VideoFrame) => void;
  /** The sender should send a keyframe (rate-limited by `keyframeRequestIntervalMs`). */
  onKeyframeNeeded?: () => void;
  /** Repeated decoder failures (`decoder-failed`); the pipeline keeps trying on later keyframes. */
  onError?: (error: MediaPipelineError) => void;
  /** Least time between two keyframe requests; default 500 ms. */
  keyframeRequestIntervalMs?: number;
  /** More frames than this waiting in the decoder means it is behind: input is dropped. Default 3. */
  maxDecodeQueue?: number;
}

/** Counters of a {@link VideoDecodePipeline}. */
export interface VideoDecodeStats {
  codec: VideoCodecName | undefined;
  framesIn: number;
  framesDecoded: number;
  /** Deltas dropped while waiting for a keyframe (start, after loss, after an error). */
  droppedWaitingForKeyframe: number;
  /** Frames dropped because the decoder was behind. */
  droppedBusy: number;
  /** Frames nothing references (temporal layer 1) skipped because the decoder was behind: no picture lost. */
  skippedUnreferenced: number;
  /** Duplicates and frames older than one already accepted. */
  droppedStale: number;
  /** Frames of codecs this pipeline does not know. */
  droppedUnknownCodec: number;
  /** Sequence gaps seen (each may span several frames) that broke the picture: decoding waits for a keyframe. */
  gaps: number;
  /** Gaps of frames nothing here depended on (layer-1 frames the relay held back): decoding went on. */
  gapsHarmless: number;
  keyframeRequests: number;
  errors: number;
  /** Size of the last decoded frame. */
  width: number;
  height: number;
  /** Mean time from `decode()` to its output over the recent frames, in ms. */
  decodeTimeMs: number;
}

/** A frame nothing references is skipped when this many frames wait in the decoder. */
const SKIP_UNREFERENCED_AT = 2;

/** Consecutive failures before `onError` is told (decoding still resumes on later keyframes). */
const FAILURES_TO_REPORT = 3;

/**
 * Decodes one remote video track for realtime display.
 *
 * Starts (and restarts after loss, a codec change or a decoder error) only at
 * a keyframe, asking the sender for one meanwhile. Never lets latency build
 * up in the decoder: when it falls behind, input is dropped until the next keyframe.
 *
 * @example
 * const renderer = new CanvasFrameRenderer(canvas);
 * const decode = new VideoDecodePipeline({
 *   onFrame: (frame) => renderer.draw(frame),
 *   onKeyframeNeeded: () => room.requestKeyframe(peerId, 'video'),
 * });
 * room.onVideo = (media) => decode.push(media);
 */
export class VideoDecodePipeline {
  private readonly options: VideoDecodeOptions;
  private decoder: VideoDecoder | undefined;
  private configuredCodec: VideoCodecName | undefined;
  /** Coded size the decoder was configured for, `WxH` (empty: unknown). */
  private configuredSize = '';
  private waitingForKeyframe = true;
  private lastSequence: number | undefined;
  /** Sequence number of the last temporal-layer-0 frame (or keyframe) decoded: what later frames depend on. */
  private baseSequence: number | undefined;
  private lastKeyframeRequest = -Infinity;
  private consecutiveFailures = 0;
  private closed = false;
  private readonly pendingDecodes = new Map<number, number>();
  private readonly counters: VideoDecodeStats = {
    codec: undefined,
    framesIn: 0,
    framesDecoded: 0,
    droppedWaitingForKeyframe: 0,
    droppedBusy: 0,
    skippedUnreferenced: 0,
    droppedStale: 0,
    droppedUnknownCodec: 0,
    gaps: 0,
    gapsHarmless: 0,
    keyframeRequests: 0,
    errors: 0,
    width: 0,
    height: 0,
    decodeTimeMs: 0,
  };

  constructor(options: VideoDecodeOptions) {
    this.options = options;
  }

  /** A snapshot of the counters. */
  get stats(): VideoDecodeStats {
    return { ...this.counters };
  }

  /** True until a keyframe restarts decoding. */
  get waitingForKey(): boolean {
    return this.waitingForKeyframe;
  }

  /** Feeds one received frame. */
  push(media: EncodedMedia): void {
    if (this.closed) return;
    this.counters.framesIn++;
    const codec = videoCodecOf(media.codec);
    if (!codec) {
      this.counters.droppedUnknownCodec++;
      return;
    }

    if (media.sequence !== undefined) {
      if (this.lastSequence !== undefined) {
        const delta = sequenceDelta(media.sequence, this.lastSequence);
        // A keyframe is always welcome: it may start a new stream whose numbering restarted.
        if (delta <= 0 && !media.keyframe) {
          this.counters.droppedStale++;
          return;
        }
        if (delta > 1 && !media.keyframe) {
          if (this.dependsOnDecoded(media)) this.counters.gapsHarmless++;
          else {
            this.counters.gaps++;
            this.waitingForKeyframe = true;
          }
        }
      }
      this.lastSequence = media.sequence;
    }

    if (codec !== this.configuredCodec || !this.decoder || this.decoder.state === 'closed') {
      this.waitingForKeyframe = true;
    }
    if (this.waitingForKeyframe && !media.keyframe) {
      this.counters.droppedWaitingForKeyframe++;
      this.askForKeyframe();
      return;
    }

    const maxQueue = this.options.maxDecodeQueue ?? 3;
    // Behind already: a frame nothing references is skipped, and the picture goes on from the next
    // base-layer frame: fewer frames decoded rather than late ones, with no wait for a keyframe.
    if (this.decoder && (media.temporalLayer ?? 0) > 0 && this.decoder.decodeQueueSize >= SKIP_UNREFERENCED_AT) {
      this.counters.skippedUnreferenced++;
      return;
    }
    if (this.decoder && this.decoder.decodeQueueSize > maxQueue) {
      if (!media.keyframe) {
        // Dropping a delta breaks the reference chain: wait for, and ask for, a fresh start.
        this.counters.droppedBusy++;
        this.waitingForKeyframe = true;
        this.askForKeyframe();
        return;
      }
      // A keyframe replaces everything queued: discard the backlog and start from it.
      this.counters.droppedBusy += this.decoder.decodeQueueSize;
      this.decoder.reset();
      this.pendingDecodes.clear();
    }

    try {
      if (
        media.keyframe &&
        (codec !== this.configuredCodec ||
          !this.decoder ||
          this.decoder.state !== 'configured' ||
          this.sizeChanged(media))
      ) {
        this.configure(codec, media);
      }
      const decoder = this.decoder!;
      this.pendingDecodes.set(media.timestamp, performance.now());
      decoder.decode(
        new EncodedVideoChunk({ type: media.keyframe ? 'key' : 'delta', timestamp: media.timestamp, data: media.data }),
      );
      this.waitingForKeyframe = false;
      if (media.keyframe || !media.temporalLayer) this.baseSequence = media.sequence;
    } catch (error) {
      // configure() or decode() threw synchronously (bad config, or a delta where a key was required).
      this.failed(error);
    }
  }

  /** Whether the frame this one depends on (`referenceDistance` back) is the last layer-0 frame decoded. */
  private dependsOnDecoded(media: EncodedMedia): boolean {
    const distance = media.referenceDistance ?? 0;
    if (distance <= 0 || media.sequence === undefined || this.baseSequence === undefined) return false;
    return sequenceDelta(media.sequence, this.baseSequence) === distance;
  }

  /** Releases the decoder. Frames still in it are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = undefined;
  }

  /**
   * A keyframe of another size (another simulcast layer, a camera change): the
   * decoder is configured again, in order with the frames before it (those still
   * in it come out at their size first, so the picture never blanks).
   */
  private sizeChanged(media: EncodedMedia): boolean {
    return !!media.width && !!media.height && `${media.width}x${media.height}` !== this.configuredSize;
  }

  private configure(codec: VideoCodecName, media: EncodedMedia): void {
    if (!this.decoder || this.decoder.state === 'closed') this.decoder = this.createDecoder();
    this.decoder.configure(videoDecoderConfig(codec, media));
    this.configuredSize = media.width && media.height ? `${media.width}x${media.height}` : '';
    this.configuredCodec = codec;
    this.counters.codec = codec;
  }

  private createDecoder(): VideoDecoder {
    const decoder: VideoDecoder = new VideoDecoder({
      output: (frame) => this.output(frame),
      error: (error) => {
        if (decoder === this.decoder) this.failed(error);
      },
    });
    return decoder;
  }

  private output(frame: VideoFrame): void {
    if (this.closed) {
      frame.close();
      return;
    }
    this.consecutiveFailures = 0;
    const started = this.pendingDecodes.get(frame.timestamp);
    if (started !== undefined) {
      this.pendingDecodes.delete(frame.timestamp);
      const took = performance.now() - started;
      this.counters.decodeTimeMs =
        this.counters.framesDecoded === 0 ? took : this.counters.decodeTimeMs * 0.9 + took * 0.1;
    }
    if (this.pendingDecodes.size > 30) this.pendingDecodes.clear();
    this.counters.framesDecoded++;
    this.counters.width = frame.displayWidth;
    this.counters.height = frame.displayHeight;
    try {
      this.options.onFrame(frame);
    } catch (error) {
      // A throwing consumer must not leak the frame (closing twice is harmless).
      frame.close();
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  /** Decoder error: start over at the next keyframe with a fresh decoder. */
  private failed(error: unknown): void {
    this.counters.errors++;
    this.consecutiveFailures++;
    const decoder = this.decoder;
    this.decoder = undefined;
    this.configuredCodec = undefined;
    this.pendingDecodes.clear();
    if (decoder && decoder.state !== 'closed') decoder.close();
    this.waitingForKeyframe = true;
    this.askForKeyframe();
    if (this.consecutiveFailures === FAILURES_TO_REPORT) {
      this.options.onError?.(
        new MediaPipelineError('decoder-failed', `The video decoder failed ${FAILURES_TO_REPORT} times in a row.`, {
          cause: error,
        }),
      );
    }
  }

  private askForKeyframe(): void {
    const now = performance.now();
    if (now - this.lastKeyframeRequest < (this.options.keyframeRequestIntervalMs ?? 500)) return;
    this.lastKeyframeRequest = now;
    this.counters.keyframeRequests++;
    this.options.onKeyframeNeeded?.();
  }
}
