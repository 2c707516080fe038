/**
 * One client connection: its state (joined or not, room, identity) and the
 * handling of each message it sends. Every inbound envelope is decoded once,
 * here; what goes on to the room is the client's raw bytes plus a sender stamp.
 */
import { randomBytes } from 'node:crypto';
import {
  CloseCode,
  decodeEnvelope,
  encodeEnvelope,
  ErrorCode,
  isValidRoomName,
  MAX_NAME_LENGTH,
  mediaState,
  PROTOCOL_VERSION,
  senderStamp,
  TrackKind,
  type DecodedEnvelope,
  type EnvelopeInit,
  type ParticipantInit,
} from '../src/protocol/index.js';
import { BodyField, type BodyFieldNumber } from './body-types.js';
import type { BusMessage, BusOrigin } from './bus/bus-message.js';
import type { ClientLink } from './client-link.js';
import type { RelayContext } from './context.js';
import { INTERNAL_ERROR, INTERNAL_ERROR_CLOSE, ProtocolError } from './errors.js';
import { createLogger } from './log.js';
import type { DropReason } from './metrics.js';
import { Outbound } from './outbound.js';
import { KeyedRateLimiter, TokenBucket } from './rate-limit.js';
import type { LeaveReason, ReplacedHow, RoomMember } from './room-member.js';
import { maxEnvelopeBytes, type Room } from './room.js';

const log = createLogger('session');

/** A random, URL-safe session id (a participant's): 9 bytes, 12 base64url characters, also a valid bus subject token. */
export function newSessionId(): string {
  return randomBytes(9).toString('base64url');
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * Most decoders kept from a Join: there are only a handful of codecs, and the list
 * is repeated in every Welcome and PeerJoined, so an unbounded one would be amplified.
 */
const MAX_DECODERS = 16;

/** MediaState changes are presence (never dropped for congestion), so their rate is capped. */
const MEDIA_STATE_BURST = 10;
const MEDIA_STATE_PER_SECOND = 5;

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
  private mediaSubject = '';
  private badInRow = 0;
  private ended = false;
  private readonly outbound: Outbound;
  private readonly keyframeLimiter: KeyedRateLimiter;
  /** A handshake is 3 messages and a key share 1 per rotation: a burst of 16, then 8/s, is ample. */
  private readonly keyExchangeLimiter = new KeyedRateLimiter(16, 8);
  private readonly mediaStateLimiter = new TokenBucket(MEDIA_STATE_BURST, MEDIA_STATE_PER_SECOND);

  constructor(
    /** The carrier to the client: a WebSocket or a WebTransport session. */
    private readonly link: ClientLink,
    private readonly ctx: RelayContext,
    /** Remote address, for logs. */
    readonly remote: string,
  ) {
    const { options } = ctx;
    this.origin = { sender: this.sessionIdBytes, node: ctx.node.idBytes };
    this.outbound = new Outbound(link, options.backpressure, ctx.metrics, {
      onSlowConsumer: () => this.slowConsumer(),
      onKeyframeNeeded: (publisher, kind) => this.requestKeyframeFor(publisher, kind),
    });
    this.keyframeLimiter = new KeyedRateLimiter(options.keyframeRequestBurst, options.keyframeRequestsPerSecond);
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
    this.outbound.media(msg.envelope, msg.sender, msg.kind, msg.keyframe);
  }

  /** Delivers control (presence, targeted messages) from the bus; never dropped for congestion. */
  deliverControl(bytes: Uint8Array, body: number): void {
    this.outbound.control(bytes, body);
  }

  /** Another participant left: forget what was kept about it. */
  forgetPeer(id: string): void {
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
        return this.keyframeRequest(envelope, raw);
      case 'keyExchange':
        return this.keyExchange(envelope, raw);
      case 'mediaState':
        return this.mediaState(envelope, raw);
      case 'leave':
        // Also while waiting for Welcome: that join is then given up.
        if (!this.room) throw new ProtocolError(ErrorCode.NotJoined, 'send Join first');
        this.end('left');
        this.link.close(CloseCode.Normal, 'left');
        return;
      case 'welcome':
      case 'peerJoined':
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
    if (this.room)
      throw new ProtocolError(ErrorCode.AlreadyJoined, `this connection already joined room "${this.room.name}"`);
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
    const name = join.name ?? '';
    if (name.length > MAX_NAME_LENGTH || CONTROL_CHARS.test(name)) {
      throw new ProtocolError(
        ErrorCode.InvalidName,
        `display names are at most ${MAX_NAME_LENGTH} characters, without control characters`,
        CloseCode.InvalidName,
      );
    }
    const me: ParticipantInit = {
      id: this.sessionId,
      name,
      state: mediaState(join.state),
      decoders: [...new Set(join.decoders ?? [])].slice(0, MAX_DECODERS),
    };
    const resumed = this.resumeAs(join.resumeToken ?? '', roomName);
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
    this.mediaSubject = room.mediaSubjectOf(this.sessionId);
    // At once on a single node; on a room new to this node, once the other nodes told their part of the roster.
    room.whenReady(this, () => this.admitTo(room, me, resumed !== undefined, upgrade));
  }

  /**
   * The session id a `Join.resume_token` lets this connection take over, if it is
   * valid for this room; else undefined and the join is a fresh one (counted).
   */
  private resumeAs(token: string, room: string): string | undefined {
    if (!token) return undefined;
    const result = this.ctx.resumeTokens.verify(token, room);
    if ('rejected' in result) {
      this.ctx.metrics.resumes.inc(`rejected-${result.rejected}`);
      log.debug('resume token not honoured', { session: this.sessionId, why: result.rejected });
      return undefined;
    }
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
    return this.room && this.welcomed ? this.ctx.resumeTokens.issue(this.room.name, this.sessionId) : '';
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

  private admitTo(room: Room, me: ParticipantInit, resume: boolean, upgrade = false): void {
    if (this.ended) return;
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
        },
      },
      BodyField.welcome,
    );
    room.announceJoin(this, me, known);
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
    room.publishMedia(this, this.mediaSubject, raw, kind, Boolean(frame.keyframe));
  }

  private mediaState(envelope: DecodedEnvelope, raw: Buffer): void {
    const room = this.requireRoom();
    if (!this.mediaStateLimiter.take()) {
      this.ctx.metrics.dropped.inc('media-state-rate');
      throw new ProtocolError(
        ErrorCode.RateLimited,
        `at most ${MEDIA_STATE_PER_SECOND} media state changes per second; send the latest again later`,
      );
    }
    room.publishState(this, raw, mediaState(envelope.mediaState));
  }

  private keyframeRequest(envelope: DecodedEnvelope, raw: Buffer): void {
    const target = envelope.keyframeRequest!.target ?? '';
    this.forwardTo(target, BodyField.keyframeRequest, raw, this.keyframeLimiter, 'keyframe-request-rate');
  }

  /**
   * An end-to-end-encryption key message: opaque to the relay, delivered to its
   * target only (stamped like everything else, so the sender can't be forged).
   */
  private keyExchange(envelope: DecodedEnvelope, raw: Buffer): void {
    const target = envelope.keyExchange!.target ?? '';
    this.forwardTo(target, BodyField.keyExchange, raw, this.keyExchangeLimiter, 'key-exchange-rate');
  }

  /**
   * Sends a message addressed to one other participant (`raw`, as received) to
   * it only, stamped; over `limiter`'s rate per target it is dropped (counted as `dropped`).
   */
  private forwardTo(
    target: string,
    body: BodyFieldNumber,
    raw: Buffer,
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

  /** Asks `publisher` for a keyframe on this (congested, now drained) receiver's behalf. */
  private requestKeyframeFor(publisher: string, kind: number): void {
    const room = this.room;
    if (!room || !room.hasParticipant(publisher) || !this.keyframeLimiter.take(publisher)) return;
    const bytes = encodeEnvelope({ from: this.sessionId, keyframeRequest: { target: publisher, kind } });
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
    if (this.room) this.ctx.rooms.leave(this.room, this, reason);
    this.room = undefined;
  }
}

/** The relay's clock in microseconds since the Unix epoch, finer than `Date.now()`. */
function relayClockUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
