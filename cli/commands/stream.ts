/**
 * `videocall-cli stream`: publishes a test pattern, a media file or a V4L2
 * camera (with a tone, the file's audio or an ALSA/PulseAudio device) into a
 * room, encoded by ffmpeg, over the element's protocol and E2EE.
 *
 * Keyframes come on request (a viewer joins or switches to us, a frame is
 * lost, the E2EE key changes), at most one per 0.5 s (`MIN_KEYFRAME_GAP_MS`),
 * and otherwise on a fixed interval (`--keyframe-interval`, default 2 s) as a
 * backstop. See cli/media/ffmpeg-encoder.ts for how ffmpeg is made to give one.
 */
import { access, constants, stat } from 'node:fs/promises';
import type { EncodedMedia } from '../../src/codec/encoded-media.js';
import type { VideoCodecName } from '../../src/codec/codec-names.js';
import { bitrateFlag, intFlag, numberFlag, parseFlags, sizeFlag } from '../args.js';
import type { Command } from '../command.js';
import {
  CodecUnsupportedError,
  exitCodeTable,
  FileUnreadableError,
  UsageError,
  WrongPassphraseError,
  type CliError,
} from '../errors.js';
import { RoomClient, type Peer } from '../client/room-client.js';
import { TRANSPORT_HELP, transportFlag, type CliTransport } from '../client/node-transport.js';
import { checkFfmpeg, FfmpegEncoder } from '../media/ffmpeg-encoder.js';
import type { AudioSource, EncodeSettings, VideoSource } from '../media/ffmpeg-args.js';
import { createOutput, type Output } from '../output.js';

const HELP = `Usage: videocall-cli stream --server URL --room ROOM [--name NAME] SOURCE [options]

Publishes video and audio into a room, as a participant others see in their grid.

Source (one):
  --test-pattern            a moving test picture (with --tone: a beeping tone)
  --file PATH [--loop]      a media file (its audio too, unless --no-audio)
  --video-device PATH       a V4L2 camera, e.g. /dev/video0

Audio (one; default: the file's audio, else none):
  --tone                    a 440 Hz beeping tone
  --audio-device DEV        alsa:hw:1,0 or pulse:default (a bare name is ALSA)
  --no-audio                send no audio

Connection:
  --server URL              the relay, e.g. https://call.example.com (required)
  --room ROOM               letters, digits, "-" and "_" (required)
  --name NAME               display name (default "videocall-cli")
  --token JWT               access token, when the relay requires one
  --passphrase TEXT         end-to-end encrypt, keys bound to this room passphrase
                            (browsers open the room with #vc-key=TEXT)
  --e2ee                    end-to-end encrypt without a passphrase (safety codes)
  --transport T             ${TRANSPORT_HELP.replace('\n', '\n                            ')}

Encoding (ffmpeg):
  --size WxH                picture size (default 1280x720)
  --fps N                   frames per second (default 30)
  --bitrate B               video bitrate, e.g. 800k, 1.5M (default by size)
  --codec C                 vp8 (default), vp9 or h264: one every participant decodes
  --keyframe-interval S     seconds between keyframes nobody asked for (default 2)

Output:
  --duration S              stop after S seconds (default: until Ctrl-C or the file ends)
  --json                    JSON lines on stdout: joined, peer-joined, peer-left, stats, left
  --quiet                   no status lines
  -h, --help                this help

${exitCodeTable([
  'usage',
  'relay-unreachable',
  'token-refused',
  'wrong-passphrase',
  'ffmpeg-missing',
  'device-format-unsupported',
  'file-unreadable',
  'transport-unsupported',
  'codec-unsupported',
  'join-refused',
  'connection-lost',
  'encoder-failed',
  'internal',
])}`;

const FLAGS = {
  server: { type: 'string' },
  room: { type: 'string' },
  name: { type: 'string' },
  token: { type: 'string' },
  passphrase: { type: 'string' },
  e2ee: { type: 'boolean' },
  transport: { type: 'string' },
  'test-pattern': { type: 'boolean' },
  file: { type: 'string' },
  loop: { type: 'boolean' },
  'video-device': { type: 'string' },
  tone: { type: 'boolean' },
  'audio-device': { type: 'string' },
  'no-audio': { type: 'boolean' },
  size: { type: 'string' },
  fps: { type: 'string' },
  bitrate: { type: 'string' },
  codec: { type: 'string' },
  'keyframe-interval': { type: 'string' },
  duration: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const CODECS: readonly VideoCodecName[] = ['vp8', 'vp9', 'h264'];
/** How often the status line and `stats` event come. */
const STATS_EVERY_MS = 2000;

/** Everything `stream` was asked to do, checked. */
export interface StreamPlan {
  server: string;
  room: string;
  name: string;
  token?: string;
  passphrase?: string;
  e2ee: boolean;
  transport: CliTransport;
  encode: EncodeSettings;
  durationMs: number;
  json: boolean;
  quiet: boolean;
}

/** Reads and checks `stream`'s flags; throws a {@link UsageError}. Null for `--help`. */
export function streamPlan(argv: string[]): StreamPlan | null {
  const f = parseFlags(argv, FLAGS);
  if (f.help) return null;
  if (!f.server) throw new UsageError('--server is required (the relay URL).');
  if (!f.room) throw new UsageError('--room is required.');
  const sources = [f['test-pattern'], f.file !== undefined, f['video-device'] !== undefined].filter(Boolean).length;
  if (sources !== 1)
    throw new UsageError('Give exactly one source: --test-pattern, --file PATH or --video-device PATH.');
  if (f.loop && f.file === undefined) throw new UsageError('--loop goes with --file.');
  const video: VideoSource = f['test-pattern']
    ? { kind: 'test-pattern' }
    : f.file !== undefined
      ? { kind: 'file', path: f.file, loop: !!f.loop }
      : { kind: 'device', path: f['video-device']! };
  const audios = [f.tone, f['audio-device'] !== undefined, f['no-audio']].filter(Boolean).length;
  if (audios > 1) throw new UsageError('Give at most one of --tone, --audio-device and --no-audio.');
  const audio: AudioSource = f.tone
    ? { kind: 'tone' }
    : f['audio-device'] !== undefined
      ? audioDevice(f['audio-device'])
      : !f['no-audio'] && video.kind === 'file'
        ? { kind: 'file' }
        : { kind: 'none' };
  const codec = (f.codec ?? 'vp8') as VideoCodecName;
  if (!CODECS.includes(codec))
    throw new UsageError(`--codec must be one of ${CODECS.join(', ')}; got ${JSON.stringify(f.codec)}.`);
  const transport = transportFlag(f.transport);
  const { width, height } = sizeFlag(f.size, { width: 1280, height: 720 });
  const fps = intFlag('fps', f.fps, 30, 1, 60);
  const keyframeSeconds = numberFlag('keyframe-interval', f['keyframe-interval'], 2, 0.1, 60);
  const duration = numberFlag('duration', f.duration, 0, 0, 7 * 24 * 3600);
  return {
    server: f.server,
    room: f.room,
    name: f.name ?? 'videocall-cli',
    ...(f.token ? { token: f.token } : {}),
    ...(f.passphrase ? { passphrase: f.passphrase } : {}),
    e2ee: !!f.e2ee || !!f.passphrase,
    transport,
    encode: {
      video,
      audio,
      codec,
      width,
      height,
      fps,
      bitrate: bitrateFlag(f.bitrate, defaultBitrate(width, height, fps)),
      keyframeInterval: Math.max(1, Math.round(keyframeSeconds * fps)),
      audioBitrate: 32_000,
    },
    durationMs: duration * 1000,
    json: !!f.json,
    quiet: !!f.quiet,
  };
}

/** `alsa:NAME`, `pulse:NAME`, or a bare ALSA name. */
function audioDevice(value: string): AudioSource {
  const match = /^(alsa|pulse):(.+)$/.exec(value);
  if (match) return { kind: 'device', backend: match[1] as 'alsa' | 'pulse', name: match[2]! };
  if (!value) throw new UsageError('--audio-device needs a device, e.g. alsa:hw:1,0 or pulse:default.');
  return { kind: 'device', backend: 'alsa', name: value };
}

/** About what the element sends at that size: ~0.08 bits per pixel at 30 fps, within 150k..4M. */
function defaultBitrate(width: number, height: number, fps: number): number {
  return Math.round(Math.min(4_000_000, Math.max(150_000, width * height * fps * 0.05)) / 1000) * 1000;
}

export const stream: Command = {
  name: 'stream',
  summary: 'publish a test pattern, a media file or a camera into a room',
  async run(argv) {
    const plan = streamPlan(argv);
    if (!plan) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    return runStream(plan);
  },
};

/** Streams until the duration, Ctrl-C, the end of the file, or a failure (thrown as a `CliError`). */
export async function runStream(plan: StreamPlan): Promise<number> {
  const out = createOutput(plan, 'videocall-cli stream');
  const version = await checkFfmpeg();
  out.info(`using ${version}`);
  if (plan.encode.video.kind === 'file') await checkReadable(plan.encode.video.path);
  const session = new StreamSession(plan, out);
  return session.run();
}

async function checkReadable(path: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
    if (!(await stat(path)).isFile()) throw new Error('not a file');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new FileUnreadableError(path, why);
  }
}

/** One run of `stream`: the room client, the encoder between them, and what ends the run. */
class StreamSession {
  private readonly client: RoomClient;
  private readonly encoder: FfmpegEncoder;
  /** Whether someone watches layer 0 (the relay's `LayerDemand`; yes until it says otherwise). */
  private demanded = true;
  /** After a pause or a lost frame, video waits for the next keyframe. */
  private needKeyframe = true;
  private keyframeRequests = 0;
  /** Video frames handed to the relay, and those held back (nobody watching, or waiting for a keyframe). */
  private videoFramesSent = 0;
  private videoFramesHeld = 0;
  private everVerified = false;
  /** Who was in the room when we joined. */
  private readonly roster = new Set<string>();
  private finish: ((result: { code: number } | { error: CliError }) => void) | null = null;
  private readonly startedAt = Date.now();
  private lastStats = { at: Date.now(), frames: 0, bytes: 0 };
  /** Set once joined: the roster's codecs are checked together then, later joiners one by one. */
  private joined = false;

  constructor(
    private readonly plan: StreamPlan,
    private readonly out: Output,
  ) {
    const { encode } = plan;
    this.client = new RoomClient(
      {
        server: plan.server,
        room: plan.room,
        name: plan.name,
        e2ee: plan.e2ee,
        transport: plan.transport,
        ...(plan.token ? { token: plan.token } : {}),
        ...(plan.passphrase ? { passphrase: plan.passphrase } : {}),
        state: () => ({
          camera: encode.video.kind !== 'none',
          mic: encode.audio.kind !== 'none',
          videoLayers: [
            { width: encode.width, height: encode.height, maxFramerate: encode.fps, maxBitrate: encode.bitrate },
          ],
        }),
      },
      {
        peerJoined: (peer) => this.peerJoined(peer),
        peerLeft: (peer) => {
          out.info(`${peer.name || peer.id} left`);
          out.event('peer-left', { id: peer.id, name: peer.name });
        },
        keyframeRequested: () => {
          this.keyframeRequests++;
          this.encoder.requestKeyframe();
        },
        layerDemand: (layers) => {
          const demanded = layers.includes(0);
          if (demanded && !this.demanded) this.wantKeyframe();
          this.demanded = demanded;
          out.event('layer-demand', { layers });
        },
        securityChanged: (peer, security) => {
          if (security.status === 'verified') this.everVerified = true;
          // The room we joined holds another passphrase: whoever watches sees nothing, so stop.
          // (A later joiner's mismatch is theirs: a warning, the stream goes on.)
          if (security.status === 'mismatch' && this.roster.has(peer.id) && !this.everVerified)
            this.end({ error: new WrongPassphraseError(peer.name || peer.id) });
          out.event('peer-security', {
            id: peer.id,
            name: peer.name,
            status: security.status,
            safetyCode: security.safetyCode,
          });
        },
        reconnecting: (attempt, reason) => {
          out.info(`relay lost (${reason}); reconnecting, attempt ${attempt}`);
          out.event('reconnecting', { attempt, reason });
        },
        reconnected: (resumed, downtimeMs) => {
          this.wantKeyframe();
          out.info(`back on the relay after ${downtimeMs} ms (${resumed ? 'resumed' : 'rejoined as new'})`);
          out.event('reconnected', { resumed, downtimeMs });
        },
        warning: (error) => {
          out.warn(error.message);
          out.event('warning', { code: error.code, message: error.message });
        },
        failed: (error) => this.end({ error }),
      },
    );
    this.encoder = new FfmpegEncoder(encode, {
      media: (media) => void this.send(media),
      ended: (error) => {
        if (error) this.end({ error });
        else {
          out.info('the source ended');
          this.end({ code: 0 });
        }
      },
    });
  }

  async run(): Promise<number> {
    const { plan, out } = this;
    out.info(`joining ${plan.room} on ${plan.server} as ${plan.name}${plan.e2ee ? ' (end-to-end encrypted)' : ''}`);
    await this.client.join();
    this.checkCodec([...this.client.peers.values()], true);
    this.joined = true;
    // A publisher watches nobody: an empty Subscription stops the relay forwarding us everyone's video.
    this.client.subscribe([]);
    out.info(
      `joined as ${this.client.sessionId}; ${this.client.peers.size} other participant(s); ` +
        `sending ${plan.encode.codec} ${plan.encode.width}x${plan.encode.height}@${plan.encode.fps}`,
    );
    out.event('joined', {
      sessionId: this.client.sessionId,
      room: plan.room,
      codec: plan.encode.codec,
      width: plan.encode.width,
      height: plan.encode.height,
      fps: plan.encode.fps,
      bitrate: plan.encode.bitrate,
      e2ee: plan.e2ee,
      transport: this.client.transport,
      peers: [...this.client.peers.values()].map((p) => ({ id: p.id, name: p.name })),
    });
    const done = new Promise<{ code: number } | { error: CliError }>((resolve) => (this.finish = resolve));
    const stop = (): void => this.end({ code: 0 });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const timers = [setInterval(() => this.report(), STATS_EVERY_MS)];
    if (plan.durationMs > 0) timers.push(setTimeout(stop, plan.durationMs));
    this.encoder.start();
    const result = await done;
    for (const t of timers) clearTimeout(t);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    this.encoder.stop();
    this.client.leave();
    const summary = this.summary();
    out.event('left', { ...summary, ...('error' in result ? { error: result.error.code } : {}) });
    out.info(
      `left after ${summary.seconds} s: ${summary.videoFrames} video frames (${summary.keyframes} keyframes, ` +
        `${summary.keyframesOnRequest} of them on request, ${summary.framesSkipped} skipped by a busy encoder, ` +
        `${summary.videoFramesSent} sent, ${summary.videoFramesHeld} held back for a keyframe or with nobody watching), ` +
        `${summary.audioPackets} audio packets, ${summary.keyframeRequests} keyframe requests`,
    );
    if ('error' in result) throw result.error;
    return result.code;
  }

  private end(result: { code: number } | { error: CliError }): void {
    const finish = this.finish;
    this.finish = null;
    finish?.(result);
  }

  private async send(media: EncodedMedia): Promise<void> {
    if (media.kind === 'video') {
      if (!this.demanded || (this.needKeyframe && !media.keyframe)) {
        this.videoFramesHeld++;
        return;
      }
      this.needKeyframe = false;
    }
    const sent = await this.client.sendMedia(media);
    if (sent && media.kind === 'video') this.videoFramesSent++;
    // A video frame lost on the way leaves a hole decoders can't pass: send from a new keyframe.
    if (!sent && media.kind === 'video' && this.client.open) this.wantKeyframe();
  }

  /** Video waits for a keyframe, and the encoder is asked for one rather than the interval awaited. */
  private wantKeyframe(): void {
    this.needKeyframe = true;
    this.encoder.requestKeyframe();
  }

  private peerJoined(peer: Peer): void {
    if (!this.joined) {
      this.roster.add(peer.id);
      return; // the roster at the start: reported with `joined`
    }
    this.out.info(`${peer.name || peer.id} joined`);
    this.out.event('peer-joined', { id: peer.id, name: peer.name, decoders: peer.decoders });
    this.checkCodec([peer], false);
  }

  /** Participants that said what they decode and lack our codec: refused at the start, warned later. */
  private checkCodec(peers: Peer[], atStart: boolean): void {
    const codec = this.plan.encode.codec;
    const cannot = peers.filter((p) => p.decoders.length > 0 && !p.decoders.includes(codec));
    if (cannot.length === 0) return;
    const all = [...this.client.peers.values()].filter((p) => p.decoders.length > 0);
    const decodable = CODECS.filter((c) => all.every((p) => p.decoders.includes(c)));
    const error = new CodecUnsupportedError(
      codec,
      cannot.map((p) => p.name || p.id),
      decodable,
    );
    if (atStart) {
      this.client.leave();
      throw error;
    }
    this.out.warn(error.message);
    this.out.event('warning', { code: error.code, message: error.message });
  }

  private summary() {
    const e = this.encoder.stats;
    const c = this.client.stats;
    return {
      seconds: Math.round((Date.now() - this.startedAt) / 100) / 10,
      videoFrames: e.videoFrames,
      videoFramesSent: this.videoFramesSent,
      videoFramesHeld: this.videoFramesHeld,
      keyframes: e.keyframes,
      keyframesOnRequest: e.keyframesOnRequest,
      framesSkipped: e.framesSkipped,
      audioPackets: e.audioPackets,
      framesSent: c.framesSent,
      framesDropped: c.framesDropped,
      bytesSent: c.bytesSent,
      keyframeRequests: this.keyframeRequests,
    };
  }

  private report(): void {
    const now = Date.now();
    const c = this.client.stats;
    const e = this.encoder.stats;
    const seconds = (now - this.lastStats.at) / 1000;
    const fps = (e.videoFrames - this.lastStats.frames) / seconds;
    const kbps = ((c.bytesSent - this.lastStats.bytes) * 8) / seconds / 1000;
    this.lastStats = { at: now, frames: e.videoFrames, bytes: c.bytesSent };
    const viewers = this.client.peers.size;
    this.out.info(
      `${fps.toFixed(1)} fps, ${Math.round(kbps)} kbit/s, ${viewers} other participant(s), ` +
        `rtt ${this.client.rttMs} ms${this.demanded ? '' : ', paused (nobody watches)'}`,
    );
    this.out.event('stats', {
      fps: Math.round(fps * 10) / 10,
      kbps: Math.round(kbps),
      peers: viewers,
      rttMs: this.client.rttMs,
      ...this.summary(),
    });
  }
}
