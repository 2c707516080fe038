import type { PeerSecurity } from '../e2ee/index.js';
import type { AnnouncedLayer } from './layer-choice.js';
import type { MediaStateSnapshot } from '../protocol/media-state.js';
import type { ConnectionQuality } from './connection-quality.js';
import { ReceiveCounters } from './receive-counters.js';

/** Public, read-only view of a remote participant (what `participants` holds). */
export interface ParticipantInfo {
  /** Session id the relay gave them. */
  readonly id: string;
  readonly name: string;
  readonly mic: boolean;
  readonly camera: boolean;
  readonly screen: boolean;
  /**
   * Their screen share carries audio (a shared tab's sound). It plays here as a
   * stream of its own, beside their microphone: it never moves
   * {@link audioLevel}, and never makes them the active speaker.
   */
  readonly screenAudio: boolean;
  /** Recent level of their screen share's audio as played here, 0..1 (RMS), a meter like {@link audioLevel}. */
  readonly screenAudioLevel: number;
  /**
   * Recent level of their decoded audio as played here, 0..1 (RMS): it rises at
   * once and falls off over a few hundred ms, like a meter, so a speaking
   * indicator does not flicker between syllables.
   */
  readonly audioLevel: number;
  /** Video frames decoded from them so far. */
  readonly framesDecoded: number;
  /**
   * The simulcast layer of their camera being decoded now (0 the largest), null
   * before the first. Which one depends on how large their tile is shown.
   */
  readonly videoLayer: number | null;
  /** Size of the last frame of their video shown, 0 before the first. */
  readonly videoWidth: number;
  readonly videoHeight: number;
  /** The layer of their screen share decoded now (0 the largest); null when none is. */
  readonly screenLayer: number | null;
  /** Size of the last frame of their screen share shown; 0 while none is. */
  readonly screenWidth: number;
  readonly screenHeight: number;
  /**
   * Estimated glass-to-glass delay of their video, ms: from their camera to our
   * screen (capture time carried in the frame, clocks matched through the
   * relay's). Smoothed; null before the first frame.
   */
  readonly videoDelayMs: number | null;
  /**
   * Estimated mouth-to-ear delay of their audio, ms: from their microphone to our
   * speaker (arrival, jitter buffer, output). Null while their audio is not playing.
   */
  readonly audioDelayMs: number | null;
  /**
   * End-to-end encryption with them: `off`, `pending` (keys being exchanged),
   * `verified` (passphrase matched, or code confirmed), `unverified` (compare
   * {@link safetyCode} aloud) or `mismatch` (wrong passphrase or swapped keys: media blocked).
   */
  readonly e2ee: 'off' | PeerSecurity['status'];
  /** The safety code to compare with them ("1234 5678"), once keys are exchanged. */
  readonly safetyCode: string | null;
  /** They raised their hand (to speak), and have not lowered it. */
  readonly handRaised: boolean;
}

/** Receives each decoded frame of a remote participant; it must close the frame. */
export type VideoSink = (frame: VideoFrame) => void;

/**
 * A remote participant in the room. The room owns its decoders; a view attaches
 * a {@link VideoSink} to show their video.
 */
export class RemoteParticipant implements ParticipantInfo {
  state: MediaStateSnapshot;
  audioLevel = 0;
  screenAudioLevel = 0;
  framesDecoded = 0;
  /** Frames dropped because they did not decrypt (E2EE). */
  framesUndecryptable = 0;
  /** The layers of their camera they announced, largest first (empty: one of unknown size). */
  videoLayers: AnnouncedLayer[] = [];
  videoLayer: number | null = null;
  videoWidth = 0;
  videoHeight = 0;
  /** Frames of a layer other than the one decoded, dropped (a switch waits for that layer's keyframe). */
  framesOtherLayer = 0;
  /** Where end-to-end encryption with them stands; null without E2EE. */
  security: PeerSecurity | null = null;
  /** They raised their hand (from their `MediaState`). */
  handRaised = false;
  private sink: VideoSink | null = null;
  /** The layers of their screen share they announced, largest first (empty while not sharing). */
  screenLayers: AnnouncedLayer[] = [];
  screenLayer: number | null = null;
  screenWidth = 0;
  screenHeight = 0;
  /** Screen share frames decoded from them so far. */
  screenFramesDecoded = 0;
  private screenSink: VideoSink | null = null;
  videoDelayMs: number | null = null;
  /** Mouth-to-ear delay estimate (ms); read from the room's playout when asked (see {@link toJSON}). */
  audioDelayMs: number | null = null;
  /** Their connection's class as the room's stats last judged it (see `Room.getStats`). */
  quality: ConnectionQuality = 'good';
  /** @internal What arrived from them and when their pictures were shown, for the stats. */
  readonly received = new ReceiveCounters();

  constructor(
    readonly id: string,
    readonly name: string,
    state: MediaStateSnapshot,
    /** Codec names this participant can decode. */
    public decoders: readonly string[],
  ) {
    this.state = state;
  }

  get mic(): boolean {
    return this.state.mic;
  }
  get camera(): boolean {
    return this.state.camera;
  }
  get screen(): boolean {
    return this.state.screen;
  }
  get screenAudio(): boolean {
    return this.state.screen && !!this.state.screenAudio;
  }
  get e2ee(): ParticipantInfo['e2ee'] {
    return this.security?.status ?? 'off';
  }
  get safetyCode(): string | null {
    return this.security?.safetyCode ?? null;
  }

  /** Shows this participant's video through `sink` (null to stop). */
  setVideoSink(sink: VideoSink | null): void {
    this.sink = sink;
  }

  /** Shows this participant's screen share through `sink` (null to stop). */
  setScreenSink(sink: VideoSink | null): void {
    this.screenSink = sink;
  }

  /** @internal Called by the room for each decoded frame of their screen share. */
  deliverScreenFrame(frame: VideoFrame): void {
    this.screenFramesDecoded++;
    this.screenWidth = frame.displayWidth;
    this.screenHeight = frame.displayHeight;
    if (this.screenSink) this.screenSink(frame);
    else frame.close();
  }

  /** @internal A shown frame took `ms` from their camera to our screen. */
  noteVideoDelay(ms: number): void {
    this.videoDelayMs = this.videoDelayMs === null ? ms : this.videoDelayMs + 0.1 * (ms - this.videoDelayMs);
  }

  /** @internal Called by the room for each decoded frame. */
  deliverFrame(frame: VideoFrame): void {
    this.framesDecoded++;
    this.received.freezes.shown(performance.now());
    this.videoWidth = frame.displayWidth;
    this.videoHeight = frame.displayHeight;
    if (this.sink) this.sink(frame);
    else frame.close();
  }

  /** A plain snapshot, safe to hand to a page. */
  toJSON(): ParticipantInfo {
    const { id, name, mic, camera, screen, screenAudio, screenAudioLevel, audioLevel, framesDecoded } = this;
    const { e2ee, safetyCode, handRaised } = this;
    const { videoLayer, videoWidth, videoHeight, screenLayer, screenWidth, screenHeight } = this;
    const round = (ms: number | null) => (ms === null ? null : Math.round(ms * 10) / 10);
    const videoDelayMs = round(this.videoDelayMs);
    const audioDelayMs = round(this.audioDelayMs);
    return {
      id,
      name,
      mic,
      camera,
      screen,
      screenAudio,
      screenAudioLevel,
      audioLevel,
      framesDecoded,
      videoLayer,
      videoWidth,
      videoHeight,
      screenLayer,
      screenWidth,
      screenHeight,
      videoDelayMs,
      audioDelayMs,
      e2ee,
      safetyCode,
      handRaised,
    };
  }
}
