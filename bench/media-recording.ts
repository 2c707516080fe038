/**
 * Real encoded video, recorded once from Chromium and replayed by Node bots.
 *
 * A Node protocol client joins a room with one Chromium publisher (the demo page,
 * the fake camera forced to a size) and keeps the `MediaFrame`s it receives:
 * payloads, keyframe flags, codec and size, exactly as the element sent them.
 * {@link ReplayBot} sends them back into a room as a participant of its own,
 * at the recorded rate, restarting at a keyframe whenever someone asks for one.
 */
import { Codec, TrackKind, type DecodedEnvelope } from '../src/protocol/index.js';
import { poll, sleep, type BenchBrowser, type BenchSite } from './chromium.js';
import { ProtocolClient } from './protocol-client.js';
import { syntheticCameraScript } from './synthetic-camera.js';

export interface RecordedFrame {
  keyframe: boolean;
  payload: Uint8Array;
}

export interface Recording {
  codec: number;
  width: number;
  height: number;
  /** The rate bots replay it at. */
  fps: number;
  /** The rate the browser actually sent while recording (below 30 when its machine was busy). */
  sourceFps: number;
  /** Starts with a keyframe. */
  frames: RecordedFrame[];
}

/** Mean and keyframe sizes of a recording, in bytes, and its bitrate. */
export function describeRecording(recording: Recording): {
  frames: number;
  keyframes: number;
  meanDeltaBytes: number;
  meanKeyframeBytes: number;
  kbps: number;
} {
  const deltas = recording.frames.filter((f) => !f.keyframe);
  const keys = recording.frames.filter((f) => f.keyframe);
  const mean = (frames: RecordedFrame[]): number =>
    frames.reduce((sum, f) => sum + f.payload.length, 0) / Math.max(1, frames.length);
  const total = recording.frames.reduce((sum, f) => sum + f.payload.length, 0);
  return {
    frames: recording.frames.length,
    keyframes: keys.length,
    meanDeltaBytes: mean(deltas),
    meanKeyframeBytes: mean(keys),
    kbps: (total * 8) / (recording.frames.length / recording.fps) / 1000,
  };
}

export const CODEC_NAMES: Record<number, string> = {
  [Codec.VP8]: 'VP8',
  [Codec.VP9]: 'VP9',
  [Codec.AV1]: 'AV1',
  [Codec.H264]: 'H.264',
};

export interface RecordOptions {
  site: BenchSite;
  browser: BenchBrowser;
  width: number;
  height: number;
  /** Seconds kept, from a keyframe on. */
  seconds: number;
  /** Force a codec (`vp8`, …); default: what the element picks (everyone decodes everything here). */
  codec?: string;
}

/**
 * Records `seconds` of the element's camera video at `width`×`height`. On a
 * busy machine the publisher's CPU adaptation may step its video down during
 * the recording (another size, or its top simulcast layer stopped): then it
 * records again, up to three times in all, and fails rather than return a
 * recording of another size or with a break in it.
 */
export async function recordCamera(options: RecordOptions): Promise<Recording> {
  for (let attempt = 1; ; attempt++) {
    const recording = await recordOnce(options);
    const sizes = new Set(recording.frameSizes);
    if (sizes.size === 1 && sizes.has(`${options.width}x${options.height}`)) {
      delete recording.frameSizes;
      return recording;
    }
    if (attempt === 3)
      throw new Error(
        `the publisher kept stepping down (sent ${[...sizes].join(', ')}, not ${options.width}x${options.height}): machine too busy`,
      );
    console.error(`  recording at ${options.width}x${options.height} got ${[...sizes].join(', ')}: again`);
  }
}

async function recordOnce(options: RecordOptions): Promise<Recording & { frameSizes?: string[] }> {
  const { site, browser, width, height, seconds } = options;
  const room = `rec-${width}x${height}-${Date.now().toString(36)}`;
  const frames: { keyframe: boolean; payload: Uint8Array; codec: number; width: number; height: number }[] = [];
  let publisherId = '';
  const recorder = await ProtocolClient.join({
    url: site.relay.wsUrl,
    room,
    name: 'recorder',
    onEnvelope: (envelope: DecodedEnvelope) => {
      const media = envelope.media;
      if (envelope.peerJoined) publisherId = envelope.peerJoined.participant?.id ?? publisherId;
      // Layer 0 only: a relay that forwards every simulcast layer would otherwise mix sizes.
      if (!media || media.kind !== TrackKind.VIDEO || !media.payload || (media.layer ?? 0) !== 0) return;
      // Copy: the payload is a view into the socket's buffer.
      frames.push({
        keyframe: !!media.keyframe,
        payload: Uint8Array.from(media.payload),
        codec: media.codec ?? 0,
        width: media.width ?? 0,
        height: media.height ?? 0,
      });
    },
  });
  const query = new URLSearchParams({ room, name: 'camera', mic: 'off' });
  if (options.codec) query.set('codec', options.codec);
  const page = await browser.newPage(`${site.url}/?${query}`, syntheticCameraScript({ width, height, barcode: false }));
  try {
    const started = await poll(async () => (frames.length > 0 ? true : undefined), 20_000);
    if (!started) throw new Error('the Chromium publisher sent no video in 20 s');
    // Let the encoder settle (rate control starts from a guess), then ask for a
    // keyframe: the recording starts there.
    await sleep(1500);
    const from = frames.length;
    recorder.send({ keyframeRequest: { target: publisherId, kind: TrackKind.VIDEO } });
    const first = await poll(async () => {
      const at = frames.findIndex((f, i) => i >= from && f.keyframe);
      return at >= 0 ? at : undefined;
    }, 5000);
    if (first === undefined) throw new Error('the publisher sent no keyframe when asked');
    const startedAt = performance.now();
    await sleep(seconds * 1000);
    const kept = frames.slice(first);
    const head = kept[0]!;
    return {
      codec: head.codec,
      width: head.width || width,
      height: head.height || height,
      fps: 30,
      sourceFps: kept.length / ((performance.now() - startedAt) / 1000),
      frames: kept.map(({ keyframe, payload }) => ({ keyframe, payload })),
      frameSizes: kept.map((f) => `${f.width}x${f.height}`),
    };
  } finally {
    await page.close().catch(() => undefined);
    recorder.close();
  }
}

/** One layer of a {@link ReplayBot}: its recording and where the replay of it stands. */
interface ReplayLayer {
  recording: Recording;
  index: number;
  sequence: number;
  /** False while the relay's `LayerDemand` leaves it out: not sent. */
  active: boolean;
}

/**
 * One replayed publisher: its own session, sending a recording at its frame
 * rate. Given several recordings (largest first) it is a simulcast publisher:
 * it announces them as its camera's layers, sends each as `MediaFrame.layer`
 * i, sends only the layers the relay's `LayerDemand` names (a layer that starts
 * again starts at its keyframe), and answers a keyframe request on its layer.
 */
export class ReplayBot {
  private timer: NodeJS.Timeout | undefined;
  private sentFrames = 0;
  private readonly layers: ReplayLayer[];
  /** Frames not sent because the socket was backed up (never, on loopback, unless something is wrong). */
  skipped = 0;
  keyframeRequests = 0;

  private constructor(
    private readonly client: ProtocolClient,
    recordings: readonly Recording[],
  ) {
    this.layers = recordings.map((recording) => ({ recording, index: 0, sequence: 0, active: true }));
  }

  static async start(
    url: string,
    room: string,
    name: string,
    recording: Recording | readonly Recording[],
  ): Promise<ReplayBot> {
    const recordings = Array.isArray(recording) ? (recording as readonly Recording[]) : [recording as Recording];
    const simulcast = recordings.length > 1;
    const handlers = { envelope: (_envelope: DecodedEnvelope): void => undefined };
    const client = await ProtocolClient.join({
      url,
      room,
      name,
      state: {
        mic: false,
        camera: true,
        screen: false,
        ...(simulcast
          ? {
              videoLayers: recordings.map((r) => ({
                width: r.width,
                height: r.height,
                maxFramerate: r.fps,
                maxBitrate: Math.round(describeRecording(r).kbps * 1000),
              })),
            }
          : {}),
      },
      onEnvelope: (envelope) => handlers.envelope(envelope),
    });
    const bot = new ReplayBot(client, recordings);
    handlers.envelope = (envelope) => bot.receive(envelope);
    bot.run();
    return bot;
  }

  /** A peer asked for a keyframe of `layer`: go on from that layer's recording's first keyframe. */
  restartAtKeyframe(layer = 0): void {
    this.keyframeRequests++;
    const replay = this.layers[layer];
    if (replay) replay.index = 0;
  }

  get sessionId(): string {
    return this.client.sessionId;
  }

  /** Frames sent so far of each layer. */
  get sentPerLayer(): number[] {
    return this.layers.map((l) => l.sequence);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.client.close();
  }

  private receive(envelope: DecodedEnvelope): void {
    if (envelope.keyframeRequest) this.restartAtKeyframe(envelope.keyframeRequest.layer ?? 0);
    const demand = envelope.layerDemand;
    if (demand && (demand.kind ?? 0) === TrackKind.VIDEO) {
      const wanted = new Set(demand.layers ?? []);
      this.layers.forEach((layer, i) => {
        if (wanted.has(i) && !layer.active) layer.index = 0; // starts again at a keyframe
        layer.active = wanted.has(i);
      });
    }
  }

  private run(): void {
    const interval = 1000 / this.layers[0]!.recording.fps;
    const start = performance.now();
    const tick = (): void => {
      this.sendNext();
      // Scheduled against the start, so timer lateness does not accumulate into a lower rate.
      const next = start + this.sentFrames * interval;
      this.timer = setTimeout(tick, Math.max(0, next - performance.now()));
    };
    tick();
  }

  private sendNext(): void {
    this.sentFrames++;
    this.layers.forEach((replay, layer) => {
      if (!replay.active) return;
      const { recording } = replay;
      const frame = recording.frames[replay.index]!;
      replay.index = (replay.index + 1) % recording.frames.length;
      const sequence = replay.sequence;
      replay.sequence++;
      const sent = this.client.send({
        media: {
          kind: TrackKind.VIDEO,
          codec: recording.codec,
          keyframe: frame.keyframe,
          sequence,
          layer,
          timestamp: Math.round((this.sentFrames * 1e6) / recording.fps),
          width: recording.width,
          height: recording.height,
          payload: frame.payload,
        },
      });
      // A congested socket drops video rather than queue latency: counted as skipped.
      if (!sent) this.skipped++;
    });
  }
}
