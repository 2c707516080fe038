/**
 * A headless participant for Node: the same protocol as `<videocall-room>`,
 * built from the same parts. `RelayConnection` (src/call) does the join, the
 * heartbeat, and reconnecting with resume; `MediaCrypto` does the element's
 * E2EE (SFrame, authenticated key exchange, passphrase); media frames go on
 * the wire as the Room puts them (`mediaFrameHeader`). What the Room adds for a
 * page (capture, decoders, tiles) is left to the command that drives this:
 * `stream` publishes through it, `record` subscribes through it, and the
 * benchmarks' protocol clients (bench/protocol-client.ts) are built on it.
 */
import { type EncodedMedia, type MediaKind } from '../../src/codec/encoded-media.js';
import type { VideoCodecName } from '../../src/codec/codec-names.js';
import type { PeerSecurity } from '../../src/e2ee/index.js';
import { MediaCrypto } from '../../src/call/media-crypto.js';
import {
  codecToWire,
  encodedMediaOf,
  mediaFrameHeader,
  mediaKindToWire,
  videoCodecFromWire,
} from '../../src/call/media-frame-wire.js';
import { RelayConnection, type RelayWelcome } from '../../src/call/relay-connection.js';
import { describeRelayError, VideoCallError, type VideoCallErrorCode } from '../../src/call/errors.js';
import { DEFAULT_RECONNECT_TIMEOUT_MS } from '../../src/call/reconnect.js';
import {
  encodeEnvelope,
  type DecodedEnvelope,
  type EnvelopeInit,
  type MediaStateInit,
  type ParticipantInit,
} from '../../src/protocol/envelope.js';
import { isValidRoomName } from '../../src/protocol/limits.js';
import { parseRelayList } from '../../src/transport/relay-list.js';
import type { SendPriority } from '../../src/transport/transport.js';
import { relayWebSocketUrl } from '../../src/transport/relay-url.js';
import {
  CliError,
  ConnectionLostError,
  JoinRefusedError,
  RelayUnreachableError,
  TokenRefusedError,
  TransportUnsupportedError,
  UsageError,
} from '../errors.js';
import { checkTransport, connectFromNode, type CliTransport } from './node-transport.js';

/** Another participant, as the roster and `MediaState` updates describe it. */
export interface Peer {
  id: string;
  name: string;
  /** Video codecs it decodes; empty when it did not say (a simple client). */
  decoders: VideoCodecName[];
  state: MediaStateInit;
}

export interface RoomClientOptions {
  /** Relay base URL (http, https, ws or wss), or a comma list of a cluster's relays. */
  server: string;
  room: string;
  name: string;
  /** Access token, when the relay requires one. */
  token?: string;
  /** Encrypt end to end (the element's `e2ee`); with {@link passphrase}, keys are bound to it. */
  e2ee?: boolean;
  passphrase?: string;
  transport?: CliTransport;
  /** Our `MediaState` (mic, camera, layers), asked at each join and by {@link RoomClient.announce}. */
  state(): MediaStateInit;
  /** Video codecs we decode (a publisher that decodes nothing says none). */
  decoders?: VideoCodecName[];
  joinTimeoutMs?: number;
  reconnectTimeoutMs?: number;
}

/** What a {@link RoomClient} reports. Listeners run synchronously; all optional. */
export interface RoomClientEvents {
  peerJoined?(peer: Peer): void;
  peerLeft?(peer: Peer, reason: string): void;
  peerUpdated?(peer: Peer): void;
  /** A receiver needs a keyframe of our video `layer`. */
  keyframeRequested?(layer: number): void;
  /** Our key changed or a peer just got it: the next video frame should be a keyframe. */
  keyframeNeeded?(): void;
  /** The video layers someone watches (the relay's `LayerDemand`); until the first one, layer 0. */
  layerDemand?(layers: number[]): void;
  /** A frame from `peer`, decrypted when E2EE is on. */
  media?(peer: Peer, media: EncodedMedia): void;
  securityChanged?(peer: Peer, security: PeerSecurity): void;
  reconnecting?(attempt: number, reason: string): void;
  reconnected?(resumed: boolean, downtimeMs: number): void;
  /**
   * Every envelope from the relay, before the client acts on it, for callers
   * that need what the client does not interpret (the benchmarks' raw frames,
   * `record` noticing an encrypted call it was not told about).
   */
  envelope?(env: DecodedEnvelope): void;
  /** Something that does not end the call (a peer's wrong passphrase, the relay's non-fatal error). */
  warning?(error: VideoCallError): void;
  /** The call ended for good without {@link RoomClient.leave}: refused, or the relay lost for too long. */
  failed?(error: CliError): void;
}

/** A track to receive: a publisher's camera (default) or screen, at one simulcast layer. */
export interface SubscribedTrack {
  publisher: string;
  layer: number;
  kind?: Exclude<MediaKind, 'audio' | 'screen-audio'>;
}

/**
 * The relay's WebSocket endpoint for a `--server` value (an http(s) base URL
 * or the ws(s) endpoint itself; the first of a list); a usage error when it is no URL.
 */
export function relayEndpoint(server: string): string {
  try {
    return relayWebSocketUrl(parseRelayList(server)[0] ?? '');
  } catch (error) {
    throw new UsageError(
      `--server ${JSON.stringify(server)} is not a relay URL (e.g. http://127.0.0.1:8080): ${(error as Error).message}`,
    );
  }
}

/** Counts of what went over the wire. */
export interface RoomClientStats {
  framesSent: number;
  bytesSent: number;
  /** Frames the transport dropped (congested) or that were too large for the relay. */
  framesDropped: number;
  framesReceived: number;
  framesUndecryptable: number;
}

export class RoomClient {
  readonly peers = new Map<string, Peer>();
  readonly stats: RoomClientStats = {
    framesSent: 0,
    bytesSent: 0,
    framesDropped: 0,
    framesReceived: 0,
    framesUndecryptable: 0,
  };
  private readonly connection: RelayConnection;
  private crypto: MediaCrypto | null = null;
  private roomSecret: Awaited<ReturnType<typeof MediaCrypto.prepareSecret>> = null;
  private joined = false;
  private left = false;
  /** The last {@link subscribe}, said again after a reconnect (a new connection knows nothing of it). */
  private subscription: SubscribedTrack[] | null = null;

  constructor(
    private readonly options: RoomClientOptions,
    private readonly events: RoomClientEvents = {},
  ) {
    this.connection = new RelayConnection(
      {
        servers: parseRelayList(options.server),
        transport: options.transport ?? 'websocket',
        joinTimeoutMs: options.joinTimeoutMs ?? 10_000,
        reconnectTimeoutMs: options.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS,
        connect: connectFromNode,
        upgradeToWebTransport: false,
        join: () => ({
          room: options.room,
          name: options.name,
          token: options.token ?? '',
          state: options.state(),
          decoders: (options.decoders ?? []).map(codecToWire),
        }),
      },
      {
        welcome: (welcome) => this.welcomed(welcome),
        message: (env) => this.receive(env),
        lost: () => undefined,
        reconnecting: (attempt, _server, reason) => this.events.reconnecting?.(attempt, reason),
        resumed: (welcome, info) => this.resumed(welcome, info.downtimeMs),
        failed: (error) => {
          this.shutdown();
          this.events.failed?.(cliErrorOf(error, options.server));
        },
      },
    );
  }

  /** Our session id, once joined. */
  get sessionId(): string {
    return this.connection.sessionId;
  }

  /** The transport in use while connected (`websocket` or `webtransport`). */
  get transport(): 'websocket' | 'webtransport' | null {
    return this.connection.transportKind;
  }

  /** Round trip to the relay, ms (from the heartbeat). */
  get rttMs(): number {
    return this.connection.rttMs;
  }

  /** Whether frames can be sent now (joined, not reconnecting). */
  get open(): boolean {
    return this.joined && this.connection.state === 'open';
  }

  /** How a peer's keys stand (E2EE), or null without E2EE. */
  securityOf(peerId: string): PeerSecurity | null {
    return this.crypto?.securityOf(peerId) ?? null;
  }

  /**
   * Connects and joins. Rejects with a {@link CliError}: `relay-unreachable`,
   * `token-refused`, `join-refused`, `transport-unsupported`, `usage` (room name).
   */
  async join(): Promise<void> {
    const { room, transport = 'websocket' } = this.options;
    if (!isValidRoomName(room))
      throw new UsageError(`--room ${JSON.stringify(room)}: use letters, digits, "-" and "_" (at most 64).`);
    checkTransport(transport);
    const secret = this.options.e2ee ? MediaCrypto.prepareSecret(this.options.passphrase, room) : null;
    try {
      await this.connection.open(secret ? secret.then((s) => (this.roomSecret = s)) : Promise.resolve());
    } catch (error) {
      this.shutdown();
      throw cliErrorOf(error as VideoCallError, this.options.server);
    }
  }

  /** Says our `MediaState` again (mic, camera, layers changed). */
  announce(): void {
    if (this.open) this.connection.sendControl({ mediaState: this.options.state() });
  }

  /**
   * Sends one encoded frame (encrypted with E2EE). Frames leave in call order.
   * Resolves false when it was not sent (not open, congested, too large).
   */
  async sendMedia(media: EncodedMedia): Promise<boolean> {
    if (!this.open) return false;
    // Every header field is set: with E2EE they are authenticated as sent.
    const frame = mediaFrameHeader(media, this.connection.clock.offsetMs);
    let payload = media.data;
    if (this.crypto) {
      try {
        payload = await this.crypto.encrypt(frame, media.data);
      } catch {
        this.stats.framesDropped++;
        return false;
      }
    }
    if (!this.open) return false;
    const bytes = encodeEnvelope({ media: { ...frame, payload } });
    const limit = this.connection.maxMessageBytes;
    const audio = media.kind === 'audio' || media.kind === 'screen-audio';
    const priority = audio ? 'audio' : media.keyframe ? 'video-key' : 'video';
    if ((limit && bytes.length > limit) || !this.connection.send(bytes, priority)) {
      this.stats.framesDropped++;
      return false;
    }
    this.stats.framesSent++;
    this.stats.bytesSent += bytes.length;
    return true;
  }

  /**
   * Chooses what video to receive (replacing the previous choice); until then
   * the relay sends everyone's camera layer 0. `kind` defaults to the camera.
   */
  subscribe(tracks: SubscribedTrack[]): void {
    this.subscription = tracks;
    this.connection.sendControl({
      subscription: {
        tracks: tracks.map((t) => ({
          publisher: t.publisher,
          layer: t.layer,
          kind: mediaKindToWire(t.kind ?? 'video'),
        })),
      },
    });
  }

  /** Asks `peerId` for a keyframe of its camera's (or screen's) `layer`. */
  requestKeyframe(peerId: string, layer = 0, kind: Exclude<MediaKind, 'audio' | 'screen-audio'> = 'video'): void {
    this.connection.sendControl({ keyframeRequest: { target: peerId, kind: mediaKindToWire(kind), layer } });
  }

  /** Sends a control message as it is (also while joining); the typed methods above cover the usual ones. */
  sendControl(message: EnvelopeInit): void {
    this.connection.sendControl(message);
  }

  /**
   * Sends an envelope as it is, unencrypted, with `priority` (a congested
   * transport drops video first). For benchmarks that replay recorded frames;
   * media of a call goes through {@link sendMedia}. False when not sent.
   */
  sendEnvelope(message: EnvelopeInit, priority: SendPriority): boolean {
    return this.connection.send(encodeEnvelope(message), priority);
  }

  /** Leaves the room (the others see it at once) and closes the connection. */
  leave(): void {
    if (this.left) return;
    if (this.connection.state === 'open') this.connection.sendControl({ leave: {} });
    this.shutdown();
  }

  private welcomed(welcome: RelayWelcome): void {
    this.joined = true;
    if (this.options.e2ee) this.crypto = this.startCrypto();
    for (const p of welcome.roster) this.addPeer(p);
  }

  private resumed(welcome: RelayWelcome, downtimeMs: number): void {
    const roster = new Map(welcome.roster.map((p) => [p.id ?? '', p]));
    if (!welcome.resumed && this.crypto) {
      // Keys were bound to the old session id: start over under the new one.
      this.crypto.close();
      this.crypto = null;
    }
    // Not in the room we came back to: gone, or (after a relay restart) still on their way back as someone new.
    for (const [id, peer] of [...this.peers]) if (!roster.has(id)) this.removePeer(peer, 'gone-while-away');
    if (!welcome.resumed && this.options.e2ee) {
      this.crypto = this.startCrypto();
      for (const id of this.peers.keys()) this.crypto.peerJoined(id);
    }
    for (const init of roster.values()) {
      const peer = this.peers.get(init.id ?? '');
      if (peer) this.updatePeer(peer, init.state ?? {});
      else this.addPeer(init);
    }
    this.announce();
    if (this.subscription) this.subscribe(this.subscription);
    this.events.reconnected?.(welcome.resumed, downtimeMs);
    // Frames were lost while away: receivers start again from a keyframe.
    this.events.keyframeNeeded?.();
  }

  private receive(env: DecodedEnvelope): void {
    this.events.envelope?.(env);
    const from = env.from;
    switch (env.body) {
      case 'media': {
        const peer = this.peers.get(from);
        if (peer && env.media) this.receiveMedia(peer, env.media);
        break;
      }
      case 'keyExchange':
        if (env.keyExchange) this.crypto?.receiveKeyExchange(from, env.keyExchange);
        break;
      case 'peerJoined':
        if (env.peerJoined?.participant) this.addPeer(env.peerJoined.participant);
        break;
      case 'peersJoined':
        // A big room's joins, together (RelayConnection's Join sets `batchedPresence`).
        for (const p of env.peersJoined?.participants ?? []) this.addPeer(p);
        break;
      case 'peerLeft': {
        const peer = this.peers.get(env.peerLeft?.id ?? '');
        if (peer) this.removePeer(peer, env.peerLeft?.reason ?? 'left');
        break;
      }
      case 'mediaState': {
        const peer = this.peers.get(from);
        if (peer && env.mediaState) this.updatePeer(peer, env.mediaState);
        break;
      }
      case 'keyframeRequest':
        this.events.keyframeRequested?.(env.keyframeRequest?.layer ?? 0);
        break;
      case 'layerDemand':
        if ((env.layerDemand?.kind ?? 0) === mediaKindToWire('video'))
          this.events.layerDemand?.([...(env.layerDemand?.layers ?? [])]);
        break;
      case 'error': {
        const code = env.error?.code ?? '';
        // A keyframe request racing a peer's departure is nothing to report.
        if (code !== 'unknown-peer') this.events.warning?.(relayWarning(code, env.error?.message ?? ''));
        break;
      }
      default:
        break;
    }
  }

  private receiveMedia(peer: Peer, frame: NonNullable<DecodedEnvelope['media']>): void {
    this.stats.framesReceived++;
    // Nobody takes media (a publisher): don't spend a decryption on it.
    if (!this.events.media) return;
    const deliver = (payload: Uint8Array): void => {
      const media = encodedMediaOf({ ...frame, payload }, this.connection.clock.offsetMs);
      if (media && this.peers.get(peer.id) === peer) this.events.media?.(peer, media);
    };
    if (!this.crypto) return deliver(frame.payload ?? new Uint8Array(0));
    this.crypto.decrypt(peer.id, frame).then(deliver, () => {
      // Never hand undecryptable bytes on: drop and count.
      this.stats.framesUndecryptable++;
    });
  }

  private addPeer(init: ParticipantInit): void {
    const id = init.id ?? '';
    if (!id || id === this.sessionId || this.peers.has(id)) return;
    const decoders = (init.decoders ?? []).map(videoCodecFromWire).filter((c): c is VideoCodecName => c !== null);
    const peer: Peer = { id, name: init.name ?? '', decoders, state: init.state ?? {} };
    this.peers.set(id, peer);
    this.crypto?.peerJoined(id);
    this.events.peerJoined?.(peer);
  }

  private updatePeer(peer: Peer, state: MediaStateInit): void {
    peer.state = state;
    this.events.peerUpdated?.(peer);
  }

  private removePeer(peer: Peer, reason: string): void {
    this.peers.delete(peer.id);
    this.crypto?.peerLeft(peer.id);
    this.events.peerLeft?.(peer, reason);
  }

  private startCrypto(): MediaCrypto {
    return MediaCrypto.start(this.options.room, this.sessionId, this.roomSecret, {
      sendControl: (message) => this.connection.sendControl(message),
      keyframeNeeded: () => this.events.keyframeNeeded?.(),
      requestKeyframeFrom: (peerId) => this.requestKeyframe(peerId),
      securityChanged: (security) => {
        const peer = this.peers.get(security.peerId);
        if (peer) this.events.securityChanged?.(peer, security);
      },
      error: (error) => this.events.warning?.(error),
    });
  }

  private shutdown(): void {
    this.left = true;
    this.joined = false;
    this.crypto?.close();
    this.crypto = null;
    this.connection.close();
  }
}

/** Token codes the relay refuses a join with. */
export const TOKEN_CODES: ReadonlySet<string> = new Set([
  'unauthorized',
  'token-missing',
  'token-invalid',
  'token-expired',
  'token-wrong-room',
]);

/** A relay's (or the connection's) fatal {@link VideoCallError} as the CLI's error. */
function cliErrorOf(error: VideoCallError | Error, server: string): CliError {
  if (error instanceof CliError) return error;
  const code = 'code' in error ? String(error.code) : '';
  if (code === 'relay-unreachable' || code === 'join-timeout')
    return new RelayUnreachableError(server, error.message, { cause: error });
  if (code === 'webtransport-unavailable')
    return new TransportUnsupportedError('webtransport', error.message, { cause: error });
  if (TOKEN_CODES.has(code)) return new TokenRefusedError(code, error.message);
  if (code === 'connection-lost') return new ConnectionLostError(error.message);
  if (code) return new JoinRefusedError(code, error.message);
  return new CliError('internal', error.message, { cause: error });
}

/** A non-fatal relay error as a warning. */
function relayWarning(code: string, message: string): VideoCallError {
  return new VideoCallError(code as VideoCallErrorCode, describeRelayError(code, message));
}
