import { AudioDecodePipeline } from '../codec/audio-decode.js';
import { chooseCodec, type VideoCodecName } from '../codec/codec-support.js';
import { VideoDecodePipeline } from '../codec/video-decode.js';
import { AudioPlayout, type PlayoutStream } from '../playout/audio-playout.js';
import type { MediaFrameInit } from '../protocol/envelope.js';
import { nextShownLevel } from './level-meter.js';
import { encodedMediaOf } from './media-frame-wire.js';
import type { RemoteParticipant } from './remote-participant.js';

export interface RemoteMediaOptions {
  playAudio: boolean;
  /** Ask this participant for a video keyframe. */
  requestKeyframe(participant: RemoteParticipant): void;
  /** This participant's played audio level changed noticeably. */
  onLevel(participant: RemoteParticipant): void;
  /** Playout was suspended or resumed (autoplay policy). */
  onPlayoutState(): void;
}

interface Receivers {
  video: VideoDecodePipeline | null;
  audio: AudioDecodePipeline | null;
  playout: PlayoutStream | null;
  /**
   * Loudest level reported since the last poll. Reports come from the audio
   * thread ~10x/s even in a background tab, where the poll timer runs at 1 Hz;
   * keeping the loudest means a short word is never missed between polls.
   */
  loudest: number;
}

/** How often played levels are read for speaking indicators (the release of {@link nextShownLevel} is per poll). */
const LEVEL_POLL_MS = 100;

/** Every remote participant's decoders and audio playout. */
export class RemoteMedia {
  private readonly receivers = new Map<RemoteParticipant, Receivers>();
  private playout: AudioPlayout | null = null;
  private levelTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: RemoteMediaOptions) {}

  get audioSuspended(): boolean {
    return this.playout?.state === 'suspended';
  }

  async resumeAudio(): Promise<void> {
    await this.playout?.resume();
  }

  add(participant: RemoteParticipant): void {
    if (this.receivers.has(participant)) return;
    this.receivers.set(participant, { video: null, audio: null, playout: null, loudest: 0 });
    if (participant.camera) this.options.requestKeyframe(participant);
    if (!this.levelTimer) this.levelTimer = setInterval(() => this.pollLevels(), LEVEL_POLL_MS);
  }

  receive(participant: RemoteParticipant, frame: MediaFrameInit): void {
    const receivers = this.receivers.get(participant);
    const media = encodedMediaOf(frame);
    if (!receivers || !media) return;
    if (media.kind === 'video') {
      receivers.video ??= new VideoDecodePipeline({
        onFrame: (decoded) => participant.deliverFrame(decoded),
        onKeyframeNeeded: () => this.options.requestKeyframe(participant),
      });
      receivers.video.push(media);
    } else if (media.kind === 'audio' && this.options.playAudio) {
      if (!receivers.audio) {
        const stream = this.ensurePlayout().createStream(participant.id);
        stream.onlevel = (rms) => (receivers.loudest = Math.max(receivers.loudest, rms));
        receivers.playout = stream;
        receivers.audio = new AudioDecodePipeline({
          onAudio: (pcm, timestampSamples) => stream.push(pcm, timestampSamples),
        });
      }
      receivers.audio.push(media);
    }
  }

  /** They turned their camera off: drop the decoder so turning it on starts clean from a keyframe. */
  videoStopped(participant: RemoteParticipant): void {
    const receivers = this.receivers.get(participant);
    receivers?.video?.close();
    if (receivers) receivers.video = null;
  }

  remove(participant: RemoteParticipant): void {
    const receivers = this.receivers.get(participant);
    if (!receivers) return;
    receivers.video?.close();
    receivers.audio?.close();
    receivers.playout?.close();
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

  close(): void {
    for (const participant of [...this.receivers.keys()]) this.remove(participant);
    clearInterval(this.levelTimer);
    this.levelTimer = undefined;
    void this.playout?.close();
    this.playout = null;
  }

  private ensurePlayout(): AudioPlayout {
    if (!this.playout) {
      this.playout = new AudioPlayout();
      this.playout.onstatechange = () => this.options.onPlayoutState();
      // A context born suspended (autoplay policy) never fires statechange: say so now.
      queueMicrotask(() => this.options.onPlayoutState());
    }
    return this.playout;
  }

  private pollLevels(): void {
    for (const [participant, receivers] of this.receivers) {
      const level = nextShownLevel(participant.audioLevel, receivers.loudest);
      receivers.loudest = 0;
      if (Math.abs(level - participant.audioLevel) > 0.005 || (level === 0 && participant.audioLevel !== 0)) {
        participant.audioLevel = level;
        this.options.onLevel(participant);
      }
    }
  }
}
