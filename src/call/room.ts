import {
  decodeEnvelope,
  encodeEnvelope,
  TrackKind,
  ModerationAction,
  type DecodedEnvelope,
  type EnvelopeInit,
  type MediaFrameInit,
  type MediaStateInit,
  type ParticipantInit,
} from '../protocol/envelope.js';
import {
  codecToWire,
  encodedMediaOf,
  mediaFrameHeader,
  mediaKindToWire,
  receivedAt,
  videoCodecFromWire,
  wasConsumed,
} from './media-frame-wire.js';
import { isValidRoomName } from '../protocol/limits.js';
import { mediaState } from '../protocol/media-state.js';
import type { TransportChoice } from '../transport/connect.js';
import { connectLazily } from '../transport/load-connect.js';
import { parseRelayList } from '../transport/relay-list.js';
import type { SendPriority, Transport } from '../transport/transport.js';
import type { EncodedMedia } from '../codec/encoded-media.js';
import type { SendQuality } from '../codec/send-adaptation.js';
import { detectDecoders, detectEncoders, type VideoCodecName } from '../codec/codec-support.js';
import { TypedEventTarget } from '../shared/typed-event-target.js';
import { wallClockMs } from '../shared/clock.js';
import { asVideoCallError, describeRelayError, VideoCallError } from './errors.js';
import {
  KnockEvent,
  ModeratedEvent,
  RoomWaitingEvent,
  type KnockingParticipant,
  type ModerationKind,
  LocalMediaEvent,
  ParticipantEvent,
  ParticipantLeftEvent,
  RoomErrorEvent,
  RoomJoinedEvent,
  RoomLeftEvent,
  RoomReconnectedEvent,
  RoomTransportChangedEvent,
  RoomReconnectingEvent,
  SendQualityEvent,
  type RoomEventMap,
} from './events.js';
import { LocalMedia } from './local-media.js';
import type { MediaCrypto } from './media-crypto.js';
import { loadMediaCrypto } from './load-media-crypto.js';
import { DEFAULT_RECONNECT_TIMEOUT_MS } from './reconnect.js';
import { MediaWorker } from './media-worker-client.js';
import type { MicPacketSent } from './mic-send-host.js';
import { RelayConnection, relayError, type ReconnectInfo, type RelayWelcome } from './relay-connection.js';
import { RemoteMedia } from './remote-media.js';
import { FrameTimeline } from './frame-timeline.js';
import { RemoteParticipant } from './remote-participant.js';
import { announcedVideoLayers, type AnnouncedLayer, type ViewSize } from './layer-choice.js';
import { Subscriptions, type VideoView } from './subscriptions.js';
import { RoomChat, type SendOptions } from './chat.js';
import { LocalScreen } from './local-screen.js';
import { RemoteScreens } from './remote-screen.js';
import { ActiveSpeakerEvent, ScreenShareEvent } from './large-room-events.js';
import { HandEvent } from './hand-event.js';
import { StatsCollector } from './stats-collector.js';
import { QualityChangedEvent } from './quality-event.js';
import type { CallStats } from './call-stats.js';

/** How a {@link Room} reaches the relay: `auto`, `websocket` or `webtransport`. */
export type { TransportChoice };
export type { VideoView, ViewSize };
export type { SendOptions };

/** How large remote video is taken to be shown until {@link Room.setSubscription} says (360p: the middle layer). */
const DEFAULT_VIDEO_VIEW: ViewSize = { width: 640, height: 360 };
/** How often the media worker's microphone hears the relay's clock offset (only a change is posted). */
const MIC_ROUTE_MS = 250;

/** Everything a {@link Room} needs to join. */
/** How long joining took, ms from `join()`; null for what has not happened yet. */
export interface JoinTimes {
  /** To the relay's welcome. */
  joinedMs: number | null;
  /** To the first remote video frame shown. */
  firstVideoMs: number | null;
  /** To the first remote audio handed to playout. */
  firstAudioMs: number | null;
}

export interface RoomOptions {
  /**
   * The relay's base URL, http(s) or ws(s); or several relays of one cluster, as
   * a list or one string separated by whitespace and/or commas. Joining tries them
   * in order; when the relay in use is lost, the room reconnects to the next one
   * and resumes as the same participant.
   */
  server: string | readonly string[];
  /** Room name, `[A-Za-z0-9_-]{1,64}`. */
  room: string;
  /** Display name shown to others. */
  name: string;
  /** Send camera video (default true). */
  camera?: boolean;
  /** Send microphone audio (default true). */
  mic?: boolean;
  /** Force a video codec; by default the best one every participant can decode. */
  codec?: VideoCodecName;
  /**
   * `auto` (default): WebTransport when the browser and relay have it, else WebSocket
   * (decided well under 2 s); `websocket` or `webtransport`: only that one (`webtransport`
   * fails with `webtransport-unavailable` when it cannot be had).
   */
  transport?: TransportChoice;
  /** Access token for relays that require one. */
  token?: string;
  /** Play remote audio (default true). */
  playAudio?: boolean;
  /** Encrypt media end to end (SFrame); the relay can route but not read it. */
  e2ee?: boolean;
  /**
   * Room passphrase that authenticates the key exchange (with `e2ee`). Never sent
   * anywhere; without one, people compare safety codes instead.
   */
  passphrase?: string;
  /**
   * Send the camera in simulcast layers (about 720p, 360p and 180p, never above
   * the camera) so each receiver gets the one that fits its tile (default true).
   */
  simulcast?: boolean;
  /**
   * How large each remote video is taken to be shown, in device pixels, until
   * {@link Room.setSubscription} is called: the layer received from each
   * publisher is the smallest at least this tall (default 640×360).
   */
  videoView?: ViewSize;
  /** Give up joining after this long (default 10 s). */
  joinTimeoutMs?: number;
  /**
   * How long a joined room that lost its relay keeps trying to reconnect before
   * it ends with `connection-lost` (default 60 s).
   */
  reconnectTimeoutMs?: number;
  /**
   * Run the transport in the media worker, the dedicated worker that decodes
   * the others' microphones (default true): their voices then go from the
   * network to the speaker without waiting for a busy page, and (without E2EE)
   * ours from the microphone to the network. Where workers cannot run (a
   * Content-Security-Policy without `blob:` in `worker-src`), everything runs
   * on the page.
   */
  transportInWorker?: boolean;
}

/**
 * Where a {@link Room} stands. `reconnecting`: the relay was lost while joined and
 * the room is getting one back; participants and local media stay meanwhile.
 */
export type RoomState = 'idle' | 'connecting' | 'joined' | 'reconnecting' | 'left';

/**
 * A call in one room, without any DOM: connects to the relay, captures and
 * sends local media, receives, decodes and plays remote media. `<videocall-room>`
 * is a view over it; tests and tools can drive it directly.
 *
 * @example
 * ```ts
 * const room = new Room({ server: 'https://relay.example', room: 'standup', name: 'Ada' });
 * room.addEventListener('participant-joined', (e) => e.participant.setVideoSink((f) => { draw(f); f.close(); }));
 * await room.join();
 * ```
 */
export class Room extends TypedEventTarget<RoomEventMap> {
  state: RoomState = 'idle';
  /** True while the relay keeps our join in the room's lobby, until an admin lets us in (or not). */
  waiting = false;
  /** Our access token grants `admin`: {@link admit}, {@link deny}, {@link mute}, {@link remove}, {@link lock}, {@link endMeeting}. */
  admin = false;
  /** An admin locked the room: new joiners without `admin` wait in the lobby. */
  locked = false;
  /** Admins: who waits in the lobby now, on every relay of the room. */
  knocking: readonly KnockingParticipant[] = [];
  /** An admin muted our microphone and locked it: it stays off until an admin allows it. */
  micLocked = false;
  /** The same for our camera. */
  cameraLocked = false;
  readonly participants = new Map<string, RemoteParticipant>();
  readonly local: LocalMedia;
  /** Our screen share: {@link startScreenShare}, {@link stopScreenShare}. */
  readonly screenShare: LocalScreen;
  /**
   * Who speaks now, as the relay chose from audio levels (with hysteresis): a
   * participant's id, our own {@link sessionId}, or null when nobody does.
   * Changes come as `active-speaker`.
   */
  activeSpeaker: string | null = null;
  /** The current speakers, loudest first (the relay forwards their audio). */
  activeSpeakers: readonly string[] = [];
  private readonly screens: RemoteScreens;
  private readonly remote: RemoteMedia;
  private timeline: FrameTimeline | null = null;
  private readonly connection: RelayConnection;
  private readonly subscriptions: Subscriptions;
  private readonly chat: RoomChat;
  private readonly stats: StatsCollector;
  /** We raised our hand ({@link raiseHand}); the others see it until {@link lowerHand}. */
  handRaised = false;
  /** Chat messages dropped because they did not decrypt (E2EE), or came in clear while E2EE is on. */
  undecryptableMessages = 0;
  private codec: VideoCodecName = 'vp8';
  private localDecoders: VideoCodecName[] = [];
  private localEncoders: VideoCodecName[] = [];
  /** Settles when the devices are open and the encoders known (see {@link prepare}). */
  private mediaReady: Promise<void> = Promise.resolve();
  /** True once sending started: the encoders are known, so the codec can be chosen. */
  private mediaKnown = false;
  private crypto: MediaCrypto | null = null;
  /** The worker decoding audio and (with `transportInWorker`) holding the transport and sending the microphone, from `join()` on; null: none. */
  private mediaWorker: MediaWorker | null = null;
  /** Keeps the worker's microphone up to date with the relay's clock offset while joined. */
  private micRouteTimer: ReturnType<typeof setInterval> | undefined;
  /** The E2EE code, once `prepare` loaded it (only with `e2ee`). */
  private cryptoCode: typeof MediaCrypto | null = null;
  /** Set by {@link preview}: the devices were opened before joining. */
  private previewing: Promise<void> | null = null;
  private joinStartedAt = 0;
  private joinedAt: number | undefined;
  /** The passphrase, stretched, kept to restart E2EE when a reconnect makes us a new participant. */
  private roomSecret: Awaited<ReturnType<typeof MediaCrypto.prepareSecret>> = null;
  private readonly options: Required<Omit<RoomOptions, 'codec' | 'token' | 'passphrase' | 'videoView'>> &
    Pick<RoomOptions, 'codec' | 'token' | 'passphrase' | 'videoView'>;

  constructor(options: RoomOptions) {
    super();
    this.options = {
      camera: true,
      mic: true,
      transport: 'auto',
      playAudio: true,
      e2ee: false,
      simulcast: true,
      joinTimeoutMs: 10_000,
      reconnectTimeoutMs: DEFAULT_RECONNECT_TIMEOUT_MS,
      transportInWorker: true,
      ...options,
    };
    this.connection = new RelayConnection(
      {
        servers: parseRelayList(options.server),
        transport: this.options.transport,
        joinTimeoutMs: this.options.joinTimeoutMs,
        reconnectTimeoutMs: this.options.reconnectTimeoutMs,
        join: () => ({
          room: this.options.room,
          name: this.options.name,
          token: this.options.token ?? '',
          state: this.wireState(),
          decoders: this.localDecoders.map(codecToWire),
        }),
        connect: (server, options) =>
          this.mediaWorker && this.options.transportInWorker
            ? this.mediaWorker.connect(server, options)
            : connectLazily(server, options),
      },
      {
        welcome: (welcome) => this.joined(welcome),
        waiting: (locked) => {
          this.waiting = true;
          this.emit(new RoomWaitingEvent(locked));
        },
        message: (envelope) => this.receive(envelope),
        lost: () => this.lost(),
        reconnecting: (attempt, server, reason) => this.emit(new RoomReconnectingEvent(attempt, server, reason)),
        resumed: (welcome, info) => this.rejoined(welcome, info),
        failed: (error) => this.finish(error.code, error),
        transportChanged: (transport, previous) => this.transportChanged(transport, previous),
        dropped: (bytes, priority) => this.droppedLater(bytes, priority),
      },
    );
    this.local = new LocalMedia(
      {
        onVideo: (media) => this.sendMedia(media, media.keyframe ? 'video-key' : 'video'),
        onAudio: (media) => this.sendMedia(media, 'audio'),
        onChange: () => this.emit(new LocalMediaEvent()),
        onError: (error) => this.emit(new RoomErrorEvent(error)),
        onSendQuality: (quality) => this.emit(new SendQualityEvent(quality)),
        onLayers: () => this.announceState(),
      },
      this.options.simulcast,
      // Without E2EE (the worker holds no keys) the microphone is read, encoded and sent in the
      // media worker: a busy main thread no longer sends it in bursts.
      (events) =>
        this.options.transportInWorker && !this.options.e2ee
          ? (this.mediaWorker?.micEncoder(events, (packets) => this.micSent(packets)) ?? null)
          : null,
    );
    this.subscriptions = new Subscriptions(
      {
        participants: () => this.participants.values(),
        send: (tracks) =>
          this.sendControl({
            subscription: {
              tracks: tracks.map((t) => ({
                publisher: t.publisher,
                kind: mediaKindToWire(t.kind ?? 'video'),
                layer: t.layer,
              })),
            },
          }),
        wanted: (id, layer, kind) => {
          const participant = this.participants.get(id);
          if (participant && kind === 'screen') this.screens.setWantedLayer(participant, layer);
          else if (participant) this.remote.setWantedLayer(participant, layer);
        },
      },
      this.options.videoView ?? DEFAULT_VIDEO_VIEW,
    );
    this.chat = new RoomChat({
      canSend: () => this.state === 'joined',
      hasParticipant: (id) => this.participants.has(id),
      crypto: () => this.crypto,
      send: (message) => this.sendControl(message),
      relayClockOffsetMs: () => this.connection.clock.offsetMs,
      received: (event) => this.emit(event),
      undecryptable: () => this.undecryptableMessages++,
    });
    this.screenShare = new LocalScreen({
      onScreen: (media) => this.sendMedia(media, media.keyframe ? 'video-key' : 'video'),
      onScreenAudio: (media) => this.sendMedia(media, 'audio'),
      onChange: () => this.screenShareChanged(),
      onError: (error) =>
        this.emit(new RoomErrorEvent(new VideoCallError('codec-unsupported', error.message, { cause: error }))),
    });
    this.screens = new RemoteScreens({
      requestKeyframe: (participant, layer) => this.requestKeyframeFrom(participant.id, layer, 'screen'),
    });
    this.remote = new RemoteMedia({
      playAudio: this.options.playAudio,
      requestKeyframe: (participant, layer) => this.requestKeyframeFrom(participant.id, layer),
      onLevel: (participant) => this.emit(new ParticipantEvent('participant-updated', participant, true)),
      onPlayoutState: () => this.emit(new LocalMediaEvent()),
      relayClockOffsetMs: () => this.connection.clock.offsetMs,
      timeline: () => this.timeline,
      // The worker cannot decrypt: with E2EE the page decrypts and hands it the packets.
      audioInWorker: this.options.transportInWorker && !this.options.e2ee,
    });
    this.stats = new StatsCollector({
      participants: () => this.participants.values(),
      receivers: (participant) => this.remote.receiverStats(participant),
      screenReceiver: (participant) => this.screens.stats(participant),
      localVideo: () => (this.local.state.camera ? this.local.videoStats : null),
      localAudio: () => {
        const stats = this.local.audioStats;
        return stats ? { stats, muted: !this.local.state.mic } : null;
      },
      localScreen: () => (this.screenShare.sharing ? this.screenShare.stats : null),
      localScreenAudio: () => (this.screenShare.sharing ? this.screenShare.audioStats : null),
      transport: () => (this.state === 'joined' ? this.connection.transportKind : null),
      // The shortest recent round trip: the path's delay, not a moment this page's main thread was busy.
      rttMs: () => (Number.isNaN(this.connection.clock.rttMs) ? null : this.connection.clock.rttMs),
      qualityChanged: (participant, quality, previous) =>
        this.emit(new QualityChangedEvent(participant.id, quality, previous)),
    });
  }

  /**
   * The call's figures now, the same the element's stats panel and quality
   * indicators show: transport and round trip to the relay, what we send, and
   * per participant what we receive (frame rate, bitrate, size, codec, layer,
   * freezes, loss, jitter buffer, glass-to-glass and mouth-to-ear delays) and
   * their connection's class. Plain data (JSON-serialisable); see {@link CallStats}.
   *
   * @example
   * const { participants } = await room.getStats();
   * for (const p of participants) console.log(p.name, p.video?.fps, p.quality);
   */
  async getStats(): Promise<CallStats> {
    const snapshot = this.stats.snapshot();
    // The report is built by a module of its own, fetched on the first call (a chunk of the ES build).
    const { statsReport } = await import('./stats-report.js');
    return statsReport(snapshot);
  }

  /**
   * Starts recording when each media frame passes each stage of the path
   * (capture, encoded, sent; received, decrypted, decoded, shown), for
   * benchmarks and diagnosis; see {@link FrameTimeline}. Recording costs a map
   * lookup per frame and stage, and memory up to its bound, until
   * {@link stopTimeline}.
   */
  startTimeline(limit?: number): FrameTimeline {
    this.timeline ??= new FrameTimeline(limit);
    return this.timeline;
  }

  /** Stops recording the media path; returns what was recorded. */
  stopTimeline(): FrameTimeline | null {
    const timeline = this.timeline;
    this.timeline = null;
    return timeline;
  }

  /**
   * What our video is sent at now (height, frame rate) and why it is below the
   * camera's best (`limitedBy`: `cpu` or `network`); null while no video is sent.
   */
  get sendQuality(): SendQuality | null {
    return this.local.sendQuality;
  }

  /**
   * Tells the room what is shown: for each remote participant on screen, how
   * large their video is drawn, in device pixels. The room subscribes to the
   * smallest layer of each one's camera at least that large (a 180p tile never
   * receives 720p), to nothing from participants not listed, and follows
   * changes (joins, leaves, other layers announced) by itself. Sent to the relay
   * debounced (~250 ms); null goes back to everyone at the `videoView` size.
   *
   * @example
   * room.setSubscription([{ participant: id, width: 640 * devicePixelRatio, height: 360 * devicePixelRatio }]);
   */
  setSubscription(views: readonly VideoView[] | null): void {
    this.subscriptions.setViews(views);
  }

  /**
   * Shares a screen, window or tab (the browser asks which) as its own track,
   * beside the camera: full resolution (up to 1080p) at up to 15 fps, kept
   * sharp for text, plus a smaller layer. When the browser offers the shared
   * tab's sound (Chromium's "Also share tab audio"), it is sent too, as a track
   * of its own: the others hear it beside our microphone, and it never makes us
   * the active speaker; `{ audio: false }` asks for the picture only (the
   * picker then offers no sound). Resolves once it is sent; rejects
   * with a {@link VideoCallError} `screen-denied` (the picker was dismissed),
   * `screen-unsupported` or `screen-failed`. Sharing stops with
   * {@link stopScreenShare}, or by the browser's own "Stop sharing".
   */
  async startScreenShare(options: { audio?: boolean } = {}): Promise<void> {
    if (this.state !== 'joined' && this.state !== 'reconnecting')
      throw new VideoCallError('invalid-state', `Cannot share a screen in a room that is ${this.state}.`);
    try {
      await this.screenShare.start(this.codec, options.audio !== false);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const known = code === 'screen-denied' || code === 'screen-unsupported' || code === 'screen-failed';
      throw new VideoCallError(known ? code : 'screen-failed', (error as Error).message, { cause: error });
    }
    // Left while the picker was open: nothing to share into.
    if ((this.state as RoomState) === 'left') this.screenShare.stop();
  }

  /** Stops sharing the screen (the camera goes on). */
  stopScreenShare(): void {
    this.screenShare.stop();
  }

  /** True while we share a screen. */
  get screenSharing(): boolean {
    return this.screenShare.sharing;
  }

  /**
   * How long joining took, ms from {@link join}: to the relay's welcome, to the
   * first remote video frame shown and to the first remote audio handed to
   * playout. Each is null until it happened.
   */
  get joinTimes(): JoinTimes {
    const since = (at: number | undefined) =>
      at === undefined || !this.joinStartedAt ? null : at - this.joinStartedAt;
    return {
      joinedMs: since(this.joinedAt),
      firstVideoMs: since(this.remote.firstVideoAt),
      firstAudioMs: since(this.remote.firstAudioAt),
    };
  }

  /** Our session id (our participant id in the room), once joined. */
  get sessionId(): string {
    return this.connection.sessionId;
  }

  /** The relay's limit on one message, from `Welcome`. */
  get maxMessageBytes(): number {
    return this.connection.maxMessageBytes;
  }

  /** Last measured round trip to the relay, in ms. */
  get rttMs(): number {
    return this.connection.rttMs;
  }

  /** The transport in use, once connected. */
  get transportKind(): 'websocket' | 'webtransport' | null {
    return this.connection.transportKind;
  }

  /** The codec we send video with. */
  get videoCodec(): VideoCodecName {
    return this.codec;
  }

  /** True while the browser keeps remote audio silent until a user gesture; call {@link resumeAudio} from one. */
  get audioSuspended(): boolean {
    return this.remote.audioSuspended;
  }

  /**
   * Hands the relay a fresh access token during the call, without rejoining: the
   * relay then keeps the call past the old token's expiry. Reconnects and later
   * joins use it too. Before joining it only replaces the token the join will send.
   */
  setToken(token: string): void {
    if (token === this.options.token) return;
    this.options.token = token;
    if (this.state === 'joined') this.connection.sendControl({ tokenRefresh: { token } });
  }

  /** Starts remote audio after a user gesture (autoplay policy). */
  resumeAudio(): Promise<void> {
    return this.remote.resumeAudio();
  }

  /** True when media is end-to-end encrypted; `passphrase` when keys are bound to one. */
  get encryption(): 'off' | 'safety-code' | 'passphrase' {
    if (!this.crypto) return 'off';
    return this.crypto.passphraseProtected ? 'passphrase' : 'safety-code';
  }

  /**
   * Connects, joins the room and starts sending. Rejects with a
   * {@link VideoCallError} (`invalid-room`, `relay-unreachable`, `room-full`, …);
   * a missing camera or microphone is not fatal: the room is joined without it
   * and an `error` event says why.
   */
  async join(): Promise<void> {
    if (this.state !== 'idle') throw new VideoCallError('invalid-state', `Cannot join a room that is ${this.state}.`);
    const { room } = this.options;
    if (!isValidRoomName(room)) {
      throw new VideoCallError('invalid-room', describeRelayError('invalid-room', ''), { fatal: true });
    }
    if (typeof VideoEncoder === 'undefined' || typeof VideoDecoder === 'undefined') {
      throw new VideoCallError(
        'webcodecs-unsupported',
        'This browser cannot encode video (no WebCodecs). Use a recent Chrome, Edge or Safari.',
        { fatal: true },
      );
    }
    this.state = 'connecting';
    this.joinStartedAt = wallClockMs();
    try {
      // Open the connection before devices, codecs and the passphrase are prepared,
      // and while they are: the permission prompt and codec probing are the slow part
      // of joining, and the first `VideoEncoder.isConfigSupported` can hold the main
      // thread for a second or more on a busy machine (measured: bench/wt-join-steps.ts).
      // Started first, the relay's WebTransport info is on its way meanwhile.
      // `Join` waits only for what it carries (the decoders) and what the first
      // messages need (the passphrase's key): the others' media starts flowing to us
      // while the camera and microphone open, and ours follows as soon as they are.
      let gate!: { resolve(): void; reject(error: unknown): void };
      const ready = new Promise<void>((resolve, reject) => (gate = { resolve, reject }));
      // The media worker starts first: the transport opens in it (its connect waits in the
      // worker's queue while it starts, 100–200 ms on a busy page), and the first remote
      // voice is decoded there.
      if (this.options.playAudio || this.options.transportInWorker) this.mediaWorker = MediaWorker.start(false);
      const opening = this.connection.open(ready);
      opening.catch(() => undefined); // awaited below; a rejection must not go unhandled meanwhile
      // The first remote voice should not wait for a decode worker to start either.
      this.remote.warmUp(this.mediaWorker?.decoder);
      const { joinable, media } = this.prepare();
      this.mediaReady = media;
      media.catch(() => undefined); // awaited below, after the relay answered
      joinable.then(gate.resolve, gate.reject);
      await ready;
      await opening;
      await media;
    } catch (error) {
      const failure = asVideoCallError(error);
      this.shutdown();
      this.state = 'left';
      throw failure;
    }
  }

  /**
   * Before {@link join}: opens the camera and microphone asked for in the options
   * now, for a pre-join preview in {@link local}. Toggling ({@link setMic},
   * {@link setCamera}) and choosing devices work meanwhile; `join()` then sends
   * the devices as they are, without opening them again. Resolves once they are
   * open (a device that fails is left off and reported as an `error` event).
   */
  preview(): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(new VideoCallError('invalid-state', 'Preview before joining.'));
    this.previewing ??= this.local.open({ camera: this.options.camera, mic: this.options.mic });
    return this.previewing;
  }

  /** The display name others will see; only before {@link join} (the relay fixes it at join). */
  setName(name: string): void {
    if (this.state !== 'idle') throw new VideoCallError('invalid-state', 'The name is set before joining.');
    this.options.name = name;
  }

  /** Leaves the room, stops capture and releases every device. */
  leave(): void {
    if (this.state === 'left' || this.state === 'idle') {
      // Before joining, a preview may hold the camera and microphone.
      if (this.state === 'idle') this.local.close();
      this.state = 'left';
      return;
    }
    this.sendControl({ leave: {} });
    this.finish('left');
  }

  /** Turns the microphone on or off, telling the others. Refused (`not-allowed`) while an admin keeps it muted. */
  async setMic(on: boolean): Promise<void> {
    if (on && this.micLocked) throw lockedByAdmin('microphone');
    await this.local.setMic(on);
    this.announceState();
  }

  /** Turns the camera on or off (off releases the device), telling the others. Refused while an admin keeps it off. */
  async setCamera(on: boolean): Promise<void> {
    if (on && this.cameraLocked) throw lockedByAdmin('camera');
    // Before sending started (devices still opening at join) the camera only opens; startSending() sends it.
    await this.local.setCamera(
      on,
      this.codec,
      this.mediaKnown && (this.state === 'joined' || this.state === 'reconnecting'),
    );
    this.announceState();
  }

  /**
   * Sends a chat message to everyone, or only to the participant ids in `to`;
   * end-to-end encrypted when E2EE is on. The others get a `message` event (we
   * get none for our own). Rejects with a {@link VideoCallError}: `invalid-state`
   * (not joined), `invalid-argument` (empty, or a recipient not in the call),
   * `too-large` (over 4000 characters). The relay may answer `rate-limited`
   * (an `error` event) beyond 10 messages a second.
   *
   * @example
   * await room.sendMessage('Can you hear me?', { to: participant.id });
   */
  sendMessage(text: string, options?: SendOptions): Promise<void> {
    return this.chat.send({ text }, options);
  }

  /**
   * Sends app data (bytes, at most 15 KiB) to everyone, or only to `to`, like
   * {@link sendMessage}: for a host page's own features (reactions, shared
   * state). Encode text or JSON with `TextEncoder` first.
   */
  sendData(data: Uint8Array, options?: SendOptions): Promise<void> {
    return this.chat.send({ data }, options);
  }

  /**
   * Plays the call through audio output `deviceId` (empty: the default). Resolves
   * false where the browser cannot choose the output; rejects when the device is not there.
   */
  setSpeaker(deviceId: string): Promise<boolean> {
    return this.remote.setSpeaker(deviceId);
  }

  /** Raises our hand: the others see it (a `hand` event there, and here) until {@link lowerHand}. */
  raiseHand(): void {
    this.setHand(true);
  }

  /** Lowers our hand. */
  lowerHand(): void {
    this.setHand(false);
  }

  private setHand(raised: boolean): void {
    if (this.handRaised === raised) return;
    this.handRaised = raised;
    this.announceState();
    this.emit(new HandEvent(this.sessionId, raised, true));
  }

  /** Admins: lets participant `id` (from {@link knocking}) in from the lobby. */
  admit(id: string): void {
    this.moderate({ admission: { id, admit: true } });
  }

  /** Admins: turns participant `id` away from the lobby (it sees `admission-denied`). */
  deny(id: string): void {
    this.moderate({ admission: { id, admit: false } });
  }

  /**
   * Admins: stops participant `id`'s microphone or camera at the relay. It may turn
   * it on again itself, unless `lock`: then only {@link allow} gives it back.
   */
  mute(id: string, what: 'mic' | 'camera', lock = false): void {
    const action = what === 'mic' ? ModerationAction.MUTE_MIC : ModerationAction.MUTE_CAMERA;
    this.moderate({ moderation: { action, target: id, lock } });
  }

  /** Admins: lifts a locked {@link mute}; the participant turns it on itself if it wants. */
  allow(id: string, what: 'mic' | 'camera'): void {
    const action = what === 'mic' ? ModerationAction.ALLOW_MIC : ModerationAction.ALLOW_CAMERA;
    this.moderate({ moderation: { action, target: id } });
  }

  /** Admins: removes participant `id` from the meeting; its identity cannot rejoin it. */
  remove(id: string): void {
    this.moderate({ moderation: { action: ModerationAction.REMOVE, target: id } });
  }

  /** Admins: locks the room (new joiners without `admin` wait in the lobby), or unlocks it. */
  lock(locked = true): void {
    this.moderate({ moderation: { action: locked ? ModerationAction.LOCK_ROOM : ModerationAction.UNLOCK_ROOM } });
  }

  /** Admins: ends the meeting for everyone (`meeting-ended`). */
  endMeeting(): void {
    this.moderate({ moderation: { action: ModerationAction.END_MEETING } });
  }

  /** Sends an admin's request; the relay checks the grant again (this check only fails fast). */
  private moderate(message: EnvelopeInit): void {
    if (this.state !== 'joined')
      throw new VideoCallError('invalid-state', `Cannot moderate a room that is ${this.state}.`);
    if (!this.admin) throw new VideoCallError('not-allowed', 'Only an admin of this room can do that.');
    this.sendControl(message);
  }

  /** What an admin did about us or the room: obeyed here (the relay enforces it anyway), then told. */
  private moderated(from: string, action: number, lock: boolean): void {
    let kind: ModerationKind;
    switch (action) {
      case ModerationAction.MUTE_MIC:
        kind = 'mic-muted';
        this.micLocked = lock;
        void this.local.setMic(false).then(() => this.announceState());
        break;
      case ModerationAction.MUTE_CAMERA:
        kind = 'camera-muted';
        this.cameraLocked = lock;
        void this.local
          .setCamera(false, this.codec, true)
          .then(() => this.announceState())
          .catch(() => undefined);
        break;
      case ModerationAction.ALLOW_MIC:
        kind = 'mic-allowed';
        this.micLocked = false;
        break;
      case ModerationAction.ALLOW_CAMERA:
        kind = 'camera-allowed';
        this.cameraLocked = false;
        break;
      case ModerationAction.LOCK_ROOM:
      case ModerationAction.UNLOCK_ROOM:
        this.locked = action === ModerationAction.LOCK_ROOM;
        kind = this.locked ? 'room-locked' : 'room-unlocked';
        break;
      default:
        return;
    }
    this.emit(new ModeratedEvent(kind, from, lock));
    this.emit(new LocalMediaEvent());
  }

  /**
   * The relays from `server`, in order: the connection's list. Tests replace it
   * to make every relay unreachable.
   * @internal
   */
  get servers(): string[] {
    return this.connection.servers;
  }

  set servers(servers: string[]) {
    this.connection.servers = servers;
  }

  /**
   * The transport in use. Tests reach in to drop it as a network failure would.
   * @internal
   */
  get transport(): Transport | null {
    return this.connection.transport;
  }

  /**
   * Opens the devices, probes the codecs and stretches the passphrase, all at
   * once. `joinable` settles when `Join` can go (the decoders we announce, the
   * room key E2EE needs from the first message, and the codec probes); `media`
   * when the devices are open too, which sending waits for.
   */
  private prepare(): { joinable: Promise<void>; media: Promise<void> } {
    const { room } = this.options;
    // After a preview the devices are as the person left them (toggled, switched): use those.
    const capture = this.previewing
      ? this.previewing.then(() => this.local.settled())
      : this.local.open({ camera: this.options.camera, mic: this.options.mic });
    const secret = this.options.e2ee
      ? loadMediaCrypto().then((code) => {
          this.cryptoCode = code;
          return code.prepareSecret(this.options.passphrase, room);
        })
      : null;
    // The codec probes go before Join too: the first `isConfigSupported` can hold the main
    // thread for a second or more, which after Join would miss heartbeats (a relay with a short
    // heartbeat then drops us). Opening the devices does not block the thread: Join need not wait.
    const encoders = detectEncoders();
    const joinable = Promise.all([detectDecoders(), secret, encoders]).then(([decoders, roomSecret]) => {
      this.localDecoders = decoders;
      this.roomSecret = roomSecret ?? null;
    });
    const media = Promise.all([encoders, capture]).then(([encoders]) => {
      this.localEncoders = encoders;
      if (this.options.codec && !encoders.includes(this.options.codec)) {
        this.emit(
          new RoomErrorEvent(
            new VideoCallError(
              'codec-unsupported',
              `This browser cannot use ${this.options.codec}; using another codec.`,
            ),
          ),
        );
      }
    });
    return { joinable, media };
  }

  /** The relay let us in: the others are in `welcome.roster`. */
  private joined(welcome: RelayWelcome): void {
    if (this.state !== 'connecting') return; // left while joining
    this.state = 'joined';
    this.waiting = false;
    this.admin = welcome.admin ?? false;
    this.locked = welcome.locked ?? false;
    this.joinedAt = wallClockMs();
    this.stats.start();
    this.routeMic();
    this.micRouteTimer = setInterval(() => this.routeMic(), MIC_ROUTE_MS);
    if (this.options.e2ee) this.crypto = this.startCrypto();
    for (const p of welcome.roster) this.addParticipant(p, false);
    // Until it is sent the relay forwards everyone's largest layer: the first pictures come without waiting.
    this.subscriptions.changed();
    // The devices may still be opening: start sending (and say what we send) once they are.
    void this.mediaReady.then(
      () => this.startSending(),
      () => undefined, // join() reports it
    );
    this.emit(new RoomJoinedEvent(this.sessionId, this.connection.transportKind!));
    for (const p of this.participants.values()) this.emit(new ParticipantEvent('participant-joined', p));
  }

  private receive(env: DecodedEnvelope): void {
    const from = env.from;
    switch (env.body) {
      case 'media': {
        const participant = this.participants.get(from);
        if (participant && env.media) this.receiveMedia(participant, env.media);
        break;
      }
      case 'keyExchange':
        if (env.keyExchange) this.crypto?.receiveKeyExchange(from, env.keyExchange);
        break;
      case 'peerJoined':
        if (env.peerJoined?.participant) this.addParticipant(env.peerJoined.participant, true);
        break;
      case 'peersJoined':
        // A big room's joins, announced together (we set `batchedPresence` in Join).
        for (const p of env.peersJoined?.participants ?? []) this.addParticipant(p, true);
        break;
      case 'peerLeft':
        this.removeParticipant(env.peerLeft?.id ?? '', env.peerLeft?.reason ?? 'left');
        break;
      case 'mediaState': {
        const participant = this.participants.get(from);
        if (participant) this.updateParticipant(participant, env.mediaState);
        break;
      }
      case 'keyframeRequest':
        // For one layer: the relay moves a receiver onto it, or a receiver lost its reference.
        if (env.keyframeRequest?.kind === mediaKindToWire('screen'))
          this.screenShare.requestKeyframe(env.keyframeRequest.layer ?? 0);
        else this.local.requestKeyframe(env.keyframeRequest?.layer ?? 0);
        break;
      case 'layerDemand': {
        const demand = env.layerDemand;
        if (demand && (demand.kind ?? 0) === mediaKindToWire('video')) this.local.setLayerDemand(demand.layers ?? []);
        if (demand && demand.kind === mediaKindToWire('screen')) this.screenShare.setLayerDemand(demand.layers ?? []);
        break;
      }
      case 'chat':
        if (env.chat) this.chat.receive(from, env.chat);
        break;
      case 'activeSpeakers':
        this.speakersChanged(env.activeSpeakers?.ids ?? []);
        break;
      case 'knock':
        this.knocking = (env.knock?.waiting ?? []).map((p) => ({
          id: p.id ?? '',
          name: p.name ?? '',
          identity: p.identity ?? '',
        }));
        this.emit(new KnockEvent(this.knocking));
        break;
      case 'moderation': {
        const m = env.moderation;
        // Targeted actions name us; room actions (lock) name nobody.
        if (m && (!m.target || m.target === this.sessionId)) this.moderated(from, m.action ?? 0, !!m.lock);
        break;
      }
      case 'error': {
        // Fatal errors end or move the connection (RelayConnection); this one leaves the call going.
        const error = relayError(env.error?.code ?? '', env.error?.message ?? '', false);
        // A keyframe or key request racing a peer's departure: nothing a person should see.
        if (error.code !== 'unknown-peer') this.emit(new RoomErrorEvent(error));
        break;
      }
      default:
        break;
    }
  }

  private addParticipant(init: ParticipantInit, announce: boolean): void {
    const id = init.id ?? '';
    if (!id || id === this.sessionId || this.participants.has(id)) return;
    const decoders = (init.decoders ?? []).map(videoCodecFromWire).filter((c): c is VideoCodecName => c !== null);
    const participant = new RemoteParticipant(id, init.name ?? '', mediaState(init.state), decoders);
    participant.videoLayers = announcedVideoLayers(init.state);
    participant.screenLayers = announcedScreenLayers(init.state);
    participant.handRaised = !!init.state?.handRaised;
    this.participants.set(id, participant);
    this.subscriptions.changed();
    this.startKeyExchange(participant);
    this.remote.add(participant);
    this.chooseCodec();
    if (announce) this.emit(new ParticipantEvent('participant-joined', participant));
  }

  /** A participant announced its mic, camera and screen (or the roster did, after a reconnect). */
  private updateParticipant(participant: RemoteParticipant, state: ParticipantInit['state']): void {
    const wasSharing = participant.screen;
    participant.state = mediaState(state);
    const layers = announcedVideoLayers(state);
    if (!sameLayers(layers, participant.videoLayers)) {
      participant.videoLayers = layers;
      this.subscriptions.changed();
    }
    const screenLayers = announcedScreenLayers(state);
    if (!sameLayers(screenLayers, participant.screenLayers) || wasSharing !== participant.screen) {
      participant.screenLayers = screenLayers;
      this.subscriptions.changed();
    }
    if (!participant.camera) this.remote.videoStopped(participant);
    if (wasSharing && !participant.screen) this.screens.stopped(participant);
    if (!participant.screenAudio) this.remote.screenAudioStopped(participant);
    if (wasSharing !== participant.screen) this.emit(new ScreenShareEvent(participant.id, participant.screen, false));
    const raised = !!state?.handRaised;
    if (raised !== participant.handRaised) {
      participant.handRaised = raised;
      this.emit(new HandEvent(participant.id, raised, false));
    }
    this.emit(new ParticipantEvent('participant-updated', participant));
  }

  /** With E2EE, starts exchanging keys with `participant` and tracks its security state. */
  private startKeyExchange(participant: RemoteParticipant): void {
    if (!this.crypto) return;
    participant.security = this.crypto.securityOf(participant.id);
    this.crypto.peerJoined(participant.id);
  }

  private removeParticipant(id: string, reason: string): void {
    const participant = this.participants.get(id);
    if (!participant) return;
    this.participants.delete(id);
    this.crypto?.peerLeft(id);
    this.remote.remove(participant);
    this.screens.remove(participant);
    this.subscriptions.changed();
    this.chooseCodec();
    this.emit(new ParticipantLeftEvent(participant, reason));
  }

  /** Our devices are open and the encoders known: encode and send, and tell the others what we send. */
  private startSending(): void {
    if (this.state !== 'joined' && this.state !== 'reconnecting') return;
    this.mediaKnown = true;
    this.chooseCodec();
    this.local.startSending(this.codec);
    this.announceState();
  }

  /** Picks the best codec every participant can decode; switching sends a keyframe. */
  private chooseCodec(): void {
    if (!this.mediaKnown) return; // before our encoders are known; startSending() chooses
    const next = this.remote.chooseCodec(this.localEncoders, [...this.participants.values()], this.options.codec);
    if (next === this.codec) return;
    this.codec = next;
    if (this.state === 'joined') this.local.setCodec(next);
    this.screenShare.setCodec(next);
  }

  private sendMedia(media: EncodedMedia, priority: SendPriority): void {
    if (this.state !== 'joined') return;
    // Every header field is set explicitly: with E2EE they are authenticated as sent.
    // Capture times go out on the relay's clock: receivers with other clocks still get true delays.
    const frame = mediaFrameHeader(media, this.connection.clock.offsetMs);
    // The timeline follows the camera and the microphone; a screen share's timestamps would mix with theirs.
    if (this.timeline && (media.kind === 'audio' || media.kind === 'video')) {
      if (media.captureTime !== undefined)
        this.timeline.mark('', media.kind, media.timestamp, 'capture', media.captureTime, media.layer ?? 0);
      this.timeline.mark('', media.kind, media.timestamp, 'encoded', undefined, media.layer ?? 0);
    }
    if (!this.crypto) return this.sendFrame(frame, media.data, priority);
    // Results come back in call order, so frames leave in the order they were encoded.
    this.crypto.encrypt(frame, media.data).then(
      (ciphertext) => this.sendFrame(frame, ciphertext, priority),
      () => {
        if (priority !== 'audio') this.keyframeAgain(frame);
      },
    );
  }

  private sendFrame(frame: MediaFrameInit, payload: Uint8Array, priority: SendPriority): void {
    if (this.state !== 'joined' || this.connection.state !== 'open') return;
    const bytes = encodeEnvelope({ media: { ...frame, payload } });
    const limit = this.connection.maxMessageBytes;
    if (limit && bytes.length > limit) {
      // Too big for the relay: ask the encoder for less and send nothing rather than get disconnected.
      this.local.frameTooLarge(bytes.length, limit);
      return;
    }
    // A dropped video frame leaves a hole receivers can't decode past: start again from a keyframe,
    // and tell the encoder, which steps down when it happens often (congestion).
    if (!this.connection.send(bytes, priority)) {
      if (priority !== 'audio') this.videoNotSent(frame);
      return;
    }
    if (frame.kind === TrackKind.SCREEN || frame.kind === TrackKind.SCREEN_AUDIO) return;
    const kind = priority === 'audio' ? 'audio' : 'video';
    this.timeline?.mark('', kind, frame.timestamp ?? 0, 'sent', undefined, frame.layer ?? 0);
  }

  /**
   * An envelope of ours that the transport (in the media worker) accepted and
   * then dropped as congested: handled as a drop at sending is.
   */
  private droppedLater(bytes: Uint8Array, priority: SendPriority): void {
    if (priority !== 'video' && priority !== 'video-key') return;
    let frame: MediaFrameInit | null | undefined;
    try {
      frame = decodeEnvelope(bytes).media;
    } catch {
      return;
    }
    if (frame) this.videoNotSent(frame);
  }

  /** Our microphone's packets the media worker encoded and sent: on the timeline as the page's own are. */
  private micSent(packets: readonly MicPacketSent[]): void {
    const timeline = this.timeline;
    if (!timeline) return;
    for (const p of packets) {
      if (p.captureTime) timeline.mark('', 'audio', p.timestamp, 'capture', p.captureTime, 0);
      timeline.mark('', 'audio', p.timestamp, 'encoded', p.encodedAt, 0);
      if (p.sentAt) timeline.mark('', 'audio', p.timestamp, 'sent', p.sentAt, 0);
    }
  }

  /**
   * Tells the media worker's microphone where to send: the call's transport
   * while joined on it, nowhere otherwise (as {@link sendMedia} sends nothing);
   * with the relay's clock offset, which the early pings still refine.
   */
  private routeMic(): void {
    const open = this.state === 'joined' && this.connection.state === 'open';
    this.mediaWorker?.routeMic(open ? this.connection.transport : null, this.connection.clock.offsetMs);
  }

  /** A video frame of ours was not sent: that layer starts again from a keyframe, and the sender hears of it. */
  private videoNotSent(frame: MediaFrameInit): void {
    // Only that layer's receivers lost their reference.
    this.keyframeAgain(frame);
    if (frame.kind !== TrackKind.SCREEN) this.local.videoNotSent();
    else this.screenShare.networkDrop();
  }

  /** Hands a received frame to its decoder, decrypting it first with E2EE. */
  private receiveMedia(participant: RemoteParticipant, frame: MediaFrameInit): void {
    if (frame.kind === TrackKind.SCREEN) return this.receiveScreen(participant, frame);
    if (frame.kind === TrackKind.SCREEN_AUDIO) return this.receiveScreenAudio(participant, frame);
    const timeline = this.timeline;
    const kind = frame.kind === TrackKind.AUDIO ? 'audio' : 'video';
    participant.received[kind].frame(frame.payload?.length ?? 0, frame.layer ?? 0, frame.sequence ?? undefined);
    const readAt = timeline ? receivedAt(frame, wallClockMs()) : undefined;
    timeline?.mark(participant.id, kind, frame.timestamp ?? 0, 'received', readAt, frame.layer ?? 0);
    if (!this.crypto) {
      // The media worker handed a consumed frame to its decoder when it read it, not when the page heard of it.
      timeline?.mark(participant.id, kind, frame.timestamp ?? 0, 'decrypted', wasConsumed(frame) ? readAt : undefined);
      return this.remote.receive(participant, frame);
    }
    this.crypto.decrypt(participant.id, frame).then(
      (payload) => {
        this.timeline?.mark(participant.id, kind, frame.timestamp ?? 0, 'decrypted');
        if (this.participants.get(participant.id) === participant)
          this.remote.receive(participant, { ...frame, payload });
      },
      () => {
        // Never let undecryptable bytes near a decoder: drop, count, and let the tile say so.
        participant.framesUndecryptable++;
      },
    );
  }

  /** A frame of a participant's screen share: decrypted with E2EE like any frame, then to its own decoder. */
  private receiveScreen(participant: RemoteParticipant, frame: MediaFrameInit): void {
    participant.received.screen.frame(frame.payload?.length ?? 0, frame.layer ?? 0, frame.sequence ?? undefined);
    const deliver = (payload: Uint8Array | null | undefined) => {
      const media = encodedMediaOf({ ...frame, payload }, this.connection.clock.offsetMs);
      if (media && this.participants.get(participant.id) === participant) this.screens.receive(participant, media);
    };
    if (!this.crypto) return deliver(frame.payload);
    this.crypto.decrypt(participant.id, frame).then(deliver, () => participant.framesUndecryptable++);
  }

  /**
   * A packet of a participant's screen share audio: decrypted with E2EE like any
   * frame, then played as a stream of its own beside their microphone's.
   */
  private receiveScreenAudio(participant: RemoteParticipant, frame: MediaFrameInit): void {
    participant.received.screenAudio.frame(frame.payload?.length ?? 0, 0, frame.sequence ?? undefined);
    // Only while they announce it: packets still on their way after the share stopped would start a stream nobody stops.
    const deliver = (payload: Uint8Array | null | undefined) => {
      if (this.participants.get(participant.id) === participant && participant.screenAudio)
        this.remote.receiveScreenAudio(participant, { ...frame, payload });
    };
    if (!this.crypto) return deliver(frame.payload);
    this.crypto.decrypt(participant.id, frame).then(deliver, () => participant.framesUndecryptable++);
  }

  /** A frame of ours was not sent: its layer (camera or screen) starts again from a keyframe. */
  private keyframeAgain(frame: MediaFrameInit): void {
    if (frame.kind === TrackKind.SCREEN) this.screenShare.requestKeyframe(frame.layer ?? 0);
    else this.local.requestKeyframe(frame.layer ?? 0);
  }

  /** Our screen share started, stopped, or announced other layers. */
  private screenShareChanged(): void {
    const sharing = this.screenShare.sharing;
    const announced = this.local.state.screen;
    this.local.state.screen = sharing;
    this.announceState();
    this.emit(new LocalMediaEvent());
    if (announced !== sharing) this.emit(new ScreenShareEvent(this.sessionId, sharing, true));
  }

  /** The relay's `ActiveSpeakers`: the first is the active speaker. */
  private speakersChanged(ids: readonly string[]): void {
    const speakers = ids.filter((id) => typeof id === 'string' && id !== '');
    const speaker = speakers[0] ?? null;
    const same =
      speakers.length === this.activeSpeakers.length && speakers.every((id, i) => id === this.activeSpeakers[i]);
    if (same) return;
    this.activeSpeakers = speakers;
    const changed = speaker !== this.activeSpeaker;
    this.activeSpeaker = speaker;
    if (changed) this.emit(new ActiveSpeakerEvent(speaker, speakers));
  }

  private startCrypto(): MediaCrypto {
    // `prepare` loaded it: joining waits for prepare, and only an encrypting room starts crypto.
    if (!this.cryptoCode) throw new Error('the E2EE code is not loaded');
    return this.cryptoCode.start(this.options.room, this.sessionId, this.roomSecret, {
      sendControl: (message) => this.sendControl(message),
      keyframeNeeded: () => this.local.requestKeyframe(),
      requestKeyframeFrom: (peerId) => this.requestKeyframeFrom(peerId),
      securityChanged: (peer) => {
        const participant = this.participants.get(peer.peerId);
        if (!participant) return;
        participant.security = peer;
        this.emit(new ParticipantEvent('participant-updated', participant));
      },
      error: (error) => this.emit(new RoomErrorEvent(error)),
    });
  }

  /** Asks `peerId` for a keyframe of `layer` of their camera (or screen): by default the layer we decode or want from them. */
  private requestKeyframeFrom(peerId: string, layer?: number, kind: 'video' | 'screen' = 'video'): void {
    const participant = this.participants.get(peerId);
    const which =
      layer ??
      (kind === 'screen'
        ? (participant?.screenLayer ?? 0)
        : (participant?.videoLayer ?? (participant && this.remote.wantedLayer(participant)) ?? 0));
    this.sendControl({ keyframeRequest: { target: peerId, kind: mediaKindToWire(kind), layer: which } });
  }

  private sendControl(message: EnvelopeInit): void {
    this.connection.sendControl(message);
  }

  private announceState(): void {
    if (this.state === 'joined') this.sendControl({ mediaState: this.wireState() });
  }

  /** Our `MediaState`: mic, camera, screen, and the layers our camera and screen are sent in. */
  private wireState(): MediaStateInit {
    const videoLayers = this.local.videoLayers;
    const screenLayers = this.screenShare.layers;
    return {
      ...this.local.state,
      screen: this.screenShare.sharing,
      ...(this.screenShare.hasAudio ? { screenAudio: true } : {}),
      ...(videoLayers.length > 0 ? { videoLayers } : {}),
      ...(screenLayers.length > 0 ? { screenLayers } : {}),
      ...(this.handRaised ? { handRaised: true } : {}),
    };
  }

  /**
   * The relay went away while joined: keep the call (participants, tiles, capture)
   * while the connection gets a relay back. Nothing is sent meanwhile (`sendMedia` needs `joined`).
   */
  private lost(): void {
    if (this.state === 'joined') this.state = 'reconnecting';
    this.routeMic();
  }

  /**
   * Back in the room after a reconnect. Resumed: the same participant, only the
   * roster may have changed while away. Not resumed: a new participant (new session
   * id, the others saw us leave), so E2EE starts over under the new id. Either way
   * media starts again from keyframes, both ways.
   */
  private rejoined(welcome: RelayWelcome, info: ReconnectInfo): void {
    if (this.state !== 'reconnecting') return;
    const { resumed } = welcome;
    this.state = 'joined';
    this.routeMic();
    this.admin = welcome.admin ?? false;
    this.locked = welcome.locked ?? false;
    const roster = new Map(welcome.roster.map((p) => [p.id ?? '', p]));
    if (!resumed && this.crypto) {
      // Our keys were bound to the old session id: nobody will use them again.
      this.crypto.close();
      this.crypto = null;
    }
    // Whoever is gone left while we were away (we missed their PeerLeft).
    for (const id of [...this.participants.keys()]) if (!roster.has(id)) this.removeParticipant(id, 'left');
    if (!resumed && this.options.e2ee) {
      this.crypto = this.startCrypto();
      for (const participant of this.participants.values()) this.startKeyExchange(participant);
    }
    for (const init of roster.values()) {
      const participant = this.participants.get(init.id ?? '');
      if (participant) this.updateParticipant(participant, init.state);
      else this.addParticipant(init, true);
    }
    this.chooseCodec();
    // A new connection: the relay knows nothing of what we want until we say it again.
    this.subscriptions.resend();
    // Frames were lost both ways: decoders on either side need a fresh start.
    this.local.requestKeyframe();
    this.screenShare.requestKeyframe();
    for (const participant of this.participants.values()) {
      if (participant.camera) this.requestKeyframeFrom(participant.id);
      if (participant.screen) this.requestKeyframeFrom(participant.id, undefined, 'screen');
    }
    this.announceState();
    this.emit(
      new RoomReconnectedEvent(
        resumed,
        this.sessionId,
        info.server,
        this.connection.transportKind!,
        info.attempts,
        info.downtimeMs,
      ),
    );
  }

  /**
   * The call moved to another transport as the same participant: decoders, keys
   * and tiles stay. What was in flight during the move may be lost, so each side
   * starts from one keyframe rather than wait for a decoder to notice the gap.
   */
  private transportChanged(transport: 'websocket' | 'webtransport', previous: 'websocket' | 'webtransport'): void {
    if (this.state !== 'joined') return;
    this.routeMic();
    this.subscriptions.resend();
    this.local.requestKeyframe();
    for (const participant of this.participants.values()) {
      if (participant.camera) this.requestKeyframeFrom(participant.id);
    }
    this.emit(new RoomTransportChangedEvent(transport, previous));
  }

  private finish(reason: string, error?: VideoCallError): void {
    if (this.state === 'left') return;
    this.shutdown();
    this.state = 'left';
    if (error) this.emit(new RoomErrorEvent(error));
    this.emit(new RoomLeftEvent(reason, error));
  }

  private shutdown(): void {
    clearInterval(this.micRouteTimer);
    this.stats.stop();
    this.subscriptions.close();
    this.chat.close();
    this.screenShare.stop();
    this.screens.close();
    this.crypto?.close();
    this.crypto = null;
    this.local.close();
    for (const participant of this.participants.values()) this.remote.remove(participant);
    this.participants.clear();
    this.remote.close();
    this.connection.close();
    this.mediaWorker?.retire();
    this.mediaWorker = null;
  }
}

/** The layers of a participant's screen share as announced in its `MediaState` (largest first). */
function announcedScreenLayers(state: ParticipantInit['state']): AnnouncedLayer[] {
  return announcedVideoLayers(state ? { videoLayers: state.screenLayers ?? [] } : null);
}

/** Whether two announcements list the same layer sizes. */
function sameLayers(a: readonly AnnouncedLayer[], b: readonly AnnouncedLayer[]): boolean {
  return a.length === b.length && a.every((l, i) => l.width === b[i]!.width && l.height === b[i]!.height);
}

function lockedByAdmin(what: string): VideoCallError {
  return new VideoCallError('not-allowed', `An admin turned your ${what} off and keeps it off. Ask them to allow it.`);
}
