import { openCamera, openMicrophone } from '../capture/devices.js';
import { CaptureError } from '../capture/capture-error.js';
import { SelfViewTrack } from '../capture/self-view-track.js';
import { audioData } from '../capture/audio-data.js';
import { AudioEncodePipeline, type AudioEncodeOptions, type AudioEncodeStats } from '../codec/audio-encode.js';
import type { VideoCodecName } from '../codec/codec-support.js';
import type { EncodedMedia } from '../codec/encoded-media.js';
import type { MediaPipelineError } from '../codec/media-pipeline-error.js';
import type { SendQuality } from '../codec/send-adaptation.js';
import { VideoEncodePipeline, type SimulcastLayerInfo, type VideoEncodeStats } from '../codec/video-encode.js';
import { VideoCallError, type VideoCallErrorCode } from './errors.js';
import type { MediaStateSnapshot } from '../protocol/media-state.js';

export interface LocalMediaCallbacks {
  onVideo(media: EncodedMedia): void;
  onAudio(media: EncodedMedia): void;
  /** Tracks or state changed (for the self-view and controls). */
  onChange(): void;
  /** A device or encoder problem that does not end the call. */
  onError(error: VideoCallError): void;
  /** The video is sent at another size or frame rate (adaptation to load or congestion). */
  onSendQuality(quality: SendQuality): void;
  /** The simulcast layers sent changed (or the camera went off): announce them. */
  onLayers(): void;
}

/** The microphone's encoder: on the page, or in the media worker (`worker-mic.ts`). */
export interface MicEncoder {
  /** Starts encoding `track`, or switches to it (another microphone). The track stays its owner's. */
  start(track: MediaStreamTrack): void;
  setMuted(muted: boolean): void;
  stop(): void;
  readonly stats: AudioEncodeStats;
  /** True when it encodes and sends in the media worker. */
  readonly offThread?: boolean;
}

/** What the microphone's encoder tells {@link LocalMedia}. */
export interface MicEncoderEvents {
  /** It stopped for good (the page then reports it, as with its own encoder). */
  failed(error: MediaPipelineError): void;
  /** It cannot go on where it runs (the media worker stopped): the page encodes from now on. */
  lost(): void;
}

/** A microphone encoder in the media worker, where one can run now; null: encode on the page. */
export type WorkerMicFactory = (events: MicEncoderEvents) => MicEncoder | null;

/** The microphone encoded on the page, by {@link AudioEncodePipeline}. */
function pageMic(options: AudioEncodeOptions): MicEncoder {
  const pipeline = new AudioEncodePipeline(options);
  return {
    start: (track) => pipeline.start(audioData(track)),
    setMuted: (muted) => pipeline.setMuted(muted),
    stop: () => pipeline.stop(),
    get stats() {
      return pipeline.stats;
    },
  };
}

/**
 * This participant's camera and microphone and their encoders. Device failures
 * never end the call: the participant goes on without that device and is told why.
 */
export class LocalMedia {
  readonly state: MediaStateSnapshot = { mic: false, camera: false, screen: false };
  videoTrack: MediaStreamTrack | null = null;
  audioTrack: MediaStreamTrack | null = null;
  private video: VideoEncodePipeline | null = null;
  private audio: MicEncoder | null = null;
  private sending = false;
  private codec: VideoCodecName = 'vp8';
  private closed = false;
  private warnedTooLarge = false;
  /**
   * Each device's last queued operation. Opening, switching on and off run one
   * after another per device: a click while the device is still opening at join
   * waits for it, rather than opening a second one or being undone by it.
   */
  private readonly queues: Record<'camera' | 'mic', Promise<void>> = {
    camera: Promise.resolve(),
    mic: Promise.resolve(),
  };
  /** The camera and microphone asked for (`deviceId`s); unset: the browser's default. */
  private readonly preferred: { camera?: string; mic?: string } = {};
  /** What our own tile shows: the camera, or a lighter copy of it while the machine is overloaded. */
  private readonly selfView = new SelfViewTrack(() => this.callbacks.onChange());

  constructor(
    private readonly callbacks: LocalMediaCallbacks,
    /** Send the camera in simulcast layers (720p, 360p, 180p) rather than one. */
    private readonly simulcast = true,
    /** Where the microphone may be encoded and sent in the media worker (no E2EE). */
    private readonly workerMic?: WorkerMicFactory,
  ) {}

  /** Opens the devices asked for; a failure is reported and leaves that device off. */
  async open(want: { camera: boolean; mic: boolean }): Promise<void> {
    await Promise.all([
      want.camera ? this.queued('camera', () => this.openCamera()) : undefined,
      want.mic ? this.queued('mic', () => this.openMic()) : undefined,
    ]);
  }

  /** Settles once the operations queued so far (opening, switching on or off, choosing a device) are done. */
  settled(): Promise<void> {
    return Promise.all([this.queues.camera, this.queues.mic]).then(() => undefined);
  }

  /** Runs `work` after the device's earlier operations (see {@link queues}). */
  private queued(device: 'camera' | 'mic', work: () => Promise<void>): Promise<void> {
    const run = this.queues[device].then(work);
    this.queues[device] = run.catch(() => undefined);
    return run;
  }

  /** Starts encoding and sending whatever devices are open. */
  startSending(codec: VideoCodecName): void {
    this.sending = true;
    this.codec = codec;
    if (this.videoTrack) this.startVideo(this.videoTrack);
    if (this.audioTrack) this.startAudio(this.audioTrack);
  }

  setCodec(codec: VideoCodecName): void {
    this.codec = codec;
    this.video?.setCodec(codec);
  }

  /** A keyframe soon on `layer` of our video, or on every layer. */
  requestKeyframe(layer?: number): void {
    this.video?.requestKeyframe(layer);
  }

  /** The layers of our camera being sent (index = `MediaFrame.layer`); empty while none is. */
  get videoLayers(): SimulcastLayerInfo[] {
    return this.state.camera ? (this.video?.layerInfo ?? []) : [];
  }

  /** Which layers of our camera someone watches (the relay's `LayerDemand`); the others are not encoded. */
  setLayerDemand(layers: readonly number[]): void {
    // A pipeline started later announces its layers afresh, and the relay answers with a new demand.
    this.video?.setLayerDemand(layers);
  }

  /** Our video encoder's counters, each layer's among them; null while no video is encoded. */
  get videoStats(): VideoEncodeStats | null {
    return this.video?.stats ?? null;
  }

  /** Our audio encoder's counters; null while no microphone is encoded. */
  get audioStats(): AudioEncodeStats | null {
    return this.audio?.stats ?? null;
  }

  /**
   * The track our own tile shows: {@link videoTrack}, or while this machine is
   * overloaded a copy of it at most 360p and 15 fps (src/capture/self-view-track.ts).
   */
  get selfViewTrack(): MediaStreamTrack | null {
    return this.selfView.show(this.videoTrack);
  }

  /** What our video is sent at now; null while no video is encoded. */
  get sendQuality(): SendQuality | null {
    return this.video?.quality ?? null;
  }

  /** The transport dropped one of our video frames (congestion): the encoder may step down. */
  videoNotSent(): void {
    this.video?.networkDrop();
  }

  /** The relay would refuse a frame this big: tell the person once, and start again from a smaller keyframe. */
  frameTooLarge(bytes: number, limit: number): void {
    if (this.warnedTooLarge) return;
    this.warnedTooLarge = true;
    this.callbacks.onError(
      new VideoCallError(
        'too-large',
        `A video frame of ${bytes} bytes exceeds the relay's limit of ${limit}; some video was not sent.`,
      ),
    );
  }

  setMic(on: boolean): Promise<void> {
    return this.queued('mic', () => this.switchMic(on));
  }

  private async switchMic(on: boolean): Promise<void> {
    if (on && !this.audioTrack) {
      await this.openMic();
      if (this.audioTrack && this.sending) this.startAudio(this.audioTrack);
    }
    this.state.mic = on && !!this.audioTrack;
    this.audio?.setMuted(!this.state.mic);
    if (this.audioTrack) this.audioTrack.enabled = this.state.mic;
    this.callbacks.onChange();
  }

  setCamera(on: boolean, codec: VideoCodecName, sending: boolean): Promise<void> {
    return this.queued('camera', () => this.switchCamera(on, codec, sending));
  }

  private async switchCamera(on: boolean, codec: VideoCodecName, sending: boolean): Promise<void> {
    this.codec = codec;
    if (!on) {
      // Off means off: stop the track so the camera light goes out.
      this.video?.stop();
      this.video = null;
      this.selfView.forget(this.videoTrack);
      this.videoTrack?.stop();
      this.videoTrack = null;
      this.state.camera = false;
      this.callbacks.onLayers();
    } else if (!this.videoTrack) {
      await this.openCamera();
      if (this.videoTrack && sending) this.startVideo(this.videoTrack);
    }
    this.callbacks.onChange();
  }

  /**
   * Uses `deviceId` for `device` from now on; when that device is open, the new
   * one replaces it at once (the encoder restarts on it, the mute state stays).
   * @throws {VideoCallError} `camera-missing`, `mic-missing`… when it cannot be opened (the old one stays)
   */
  selectDevice(device: 'camera' | 'mic', deviceId: string): Promise<void> {
    // After the device's earlier operations, like switching it on or off (see `queues`).
    return this.queued(device, () => this.switchDevice(device, deviceId));
  }

  private async switchDevice(device: 'camera' | 'mic', deviceId: string): Promise<void> {
    this.preferred[device] = deviceId || undefined;
    const current = device === 'camera' ? this.videoTrack : this.audioTrack;
    if (!current || current.getSettings().deviceId === deviceId) return;
    let track: MediaStreamTrack;
    try {
      track = await (device === 'camera' ? openCamera({ deviceId }) : openMicrophone({ deviceId }));
    } catch (error) {
      throw deviceError(error, device);
    }
    if (this.closed) return track.stop();
    this.useTrack(device, track);
  }

  /** The `deviceId`s of the camera and microphone open now (null: not open). */
  get devicesInUse(): { camera: string | null; mic: string | null } {
    return {
      camera: this.videoTrack?.getSettings().deviceId ?? null,
      mic: this.audioTrack?.getSettings().deviceId ?? null,
    };
  }

  /** Puts a freshly opened `track` in place of the current one of `device`, sending it if sending. */
  private useTrack(device: 'camera' | 'mic', track: MediaStreamTrack): void {
    const old = device === 'camera' ? this.videoTrack : this.audioTrack;
    track.addEventListener('ended', () => this.deviceEnded(track));
    if (device === 'camera') {
      this.videoTrack = track;
      this.state.camera = true;
      if (this.sending) this.startVideo(track);
    } else {
      this.audioTrack = track;
      track.enabled = this.state.mic;
      if (this.sending) this.startAudio(track);
    }
    this.selfView.forget(old);
    old?.stop();
    this.callbacks.onChange();
  }

  close(): void {
    this.closed = true;
    this.sending = false;
    this.video?.stop();
    this.audio?.stop();
    this.video = this.audio = null;
    this.selfView.stop();
    this.videoTrack?.stop();
    this.audioTrack?.stop();
    this.videoTrack = this.audioTrack = null;
    this.state.mic = this.state.camera = false;
  }

  private openCamera(): Promise<void> {
    return this.openDevice('camera');
  }

  private openMic(): Promise<void> {
    return this.openDevice('mic');
  }

  /** Opens one device; a failure is reported and leaves it off. */
  private async openDevice(device: 'camera' | 'mic'): Promise<void> {
    try {
      const track = await this.openPreferred(device);
      if (this.closed) return track.stop();
      if (device === 'camera') this.videoTrack = track;
      else this.audioTrack = track;
      this.state[device] = true;
      track.addEventListener('ended', () => this.deviceEnded(track));
    } catch (error) {
      this.state[device] = false;
      this.callbacks.onError(deviceError(error, device));
    }
    this.callbacks.onChange();
  }

  /** The preferred device of that kind, else (it is gone, or none is preferred) the browser's default. */
  private async openPreferred(device: 'camera' | 'mic'): Promise<MediaStreamTrack> {
    const open = (deviceId?: string) => (device === 'camera' ? openCamera({ deviceId }) : openMicrophone({ deviceId }));
    const deviceId = this.preferred[device];
    if (!deviceId) return open();
    try {
      return await open(deviceId);
    } catch (error) {
      if (error instanceof CaptureError && error.code.endsWith('-denied')) throw error;
      return open();
    }
  }

  /**
   * A device went away (unplugged, permission revoked): go on with another one of
   * its kind where there is one (not a frozen tile), else without it.
   */
  private deviceEnded(track: MediaStreamTrack): void {
    if (this.closed || (track !== this.videoTrack && track !== this.audioTrack)) return;
    const device = track === this.videoTrack ? 'camera' : 'mic';
    const lost = track.getSettings().deviceId;
    const wanted = this.preferred[device];
    // The one preferred is gone: take the default, never reopen the lost one by its id.
    if (wanted && wanted === lost) this.preferred[device] = undefined;
    this.openPreferred(device).then(
      (next) => {
        const current = device === 'camera' ? this.videoTrack : this.audioTrack;
        // Turned off, switched or closed meanwhile: this replacement is not wanted.
        if (this.closed || current !== track) return next.stop();
        this.useTrack(device, next);
      },
      () => this.carryOnWithout(track),
    );
  }

  /** No other device of that kind: carry on without it. */
  private carryOnWithout(track: MediaStreamTrack): void {
    if (track === this.videoTrack) void this.setCamera(false, this.codec, this.sending);
    if (track === this.audioTrack) {
      this.audio?.stop();
      this.audio = null;
      this.audioTrack = null;
      void this.setMic(false);
    }
  }

  private startVideo(track: MediaStreamTrack): void {
    this.video?.stop();
    this.video = new VideoEncodePipeline({
      codec: this.codec,
      onEncoded: (media) => this.callbacks.onVideo(media),
      onQuality: (quality) => {
        this.selfView.setOverloaded(quality.limitedBy === 'cpu');
        this.callbacks.onSendQuality(quality);
      },
      simulcast: this.simulcast,
      onLayers: () => this.callbacks.onLayers(),
      onError: (error) =>
        this.callbacks.onError(new VideoCallError('codec-unsupported', error.message, { cause: error })),
    });
    this.video.start(track);
  }

  private startAudio(track: MediaStreamTrack): void {
    this.audio?.stop();
    const failed = (error: MediaPipelineError): void =>
      this.callbacks.onError(new VideoCallError('codec-unsupported', error.message, { cause: error }));
    const mic: MicEncoder =
      this.workerMic?.({
        failed: (error) => {
          if (this.audio === mic) failed(error);
        },
        lost: () => {
          if (this.audio !== mic) return;
          this.audio = null;
          if (this.sending && this.audioTrack && !this.closed) this.startAudio(this.audioTrack);
        },
      }) ?? pageMic({ onEncoded: (media) => this.callbacks.onAudio(media), onError: failed });
    this.audio = mic;
    mic.setMuted(!this.state.mic);
    mic.start(track);
  }

  /** Whether the microphone is encoded and sent in the media worker. */
  get micOffThread(): boolean {
    return this.audio?.offThread ?? false;
  }
}

function deviceError(error: unknown, device: 'camera' | 'mic'): VideoCallError {
  if (error instanceof CaptureError)
    return new VideoCallError(error.code as VideoCallErrorCode, error.message, { cause: error });
  const what = device === 'camera' ? 'camera' : 'microphone';
  return new VideoCallError('capture-failed', `Could not start the ${what}; joining without it.`, { cause: error });
}
