/**
 * Every remote participant's screen share: its own decoder and layer, shown
 * through its own sink, beside (never instead of) their camera. Not paced
 * against audio: a shared screen has no lips to sync, and showing it at once
 * keeps a pointer on it live.
 */
import { VideoDecodePipeline, type VideoDecodeStats } from '../codec/video-decode.js';
import type { EncodedMedia } from '../codec/encoded-media.js';
import { wallClockMs } from '../shared/clock.js';
import { layerStep } from './layer-follow.js';
import type { RemoteParticipant } from './remote-participant.js';

/** Least time between two requests for a keyframe of the layer we switch to. */
const LAYER_KEYFRAME_REQUEST_MS = 500;

interface ScreenReceiver {
  decoder: VideoDecodePipeline | null;
  /** The layer decoded; undefined until a keyframe starts one. */
  layer: number | undefined;
  /** The layer subscribed to (null: none). */
  wantedLayer: number | null;
  askedAt: number;
}

export interface RemoteScreensOptions {
  /** Ask this participant for a keyframe of `layer` of their screen. */
  requestKeyframe(participant: RemoteParticipant, layer: number): void;
}

export class RemoteScreens {
  private readonly receivers = new Map<RemoteParticipant, ScreenReceiver>();

  constructor(private readonly options: RemoteScreensOptions) {}

  /** A frame of `participant`'s screen share. */
  receive(participant: RemoteParticipant, media: EncodedMedia): void {
    if (!participant.screen) return; // stopped: late frames would bring the tile back
    const r = this.receiver(participant);
    const layer = media.layer ?? 0;
    if (layer !== r.layer) {
      const step = layerStep(r.layer, r.wantedLayer, layer, media.keyframe);
      if (step !== 'switch') {
        if (step === 'drop-ask') this.ask(participant, r, layer);
        return;
      }
      r.layer = layer;
      participant.screenLayer = layer;
    }
    r.decoder ??= new VideoDecodePipeline({
      onFrame: (frame) => participant.deliverScreenFrame(frame),
      onKeyframeNeeded: () => this.options.requestKeyframe(participant, r.layer ?? 0),
    });
    r.decoder.push(media);
  }

  /** What the decoder of their screen share says now, for the stats; null while none decodes. */
  stats(participant: RemoteParticipant): VideoDecodeStats | null {
    return this.receivers.get(participant)?.decoder?.stats ?? null;
  }

  /** The layer of their screen we subscribe to now (null: none); the decoder moves at its keyframe. */
  setWantedLayer(participant: RemoteParticipant, layer: number | null): void {
    const r = this.receiver(participant);
    if (r.wantedLayer === layer) return;
    r.wantedLayer = layer;
    if (layer !== null && participant.screen && layer !== r.layer) this.ask(participant, r, layer);
  }

  /** They stopped sharing (or left): drop the decoder, so a new share starts clean from a keyframe. */
  stopped(participant: RemoteParticipant): void {
    const r = this.receivers.get(participant);
    if (!r) return;
    r.decoder?.close();
    r.decoder = null;
    r.layer = undefined;
    participant.screenLayer = null;
    participant.screenWidth = participant.screenHeight = 0;
  }

  remove(participant: RemoteParticipant): void {
    this.stopped(participant);
    participant.setScreenSink(null);
    this.receivers.delete(participant);
  }

  close(): void {
    for (const participant of [...this.receivers.keys()]) this.remove(participant);
  }

  private receiver(participant: RemoteParticipant): ScreenReceiver {
    let r = this.receivers.get(participant);
    if (!r) {
      r = { decoder: null, layer: undefined, wantedLayer: null, askedAt: Number.NEGATIVE_INFINITY };
      this.receivers.set(participant, r);
    }
    return r;
  }

  private ask(participant: RemoteParticipant, r: ScreenReceiver, layer: number): void {
    const now = wallClockMs();
    if (now - r.askedAt < LAYER_KEYFRAME_REQUEST_MS) return;
    r.askedAt = now;
    this.options.requestKeyframe(participant, layer);
  }
}
