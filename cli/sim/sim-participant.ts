/**
 * A simulated participant: a Node client that speaks the real protocol to a
 * relay (over a WebSocket, or any {@link SimLink}), for tests, benchmarks and
 * `videocall-cli bots`.
 *
 * - It joins, announces its camera's simulcast layers and sends frames of each
 *   layer at that layer's rate and size, only the layers the relay says someone
 *   watches (`LayerDemand`; layer 0 until the first one), a started layer and an
 *   asked-for layer (`KeyframeRequest`) beginning with a keyframe.
 * - Its microphone sends 20 ms packets whose clear audio level follows a
 *   speaking schedule, so the relay's loudest-speaker choice has something to choose.
 * - It subscribes like a browser showing a page of tiles (`tile-page.ts`),
 *   again whenever the roster or the active speaker changes.
 * - It counts what it receives. Media is counted from the envelope's first byte
 *   without decoding, unless `probe` is set: then every frame is decoded for its
 *   latency (capture time to arrival, one machine's clock) and sequence gaps,
 *   and counted per publisher (bytes, and whether its first frame was a keyframe).
 * - With `clips`, a layer sends real coded frames (e.g. VP8 from ffmpeg) in a
 *   loop instead of placeholder bytes, so a browser in the room decodes a picture.
 */
import {
  decodeEnvelope,
  encodeEnvelope,
  PROTOCOL_VERSION,
  TrackKind,
  type DecodedEnvelope,
  type EnvelopeInit,
} from '../../src/protocol/index.js';
import {
  AUDIO_PACKET_BYTES,
  AUDIO_PACKET_MS,
  DEFAULT_LAYERS,
  KEYFRAME_INTERVAL_MS,
  type SimLayer,
} from './frame-model.js';
import { webSocketLink, type SimConnect, type SimLink, type SimPriority } from './sim-link.js';
import { chooseTracks, type PageView, type RosterPublisher, type TrackChoice } from './tile-page.js';

/** First byte of an envelope carrying a media frame: field 6, length-delimited. */
const MEDIA_TAG = (6 << 3) | 2;
/** Latency samples kept per participant (the latest ones). */
const MAX_SAMPLES = 4096;
const SPEAKING_LEVEL = 25;
const SILENT_LEVEL = 127;
/** Roster and speaker changes come in bursts: one Subscription after they settle. */
const SUBSCRIBE_DEBOUNCE_MS = 100;

export interface SimParticipantOptions {
  /** The relay's WebSocket endpoint, e.g. `ws://127.0.0.1:8080/ws` (unless {@link connect} is given). */
  url: string;
  /** Opens the link to the relay instead of a WebSocket to {@link url} (e.g. WebTransport). */
  connect?: SimConnect;
  room: string;
  name: string;
  /** Publish a camera in `layers`. Default false. */
  camera?: boolean;
  /** Publish a microphone. Default false. */
  mic?: boolean;
  layers?: readonly SimLayer[];
  /** Whether the microphone is speaking at `ms` (since start). Default: never. */
  speaking?: (ms: number) => boolean;
  /** The page of tiles it shows; absent: it never subscribes (the relay sends layer 0 of everyone). */
  view?: PageView;
  /** Decode every media frame for latency and loss. Default false (count only). */
  probe?: boolean;
  /**
   * Real coded frames to send, per layer (index = layer), instead of
   * placeholder bytes of the layer's sizes. A layer with a clip sends its
   * frames in a loop at the layer's rate, and goes back to the clip's first
   * frame (a keyframe) when a keyframe is due or asked for.
   */
  clips?: readonly (SimClip | undefined)[];
  /** Access token, for a relay that requires one. */
  token?: string;
}

/** A short coded video, looped by a simulated camera layer. */
export interface SimClip {
  /** The wire `Codec` value of the frames (e.g. `Codec.VP8` from src/protocol). */
  codec: number;
  /** Coded frames in order; the first one is a keyframe. */
  frames: readonly { data: Uint8Array; keyframe: boolean }[];
}

/** Probe only: what one publisher's video cost a receiver, since the last {@link SimParticipant.resetCounts}. */
export interface SimPublisherIn {
  frames: number;
  /** Whole envelopes, as received. */
  bytes: number;
  /** `performance.now()` when its first video frame arrived. */
  firstAt: number;
  /** Whether that first frame was a keyframe (a receiver can start decoding there). */
  firstKeyframe: boolean;
}

/** What a simulated participant counted. */
export interface SimStats {
  framesIn: number;
  bytesIn: number;
  /** Probe only: media frames by kind, and video frames by layer. */
  audioIn: number;
  videoInByLayer: number[];
  /** Probe only: video frames missing from sequence gaps within one publisher-layer. */
  videoLost: number;
  /** Probe only: latest latency samples, ms. */
  latencyMs: number[];
  /** Probe only: video (camera and screen) received, by publisher id. */
  videoInByPublisher: Record<string, SimPublisherIn>;
  /** Messages other than media received (roster, control, heartbeat), and their bytes. */
  controlIn: number;
  controlBytesIn: number;
  framesOut: number;
  bytesOut: number;
  /** Video frames sent, by layer. */
  videoOutByLayer: number[];
  /** Video layers the relay currently asks for. */
  demanded: number[];
  keyframeRequests: number;
  subscriptions: number;
  activeSpeakers: number;
  errors: string[];
}

/** The relay closed the connection or sent a fatal error. */
export class SimParticipantError extends Error {
  override readonly name = 'SimParticipantError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const nowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

export class SimParticipant {
  readonly stats: SimStats = {
    framesIn: 0,
    bytesIn: 0,
    audioIn: 0,
    videoInByLayer: [],
    videoLost: 0,
    latencyMs: [],
    videoInByPublisher: {},
    controlIn: 0,
    controlBytesIn: 0,
    framesOut: 0,
    bytesOut: 0,
    videoOutByLayer: [],
    demanded: [0],
    keyframeRequests: 0,
    subscriptions: 0,
    activeSpeakers: 0,
    errors: [],
  };
  /** Session id from Welcome. */
  id = '';
  private link: SimLink | undefined;
  private linkOpen = false;
  private readonly linkClosed: Promise<void>;
  private resolveLinkClosed!: () => void;
  private readonly layers: readonly SimLayer[];
  private readonly roster = new Map<string, RosterPublisher>();
  private speaker: string | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private subscribeTimer: NodeJS.Timeout | undefined;
  private lastSubscription = '';
  /** Per layer: next frame is a keyframe; frame sequence; when the last keyframe went. */
  private readonly forceKey: boolean[];
  private readonly sequence: number[];
  private readonly lastKey: number[];
  /** Per layer with a clip: the index of the next clip frame. */
  private readonly clipAt: number[];
  private view: PageView | undefined;
  private audioSequence = 0;
  /** The relay's code when it ended the session (a refused token, a full room). */
  private fatalCode: string | undefined;
  private startedAt = 0;
  private latencyAt = 0;
  /** Probe: last sequence seen per `publisher layer`. */
  private readonly lastSeq = new Map<string, number>();

  constructor(private readonly options: SimParticipantOptions) {
    this.linkClosed = new Promise((resolve) => (this.resolveLinkClosed = resolve));
    this.layers = options.layers ?? DEFAULT_LAYERS;
    this.forceKey = this.layers.map(() => true);
    this.sequence = this.layers.map(() => 0);
    this.lastKey = this.layers.map(() => 0);
    this.clipAt = this.layers.map(() => 0);
    this.view = options.view;
    for (const clip of options.clips ?? []) {
      if (clip && !clip.frames[0]?.keyframe) throw new RangeError('a SimClip starts with a keyframe');
    }
  }

  /** Connects and joins; resolves once welcomed. Rejects on a refusal or after `timeoutMs`. */
  async join(timeoutMs = 10_000): Promise<void> {
    const connect = this.options.connect ?? webSocketLink(this.options.url);
    const started = performance.now();
    const link = await connect(timeoutMs);
    this.link = link;
    this.linkOpen = true;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SimParticipantError('timeout', `${this.options.name}: no Welcome`)),
        Math.max(0, timeoutMs - (performance.now() - started)),
      );
      link.onmessage = (data) => {
        if (this.receive(data) === 'welcome') {
          clearTimeout(timer);
          resolve();
        }
      };
      link.onclose = ({ code, reason }) => {
        this.linkOpen = false;
        this.resolveLinkClosed();
        clearTimeout(timer);
        // A refused join: the relay's error code (`token-invalid`…) says why better than the close.
        const why = this.fatalCode ?? (reason || 'closed');
        reject(new SimParticipantError(why, `${this.options.name}: closed ${code}`));
      };
      const { camera = false, mic = false } = this.options;
      this.send({
        join: {
          protocolVersion: PROTOCOL_VERSION,
          room: this.options.room,
          name: this.options.name,
          token: this.options.token ?? '',
          // A big room's joins come together (read below as `peersJoined`).
          batchedPresence: true,
          state: {
            camera,
            mic,
            videoLayers: camera
              ? this.layers.map((l) => ({
                  width: l.width,
                  height: l.height,
                  maxFramerate: l.fps,
                  maxBitrate: l.bitrate,
                }))
              : [],
          },
        },
      });
    });
  }

  /** Starts publishing (camera layers, microphone) and the heartbeat. */
  start(heartbeatMs = 4000): void {
    this.startedAt = performance.now();
    this.timers.push(setInterval(() => this.send({ ping: { time: Date.now() } }), heartbeatMs));
    if (this.options.camera) {
      this.layers.forEach((layer, l) => {
        this.timers.push(setInterval(() => this.sendVideo(l), 1000 / layer.fps));
      });
    }
    if (this.options.mic) this.timers.push(setInterval(() => this.sendAudio(), AUDIO_PACKET_MS));
  }

  /** Stops sending and closes the connection. */
  close(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    clearTimeout(this.subscribeTimer);
    if (this.link && this.linkOpen) this.link.close();
  }

  /**
   * Leaves on purpose (others see "left" at once, not after the resume grace
   * period) and closes; resolves once the connection is closed (at most `timeoutMs`).
   */
  async leave(timeoutMs = 2000): Promise<void> {
    if (!this.link || !this.linkOpen) return this.close();
    this.send({ leave: {} });
    this.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.linkClosed, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /**
   * Shows another page of tiles (or another view): subscribes to it at once, as
   * a browser does when its page is turned.
   */
  setView(view: PageView): void {
    this.view = view;
    clearTimeout(this.subscribeTimer);
    this.subscribeTimer = undefined;
    this.subscribe();
  }

  /** The tracks the current view subscribes to now, from the roster as it stands. */
  get subscribedTracks(): TrackChoice[] {
    return this.view ? chooseTracks([...this.roster.values()], this.view, this.speaker) : [];
  }

  /** Forgets the latency samples and counts so far (to measure a window). */
  resetCounts(): void {
    const s = this.stats;
    s.framesIn = s.bytesIn = s.audioIn = s.videoLost = s.framesOut = s.bytesOut = 0;
    s.controlIn = s.controlBytesIn = 0;
    s.videoInByPublisher = {};
    s.videoInByLayer = [];
    s.videoOutByLayer = [];
    s.latencyMs = [];
    this.latencyAt = 0;
  }

  private send(message: EnvelopeInit): void {
    const link = this.link;
    if (!link || !this.linkOpen) return;
    const bytes = encodeEnvelope(message);
    if (!link.send(bytes, priorityOf(message))) return;
    if (message.media) {
      this.stats.framesOut++;
      this.stats.bytesOut += bytes.length;
    }
  }

  private sendVideo(l: number): void {
    if (!this.stats.demanded.includes(l)) {
      this.forceKey[l] = true; // a layer that starts again begins with a keyframe
      return;
    }
    const layer = this.layers[l]!;
    const now = performance.now();
    const clip = this.options.clips?.[l];
    let keyframe = this.forceKey[l]! || now - this.lastKey[l]! >= KEYFRAME_INTERVAL_MS;
    let payload: Uint8Array;
    if (clip) {
      // A keyframe due: back to the clip's start. The clip's own keyframes (its loop) count too.
      if (keyframe || this.clipAt[l]! >= clip.frames.length) this.clipAt[l] = 0;
      const frame = clip.frames[this.clipAt[l]!++]!;
      keyframe = frame.keyframe;
      payload = frame.data;
    } else {
      payload = new Uint8Array(keyframe ? layer.keyframeBytes : layer.deltaBytes);
    }
    if (keyframe) {
      this.forceKey[l] = false;
      this.lastKey[l] = now;
    }
    this.stats.videoOutByLayer[l] = (this.stats.videoOutByLayer[l] ?? 0) + 1;
    this.send({
      media: {
        kind: TrackKind.VIDEO,
        layer: l,
        keyframe,
        sequence: ++this.sequence[l]!,
        timestamp: Math.round(now * 1000),
        captureTime: nowUs(),
        width: layer.width,
        height: layer.height,
        ...(clip ? { codec: clip.codec } : {}),
        payload,
      },
    });
  }

  private sendAudio(): void {
    const speaking = this.options.speaking?.(performance.now() - this.startedAt) ?? false;
    this.send({
      media: {
        kind: TrackKind.AUDIO,
        sequence: ++this.audioSequence,
        timestamp: this.audioSequence * AUDIO_PACKET_MS * 1000,
        captureTime: nowUs(),
        audioLevel: speaking ? SPEAKING_LEVEL : SILENT_LEVEL,
        payload: new Uint8Array(AUDIO_PACKET_BYTES),
      },
    });
  }

  /** Handles one message; returns its body type when decoded. */
  private receive(data: Uint8Array): DecodedEnvelope['body'] | 'media-counted' {
    if (data[0] === MEDIA_TAG && !this.options.probe) {
      this.stats.framesIn++;
      this.stats.bytesIn += data.length;
      return 'media-counted';
    }
    let envelope: DecodedEnvelope;
    try {
      envelope = decodeEnvelope(data);
    } catch {
      this.stats.errors.push('undecodable message');
      return undefined;
    }
    if (envelope.body !== 'media') {
      this.stats.controlIn++;
      this.stats.controlBytesIn += data.length;
    }
    switch (envelope.body) {
      case 'media':
        this.stats.framesIn++;
        this.stats.bytesIn += data.length;
        this.probeMedia(envelope, data.length);
        break;
      case 'welcome': {
        this.id = envelope.welcome!.sessionId ?? '';
        for (const p of envelope.welcome!.roster ?? []) this.upsert(p.id ?? '', p.state);
        this.scheduleSubscription();
        break;
      }
      case 'peerJoined': {
        const p = envelope.peerJoined!.participant;
        if (p?.id) this.upsert(p.id, p.state);
        this.scheduleSubscription();
        break;
      }
      case 'peersJoined':
        for (const p of envelope.peersJoined!.participants ?? []) if (p.id) this.upsert(p.id, p.state);
        this.scheduleSubscription();
        break;
      case 'mediaState':
        if (envelope.from) this.upsert(envelope.from, envelope.mediaState);
        this.scheduleSubscription();
        break;
      case 'peerLeft':
        this.roster.delete(envelope.peerLeft!.id ?? '');
        this.scheduleSubscription();
        break;
      case 'activeSpeakers': {
        this.stats.activeSpeakers++;
        const first = envelope.activeSpeakers!.ids?.[0];
        if (first !== this.speaker) {
          this.speaker = first;
          this.scheduleSubscription();
        }
        break;
      }
      case 'layerDemand':
        if (envelope.layerDemand!.kind === TrackKind.VIDEO)
          this.stats.demanded = [...(envelope.layerDemand!.layers ?? [])];
        break;
      case 'keyframeRequest': {
        this.stats.keyframeRequests++;
        const l = envelope.keyframeRequest!.layer ?? 0;
        if (l < this.forceKey.length) this.forceKey[l] = true;
        break;
      }
      case 'error':
        this.stats.errors.push(envelope.error!.code ?? 'error');
        if (envelope.error!.fatal) this.fatalCode = envelope.error!.code || 'error';
        break;
      default:
        break;
    }
    return envelope.body;
  }

  private probeMedia(envelope: DecodedEnvelope, bytes: number): void {
    const media = envelope.media!;
    const capture = Number(media.captureTime ?? 0);
    if (capture > 0) {
      const ms = (nowUs() - capture) / 1000;
      const samples = this.stats.latencyMs;
      if (samples.length < MAX_SAMPLES) samples.push(ms);
      else samples[this.latencyAt++ % MAX_SAMPLES] = ms;
    }
    if (media.kind === TrackKind.AUDIO || media.kind === TrackKind.SCREEN_AUDIO) {
      this.stats.audioIn++;
      return;
    }
    const layer = media.layer ?? 0;
    this.stats.videoInByLayer[layer] = (this.stats.videoInByLayer[layer] ?? 0) + 1;
    const from = this.stats.videoInByPublisher[envelope.from];
    if (from) {
      from.frames++;
      from.bytes += bytes;
    } else {
      this.stats.videoInByPublisher[envelope.from] = {
        frames: 1,
        bytes,
        firstAt: performance.now(),
        firstKeyframe: !!media.keyframe,
      };
    }
    const key = `${envelope.from} ${media.kind} ${layer}`;
    const seq = media.sequence ?? 0;
    const last = this.lastSeq.get(key);
    // A switch back to a layer starts at its keyframe, after a gap that is no loss.
    if (last !== undefined && seq > last + 1 && !media.keyframe) this.stats.videoLost += seq - last - 1;
    this.lastSeq.set(key, seq);
  }

  private upsert(id: string, state: DecodedEnvelope['mediaState'] | null | undefined): void {
    if (!id || id === this.id) return;
    const layers = (state?.videoLayers ?? []).map((l) => ({ width: l.width ?? 0, height: l.height ?? 0 }));
    this.roster.set(id, { id, camera: !!state?.camera, videoLayers: layers });
  }

  private scheduleSubscription(): void {
    if (!this.view || this.subscribeTimer) return;
    this.subscribeTimer = setTimeout(() => {
      this.subscribeTimer = undefined;
      this.subscribe();
    }, SUBSCRIBE_DEBOUNCE_MS);
  }

  private subscribe(): void {
    if (!this.view) return;
    const tracks = this.subscribedTracks;
    const json = JSON.stringify(tracks);
    if (json === this.lastSubscription) return;
    this.lastSubscription = json;
    this.stats.subscriptions++;
    this.send({ subscription: { tracks } });
  }
}

/** How a message goes on a link that tells media from control (WebTransport: datagrams, streams). */
function priorityOf(message: EnvelopeInit): SimPriority {
  if (!message.media) return 'control';
  if (message.media.kind === TrackKind.AUDIO) return 'audio';
  return message.media.keyframe ? 'video-key' : 'video';
}
