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

/** Records `seconds` of the element's camera video at `width`×`height`. */
export async function recordCamera(options: RecordOptions): Promise<Recording> {
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
      if (!media || media.kind !== TrackKind.VIDEO || !media.payload) return;
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
    };
  } finally {
    await page.close().catch(() => undefined);
    recorder.close();
  }
}

/** One replayed publisher: its own session, sending a recording at its frame rate. */
export class ReplayBot {
  private timer: NodeJS.Timeout | undefined;
  private index = 0;
  private sequence = 0;
  private sentFrames = 0;
  /** Frames not sent because the socket was backed up (never, on loopback, unless something is wrong). */
  skipped = 0;
  keyframeRequests = 0;

  private constructor(
    private readonly client: ProtocolClient,
    private readonly recording: Recording,
  ) {}

  static async start(url: string, room: string, name: string, recording: Recording): Promise<ReplayBot> {
    const asked = { keyframe: (): void => undefined };
    const client = await ProtocolClient.join({
      url,
      room,
      name,
      state: { mic: false, camera: true, screen: false },
      onEnvelope: (envelope) => {
        if (envelope.keyframeRequest) asked.keyframe();
      },
    });
    const bot = new ReplayBot(client, recording);
    asked.keyframe = () => bot.restartAtKeyframe();
    bot.run();
    return bot;
  }

  /** A peer asked for a keyframe: go on from the recording's first keyframe. */
  restartAtKeyframe(): void {
    this.keyframeRequests++;
    this.index = 0;
  }

  get sessionId(): string {
    return this.client.sessionId;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.client.close();
  }

  private run(): void {
    const interval = 1000 / this.recording.fps;
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
    const frame = this.recording.frames[this.index]!;
    this.index = (this.index + 1) % this.recording.frames.length;
    const sequence = this.sequence;
    this.sequence++;
    this.sentFrames++;
    if (this.client.bufferedAmount > 1024 * 1024) {
      this.skipped++;
      return;
    }
    this.client.send({
      media: {
        kind: TrackKind.VIDEO,
        codec: this.recording.codec,
        keyframe: frame.keyframe,
        sequence,
        timestamp: Math.round((sequence * 1e6) / this.recording.fps),
        width: this.recording.width,
        height: this.recording.height,
        payload: frame.payload,
      },
    });
  }
}
