/**
 * One client connection: its state (joined or not, room, identity) and the
 * handling of each message it sends. Every inbound envelope is decoded once,
 * here; what goes on to the room is the client's raw bytes plus a sender stamp.
 */
import { randomBytes } from 'node:crypto';
import {
  CHAT_BURST,
  CHAT_PER_SECOND,
  CloseCode,
  decodeEnvelope,
  MAX_CHAT_ENVELOPE_BYTES,
  encodeEnvelope,
  ErrorCode,
  isValidRoomName,
  MAX_NAME_LENGTH,
  mediaState,
  ModerationAction,
  PROTOCOL_VERSION,
  type MediaStateSnapshot,
  senderStamp,
  TrackKind,
  type BodyKind,
  type DecodedEnvelope,
  type EnvelopeInit,
  type MediaStateInit,
  type ParticipantInit,
} from '../src/protocol/index.js';
import { OPEN_ACCESS, type Access, type PublishKind } from './access-tokens.js';
import { BodyField, type BodyFieldNumber } from './body-types.js';
import type { BusMessage, BusOrigin } from './bus/bus-message.js';
import type { ClientLink } from './client-link.js';
import { guardConnection } from './connection-guard.js';
import type { RelayContext } from './context.js';
import { INTERNAL_ERROR, INTERNAL_ERROR_CLOSE, ProtocolError } from './errors.js';
import { createLogger } from './log.js';
import type { DropReason } from './metrics.js';
import { Outbound } from './outbound.js';
import { ReceiverControlBudget } from './receiver-control-budget.js';
import { KeyedRateLimiter, LeakyCount, TokenBucket } from './rate-limit.js';
import { RESUME_SECRET_BYTES } from './resume-tokens.js';
import { cleanDisplayName } from './display-name.js';
import type { LeaveReason, ReplacedHow, RoomMember } from './room-member.js';
import { maxEnvelopeBytes, type Room } from './room.js';
import { cleanLayers, MAX_LAYERS } from './simulcast-layers.js';
import { parseSubscription } from './subscription.js';
import { ReceiverCongestion } from './receiver-congestion.js';
import { outgoingChat } from './chat-messages.js';
import { KindSet } from './track-kinds.js';

const log = createLogger('session');

/** A random, URL-safe session id (a participant's): 9 bytes, 12 base64url characters, also a valid bus subject token. */
export function newSessionId(): string {
  return randomBytes(9).toString('base64url');
}

/**
 * Largest message of each control type, in bytes: what the protocol's fields
 * need, with room to spare. Larger ones are refused (`too-large`, counted), so
 * control can't be padded out to `maxMessageBytes`. Media is bounded by that.
 */
const CONTROL_CAPS: Partial<Record<BodyKind, number>> = {
  join: 8 * 1024, // an access token (at most 4096) and a few short fields
  tokenRefresh: 4 * 1024 + 64,
  keyframeRequest: 128,
  keyExchange: 512,
  // Mic/camera/screen flags and up to a few announced simulcast layers per track.
  mediaState: 256,
  // One entry (~20 bytes) per watched publisher-track: a large page of tiles plus screens.
  subscription: 8 * 1024,
  ping: 64,
  leave: 64,
  admission: 128,
  moderation: 128,
  chat: MAX_CHAT_ENVELOPE_BYTES,
};

/**
 * Control messages dropped for the byte budget after which the connection is closed
 * (`control-flood`); the count leaks away at {@link OVER_BUDGET_LEAK_PER_SECOND}, so a
 * client that strays over now and then is only throttled.
 */
const MAX_OVER_BUDGET = 200;
const OVER_BUDGET_LEAK_PER_SECOND = 20;

/** What muting the camera stops: the camera and the screen share, with the share's audio. */
const CAMERA_KINDS = [TrackKind.VIDEO, TrackKind.SCREEN, TrackKind.SCREEN_AUDIO];

/** What each moderation action on a participant stops, by track kind. */
const MUTED_KINDS: Partial<Record<number, number[]>> = {
  [ModerationAction.MUTE_MIC]: [TrackKind.AUDIO],
  [ModerationAction.MUTE_CAMERA]: CAMERA_KINDS,
  [ModerationAction.ALLOW_MIC]: [TrackKind.AUDIO],
  [ModerationAction.ALLOW_CAMERA]: CAMERA_KINDS,
};
/** Key exchange: a 32-byte commitment or public key, or a 12-byte nonce and a wrapped 16-byte key. */
const MAX_KEY_DATA_BYTES = 128;
const MAX_KEY_MAC_BYTES = 64;

/**
 * The track and layer a keyframe request (as the target receives it) asks for, as
 * a limiter key: requests for one layer do not use up another's.
 */
function keyframeTrackOf(bytes: Uint8Array): string {
  try {
    const request = decodeEnvelope(bytes).keyframeRequest;
    return `${request?.kind ?? 0} ${request?.layer ?? 0}`;
  } catch {
    return '0 0';
  }
}

/** `audio_level` of silence (RFC 6464); larger values are read as it. */
const SILENCE = 127;

/**
 * Most decoders kept from a Join: there are only a handful of codecs, and the list
 * is repeated in every Welcome and PeerJoined, so an unbounded one would be amplified.
 */
const MAX_DECODERS = 16;

/** MediaState changes are presence (never dropped for congestion), so their rate is capped. */
const MEDIA_STATE_BURST = 10;
const MEDIA_STATE_PER_SECOND = 5;

/** Token refreshes: a page renews a token every few minutes at most; each costs a signature check. */
const TOKEN_REFRESH_BURST = 3;
const TOKEN_REFRESH_PER_SECOND = 0.5;

/** setTimeout's longest delay (about 24.8 days); a later expiry is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The publish grant each track kind needs; a kind this relay does not know needs them all. */
const PUBLISH_KIND_OF: Partial<Record<number, PublishKind>> = {
  [TrackKind.AUDIO]: 'audio',
  [TrackKind.VIDEO]: 'video',
  [TrackKind.SCREEN]: 'screen',
  // A screen share's sound is part of the share.
  [TrackKind.SCREEN_AUDIO]: 'screen',
};
const PUBLISH_KIND_OF_COUNT = Object.keys(PUBLISH_KIND_OF).length;

export class Connection implements RoomMember {
  /**
   * The session id of the participant this connection speaks for: assigned at
   * connection, announced in `Welcome`; a resume replaces it with the earlier one.
   */
  sessionId = newSessionId();
  /** {@link sessionId} as ASCII bytes, for bus message headers. */
  private sessionIdBytes = Buffer.from(this.sessionId, 'latin1');
  /** Appended to everything this connection sends to others: sets `from` to {@link sessionId}. */
  stamp = senderStamp(this.sessionId);
  /** Who publishes what this connection sends: its id and this relay node's, for bus message headers. */
  origin: BusOrigin;
  /** `performance.now()` of the last message received; the heartbeat sweep reads it. */
  lastSeen = performance.now();
  private room: Room | undefined;
  /** Set once `Welcome` is sent; until then (a roster sync) only `Ping` is answered. */
  private welcomed = false;
  /** The client reads `PeersJoined` (`Join.batched_presence`); set at its join. */
  batchedPresence = false;
  private badInRow = 0;
  private ended = false;
  private readonly outbound: Outbound;
  /** Moves this receiver to smaller layers when its link backs up. */
  private readonly congestion: ReceiverCongestion;
  private readonly keyframeLimiter: KeyedRateLimiter;
  /** A handshake is 3 messages and a key share 1 per rotation: a burst of 16, then 8/s, is ample. */
  private readonly keyExchangeLimiter = new KeyedRateLimiter(16, 8);
  private readonly mediaStateLimiter = new TokenBucket(MEDIA_STATE_BURST, MEDIA_STATE_PER_SECOND);
  private readonly refreshLimiter = new TokenBucket(TOKEN_REFRESH_BURST, TOKEN_REFRESH_PER_SECOND);
  /** Chat and app-data messages: a burst, then a sustained rate; beyond it dropped, and the client told once per run. */
  private readonly chatLimiter = new TokenBucket(CHAT_BURST, CHAT_PER_SECOND);
  private chatOverRateInRow = 0;
  /** Keyframe requests this participant receives, per track kind, from everyone together. */
  private readonly keyframeTargetLimiter: KeyedRateLimiter;
  /** Closes a connection that never sends `Join` (cleared when it does). */
  private joinDeadline: NodeJS.Timeout | undefined;
  /** What the access token allows (everything but admin and hidden in open mode). */
  private access: Access = OPEN_ACCESS;
  /** Set while the Join's access token is being checked (asynchronously), before the room is known. */
  private joining = false;
  private expiryTimer: NodeJS.Timeout | undefined;
  /**
   * SHA-256 of the secret the client chose for this connection (`Join.resume_key`):
   * the resume tokens handed out are bound to it. Without one, none are handed out.
   */
  private resumeCommitment: Uint8Array | undefined;
  /** Track kinds refused for lack of a grant and already told about (one `not-allowed` each). */
  private readonly refusedKinds = new KindSet();
  /** Waiting in the room's lobby for an admin: the participant it joins as once admitted. */
  private waitingAs: ParticipantInit | undefined;
  /** Track kinds an admin muted: dropped here until the participant turns them on again itself. */
  private readonly muted = new KindSet();
  /** Track kinds an admin muted and locked: dropped until an admin allows them again. */
  private readonly locked = new KindSet();
  /** The media state others were last told of (as granted and moderated). */
  private state: MediaStateInit = { mic: false, camera: false, screen: false };
  /** Control bytes this client may send: a burst, then a sustained rate. */
  private readonly controlBudget: TokenBucket;
  /** Control messages dropped for the budget lately. */
  private readonly overBudget = new LeakyCount(OVER_BUDGET_LEAK_PER_SECOND);
  /** Told (`rate-limited`) since a control message last fitted the budget: once per run of drops. */
  private toldOverBudget = false;
  /** What others may send this client in control bytes per second. */
  private readonly receiverBudget: ReceiverControlBudget;

  constructor(
    /** The carrier to the client: a WebSocket or a WebTransport session. */
    private readonly link: ClientLink,
    private readonly ctx: RelayContext,
    /** Remote address, for logs. */
    readonly remote: string,
    /** The address limits are kept by (`addressKey`: an IPv4 address or an IPv6 /64). */
    readonly address: string = remote,
  ) {
    const { options } = ctx;
    this.origin = { sender: this.sessionIdBytes, node: ctx.node.idBytes };
    this.outbound = new Outbound(link, options.backpressure, ctx.metrics, {
      onSlowConsumer: () => this.slowConsumer(),
      onKeyframeNeeded: (publisher, kind, layer) => this.requestKeyframeFor(publisher, kind, layer),
      videoBacklog: (buffered) => this.congestion.observe(buffered),
    });
    // Smaller layers well before video is dropped (at videoDropBytes), and back up once drained for a while.
    // One step past the smallest layer: its frames nothing depends on are held back (half the frame rate).
    const downBytes = Math.floor(options.backpressure.videoDropBytes / 4);
    this.congestion = new ReceiverCongestion(
      { downBytes, clearBytes: Math.floor(downBytes / 4), stepMs: 500, upAfterMs: 3000, maxFloor: MAX_LAYERS },
      (floor) => {
        this.ctx.metrics.layerFloorChanges++;
        this.room?.setLayerFloor(this, floor);
      },
    );
    this.keyframeLimiter = new KeyedRateLimiter(options.keyframeRequestBurst, options.keyframeRequestsPerSecond);
    // Across all requesters (on every relay): a publisher asked by a crowd makes at most this many keyframes.
    this.keyframeTargetLimiter = new KeyedRateLimiter(
      2 * options.keyframeRequestBurst,
      options.keyframeRequestsPerSecond,
    );
    this.controlBudget = new TokenBucket(options.controlBurstBytes, options.controlBytesPerSecond);
    this.receiverBudget = new ReceiverControlBudget(
      { bytesPerSecond: options.receiverControlBytesPerSecond, burstBytes: options.receiverControlBurstBytes },
      (bytes, body) => this.outbound.control(bytes, body),
      (outcome) =>
        this.ctx.metrics.dropped.inc(outcome === 'dropped' ? 'receiver-control-budget' : 'receiver-control-coalesced'),
    );
    this.joinDeadline = setTimeout(() => this.guarded(() => this.missedJoinDeadline()), options.joinDeadlineMs);
    this.joinDeadline.unref();
  }

  /** A recorder or bot (`grants.hidden`): in no roster, announced to nobody. */
  get hidden(): boolean {
    return this.access.grants.hidden;
  }

  /** Moderation rights (`grants.admin`): sees the lobby, may admit, deny, mute, remove, lock and end. */
  get admin(): boolean {
    return this.access.grants.admin;
  }

  /** The access token's identity (`sub`); empty in open mode. */
  get identity(): string {
    return this.access.identity;
  }

  /** Handles one message from the client (a WebSocket message, or an envelope from a WebTransport session). */
  onMessage(data: Buffer, isBinary: boolean): void {
    if (this.ended) return;
    this.lastSeen = performance.now();
    this.ctx.metrics.bytesIn += data.length;
    if (!isBinary) {
      return this.reject(
        new ProtocolError(
          ErrorCode.Malformed,
          'text messages are not part of the protocol: send binary protobuf envelopes',
        ),
      );
    }
    let envelope: DecodedEnvelope;
    try {
      envelope = decodeEnvelope(data);
    } catch {
      return this.reject(new ProtocolError(ErrorCode.Malformed, 'the message is not a valid protobuf Envelope'));
    }
    const body = envelope.body;
    if (!body) {
      return this.reject(
        new ProtocolError(ErrorCode.UnknownType, 'the envelope carries no message type this relay knows'),
      );
    }
    this.ctx.metrics.countIn(BodyField[body]);
    const cap = CONTROL_CAPS[body];
    if (cap !== undefined && data.length > cap) {
      this.ctx.metrics.refused.inc(`size-${body}`);
      return this.reject(
        new ProtocolError(ErrorCode.TooLarge, `a ${body} message is at most ${cap} bytes, this one ${data.length}`),
      );
    }
    if (body !== 'media' && !this.withinControlBudget(data.length)) return;
    try {
      this.dispatch(envelope, body, data);
      this.badInRow = 0;
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.reject(err);
    }
  }

  /** The connection closed, for whatever reason. */
  onClose(): void {
    this.end('disconnected');
  }

  /** Delivers a media frame from the bus (the room skips the sender). */
  deliverMedia(msg: BusMessage): void {
    if (!this.access.grants.subscribe) {
      this.ctx.metrics.dropped.inc('not-subscribed');
      return;
    }
    this.outbound.media(msg.envelope, msg.sender, msg.kind, msg.keyframe, msg.layer);
  }

  /**
   * Delivers control (presence, targeted messages) from the bus, caused by
   * `sender`; never dropped for congestion, but within this receiver's control
   * byte budget (`receiver-control-budget.ts`).
   */
  deliverControl(bytes: Uint8Array, body: number, sender = ''): void {
    if (body === BodyField.moderation) return this.moderated(bytes);
    if (body === BodyField.keyframeRequest && !this.keyframeTargetLimiter.take(keyframeTrackOf(bytes))) {
      this.ctx.metrics.dropped.inc('keyframe-request-target-rate');
      return;
    }
    this.receiverBudget.offer(bytes, body, sender);
  }

  /** Another participant left: forget what was kept about it. */
  forgetPeer(id: string): void {
    this.receiverBudget.forget(id);
    this.outbound.forgetPublisher(id);
    this.keyframeLimiter.forget(id);
    this.keyExchangeLimiter.forget(id);
  }

  /** Ends the connection with a fatal error: tells the client, closes, and tells the room. */
  fail(err: ProtocolError, reason: LeaveReason = 'disconnected'): void {
    if (this.ended) return;
    this.closeWith(err.code, err.message, err.closeCode ?? CloseCode.Malformed, reason);
    log.debug('session closed', { session: this.sessionId, code: err.code, reason });
  }

  /** No `Join` within `joinDeadlineMs` of opening: the slot goes to someone who wants to call. */
  private missedJoinDeadline(): void {
    if (this.ended || this.room || this.joining) return;
    this.ctx.metrics.refused.inc('join-deadline');
    this.closeWith(
      ErrorCode.JoinDeadline,
      `no Join within ${this.ctx.options.joinDeadlineMs} ms of connecting`,
      CloseCode.JoinDeadline,
      'disconnected',
    );
  }

  /** The relay is stopping. */
  shutdown(): void {
    if (this.ended) return;
    this.closeWith(
      ErrorCode.ServerShutdown,
      'the relay is shutting down; reconnect',
      CloseCode.GoingAway,
      'server-shutdown',
    );
  }

  /** Tells the client why (a fatal `Error` with `code`), closes with `closeCode`, and leaves the room for `reason`. */
  private closeWith(code: string, message: string, closeCode: number, reason: LeaveReason): void {
    this.ctx.metrics.errors.inc(code);
    this.sendError(code, message, true);
    this.link.close(closeCode, code);
    this.end(reason);
  }

  private dispatch(envelope: DecodedEnvelope, body: NonNullable<DecodedEnvelope['body']>, raw: Buffer): void {
    switch (body) {
      case 'join':
        return this.join(envelope.join!);
      case 'ping':
        return this.send(
          // The relay's clock, for the client's estimate of its offset (capture times are stamped on it).
          { pong: { time: envelope.ping!.time, resumeToken: this.resumeToken(), relayTime: relayClockUs() } },
          BodyField.pong,
        );
      case 'media':
        return this.media(envelope, raw);
      case 'keyframeRequest':
        return this.keyframeRequest(envelope);
      case 'keyExchange':
        return this.keyExchange(envelope);
      case 'mediaState':
        return this.mediaState(envelope);
      case 'tokenRefresh':
        return this.tokenRefresh(envelope.tokenRefresh!.token ?? '');
      case 'leave':
        // Also while waiting for Welcome (or for the token check): that join is then given up.
        if (!this.room && !this.joining) throw new ProtocolError(ErrorCode.NotJoined, 'send Join first');
        // Gone on purpose: no token of this participant resumes any more.
        if (this.welcomed) this.ctx.resumeTokens.revoke(this.sessionId);
        this.end('left');
        this.link.close(CloseCode.Normal, 'left');
        return;
      case 'admission':
        return this.admission(envelope.admission!);
      case 'moderation':
        return this.moderation(envelope.moderation!);
      case 'subscription':
        return this.requireRoom().subscribe(this, parseSubscription(envelope.subscription));
      case 'chat':
        return this.chat(envelope.chat!);
      case 'layerDemand':
      case 'activeSpeakers':
      case 'lobbyWait':
      case 'knock':
      case 'welcome':
      case 'peerJoined':
      case 'peersJoined':
      case 'peerLeft':
      case 'pong':
      case 'error':
        throw new ProtocolError(ErrorCode.UnknownType, `"${body}" is sent by the relay, never by clients`);
      default: {
        const unknown: never = body;
        throw new ProtocolError(ErrorCode.UnknownType, `unknown message type "${String(unknown)}"`);
      }
    }
  }

  private join(join: NonNullable<DecodedEnvelope['join']>): void {
    if (this.room || this.joining)
      throw new ProtocolError(
        ErrorCode.AlreadyJoined,
        `this connection already joined room "${this.room?.name ?? join.room}"`,
      );
    clearTimeout(this.joinDeadline);
    if (!this.ctx.addressLimits.join(this.address)) {
      this.ctx.metrics.refused.inc('address-joins');
      throw new ProtocolError(
        ErrorCode.TooManyConnections,
        `at most ${this.ctx.options.joinsPerAddressPerMinute} joins per minute from one address; try again in a minute`,
        CloseCode.TooManyConnections,
      );
    }
    const version = join.protocolVersion ?? 0;
    if (version !== PROTOCOL_VERSION) {
      throw new ProtocolError(
        ErrorCode.ProtocolVersion,
        `the relay speaks protocol ${PROTOCOL_VERSION} and the client ${version}: load the client this relay serves`,
        CloseCode.ProtocolVersion,
      );
    }
    const roomName = join.room ?? '';
    if (!isValidRoomName(roomName)) {
      throw new ProtocolError(
        ErrorCode.InvalidRoom,
        'room names are 1 to 64 characters of A-Z, a-z, 0-9, "_" and "-"',
        CloseCode.InvalidRoom,
      );
    }
    const tokens = this.ctx.accessTokens;
    // Open mode: at once, as before tokens existed. Else once the token is checked (jose is asynchronous).
    if (!tokens.required) return this.joinAs(join, roomName, OPEN_ACCESS);
    this.joining = true;
    tokens.verify(join.token ?? '', roomName).then(
      (access) =>
        this.guarded(() => {
          // After the await, outside onMessage's handling: a refusal is answered here, not taken for a bug.
          try {
            this.joinAs(join, roomName, access);
          } catch (err) {
            if (!(err instanceof ProtocolError)) throw err;
            this.reject(err);
          }
        }),
      (err: unknown) =>
        this.guarded(() => {
          if (!(err instanceof ProtocolError)) throw err;
          this.ctx.metrics.refused.inc(err.code);
          this.fail(err);
        }),
    );
  }

  /** Runs `fn` (a continuation after an await) inside the same fence as the endpoint's handlers. */
  private guarded(fn: () => void): void {
    guardConnection(this, log, fn);
  }

  /** Joins `roomName` with what the token (or open mode) allows. */
  private joinAs(join: NonNullable<DecodedEnvelope['join']>, roomName: string, access: Access): void {
    if (this.ended) return;
    this.joining = false;
    this.access = access;
    if (this.ctx.bans.isBanned(roomName, access.identity)) {
      this.ctx.metrics.refused.inc('removed');
      throw new ProtocolError(
        ErrorCode.Removed,
        'an admin removed you from this meeting; you cannot rejoin it',
        CloseCode.Removed,
      );
    }
    // With a token, the name others see is the token's (its `name`, else its `sub`), never the client's.
    const given = access.identity ? (access.name ?? access.identity) : (join.name ?? '');
    // Bounded before normalising (NFKC may grow a string), then checked on what others will see.
    const name = given.length > 4 * MAX_NAME_LENGTH ? given : cleanDisplayName(given) || (given ? 'Guest' : '');
    if (name.length > MAX_NAME_LENGTH) {
      throw new ProtocolError(
        ErrorCode.InvalidName,
        `display names are at most ${MAX_NAME_LENGTH} characters`,
        CloseCode.InvalidName,
      );
    }
    const { rooms, options } = this.ctx;
    if (!rooms.get(roomName) && rooms.count >= options.maxRooms) {
      this.ctx.metrics.refused.inc('relay-rooms');
      throw new ProtocolError(
        ErrorCode.TooManyConnections,
        `this relay has its maximum of ${options.maxRooms} rooms; try another relay or later`,
        CloseCode.TooManyConnections,
      );
    }
    this.scheduleExpiry();
    this.state = this.granted(mediaState(join.state), join.state);
    const me: ParticipantInit = {
      id: this.sessionId,
      name,
      identity: access.identity,
      state: this.state,
      decoders: [...new Set(join.decoders ?? [])].slice(0, MAX_DECODERS),
    };
    if (join.resumeKey?.length === RESUME_SECRET_BYTES) this.resumeCommitment = Buffer.from(join.resumeKey);
    this.link.framedVideo = join.framedStreams === true;
    this.batchedPresence = join.batchedPresence === true;
    const resumed = this.resumeAs(join, roomName);
    // An upgrade moves a participant; it never makes one: without a resume there is nothing to move.
    const upgrade = join.transportUpgrade === true;
    if (upgrade && !resumed) {
      throw new ProtocolError(
        ErrorCode.UpgradeRefused,
        'the resume token was not honoured: stay on the connection you have',
        CloseCode.UpgradeRefused,
      );
    }
    if (resumed) {
      this.adopt(resumed);
      me.id = resumed;
    }
    const room = this.ctx.rooms.open(roomName);
    this.room = room;
    // At once on a single node; on a room new to this node, once the other nodes told their part of the roster.
    room.whenReady(this, () => this.admitTo(room, me, resumed !== undefined, upgrade));
  }

  /**
   * The session id a `Join.resume_token` lets this connection take over: valid for
   * this room and identity, with the secret behind its commitment (`resume_proof`),
   * and not spent. Else undefined and the join is a fresh one (counted). A resume
   * spends every earlier token of that session, on every relay.
   */
  private resumeAs(join: NonNullable<DecodedEnvelope['join']>, room: string): string | undefined {
    const token = join.resumeToken ?? '';
    if (!token) return undefined;
    const tokens = this.ctx.resumeTokens;
    const result = tokens.verify({ token, proof: join.resumeProof ?? undefined, room, identity: this.identity });
    if ('rejected' in result) {
      this.ctx.metrics.resumes.inc(`rejected-${result.rejected}`);
      log.debug('resume token not honoured', { session: this.sessionId, why: result.rejected });
      return undefined;
    }
    tokens.spend(result.id);
    return result.id;
  }

  /** Takes over session id `id` (a resume): what this connection sends is stamped as that participant's. */
  private adopt(id: string): void {
    this.sessionId = id;
    this.sessionIdBytes = Buffer.from(id, 'latin1');
    this.stamp = senderStamp(id);
    this.origin = { sender: this.sessionIdBytes, node: this.ctx.node.idBytes };
  }

  private resumeToken(): string {
    if (!this.room || !this.welcomed || !this.resumeCommitment) return '';
    return this.ctx.resumeTokens.issue(this.room.name, this.sessionId, this.resumeCommitment, this.identity);
  }

  /**
   * A resume of this participant on another connection took over: close this one
   * without telling the room anything (the participant is still there).
   */
  replaced(how: ReplacedHow = 'session-replaced'): void {
    if (this.ended) return;
    if (how === 'transport-upgrade') {
      // The client asked for this (Join.transport_upgrade on its new connection) and
      // stops reading this one: no Error, nothing counted as a failure, just the close.
      this.ctx.metrics.resumes.inc('transport-upgrade');
      this.link.close(CloseCode.TransportUpgrade, ErrorCode.TransportUpgrade);
      this.end('replaced');
      log.debug('moved to another connection', { session: this.sessionId });
      return;
    }
    this.closeWith(
      ErrorCode.SessionReplaced,
      'this participant reconnected on another connection',
      CloseCode.SessionReplaced,
      'replaced',
    );
  }

  private admitTo(room: Room, me: ParticipantInit, resume: boolean, upgrade = false, fromLobby = false): void {
    if (this.ended) return;
    // Someone already in (a resume) or let in by an admin does not wait again.
    if (!resume && !fromLobby && !this.admin && !room.lockKnown) {
      // A node of the room has not said whether it is locked: no admission before it does.
      return room.whenLockKnown(this, () => this.admitTo(room, me, resume, upgrade, fromLobby));
    }
    if (!resume && !fromLobby && this.mustWait(room)) return this.waitInLobby(room, me);
    // An admin's locked mute outlives a reconnect: the room's copy of the state still shows it.
    const before = resume ? room.stateOf(this.sessionId) : undefined;
    let others: ParticipantInit[];
    let known: boolean;
    try {
      ({ others, known } = room.admit(
        this,
        me,
        this.ctx.options.maxRoomSize,
        resume,
        upgrade ? 'transport-upgrade' : 'session-replaced',
      ));
    } catch (err) {
      if (err instanceof ProtocolError) return this.reject(err);
      log.error('admitting a participant failed', { session: this.sessionId, err });
      return this.fail(new ProtocolError(INTERNAL_ERROR, 'the relay failed to admit you', INTERNAL_ERROR_CLOSE));
    }
    this.welcomed = true;
    const { options } = this.ctx;
    // Welcome before the announcement, so the joiner knows the room before any traffic from it.
    this.send(
      {
        welcome: {
          protocolVersion: PROTOCOL_VERSION,
          sessionId: this.sessionId,
          room: room.name,
          roster: others,
          // What the bus between relays can carry, when that is less than what this relay accepts.
          maxMessageBytes: Math.min(options.maxMessageBytes, maxEnvelopeBytes(this.ctx.bus.maxPayload, this)),
          heartbeatIntervalMs: options.heartbeatIntervalMs,
          serverVersion: options.version,
          resumeToken: this.resumeToken(),
          resumed: resume,
          framedStreams: true,
          admin: this.admin,
          locked: room.locked,
        },
      },
      BodyField.welcome,
    );
    // An admin sees who already waits.
    if (this.admin && room.lobby.size > 0) this.outbound.control(room.lobby.knockMessage(), BodyField.knock);
    // A joiner learns who speaks now, not only at the next change (a page shows the speaker large at once).
    const speakers = room.activeSpeakersMessage();
    if (speakers) this.outbound.control(speakers, BodyField.activeSpeakers);
    // A hidden participant (a recorder) is news to nobody.
    if (!this.hidden) room.announceJoin(this, me, known);
    if (before?.micLocked || before?.cameraLocked) {
      const kinds = [...(before.micLocked ? [TrackKind.AUDIO] : []), ...(before.cameraLocked ? CAMERA_KINDS : [])];
      for (const kind of kinds) {
        this.locked.add(kind);
        this.muted.add(kind);
      }
      this.publishModeratedState(room);
    }
    this.ctx.metrics.joinsTotal++;
    if (resume) this.ctx.metrics.resumes.inc(known ? 'resumed' : 'resumed-unknown');
    log.debug(resume ? 'resumed' : 'joined', { session: this.sessionId, room: room.name, remote: this.remote, known });
  }

  private media(envelope: DecodedEnvelope, raw: Buffer): void {
    const room = this.requireRoom();
    const frame = envelope.media!;
    const kind = frame.kind ?? TrackKind.TRACK_KIND_UNSPECIFIED;
    // Routing and backpressure depend on the kind; a frame without one cannot be routed right.
    if (kind === TrackKind.TRACK_KIND_UNSPECIFIED)
      throw new ProtocolError(ErrorCode.Malformed, 'media frame without a track kind');
    if (!this.mayPublish(kind)) {
      this.ctx.metrics.dropped.inc('not-granted');
      // Told once per kind, not per frame: a client that ignores it must not cause an error stream.
      if (!this.refusedKinds.has(kind)) {
        this.refusedKinds.add(kind);
        this.ctx.metrics.errors.inc(ErrorCode.NotAllowed);
        this.sendError(
          ErrorCode.NotAllowed,
          `your access token does not allow publishing ${PUBLISH_KIND_OF[kind] ?? `track kind ${kind}`}`,
          false,
        );
      }
      return;
    }
    // Muted by an admin: stopped here, whatever the client does.
    if (this.muted.has(kind)) {
      this.ctx.metrics.dropped.inc('moderated');
      return;
    }
    const layer = frame.layer ?? 0;
    if (layer >= MAX_LAYERS) {
      throw new ProtocolError(
        ErrorCode.Malformed,
        `simulcast layers are 0 to ${MAX_LAYERS - 1}, this frame's ${layer}`,
      );
    }
    room.publishMedia(this, raw, {
      kind,
      layer,
      keyframe: Boolean(frame.keyframe),
      droppable: (frame.temporalLayer ?? 0) > 0 && !frame.keyframe,
      level: Math.min(frame.audioLevel ?? SILENCE, SILENCE),
    });
  }

  /**
   * A chat or app-data message: checked, stamped with the sender and the relay's
   * clock, and delivered to everyone or only to the recipients it names (on any
   * relay). Over the rate it is dropped (counted) and the sender told once per run.
   */
  private chat(chat: NonNullable<DecodedEnvelope['chat']>): void {
    const room = this.requireRoom();
    if (!this.access.grants.chat) {
      this.ctx.metrics.refused.inc('not-granted-chat');
      throw new ProtocolError(ErrorCode.NotAllowed, 'the access token does not allow chat in this room');
    }
    if (this.hidden) throw new ProtocolError(ErrorCode.NotAllowed, 'a hidden participant cannot chat');
    const message = outgoingChat(chat, this.sessionId, Date.now());
    if (!this.chatLimiter.take()) {
      this.ctx.metrics.dropped.inc('chat-rate');
      if (++this.chatOverRateInRow > 1) return;
      throw new ProtocolError(
        ErrorCode.RateLimited,
        `at most ${CHAT_PER_SECOND} chat messages per second (bursts of ${CHAT_BURST}); some were dropped`,
      );
    }
    this.chatOverRateInRow = 0;
    room.sendChat(this, message.to, message.bytes);
  }

  private mediaState(envelope: DecodedEnvelope): void {
    const room = this.requireRoom();
    if (!this.mediaStateLimiter.take()) {
      this.ctx.metrics.dropped.inc('media-state-rate');
      throw new ProtocolError(
        ErrorCode.RateLimited,
        `at most ${MEDIA_STATE_PER_SECOND} media state changes per second; send the latest again later`,
      );
    }
    // Nobody knows a hidden participant, so its state would be news about no one.
    if (this.hidden) return;
    // Re-encoded, never forwarded raw: only the three known fields, and no camera claimed without the grant for it.
    const state = this.granted(mediaState(envelope.mediaState), envelope.mediaState);
    // Turning on what an admin muted (without locking it) ends that mute.
    if (state.mic && !this.locked.has(TrackKind.AUDIO)) this.muted.delete(TrackKind.AUDIO);
    if (state.camera && !this.locked.has(TrackKind.VIDEO)) this.muted.delete(TrackKind.VIDEO);
    if (state.screen && !this.locked.has(TrackKind.SCREEN)) {
      this.muted.delete(TrackKind.SCREEN);
      this.muted.delete(TrackKind.SCREEN_AUDIO);
    }
    this.state = state;
    this.publishModeratedState(room);
  }

  /** Tells the room this participant's state as the relay enforces it: what an admin muted is off, and locks shown. */
  private publishModeratedState(room: Room): void {
    const s = this.state;
    const state: MediaStateInit = {
      mic: s.mic && !this.muted.has(TrackKind.AUDIO),
      camera: s.camera && !this.muted.has(TrackKind.VIDEO),
      screen: s.screen && !this.muted.has(TrackKind.SCREEN),
    };
    if (s.videoLayers?.length) state.videoLayers = s.videoLayers;
    if (s.screenLayers?.length) state.screenLayers = s.screenLayers;
    if (state.screen && s.screenAudio) state.screenAudio = true;
    if (this.locked.has(TrackKind.AUDIO)) state.micLocked = true;
    if (this.locked.has(TrackKind.VIDEO)) state.cameraLocked = true;
    if (s.handRaised) state.handRaised = true;
    room.publishState(this, encodeEnvelope({ mediaState: state }), state);
  }

  /** Whether this joiner waits in the lobby: without `admin`, in a room that admits by hand or a locked one. */
  private mustWait(room: Room): boolean {
    const g = this.access.grants;
    if (g.admin || g.hidden) return false;
    return g.lobby || this.ctx.options.lobby || room.locked;
  }

  /** Waits in `room`'s lobby as `me` (nothing of the meeting reaches it) until an admin decides. */
  private waitInLobby(room: Room, me: ParticipantInit): void {
    if (room.lobby.localCount >= this.ctx.options.maxLobbySize) {
      this.ctx.metrics.refused.inc('lobby-full');
      return this.fail(
        new ProtocolError(
          ErrorCode.LobbyFull,
          `${this.ctx.options.maxLobbySize} people already wait to join this room; try again later`,
          CloseCode.LobbyFull,
        ),
      );
    }
    this.waitingAs = me;
    this.ctx.metrics.lobby.inc('waiting');
    room.lobby.knock(this, { id: this.sessionId, name: me.name ?? '', identity: this.identity });
    this.send(
      { lobbyWait: { locked: room.locked, heartbeatIntervalMs: this.ctx.options.heartbeatIntervalMs } },
      BodyField.lobbyWait,
    );
    log.debug('waiting in the lobby', { session: this.sessionId, room: room.name });
  }

  /** An admin (on any relay) let this waiter in: it joins now (room size limits still apply). */
  admitFromLobby(): void {
    this.guarded(() => {
      const me = this.waitingAs;
      this.waitingAs = undefined;
      if (!me || !this.room || this.ended) return;
      this.ctx.metrics.lobby.inc('admitted');
      this.admitTo(this.room, me, false, false, true);
    });
  }

  /** An admin (on any relay) turned this waiter away. */
  deniedFromLobby(): void {
    this.guarded(() => {
      this.waitingAs = undefined;
      this.ctx.metrics.lobby.inc('denied');
      this.closeWith(
        ErrorCode.AdmissionDenied,
        'an admin of this room did not let you in',
        CloseCode.AdmissionDenied,
        'left',
      );
    });
  }

  /** An admin (on any relay) ended the meeting: this connection closes for good. */
  meetingEnded(): void {
    this.guarded(() => {
      if (this.ended) return;
      if (this.welcomed) this.ctx.resumeTokens.revoke(this.sessionId);
      this.closeWith(ErrorCode.MeetingEnded, 'an admin ended the meeting', CloseCode.MeetingEnded, 'meeting-ended');
    });
  }

  /** Throws `not-allowed` (not fatal) unless the access token grants `admin`. */
  private requireAdmin(what: string): void {
    if (this.admin) return;
    this.ctx.metrics.refused.inc('not-admin');
    throw new ProtocolError(ErrorCode.NotAllowed, `only an admin of this room may ${what}`);
  }

  /** An admin lets a waiter in or turns it away, wherever it waits. */
  private admission(admission: NonNullable<DecodedEnvelope['admission']>): void {
    const room = this.requireRoom();
    this.requireAdmin('admit or deny people');
    const id = admission.id ?? '';
    if (!room.lobby.decide(id, admission.admit === true)) {
      throw new ProtocolError(ErrorCode.UnknownPeer, `nobody "${id}" waits in the lobby`);
    }
    this.ctx.metrics.moderation.inc(admission.admit ? 'admit' : 'deny');
  }

  /** An admin acts on someone, or on the room. The target's relay enforces it (`moderated`). */
  private moderation(moderation: NonNullable<DecodedEnvelope['moderation']>): void {
    const room = this.requireRoom();
    this.requireAdmin('moderate');
    const action = moderation.action ?? 0;
    const name = ModerationAction[action] as string | undefined;
    switch (action) {
      case ModerationAction.LOCK_ROOM:
      case ModerationAction.UNLOCK_ROOM:
        room.setLocked(action === ModerationAction.LOCK_ROOM, this.sessionId);
        break;
      case ModerationAction.END_MEETING:
        this.ctx.metrics.moderation.inc('END_MEETING');
        return room.end(this.sessionId);
      case ModerationAction.MUTE_MIC:
      case ModerationAction.MUTE_CAMERA:
      case ModerationAction.ALLOW_MIC:
      case ModerationAction.ALLOW_CAMERA:
      case ModerationAction.REMOVE: {
        const target = moderation.target ?? '';
        if (target === this.sessionId || !room.hasParticipant(target)) {
          throw new ProtocolError(ErrorCode.UnknownPeer, `no other participant "${target}" in this room`);
        }
        const bytes = encodeEnvelope({ moderation: { action, target, lock: moderation.lock === true } });
        room.sendTo(this, target, BodyField.moderation, bytes, this.stamp);
        break;
      }
      default:
        throw new ProtocolError(ErrorCode.Malformed, `unknown moderation action ${action}`);
    }
    this.ctx.metrics.moderation.inc(name ?? String(action));
  }

  /**
   * A moderation addressed to this participant (or the room), from an admin whose
   * relay checked the grant: enforced here, then told to the client so it obeys
   * and shows why.
   */
  private moderated(bytes: Uint8Array): void {
    if (!this.welcomed || !this.room) return;
    let moderation;
    try {
      moderation = decodeEnvelope(bytes).moderation;
    } catch {
      return;
    }
    if (!moderation) return;
    const action = moderation.action ?? 0;
    const kinds = MUTED_KINDS[action];
    if (action === ModerationAction.REMOVE) return this.removedByAdmin();
    if (kinds) {
      if (moderation.target !== this.sessionId) return;
      const mute = action === ModerationAction.MUTE_MIC || action === ModerationAction.MUTE_CAMERA;
      for (const kind of kinds) {
        if (mute) {
          this.muted.add(kind);
          if (moderation.lock) this.locked.add(kind);
        } else {
          this.locked.delete(kind);
        }
      }
      this.publishModeratedState(this.room);
    }
    this.outbound.control(bytes, BodyField.moderation);
  }

  /** An admin removed this participant: closed at once, its resume tokens spent, its identity refused here. */
  private removedByAdmin(): void {
    if (this.ended) return;
    this.ctx.metrics.moderation.inc('removed');
    this.ctx.resumeTokens.revoke(this.sessionId);
    if (this.room) this.ctx.bans.ban(this.room.name, this.identity);
    this.closeWith(ErrorCode.Removed, 'an admin removed you from this meeting', CloseCode.Removed, 'removed');
  }

  /**
   * Charges a control message of `bytes` to this client's budget. Over it, the
   * message is dropped (counted; the client is told once per run), and a client
   * that keeps on is closed (`control-flood`).
   */
  private withinControlBudget(bytes: number): boolean {
    if (this.controlBudget.take(bytes)) {
      this.toldOverBudget = false;
      return true;
    }
    this.ctx.metrics.dropped.inc('control-budget');
    const count = this.overBudget.add();
    if (count >= MAX_OVER_BUDGET) {
      this.ctx.metrics.refused.inc('control-flood');
      this.fail(
        new ProtocolError(
          ErrorCode.ControlFlood,
          `${Math.floor(count)} control messages dropped lately beyond ${this.ctx.options.controlBytesPerSecond} bytes per second`,
          CloseCode.ControlFlood,
        ),
      );
      return false;
    }
    if (!this.toldOverBudget) {
      this.toldOverBudget = true;
      this.ctx.metrics.errors.inc(ErrorCode.RateLimited);
      this.sendError(
        ErrorCode.RateLimited,
        `control messages are limited to ${this.ctx.options.controlBytesPerSecond} bytes per second; some were dropped`,
        false,
      );
    }
    return false;
  }

  /**
   * `state` without what the grants don't allow (a camera without `publish: video`…),
   * with the simulcast layers it announces (bounded) for the tracks it may publish.
   */
  private granted(state: MediaStateSnapshot, announced?: MediaStateInit | null): MediaStateInit {
    const publish = this.access.grants.publish;
    const out: MediaStateInit = {
      mic: state.mic && publish.has('audio'),
      camera: state.camera && publish.has('video'),
      screen: state.screen && publish.has('screen'),
    };
    const video = publish.has('video') ? cleanLayers(announced?.videoLayers) : [];
    const screen = publish.has('screen') ? cleanLayers(announced?.screenLayers) : [];
    if (video.length > 0) out.videoLayers = video;
    if (screen.length > 0) out.screenLayers = screen;
    if (out.screen && announced?.screenAudio) out.screenAudio = true;
    if (announced?.handRaised) out.handRaised = true;
    return out;
  }

  private mayPublish(kind: number): boolean {
    const publish = this.access.grants.publish;
    const needs = PUBLISH_KIND_OF[kind];
    return needs ? publish.has(needs) : publish.size === PUBLISH_KIND_OF_COUNT;
  }

  /** Ends the call when the access token expires, unless a refresh moved the expiry on meanwhile. */
  private scheduleExpiry(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    const at = this.access.expiresAt;
    if (at === undefined || this.ended) return;
    const ms = Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS);
    this.expiryTimer = setTimeout(() => this.guarded(() => this.expired()), ms);
    this.expiryTimer.unref();
  }

  private expired(): void {
    const at = this.access.expiresAt;
    if (at !== undefined && at > Date.now()) return this.scheduleExpiry(); // a timer capped at ~24.8 days
    this.ctx.metrics.refused.inc('token-expired-in-call');
    this.ctx.resumeTokens.revoke(this.sessionId);
    this.closeWith(
      ErrorCode.TokenExpired,
      'the access token expired and the page did not renew it (set a fresh token)',
      CloseCode.TokenExpired,
      'expired',
    );
  }

  /**
   * A fresh access token for this call: same identity and room; its expiry and
   * grants replace the old ones. Refused with a non-fatal error (the old token stands).
   */
  private tokenRefresh(token: string): void {
    const room = this.requireRoom();
    const tokens = this.ctx.accessTokens;
    if (!tokens.required) return; // open mode: nothing expires
    if (!this.refreshLimiter.take()) {
      this.ctx.metrics.refused.inc('token-refresh-rate');
      throw new ProtocolError(ErrorCode.RateLimited, 'too many token refreshes; send the latest again later');
    }
    const refused = (code: ErrorCode, message: string): void => {
      this.ctx.metrics.refused.inc(`refresh-${code}`);
      this.ctx.metrics.errors.inc(code);
      this.sendError(code, message, false);
    };
    tokens.verify(token, room.name).then(
      (access) =>
        this.guarded(() => {
          if (this.ended) return;
          if (access.identity !== this.access.identity || access.grants.hidden !== this.access.grants.hidden) {
            return refused(
              ErrorCode.TokenInvalid,
              'a refreshed token must name the same identity (sub) and visibility',
            );
          }
          this.access = access;
          this.scheduleExpiry();
          this.ctx.metrics.tokenRefreshes++;
          log.debug('token refreshed', { session: this.sessionId, expiresAt: access.expiresAt });
        }),
      (err: unknown) =>
        this.guarded(() => {
          if (!(err instanceof ProtocolError)) throw err;
          if (!this.ended) refused(err.code, err.message);
        }),
    );
  }

  private keyframeRequest(envelope: DecodedEnvelope): void {
    const { target = '', kind, layer } = envelope.keyframeRequest!;
    // Re-encoded with only the fields the protocol knows: nothing a client pads in reaches the target.
    const bytes = encodeEnvelope({ keyframeRequest: { target, kind, layer } });
    this.forwardTo(target ?? '', BodyField.keyframeRequest, bytes, this.keyframeLimiter, 'keyframe-request-rate');
  }

  /**
   * An end-to-end-encryption key message: opaque to the relay, delivered to its
   * target only (stamped like everything else, so the sender can't be forged).
   */
  private keyExchange(envelope: DecodedEnvelope): void {
    const { target = '', step, data, mac, kid } = envelope.keyExchange!;
    if ((data?.length ?? 0) > MAX_KEY_DATA_BYTES || (mac?.length ?? 0) > MAX_KEY_MAC_BYTES) {
      throw new ProtocolError(ErrorCode.TooLarge, 'key exchange data or MAC larger than any step needs');
    }
    // Re-encoded with the known fields only (data and MAC stay opaque).
    const bytes = encodeEnvelope({ keyExchange: { target, step, data, mac, kid } });
    this.forwardTo(target ?? '', BodyField.keyExchange, bytes, this.keyExchangeLimiter, 'key-exchange-rate');
  }

  /**
   * Sends a message addressed to one other participant (`raw`, as received) to
   * it only, stamped; over `limiter`'s rate per target it is dropped (counted as `dropped`).
   */
  private forwardTo(
    target: string,
    body: BodyFieldNumber,
    raw: Uint8Array,
    limiter: KeyedRateLimiter,
    dropped: DropReason,
  ): void {
    const room = this.requireRoom();
    if (target === this.sessionId || !room.hasParticipant(target)) {
      throw new ProtocolError(ErrorCode.UnknownPeer, `no other participant "${target}" in this room`);
    }
    if (!limiter.take(target)) {
      this.ctx.metrics.dropped.inc(dropped);
      return;
    }
    room.sendTo(this, target, body, raw, this.stamp);
  }

  /** Asks `publisher` for a keyframe of `layer` on this (congested, now drained) receiver's behalf. */
  private requestKeyframeFor(publisher: string, kind: number, layer: number): void {
    const room = this.room;
    if (!room || !room.hasParticipant(publisher) || !this.keyframeLimiter.take(publisher)) return;
    const bytes = encodeEnvelope({ from: this.sessionId, keyframeRequest: { target: publisher, kind, layer } });
    room.sendTo(this, publisher, BodyField.keyframeRequest, bytes);
  }

  private requireRoom(): Room {
    if (!this.room) throw new ProtocolError(ErrorCode.NotJoined, 'send Join first');
    if (!this.welcomed) throw new ProtocolError(ErrorCode.NotJoined, 'wait for Welcome before sending to the room');
    return this.room;
  }

  private reject(err: ProtocolError): void {
    if (err.fatal) return this.fail(err);
    // Over a rate is not broken input: answered, but not counted towards closing as malformed.
    if (err.code !== ErrorCode.RateLimited && ++this.badInRow >= this.ctx.options.maxBadMessagesInRow) {
      // The last straw gets the fatal error only: one answer per bad message.
      this.ctx.metrics.errors.inc(err.code);
      return this.fail(
        new ProtocolError(
          ErrorCode.Malformed,
          `${this.badInRow} bad messages in a row (last: ${err.message})`,
          CloseCode.Malformed,
        ),
      );
    }
    this.ctx.metrics.errors.inc(err.code);
    this.sendError(err.code, err.message, false);
  }

  private slowConsumer(): void {
    log.info('closing slow consumer', {
      session: this.sessionId,
      transport: this.link.kind,
      buffered: this.link.bufferedAmount,
    });
    // The close waits behind the full buffer; the link bounds how long (ws's closeTimeout, WtLink's linger).
    this.fail(
      new ProtocolError(
        ErrorCode.SlowConsumer,
        'the connection could not keep up with the room',
        CloseCode.SlowConsumer,
      ),
    );
  }

  private sendError(code: string, message: string, fatal: boolean): void {
    this.send({ error: { code, message, fatal } }, BodyField.error);
  }

  private send(message: EnvelopeInit, body: number): void {
    this.outbound.control(encodeEnvelope(message), body);
  }

  /** Leaves the room (if joined) once; later calls do nothing. */
  private end(reason: LeaveReason): void {
    if (this.ended) return;
    this.ended = true;
    this.receiverBudget.close();
    clearTimeout(this.expiryTimer);
    clearTimeout(this.joinDeadline);
    if (this.room) this.ctx.rooms.leave(this.room, this, reason);
    this.room = undefined;
  }
}

/** The relay's clock in microseconds since the Unix epoch, finer than `Date.now()`. */
function relayClockUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
