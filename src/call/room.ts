import {
  decodeEnvelope,
  encodeEnvelope,
  TrackKind,
  type DecodedEnvelope,
  type EnvelopeInit,
  type MediaFrameInit,
  type ParticipantInit,
} from '../protocol/envelope.js';
import { codecToWire, mediaFrameHeader, videoCodecFromWire } from '../protocol/media-frame.js';
import { isValidRoomName } from '../protocol/limits.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import { connectTransport, type TransportChoice } from '../transport/connect.js';
import type { SendPriority, Transport, TransportClose } from '../transport/transport.js';
import { asVideoCallError, describeRelayError, VideoCallError, type VideoCallErrorCode } from './errors.js';
import {
  LocalMediaEvent,
  ParticipantEvent,
  ParticipantLeftEvent,
  RoomErrorEvent,
  RoomJoinedEvent,
  RoomLeftEvent,
  RoomReconnectedEvent,
  RoomReconnectingEvent,
  type RoomEventMap,
} from './events.js';
import {
  DEFAULT_RECONNECT_TIMEOUT_MS,
  nextRelayMayHelp,
  reconnectDelayMs,
  SILENT_INTERVALS,
  worthReconnecting,
} from './reconnect.js';
import { parseRelayList, relayForAttempt } from '../transport/relay-list.js';
import { mediaState, RemoteParticipant } from './remote-participant.js';
import { TypedEventTarget } from '../shared/typed-event-target.js';
import type { EncodedMedia } from '../codec/encoded-media.js';
import { LocalMedia } from './local-media.js';
import { MediaCrypto } from './media-crypto.js';
import { RemoteMedia } from './remote-media.js';
import { detectDecoders, detectEncoders, type VideoCodecName } from '../codec/codec-support.js';

/** How a {@link Room} reaches the relay: `auto`, `websocket` or `webtransport`. */
export type { TransportChoice };

/** Everything a {@link Room} needs to join. */
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
  /** Give up joining after this long (default 10 s). */
  joinTimeoutMs?: number;
  /**
   * How long a joined room that lost its relay keeps trying to reconnect before
   * it ends with `connection-lost` (default 60 s).
   */
  reconnectTimeoutMs?: number;
}

/**
 * Where a {@link Room} stands. `reconnecting`: the relay was lost while joined and
 * the room is getting one back; participants and local media stay meanwhile.
 */
export type RoomState = 'idle' | 'connecting' | 'joined' | 'reconnecting' | 'left';

/** What the relay's `Welcome` told us. */
interface Welcomed {
  sessionId: string;
  roster: ParticipantInit[];
  heartbeatIntervalMs: number;
  /** True when the relay honoured our resume token: same participant as before. */
  resumed: boolean;
}

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
  /** Our session id, once joined. */
  sessionId = '';
  /** The relay's limit on one message, from `Welcome`. */
  maxMessageBytes = 0;
  /** Last measured round trip to the relay, in ms. */
  rttMs = 0;
  readonly participants = new Map<string, RemoteParticipant>();
  readonly local: LocalMedia;
  private readonly remote: RemoteMedia;
  private transport: Transport | null = null;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private codec: VideoCodecName = 'vp8';
  private localDecoders: VideoCodecName[] = [];
  private localEncoders: VideoCodecName[] = [];
  private crypto: MediaCrypto | null = null;
  /** The passphrase, stretched, kept to restart E2EE when a reconnect makes us a new participant. */
  private roomSecret: Awaited<ReturnType<typeof MediaCrypto.prepareSecret>> = null;
  /** The relays from `server`, in order. */
  private readonly servers: string[];
  /** Index in {@link servers} of the relay in use (or last used). */
  private serverIndex = 0;
  /** The latest resume token (from `Welcome`, refreshed by every `Pong`). */
  private resumeToken = '';
  /** When anything last arrived from the relay (ms since epoch): silence means a dead link. */
  private lastHeard = 0;
  /** Ends the wait before the next reconnect attempt early (when leaving). */
  private wakeReconnect: (() => void) | null = null;
  private readonly options: Required<Omit<RoomOptions, 'codec' | 'token' | 'passphrase'>> &
    Pick<RoomOptions, 'codec' | 'token' | 'passphrase'>;

  constructor(options: RoomOptions) {
    super();
    this.options = {
      camera: true,
      mic: true,
      transport: 'auto',
      playAudio: true,
      e2ee: false,
      joinTimeoutMs: 10_000,
      reconnectTimeoutMs: DEFAULT_RECONNECT_TIMEOUT_MS,
      ...options,
    };
    this.servers = parseRelayList(options.server);
    this.local = new LocalMedia({
      onVideo: (media) => this.sendMedia(media, media.keyframe ? 'video-key' : 'video'),
      onAudio: (media) => this.sendMedia(media, 'audio'),
      onChange: () => this.emit(new LocalMediaEvent()),
      onError: (error) => this.emit(new RoomErrorEvent(error)),
    });
    this.remote = new RemoteMedia({
      playAudio: this.options.playAudio,
      requestKeyframe: (participant) =>
        this.sendControl({ keyframeRequest: { target: participant.id, kind: TrackKind.VIDEO } }),
      onLevel: (participant) => this.emit(new ParticipantEvent('participant-updated', participant)),
      onPlayoutState: () => this.emit(new LocalMediaEvent()),
    });
  }

  /** The transport in use, once connected. */
  get transportKind(): 'websocket' | 'webtransport' | null {
    return this.transport?.kind ?? null;
  }

  /** The codec we send video with. */
  get videoCodec(): VideoCodecName {
    return this.codec;
  }

  /** True while the browser keeps remote audio silent until a user gesture; call {@link resumeAudio} from one. */
  get audioSuspended(): boolean {
    return this.remote.audioSuspended;
  }

  /** Starts remote audio after a user gesture (autoplay policy). */
  resumeAudio(): Promise<void> {
    return this.remote.resumeAudio();
  }

  /**
   * Connects, joins the room and starts sending. Rejects with a
   * {@link VideoCallError} (`invalid-room`, `relay-unreachable`, `room-full`, …);
   * a missing camera or microphone is not fatal: the room is joined without it
   * and an `error` event says why.
   */
  async join(): Promise<void> {
    if (this.state !== 'idle') throw new VideoCallError('invalid-state', `Cannot join a room that is ${this.state}.`);
    const { room, name } = this.options;
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
    // Open the connection while devices, codecs and the passphrase are prepared:
    // the permission prompt and codec probing are the slow part of joining.
    let connecting: Promise<{ transport: Transport; index: number }> | null = null;
    try {
      connecting = this.connectFirst(0);
      connecting.catch(() => undefined); // awaited below; a rejection must not go unhandled meanwhile
      const capture = this.local.open({ camera: this.options.camera, mic: this.options.mic });
      const secret = this.options.e2ee ? MediaCrypto.prepareSecret(this.options.passphrase, room) : null;
      const [decoders, encoders, roomSecret] = await Promise.all([detectDecoders(), detectEncoders(), secret, capture]);
      this.localDecoders = decoders;
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
      let welcome: Welcomed;
      for (;;) {
        const { transport, index } = await connecting;
        if (this.state !== 'connecting') {
          // leave() was called while connecting: don't keep a connection nobody owns.
          transport.close(1000, 'left');
          return;
        }
        this.transport = transport;
        this.serverIndex = index;
        try {
          welcome = await this.handshake(name);
          break;
        } catch (error) {
          // That relay went away before letting us in; another of the list may not.
          const more = index + 1 < this.servers.length;
          if (!more || !(error instanceof VideoCallError) || !nextRelayMayHelp(error.code)) throw error;
          this.dropTransport();
          connecting = this.connectFirst(index + 1);
        }
      }
      if (this.state !== 'connecting') return; // left while joining
      this.sessionId = welcome.sessionId;
      this.state = 'joined';
      this.roomSecret = roomSecret ?? null;
      if (this.options.e2ee) this.crypto = this.startCrypto(roomSecret ?? null);
      for (const p of welcome.roster) this.addParticipant(p, false);
      this.startHeartbeat(welcome.heartbeatIntervalMs || 5000);
      this.chooseCodec();
      this.local.startSending(this.codec);
      this.emit(new RoomJoinedEvent(this.sessionId, this.transport.kind));
      for (const p of this.participants.values()) this.emit(new ParticipantEvent('participant-joined', p));
    } catch (error) {
      const failure = asVideoCallError(error);
      // A connection that opened after something else failed is nobody's: close it.
      connecting?.then(({ transport: t }) => t !== this.transport && t.close(1000, 'left')).catch(() => undefined);
      this.shutdown();
      this.state = 'left';
      throw failure;
    }
  }

  /** Leaves the room, stops capture and releases every device. */
  leave(): void {
    if (this.state === 'left' || this.state === 'idle') {
      this.state = 'left';
      return;
    }
    this.sendControl({ leave: {} });
    this.finish('left');
  }

  /** Turns the microphone on or off, telling the others. */
  async setMic(on: boolean): Promise<void> {
    await this.local.setMic(on);
    this.announceState();
  }

  /** Turns the camera on or off (off releases the device), telling the others. */
  async setCamera(on: boolean): Promise<void> {
    await this.local.setCamera(on, this.codec, this.state === 'joined' || this.state === 'reconnecting');
    this.announceState();
  }

  private async connect(server: string): Promise<Transport> {
    return connectTransport(server, { transport: this.options.transport, timeoutMs: this.options.joinTimeoutMs });
  }

  /** Sends Join and waits for Welcome (or the relay's error). */
  private handshake(name: string): Promise<Welcomed> {
    const transport = this.transport!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new VideoCallError('join-timeout', 'The relay did not answer in time. Check your connection and try again.', {
            fatal: true,
          }),
        );
      }, this.options.joinTimeoutMs);
      let relayError: VideoCallError | null = null;
      transport.onmessage = (bytes) => {
        this.lastHeard = Date.now();
        let env: DecodedEnvelope;
        try {
          env = decodeEnvelope(bytes);
        } catch {
          return;
        }
        if (env.welcome) {
          clearTimeout(timer);
          const w = env.welcome;
          this.maxMessageBytes = w.maxMessageBytes ?? 0;
          if (w.resumeToken) this.resumeToken = w.resumeToken;
          transport.onmessage = (b) => {
            this.lastHeard = Date.now();
            this.receive(b);
          };
          transport.onclose = (info) => this.onTransportClose(info);
          resolve({
            sessionId: w.sessionId ?? '',
            roster: w.roster ?? [],
            heartbeatIntervalMs: w.heartbeatIntervalMs ?? 0,
            resumed: !!w.resumed,
          });
        } else if (env.error) {
          relayError = relayErrorOf(env.error.code ?? '', env.error.message ?? '', true);
        }
      };
      transport.onclose = (info) => {
        clearTimeout(timer);
        reject(
          relayError ??
            relayErrorOf(info.reason || 'relay-unreachable', `The relay closed the connection (${info.code}).`, true),
        );
      };
      transport.send(
        encodeEnvelope({
          join: {
            protocolVersion: PROTOCOL_VERSION,
            room: this.options.room,
            name,
            token: this.options.token ?? '',
            state: this.local.state,
            decoders: this.localDecoders.map(codecToWire),
            // After a lost connection: come back as the same participant (empty on a first join).
            resumeToken: this.resumeToken,
          },
        }),
        'control',
      );
    });
  }

  private receive(bytes: Uint8Array): void {
    let env: DecodedEnvelope;
    try {
      env = decodeEnvelope(bytes);
    } catch {
      return; // the relay only forwards what it could decode; drop anything else
    }
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
      case 'peerLeft':
        this.removeParticipant(env.peerLeft?.id ?? '', env.peerLeft?.reason ?? 'left');
        break;
      case 'mediaState': {
        const participant = this.participants.get(from);
        if (participant) {
          participant.state = mediaState(env.mediaState);
          if (!participant.camera) this.remote.videoStopped(participant);
          this.emit(new ParticipantEvent('participant-updated', participant));
        }
        break;
      }
      case 'keyframeRequest':
        this.local.requestKeyframe();
        break;
      case 'pong':
        if (env.pong?.time) this.rttMs = Date.now() - env.pong.time;
        if (env.pong?.resumeToken) this.resumeToken = env.pong.resumeToken;
        break;
      case 'error': {
        const error = relayErrorOf(env.error?.code ?? '', env.error?.message ?? '', !!env.error?.fatal);
        // The relay is going away (shutdown, timeout…): reconnect now rather than wait for its close.
        if (error.fatal && worthReconnecting({ code: 0, reason: error.code })) this.lost(error.code);
        else if (error.fatal) this.finish(error.code, error);
        // A keyframe or key request racing a peer's departure: nothing a person should see.
        else if (error.code !== 'unknown-peer') this.emit(new RoomErrorEvent(error));
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
    this.participants.set(id, participant);
    this.startKeyExchange(participant);
    this.remote.add(participant);
    this.chooseCodec();
    if (announce) this.emit(new ParticipantEvent('participant-joined', participant));
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
    this.chooseCodec();
    this.emit(new ParticipantLeftEvent(participant, reason));
  }

  /** Picks the best codec every participant can decode; switching sends a keyframe. */
  private chooseCodec(): void {
    const next = this.remote.chooseCodec(this.localEncoders, [...this.participants.values()], this.options.codec);
    if (next === this.codec) return;
    this.codec = next;
    if (this.state === 'joined') this.local.setCodec(next);
  }

  private sendMedia(media: EncodedMedia, priority: SendPriority): void {
    if (this.state !== 'joined' || !this.transport) return;
    // Every header field is set explicitly: with E2EE they are authenticated as sent.
    const frame = mediaFrameHeader(media);
    if (!this.crypto) return this.sendFrame(frame, media.data, priority);
    // Results come back in call order, so frames leave in the order they were encoded.
    this.crypto.encrypt(frame, media.data).then(
      (ciphertext) => this.sendFrame(frame, ciphertext, priority),
      () => {
        if (priority !== 'audio') this.local.requestKeyframe();
      },
    );
  }

  private sendFrame(frame: MediaFrameInit, payload: Uint8Array, priority: SendPriority): void {
    if (this.state !== 'joined' || !this.transport) return;
    const bytes = encodeEnvelope({ media: { ...frame, payload } });
    if (this.maxMessageBytes && bytes.length > this.maxMessageBytes) {
      // Too big for the relay: ask the encoder for less and send nothing rather than get disconnected.
      this.local.frameTooLarge(bytes.length, this.maxMessageBytes);
      return;
    }
    // A dropped video frame leaves a hole receivers can't decode past: start again from a keyframe.
    if (!this.transport.send(bytes, priority) && priority !== 'audio') this.local.requestKeyframe();
  }

  /** Hands a received frame to its decoder, decrypting it first with E2EE. */
  private receiveMedia(participant: RemoteParticipant, frame: MediaFrameInit): void {
    if (!this.crypto) return this.remote.receive(participant, frame);
    this.crypto.decrypt(participant.id, frame).then(
      (payload) => {
        if (this.participants.get(participant.id) === participant)
          this.remote.receive(participant, { ...frame, payload });
      },
      () => {
        // Never let undecryptable bytes near a decoder: drop, count, and let the tile say so.
        participant.framesUndecryptable++;
      },
    );
  }

  private startCrypto(roomSecret: Awaited<ReturnType<typeof MediaCrypto.prepareSecret>>): MediaCrypto {
    return MediaCrypto.start(this.options.room, this.sessionId, roomSecret, {
      sendControl: (message) => this.sendControl(message),
      keyframeNeeded: () => this.local.requestKeyframe(),
      requestKeyframeFrom: (peerId) => this.sendControl({ keyframeRequest: { target: peerId, kind: TrackKind.VIDEO } }),
      securityChanged: (peer) => {
        const participant = this.participants.get(peer.peerId);
        if (!participant) return;
        participant.security = peer;
        this.emit(new ParticipantEvent('participant-updated', participant));
      },
      error: (error) => this.emit(new RoomErrorEvent(error)),
    });
  }

  /** True when media is end-to-end encrypted; `passphrase` when keys are bound to one. */
  get encryption(): 'off' | 'safety-code' | 'passphrase' {
    if (!this.crypto) return 'off';
    return this.crypto.passphraseProtected ? 'passphrase' : 'safety-code';
  }

  private sendControl(message: EnvelopeInit): void {
    this.transport?.send(encodeEnvelope(message), 'control');
  }

  private announceState(): void {
    if (this.state === 'joined') this.sendControl({ mediaState: this.local.state });
  }

  /**
   * Pings every interval (the relay drops a silent client) and, since the relay
   * answers every ping, takes its silence for {@link SILENT_INTERVALS} intervals as
   * a dead link: a half-open TCP connection would otherwise hang the call forever.
   */
  private startHeartbeat(intervalMs: number): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastHeard > SILENT_INTERVALS * intervalMs) this.lost('connection-lost');
      else this.sendControl({ ping: { time: Date.now() } });
    }, intervalMs);
  }

  private onTransportClose(info: TransportClose): void {
    if (this.state !== 'joined') return;
    if (worthReconnecting(info)) return this.lost(info.reason || 'connection-lost');
    const code = (info.reason || 'connection-lost') as VideoCallErrorCode;
    const error =
      info.reason === ''
        ? new VideoCallError('connection-lost', 'The connection to the relay was lost.', { fatal: true })
        : relayErrorOf(code, '', true);
    this.finish(error.code, error);
  }

  /**
   * Connects to the first relay of {@link servers} from `from` on that answers;
   * an unreachable one moves on to the next. Rejects with the last failure.
   */
  private async connectFirst(from: number): Promise<{ transport: Transport; index: number }> {
    let failure: VideoCallError | null = null;
    for (let index = from; index < this.servers.length && this.state === 'connecting'; index++) {
      try {
        return { transport: await this.connect(this.servers[index]!), index };
      } catch (error) {
        failure = asVideoCallError(error);
        if (!nextRelayMayHelp(failure.code)) throw failure;
      }
    }
    if (!failure) {
      throw new VideoCallError('relay-unreachable', 'No relay to connect to: set `server`.', { fatal: true });
    }
    if (this.servers.length - from < 2) throw failure;
    throw new VideoCallError(failure.code, `None of the relays could be reached. ${failure.message}`, {
      fatal: true,
      cause: failure,
    });
  }

  /**
   * Lets go of the current transport without hearing from it again. Unless `left`,
   * this is no Leave: the relay holds us for its grace period, so a resume is invisible.
   */
  private dropTransport(reason: 'left' | 'connection-lost' = 'connection-lost'): void {
    const transport = this.transport;
    if (!transport) return;
    this.transport = null;
    transport.onclose = null;
    transport.onmessage = null;
    transport.close(1000, reason);
  }

  /**
   * The relay went away while joined: keep the call (participants, tiles, capture)
   * and get a relay back. Nothing is sent meanwhile (`sendFrame` needs `joined`).
   */
  private lost(reason: string): void {
    if (this.state !== 'joined') return;
    this.state = 'reconnecting';
    clearInterval(this.heartbeat);
    this.dropTransport();
    void this.reconnect(reason);
  }

  /**
   * Tries the relays from the one after the lost one, round the list, backing off
   * between attempts, each a connect and a `Join` with our resume token; ends the
   * call with `connection-lost` after `reconnectTimeoutMs`, or at once on an answer
   * that another try would get too (`room-full`, `session-replaced`…).
   */
  private async reconnect(reason: string): Promise<void> {
    const lostAt = Date.now();
    const lostIndex = this.serverIndex;
    const giveUpAt = lostAt + this.options.reconnectTimeoutMs;
    let failure: VideoCallError | null = null;
    for (let attempt = 1; ; attempt++) {
      const delay = Math.min(reconnectDelayMs(attempt), giveUpAt - Date.now());
      if (delay > 0) await this.pause(delay);
      if (this.state !== 'reconnecting') return;
      if (Date.now() >= giveUpAt) {
        const why = failure ? ` ${failure.message}` : '';
        const error = new VideoCallError(
          'connection-lost',
          `The connection to the relay was lost and could not be restored.${why}`,
          { fatal: true, cause: failure ?? undefined },
        );
        return this.finish(error.code, error);
      }
      const index = relayForAttempt(this.servers, lostIndex, attempt);
      const server = this.servers[index]!;
      this.emit(new RoomReconnectingEvent(attempt, server, reason));
      if (this.state !== 'reconnecting') return; // a listener left
      try {
        const transport = await this.connect(server);
        if (this.state !== 'reconnecting') {
          transport.close(1000, 'left');
          return;
        }
        this.transport = transport;
        this.serverIndex = index;
        const welcome = await this.handshake(this.options.name);
        if (this.state !== 'reconnecting') return;
        return this.rejoined(welcome, server, attempt, Date.now() - lostAt);
      } catch (error) {
        if (this.state !== 'reconnecting') return;
        this.dropTransport();
        failure = asVideoCallError(error);
        if (!nextRelayMayHelp(failure.code)) return this.finish(failure.code, failure);
      }
    }
  }

  /** Waits `ms`, or less if the room is left meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeReconnect = done;
    }).finally(() => (this.wakeReconnect = null));
  }

  /**
   * Back in the room after a reconnect. Resumed: the same participant, only the
   * roster may have changed while away. Not resumed: a new participant (new session
   * id, the others saw us leave), so E2EE starts over under the new id. Either way
   * media starts again from keyframes, both ways.
   */
  private rejoined(welcome: Welcomed, server: string, attempts: number, downtimeMs: number): void {
    const resumed = welcome.resumed && welcome.sessionId === this.sessionId;
    this.sessionId = welcome.sessionId;
    this.state = 'joined';
    const roster = new Map(welcome.roster.map((p) => [p.id ?? '', p]));
    if (!resumed && this.crypto) {
      // Our keys were bound to the old session id: nobody will use them again.
      this.crypto.close();
      this.crypto = null;
    }
    // Whoever is gone left while we were away (we missed their PeerLeft).
    for (const id of [...this.participants.keys()]) if (!roster.has(id)) this.removeParticipant(id, 'left');
    if (!resumed && this.options.e2ee) {
      this.crypto = this.startCrypto(this.roomSecret);
      for (const participant of this.participants.values()) this.startKeyExchange(participant);
    }
    for (const init of roster.values()) {
      const participant = this.participants.get(init.id ?? '');
      if (!participant) {
        this.addParticipant(init, true);
        continue;
      }
      participant.state = mediaState(init.state);
      if (!participant.camera) this.remote.videoStopped(participant);
      this.emit(new ParticipantEvent('participant-updated', participant));
    }
    this.startHeartbeat(welcome.heartbeatIntervalMs || 5000);
    this.chooseCodec();
    // Frames were lost both ways: decoders on either side need a fresh start.
    this.local.requestKeyframe();
    for (const participant of this.participants.values()) {
      if (participant.camera) this.sendControl({ keyframeRequest: { target: participant.id, kind: TrackKind.VIDEO } });
    }
    this.announceState();
    this.emit(new RoomReconnectedEvent(resumed, this.sessionId, server, this.transport!.kind, attempts, downtimeMs));
  }

  private finish(reason: string, error?: VideoCallError): void {
    if (this.state === 'left') return;
    this.shutdown();
    this.state = 'left';
    if (error) this.emit(new RoomErrorEvent(error));
    this.emit(new RoomLeftEvent(reason, error));
  }

  private shutdown(): void {
    clearInterval(this.heartbeat);
    this.wakeReconnect?.();
    this.crypto?.close();
    this.crypto = null;
    this.local.close();
    for (const participant of this.participants.values()) this.remote.remove(participant);
    this.participants.clear();
    this.remote.close();
    this.dropTransport('left');
  }
}

function relayErrorOf(code: string, message: string, fatal: boolean): VideoCallError {
  return new VideoCallError((code || 'relay-unreachable') as VideoCallErrorCode, describeRelayError(code, message), {
    fatal,
  });
}
