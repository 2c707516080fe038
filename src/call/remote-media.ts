import { chooseCodec, type VideoCodecName } from '../codec/codec-support.js';
import { VideoDecodePipeline } from '../codec/video-decode.js';
import type { AudioDecodeOffload } from '../playout/audio-decode-offload.js';
import { AudioPlayout, type PlayoutStream } from '../playout/audio-playout.js';
import { VideoPacer } from '../playout/video-pacer.js';
import { wallClockMs } from '../shared/clock.js';
import type { MediaFrameInit } from '../protocol/envelope.js';
import { layerStep } from './layer-follow.js';
import { nextShownLevel } from './level-meter.js';
import { encodedMediaOf, receivedAt, wasConsumed } from './media-frame-wire.js';
import type { RemoteParticipant } from './remote-participant.js';
import type { FrameTimeline } from './frame-timeline.js';
import type { ReceiverSnapshot } from './stats-collector.js';

export interface RemoteMediaOptions {
  playAudio: boolean;
  /** Ask this participant for a video keyframe of `layer`. */
  requestKeyframe(participant: RemoteParticipant, layer: number): void;
  /** This participant's played audio level changed noticeably. */
  onLevel(participant: RemoteParticipant): void;
  /** Playout was suspended or resumed (autoplay policy). */
  onPlayoutState(): void;
  /** The relay's clock minus ours, ms: capture times arrive on the relay's clock. */
  relayClockOffsetMs(): number;
  /** Pace each participant's video against their audio (lip sync); default true. */
  lipSync?: boolean;
  /** Where decoded and shown frames are noted, while the room records its timeline. */
  timeline?: () => FrameTimeline | null;
  /**
   * The media worker may decode each microphone's packets as it reads them (it
   * holds the transport, and media is not end-to-end encrypted): such packets
   * arrive marked consumed and are only counted here.
   */
  audioInWorker?: boolean;
}

interface Receivers {
  /** The participant's id. */
  id: string;
  video: VideoDecodePipeline | null;
  /** Their microphone's stream: it decodes (in the playout's worker) and plays; null until their audio is expected. */
  playout: PlayoutStream | null;
  /** Their screen share's audio: a stream of its own, beside the microphone's. */
  screenPlayout: PlayoutStream | null;
  /** Loudest level of the screen share's audio reported since the last poll (see {@link loudest}). */
  screenLoudest: number;
  /**
   * Loudest level reported since the last poll. Reports come from the audio
   * thread ~10x/s even in a background tab, where the poll timer runs at 1 Hz;
   * keeping the loudest means a short word is never missed between polls.
   */
  loudest: number;
  /** Decoded video waits here for the audio captured with it. */
  pacer: VideoPacer<VideoFrame>;
  /** Capture time (our clock, ms) of each video frame in flight, by media timestamp. */
  captureTimes: Map<number, number>;
  /** Smoothed delay from their microphone to our arrival, ms; NaN before the first stamped packet. */
  audioArrivalMs: number;
  /** When their last audio packet arrived (our clock, ms). */
  lastAudioAt: number;
  /** The simulcast layer being decoded; undefined until a keyframe starts one. */
  layer: number | undefined;
  /** The layer we subscribed to (null: none); the decoder moves to it at its first keyframe. */
  wantedLayer: number | null;
  /** When a keyframe of the wanted layer was last asked for (our clock, ms). */
  layerKeyframeAskedAt: number;
}

/** Video frames whose capture time is remembered while they decode (a second at 30 fps, with room). */
const MAX_CAPTURE_TIMES = 64;
/** Audio older than this means they stopped sending (muted): video stops waiting for it. */
const AUDIO_STALE_MS = 300;
/** Weight of a new sample in the smoothed delays. */
const DELAY_SMOOTHING = 0.1;

/** Least time between two requests for a keyframe of the layer we switch to. */
const LAYER_KEYFRAME_REQUEST_MS = 500;

/** How often played levels are read for speaking indicators (the release of {@link nextShownLevel} is per poll). */
const LEVEL_POLL_MS = 100;

/** Whether a shown level moved enough to tell (or fell to silence). */
function levelChanged(shown: number, next: number): boolean {
  return Math.abs(next - shown) > 0.005 || (next === 0 && shown !== 0);
}

/** Every remote participant's decoders and audio playout. */
export class RemoteMedia {
  private readonly receivers = new Map<RemoteParticipant, Receivers>();
  private playout: AudioPlayout | null = null;
  /** The chosen audio output; empty: the default. */
  private speaker = '';
  private levelTimer: ReturnType<typeof setInterval> | undefined;
  /** The decode worker {@link warmUp} started, until a playout adopts it. */
  private warmDecoder: AudioDecodeOffload | null = null;
  /** When the first remote video frame was shown, and the first remote audio handed to playout (our clock, ms). */
  firstVideoAt: number | undefined;
  firstAudioAt: number | undefined;

  constructor(private readonly options: RemoteMediaOptions) {}

  get audioSuspended(): boolean {
    return this.playout?.state === 'suspended';
  }

  async resumeAudio(): Promise<void> {
    await this.playout?.resume();
  }

  /** The audio output to play through (empty: the default); kept for a playout made later. */
  async setSpeaker(deviceId: string): Promise<boolean> {
    this.speaker = deviceId;
    return this.playout
      ? this.playout.setSinkId(deviceId)
      : typeof AudioContext !== 'undefined' && 'setSinkId' in AudioContext.prototype;
  }

  add(participant: RemoteParticipant): void {
    if (this.receivers.has(participant)) return;
    const receivers: Receivers = {
      id: participant.id,
      video: null,
      playout: null,
      screenPlayout: null,
      screenLoudest: 0,
      loudest: 0,
      pacer: new VideoPacer<VideoFrame>({
        show: (frame) => this.show(participant, receivers, frame),
        now: wallClockMs,
        schedule: (callback, ms) => setTimeout(callback, ms),
        cancel: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      }),
      captureTimes: new Map(),
      audioArrivalMs: Number.NaN,
      lastAudioAt: Number.NEGATIVE_INFINITY,
      layer: undefined,
      wantedLayer: 0,
      layerKeyframeAskedAt: Number.NEGATIVE_INFINITY,
    };
    this.receivers.set(participant, receivers);
    if (participant.camera) this.options.requestKeyframe(participant, 0);
    // Their microphone is on: the output and the decoder get ready while the first
    // packet is on its way, rather than when it arrives (making the audio context and
    // configuring the decoder cost a joining page 15-40 ms of main thread). In a task of
    // its own, so the Welcome that announced them is handled first (keyframe requests, `vc-joined`).
    if (participant.mic && this.options.playAudio)
      setTimeout(() => {
        if (this.receivers.get(participant) === receivers) this.audioOf(participant, receivers).prepare();
      }, 0);
    if (!this.levelTimer) this.levelTimer = setInterval(() => this.pollLevels(), LEVEL_POLL_MS);
  }

  receive(participant: RemoteParticipant, frame: MediaFrameInit): void {
    const receivers = this.receivers.get(participant);
    const media = encodedMediaOf(frame, this.options.relayClockOffsetMs());
    if (!receivers || !media) return;
    if (media.kind === 'video') {
      if (!this.followLayer(participant, receivers, media.layer ?? 0, media.keyframe)) return;
      receivers.video ??= new VideoDecodePipeline({
        onFrame: (decoded) => this.decoded(receivers, decoded),
        onKeyframeNeeded: () => this.options.requestKeyframe(participant, receivers.layer ?? 0),
      });
      if (media.captureTime !== undefined) {
        receivers.captureTimes.set(media.timestamp, media.captureTime);
        // Frames dropped before decoding leave entries behind: keep the newest.
        if (receivers.captureTimes.size > MAX_CAPTURE_TIMES)
          receivers.captureTimes.delete(receivers.captureTimes.keys().next().value!);
      }
      receivers.video.push(media);
    } else if (media.kind === 'audio' && this.options.playAudio) {
      // The arrival, not when this page got round to it: the media worker plays it meanwhile.
      const now = receivedAt(frame, wallClockMs());
      receivers.lastAudioAt = now;
      if (media.captureTime !== undefined) {
        const arrival = now - media.captureTime;
        receivers.audioArrivalMs = Number.isNaN(receivers.audioArrivalMs)
          ? arrival
          : receivers.audioArrivalMs + DELAY_SMOOTHING * (arrival - receivers.audioArrivalMs);
      }
      const stream = this.audioOf(participant, receivers);
      if (wasConsumed(frame)) stream.prepare();
      else stream.decode(media);
    }
  }

  /**
   * A packet of their screen share's audio: decoded and played as a stream of its
   * own, so their microphone's (its jitter buffer, its level, lip sync) is untouched.
   */
  receiveScreenAudio(participant: RemoteParticipant, frame: MediaFrameInit): void {
    const receivers = this.receivers.get(participant);
    const media = encodedMediaOf(frame, this.options.relayClockOffsetMs());
    if (!receivers || media?.kind !== 'screen-audio' || !this.options.playAudio) return;
    if (!receivers.screenPlayout) {
      const stream = this.ensurePlayout().createStream(`${participant.id}:screen`);
      stream.onlevel = (rms) => (receivers.screenLoudest = Math.max(receivers.screenLoudest, rms));
      receivers.screenPlayout = stream;
    }
    receivers.screenPlayout.decode(media);
  }

  /** Their share (or its audio) ended: its stream stops; a next share starts a fresh one. */
  screenAudioStopped(participant: RemoteParticipant): void {
    const receivers = this.receivers.get(participant);
    if (!receivers?.screenPlayout) return;
    this.closeScreenAudio(receivers);
    participant.screenAudioLevel = 0;
    this.options.onLevel(participant);
  }

  private closeScreenAudio(receivers: Receivers): void {
    receivers.screenPlayout?.close();
    receivers.screenPlayout = null;
    receivers.screenLoudest = 0;
  }

  /** They turned their camera off: drop the decoder so turning it on starts clean from a keyframe. */
  videoStopped(participant: RemoteParticipant): void {
    const receivers = this.receivers.get(participant);
    receivers?.video?.close();
    if (receivers) {
      receivers.video = null;
      receivers.layer = undefined;
    }
  }

  /**
   * The layer of their camera we now subscribe to (null: none). The decoder
   * stays on the layer it has until a keyframe of this one arrives, which is
   * asked for now, so the picture never stops in between.
   */
  setWantedLayer(participant: RemoteParticipant, layer: number | null): void {
    const receivers = this.receivers.get(participant);
    if (!receivers || receivers.wantedLayer === layer) return;
    receivers.wantedLayer = layer;
    if (layer !== null && receivers.layer !== undefined && layer !== receivers.layer && participant.camera)
      this.askLayerKeyframe(participant, receivers, layer);
  }

  /** The layer we subscribe to from `participant`, or null for none. */
  wantedLayer(participant: RemoteParticipant): number | null {
    return this.receivers.get(participant)?.wantedLayer ?? null;
  }

  /**
   * Whether a video frame of `layer` goes to the decoder. The decoder keeps to
   * one layer; it moves to another only at a keyframe, and only towards the
   * one we want (a relay that forwards every layer, or frames of the old layer
   * still on their way after a switch, never make it flip back and forth). A
   * delta of the wanted layer before its keyframe means the relay switched us
   * already: that keyframe is asked for.
   */
  private followLayer(participant: RemoteParticipant, receivers: Receivers, layer: number, keyframe: boolean): boolean {
    if (layer === receivers.layer) return true;
    const step = layerStep(receivers.layer, receivers.wantedLayer, layer, keyframe);
    if (step === 'switch') {
      receivers.layer = layer;
      participant.videoLayer = layer;
      return true;
    }
    participant.framesOtherLayer++;
    if (step === 'drop-ask') this.askLayerKeyframe(participant, receivers, layer);
    return false;
  }

  private askLayerKeyframe(participant: RemoteParticipant, receivers: Receivers, layer: number): void {
    const now = wallClockMs();
    if (now - receivers.layerKeyframeAskedAt < LAYER_KEYFRAME_REQUEST_MS) return;
    receivers.layerKeyframeAskedAt = now;
    this.options.requestKeyframe(participant, layer);
  }

  /**
   * Their audio's delay from their microphone to our speaker now, ms: arrival,
   * the jitter buffer's delay and the output's latency. Null when their audio
   * is not playing (muted, not yet arrived, or playout suspended).
   */
  audioDelayMs(participant: RemoteParticipant): number | null {
    const receivers = this.receivers.get(participant);
    if (!receivers) return null;
    return this.audioDelay(receivers, wallClockMs());
  }

  /** What this participant's decoders, pacer and playout say now, for the stats; null when not received. */
  receiverStats(participant: RemoteParticipant): ReceiverSnapshot | null {
    const receivers = this.receivers.get(participant);
    if (!receivers) return null;
    return {
      video: receivers.video?.stats ?? null,
      audio: receivers.playout?.decodeStats ?? null,
      playout: receivers.playout?.stats,
      screenAudio: receivers.screenPlayout?.decodeStats ?? null,
      screenPlayout: receivers.screenPlayout?.stats,
      pacer: receivers.pacer.stats,
      wantedLayer: receivers.wantedLayer,
    };
  }

  /** A decoded video frame: it waits for its audio (lip sync), then is shown. */
  private decoded(receivers: Receivers, frame: VideoFrame): void {
    this.options.timeline?.()?.mark(receivers.id, 'video', frame.timestamp, 'decoded');
    const captureTime = receivers.captureTimes.get(frame.timestamp);
    const audioDelay = this.options.lipSync === false ? null : this.audioDelay(receivers, wallClockMs());
    receivers.pacer.push(frame, captureTime, audioDelay);
  }

  private show(participant: RemoteParticipant, receivers: Receivers, frame: VideoFrame): void {
    const captureTime = receivers.captureTimes.get(frame.timestamp);
    receivers.captureTimes.delete(frame.timestamp);
    const now = wallClockMs();
    this.options.timeline?.()?.mark(participant.id, 'video', frame.timestamp, 'shown', now);
    this.firstVideoAt ??= now;
    if (captureTime !== undefined) participant.noteVideoDelay(now - captureTime);
    participant.deliverFrame(frame);
  }

  private audioDelay(receivers: Receivers, now: number): number | null {
    const stats = receivers.playout?.stats;
    if (
      !stats ||
      Number.isNaN(receivers.audioArrivalMs) ||
      now - receivers.lastAudioAt > AUDIO_STALE_MS ||
      this.playout?.context.state !== 'running'
    )
      return null;
    return receivers.audioArrivalMs + stats.delayMs + this.outputLatencyMs();
  }

  /** The audio output's own latency: the context's base latency and the device's. */
  private outputLatencyMs(): number {
    const context = this.playout?.context;
    return context ? ((context.outputLatency || 0) + (context.baseLatency || 0)) * 1000 : 0;
  }

  remove(participant: RemoteParticipant): void {
    const receivers = this.receivers.get(participant);
    if (!receivers) return;
    receivers.video?.close();
    receivers.pacer.close();
    receivers.playout?.close();
    this.closeScreenAudio(receivers);
    participant.setVideoSink(null);
    this.receivers.delete(participant);
  }

  chooseCodec(local: VideoCodecName[], participants: RemoteParticipant[], preferred?: VideoCodecName): VideoCodecName {
    return chooseCodec(
      local,
      participants.map((p) => p.decoders as VideoCodecName[]),
      preferred,
    ).codec;
  }

  /**
   * Gives the playout made with the first remote microphone its decode worker
   * (the media worker's decoding half), started with the join: a worker takes
   * 100–200 ms to start on a busy page, which the first word heard after joining
   * would otherwise wait for. Without one, the page decodes.
   */
  warmUp(decoder: AudioDecodeOffload | undefined): void {
    if (!this.options.playAudio || this.playout || this.warmDecoder || !decoder) return;
    this.warmDecoder = decoder;
  }

  close(): void {
    for (const participant of [...this.receivers.keys()]) this.remove(participant);
    clearInterval(this.levelTimer);
    this.levelTimer = undefined;
    void this.playout?.close();
    this.playout = null;
    this.warmDecoder?.terminate();
    this.warmDecoder = null;
  }

  /** Their microphone's playout stream, which decodes what arrives; made on first use. */
  private audioOf(participant: RemoteParticipant, receivers: Receivers): PlayoutStream {
    if (receivers.playout) return receivers.playout;
    const stream = this.ensurePlayout().createStream(
      participant.id,
      this.options.audioInWorker ? participant.id : undefined,
    );
    stream.onlevel = (rms) => (receivers.loudest = Math.max(receivers.loudest, rms));
    stream.ondecoded = (timestamp, at) => {
      this.firstAudioAt ??= at;
      this.options.timeline?.()?.mark(participant.id, 'audio', timestamp, 'decoded', at);
    };
    receivers.playout = stream;
    return stream;
  }

  private ensurePlayout(): AudioPlayout {
    if (!this.playout) {
      this.playout = new AudioPlayout(this.warmDecoder ? { decodeWorker: this.warmDecoder } : {});
      this.warmDecoder = null; // the playout owns it now
      // A wrong or unplugged output leaves the default playing.
      if (this.speaker) this.playout.setSinkId(this.speaker).catch(() => undefined);
      this.playout.onstatechange = () => this.options.onPlayoutState();
      // A context born suspended (autoplay policy) never fires statechange: say so now.
      queueMicrotask(() => this.options.onPlayoutState());
    }
    return this.playout;
  }

  private pollLevels(): void {
    const now = wallClockMs();
    const timeline = this.options.timeline?.();
    for (const [participant, receivers] of this.receivers) {
      participant.audioDelayMs = this.audioDelay(receivers, now);
      const stats = receivers.playout?.stats;
      if (timeline && stats && participant.audioDelayMs !== null) {
        timeline.notePlayout({
          participant: participant.id,
          at: now,
          bufferMs: stats.delayMs,
          targetMs: stats.targetDelayMs,
          outputMs: this.outputLatencyMs(),
        });
      }
      const level = nextShownLevel(participant.audioLevel, receivers.loudest);
      const screenLevel = receivers.screenPlayout
        ? nextShownLevel(participant.screenAudioLevel, receivers.screenLoudest)
        : 0;
      receivers.loudest = 0;
      receivers.screenLoudest = 0;
      if (levelChanged(participant.audioLevel, level) || levelChanged(participant.screenAudioLevel, screenLevel)) {
        participant.audioLevel = level;
        participant.screenAudioLevel = screenLevel;
        this.options.onLevel(participant);
      }
    }
  }
}
