/**
 * This participant's screen share: the captured track and its encoders, sent
 * as its own track (`SCREEN`) in its own layers, beside the camera.
 *
 * Sharpness over motion: the top layer is the screen at full resolution (up to
 * 1080p) at up to 15 fps, with the encoder told the content is detail/text and
 * given more bits per pixel than a camera; a smaller layer (360p) serves
 * thumbnails and filmstrips. When the encoder is overused or the network drops
 * frames, the frame rate steps down first (15, 10, then 5 fps, every layer at
 * full size), and only below that is the top layer given up (`detailLadder`):
 * text stays readable at 5 fps, not at a smaller size. Back up as it recovers.
 *
 * A shared tab's sound, when the browser gives it, goes as a track of its own
 * (`SCREEN_AUDIO`), Opus like the microphone, never mixed into it: mixed in, it
 * would carry the microphone's audio level, so the relay's loudest-speaker
 * choice and the active speaker would follow a video playing in a tab rather
 * than who talks. The relay forwards it outside that choice, and receivers play
 * it as a stream of its own. Capture keeps the call itself out of it (see
 * `screenConstraints`): a shared tab or screen playing this very call would send
 * everyone their own voices back.
 */
import { openScreen, SCREEN_FRAME_RATE, SCREEN_MAX_HEIGHT, SCREEN_MAX_WIDTH } from '../capture/screen-capture.js';
import type { VideoCodecName } from '../codec/codec-support.js';
import { audioData } from '../capture/audio-data.js';
import { AudioEncodePipeline, type AudioEncodeStats } from '../codec/audio-encode.js';
import type { EncodedMedia } from '../codec/encoded-media.js';
import {
  VideoEncodePipeline,
  type SimulcastLayerInfo,
  type VideoEncodeOptions,
  type VideoEncodeStats,
} from '../codec/video-encode.js';

/** Heights of the screen's layers below the full-resolution one. */
const SCREEN_LOWER_HEIGHTS: readonly number[] = [360];
/** Text needs sharp edges; a mostly still screen spends those bits on the few regions that change. */
const SCREEN_BITRATE_FACTOR = 1.5;
/** A late joiner waits at most this long for a picture when its keyframe request is lost. */
const SCREEN_KEYFRAME_INTERVAL_MS = 3000;

/**
 * Opus bitrate of a share's audio: music and film rather than speech, mono (the
 * playout path is), where 64 kbps is transparent enough and twice a voice's.
 */
export const SCREEN_AUDIO_BITRATE = 64_000;

/** How a screen is encoded (besides its codec and callbacks): its layers, rate, bits, and what it gives up first. */
export const SCREEN_ENCODE_OPTIONS = {
  kind: 'screen',
  simulcast: true,
  lowerLayerHeights: SCREEN_LOWER_HEIGHTS,
  maxWidth: SCREEN_MAX_WIDTH,
  maxHeight: SCREEN_MAX_HEIGHT,
  maxFramerate: SCREEN_FRAME_RATE,
  bitrateFactor: SCREEN_BITRATE_FACTOR,
  keyframeIntervalMs: SCREEN_KEYFRAME_INTERVAL_MS,
  adapt: true,
  favour: 'detail',
} as const satisfies Partial<VideoEncodeOptions>;

export interface LocalScreenCallbacks {
  onScreen(media: EncodedMedia): void;
  /** An Opus packet of the share's audio (`kind: 'screen-audio'`). */
  onScreenAudio(media: EncodedMedia): void;
  /** Sharing started or stopped, or its layers changed: announce the state. */
  onChange(): void;
  /** The encoder failed: sharing stopped. */
  onError(error: Error): void;
}

export class LocalScreen {
  /** The shared screen's track while sharing. */
  track: MediaStreamTrack | null = null;
  /** The shared screen's audio track while it is sent (the browser gave one, and it has not ended). */
  audioTrack: MediaStreamTrack | null = null;
  private pipeline: VideoEncodePipeline | null = null;
  private audioPipeline: AudioEncodePipeline | null = null;
  private codec: VideoCodecName = 'vp8';

  constructor(private readonly callbacks: LocalScreenCallbacks) {}

  /** True while a screen is shared. */
  get sharing(): boolean {
    return this.track !== null;
  }

  /** True while the share's audio is sent too. */
  get hasAudio(): boolean {
    return this.audioTrack !== null;
  }

  /**
   * Asks the person for a screen (and, `withAudio`, its sound) and starts
   * sending it with `codec`. Resolves once capture runs; rejects with a {@link ScreenCaptureError} when the
   * picker is dismissed or the browser cannot share.
   */
  async start(codec: VideoCodecName, withAudio = true): Promise<void> {
    if (this.track) return;
    const { video: track, audio } = await openScreen(withAudio);
    this.codec = codec;
    this.track = track;
    // The browser's own "Stop sharing" bar, or the shared window closing.
    track.addEventListener('ended', () => {
      if (this.track === track) this.stop();
    });
    this.pipeline = new VideoEncodePipeline({
      codec,
      ...SCREEN_ENCODE_OPTIONS,
      onEncoded: (media) => this.callbacks.onScreen(media),
      onLayers: () => this.callbacks.onChange(),
      onError: (error) => {
        if (error.code === 'capture-ended') return; // the track ended: 'ended' stops sharing
        this.stop();
        this.callbacks.onError(error);
      },
    });
    this.pipeline.start(track);
    if (audio) this.startAudio(audio);
    this.callbacks.onChange();
  }

  /** Sends the share's audio; if it ends or fails on its own, the picture goes on without it. */
  private startAudio(track: MediaStreamTrack): void {
    this.audioTrack = track;
    const pipeline = new AudioEncodePipeline({
      kind: 'screen-audio',
      bitrate: SCREEN_AUDIO_BITRATE,
      onEncoded: (media) => this.callbacks.onScreenAudio(media),
      onError: () => {
        if (this.audioPipeline !== pipeline) return;
        this.stopAudio();
        this.callbacks.onChange();
      },
    });
    this.audioPipeline = pipeline;
    pipeline.start(audioData(track));
  }

  private stopAudio(): void {
    this.audioPipeline?.stop();
    this.audioPipeline = null;
    this.audioTrack?.stop();
    this.audioTrack = null;
  }

  /** Stops sharing and releases the screen; the camera is untouched. */
  stop(): void {
    if (!this.track) return;
    this.pipeline?.stop();
    this.pipeline = null;
    this.stopAudio();
    this.track.stop();
    this.track = null;
    this.callbacks.onChange();
  }

  /** The layers of the screen being sent (index = `MediaFrame.layer`); empty while not sharing. */
  get layers(): SimulcastLayerInfo[] {
    return this.track ? (this.pipeline?.layerInfo ?? []) : [];
  }

  /** Which layers someone watches (`LayerDemand` for SCREEN); the others are not encoded. */
  setLayerDemand(layers: readonly number[]): void {
    this.pipeline?.setLayerDemand(layers);
  }

  /** The transport could not send one of our screen frames (congestion): counts towards a lower frame rate. */
  networkDrop(): void {
    this.pipeline?.networkDrop();
  }

  /** A keyframe soon on `layer`, or on every layer. */
  requestKeyframe(layer?: number): void {
    this.pipeline?.requestKeyframe(layer);
  }

  setCodec(codec: VideoCodecName): void {
    this.codec = codec;
    this.pipeline?.setCodec(codec);
  }

  /** The screen encoder's counters; null while not sharing. */
  get stats(): VideoEncodeStats | null {
    return this.pipeline?.stats ?? null;
  }

  /** The share's audio encoder's counters; null while no audio is sent. */
  get audioStats(): AudioEncodeStats | null {
    return this.audioPipeline?.stats ?? null;
  }

  /** The codec the screen is (or would be) sent with. */
  get codecName(): VideoCodecName {
    return this.codec;
  }
}
