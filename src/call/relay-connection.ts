import { wallClockMs } from '../shared/clock.js';
import { JoinCommitments, type JoinCommitment } from './join-commitment.js';
import { ClockOffset } from './clock-offset.js';
import {
  decodeEnvelope,
  encodeEnvelope,
  type DecodedEnvelope,
  type EnvelopeInit,
  type JoinInit,
  type ParticipantInit,
} from '../protocol/envelope.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ConnectTransportOptions, TransportChoice } from '../transport/connect.js';
import { connectLazily } from '../transport/load-connect.js';
import type { SendPriority, Transport, TransportClose } from '../transport/transport.js';
import { asVideoCallError, describeRelayError, VideoCallError, type VideoCallErrorCode } from './errors.js';
import { nextRelayMayHelp, reconnectDelayMs, SILENT_INTERVALS, worthReconnecting } from './reconnect.js';
import { relayForAttempt } from '../transport/relay-list.js';
import { markReceived } from './media-frame-wire.js';

/**
 * Where a {@link RelayConnection} stands:
 * - `idle`: not opened yet;
 * - `connecting`: the first join: trying the relays of the list in order;
 * - `open`: joined (the relay's `Welcome` arrived), heartbeating;
 * - `reconnecting`: the relay was lost while open; getting one back, resuming;
 * - `closed`: for good, closed by {@link RelayConnection.close} or failed.
 */
export type RelayConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What the relay's `Welcome` said. */
export interface RelayWelcome {
  sessionId: string;
  roster: ParticipantInit[];
  /** True when the relay honoured our resume token and the session id is the one we had. */
  resumed: boolean;
  /** Our access token grants `admin` (moderation). */
  admin?: boolean;
  /** An admin locked the room. */
  locked?: boolean;
}

/** How a reconnect went, besides the `Welcome`. */
export interface ReconnectInfo {
  /** The relay it reached, as given in the list. */
  server: string;
  /** Attempts it took, 1 when the first did. */
  attempts: number;
  /** From losing the relay to its `Welcome`, in ms. */
  downtimeMs: number;
}

/** What a {@link RelayConnection} tells its owner. Listeners run synchronously. */
export interface RelayConnectionEvents {
  /**
   * The relay put this join in the room's lobby (`locked`: because an admin locked
   * the room): `Welcome` comes when an admin lets us in, a fatal `admission-denied`
   * if not. The join timeout no longer applies meanwhile.
   */
  waiting?(locked: boolean): void;
  /** The first join succeeded: the relay's `Welcome` (before {@link RelayConnection.open} resolves). */
  welcome(welcome: RelayWelcome): void;
  /** An envelope from the relay while open; pings, pongs and fatal errors are handled here. */
  message(envelope: DecodedEnvelope): void;
  /** The relay was lost while open (`reason`: the relay's code, or `connection-lost`); reconnecting starts. */
  lost(reason: string): void;
  /** Before each reconnect attempt. The owner may {@link RelayConnection.close} from here. */
  reconnecting(attempt: number, server: string, reason: string): void;
  /** Back on a relay after {@link lost}: resumed as the same participant, or as a new one. */
  resumed(welcome: RelayWelcome, info: ReconnectInfo): void;
  /** The connection ended for good without being closed by its owner: refused, given up, or replaced. */
  failed(error: VideoCallError): void;
  /**
   * The call moved to another transport to the same relay as the same participant
   * (WebTransport became ready after `auto` fell back to WebSocket): same session,
   * nothing lost but what was in flight, nobody saw a leave or a join.
   */
  transportChanged?(transport: 'websocket' | 'webtransport', previous: 'websocket' | 'webtransport'): void;
  /**
   * An envelope {@link RelayConnection.send} accepted was dropped after all by a
   * congested transport that decides later (one in the media worker).
   */
  dropped?(bytes: Uint8Array, priority: SendPriority): void;
}

/**
 * When `auto` ended on WebSocket, the waits before each background WebTransport
 * attempt (ms, after the join or the previous attempt): bounded, backing off. A
 * busy page (codec probing, camera start) often misses the fallback deadline by a
 * little, so the first tries come soon; UDP that is really blocked costs a few
 * failed handshakes in the first minute, then nothing.
 */
export const UPGRADE_DELAYS_MS: readonly number[] = [500, 2000, 5000, 15_000, 30_000];

/** Everything a {@link RelayConnection} needs besides its listener. */
export interface RelayConnectionOptions {
  /** The relays of one cluster, tried in order. */
  servers: string[];
  transport: TransportChoice;
  /** Bound on each connect, and on waiting for `Welcome`. */
  joinTimeoutMs: number;
  /** After losing the relay, how long to keep trying before failing with `connection-lost`. */
  reconnectTimeoutMs: number;
  /**
   * The `Join` to send, asked for at each attempt (it carries the current media
   * state); the connection adds the protocol version and the resume token.
   */
  join(): Omit<JoinInit, 'protocolVersion' | 'resumeToken'>;
  /** Opens a transport to one relay; rejects with a `TransportError`. Default: `connectTransport`, on the page. */
  connect?(server: string, options: ConnectTransportOptions): Promise<Transport>;
  /**
   * With `transport: 'auto'`, whether to keep trying WebTransport in the background
   * after joining on WebSocket, and move the call onto it once it is ready
   * ({@link UPGRADE_DELAYS_MS}). Default: when the browser has WebTransport.
   */
  upgradeToWebTransport?: boolean;
  /** Waits before each upgrade attempt; default {@link UPGRADE_DELAYS_MS}. */
  upgradeDelaysMs?: readonly number[];
}

/** A move to WebTransport under way: the new transport, waiting for its `Welcome`. */
interface Upgrade {
  transport: Transport;
  /** The old transport closed as `transport-upgrade` (the relay took the move) before the new `Welcome`. */
  oldClosed: boolean;
  timer: ReturnType<typeof setTimeout>;
  /** The secret the upgrade's `Join` committed to: the new token is bound to it. */
  secret: Uint8Array | null;
}

/** A `Welcome` being waited for on the current transport. */
interface PendingWelcome {
  resolve(welcome: RelayWelcome): void;
  reject(error: VideoCallError): void;
  /** An error the relay sent before closing: the reason a close gives. */
  relayError: VideoCallError | null;
  /** The relay put us in the lobby: stop the join timeout, keep the link alive. */
  waiting(locked: boolean, heartbeatIntervalMs: number): void;
}

/**
 * The call's link to the relay: which relay of the list, the transport, the
 * Join/Welcome handshake, the heartbeat and the silence that betrays a dead link,
 * the resume token, and getting a relay back when it is lost. One loop does
 * both the first join (the list in order) and reconnecting (round the list,
 * backing off, resuming as the same participant). It knows nothing of media or
 * participants: it hands the owner envelopes and says when it is lost and back.
 */
export class RelayConnection {
  state: RelayConnectionState = 'idle';
  /** The relay's limit on one message, from `Welcome`. */
  maxMessageBytes = 0;
  /** Last measured round trip to the relay, in ms. */
  rttMs = 0;
  /** The relay's clock against ours, from the Ping/Pong round trips (capture times go on the wire on the relay's clock). */
  readonly clock = new ClockOffset();
  /** Our session id (the participant's id), once welcomed. */
  sessionId = '';
  /** The relays, in order. Not readonly: the list may change between attempts. */
  servers: string[];
  /** The transport in use, while there is one. */
  transport: Transport | null = null;
  /** Index in {@link servers} of the relay in use (or last used). */
  private serverIndex = 0;
  /** The latest resume token (from `Welcome`, refreshed by every `Pong`). */
  private resumeToken = '';
  /**
   * The secret {@link resumeToken} is bound to: the relay issued it against this
   * secret's hash (`Join.resume_key`), and a resume reveals it (`resume_proof`).
   * Never sent until that resume, so a stolen token alone resumes nothing.
   */
  private resumeSecret: Uint8Array | null = null;
  /** The secret the Join waiting for `Welcome` committed to; the tokens that `Welcome` brings are bound to it. */
  private pendingSecret: Uint8Array | null = null;
  /** When anything last arrived from the relay (ms since epoch). */
  private lastHeard = 0;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** Pings in flight: the `time` sent (whole ms, echoed by the relay) → our precise clock then. */
  private readonly pings = new Map<number, number>();
  private earlyPings: ReturnType<typeof setTimeout> | undefined;
  private pending: PendingWelcome | null = null;
  /**
   * What arrived after `Welcome` but before the owner heard of it, replayed then
   * in order. A WebTransport read can hand over Welcome and the messages behind it
   * (a peer's first key-exchange step) in one go; dropping those stalls E2EE.
   */
  private held: HeldInput[] | null = null;
  /** Ends the wait before the next attempt early (on close). */
  private wake: (() => void) | null = null;
  /** The next background WebTransport attempt, while one is due. */
  private upgradeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Background WebTransport attempts made since the last join on WebSocket. */
  private upgradeAttempts = 0;
  /** Counts joins and losses, so an upgrade attempt started before either gives up. */
  private epoch = 0;
  private upgrade: Upgrade | null = null;
  /** Each Join's fresh secret and hash, made ahead (hashing is asynchronous). */
  private readonly commitments = new JoinCommitments();

  constructor(
    private readonly options: RelayConnectionOptions,
    private readonly events: RelayConnectionEvents,
  ) {
    this.servers = options.servers;
  }

  /** The kind of transport in use, while there is one. */
  get transportKind(): 'websocket' | 'webtransport' | null {
    return this.transport?.kind ?? null;
  }

  /**
   * Joins through the first relay of the list that lets us in. The first
   * transport is opened at once; `ready` is awaited before `Join` is sent, so the
   * connection opens while the owner prepares what the `Join` carries. Resolves
   * true once welcomed (the `welcome` listener has run), false when {@link close}d
   * meanwhile; rejects with a fatal {@link VideoCallError} (or what `ready` rejected with).
   */
  async open(ready: Promise<unknown>): Promise<boolean> {
    if (this.state !== 'idle')
      throw new VideoCallError('invalid-state', `Cannot open a connection that is ${this.state}.`);
    this.state = 'connecting';
    if (this.servers.length === 0) {
      this.state = 'closed';
      throw new VideoCallError('relay-unreachable', 'No relay to connect to: set `server`.', { fatal: true });
    }
    let welcome: RelayWelcome | null;
    try {
      welcome = await this.attempts(ready, null);
    } catch (error) {
      this.close();
      throw error;
    }
    if (!welcome) return false;
    this.events.welcome(welcome);
    this.release();
    return true;
  }

  /** Sends a control message, if there is a transport (also while joining). */
  sendControl(message: EnvelopeInit): void {
    this.transport?.send(encodeEnvelope(message), 'control');
  }

  /**
   * Sends one encoded envelope while open. False when it was not sent: not open,
   * or dropped by a congested transport (only video is).
   */
  send(bytes: Uint8Array, priority: SendPriority): boolean {
    if (this.state !== 'open' || !this.transport) return false;
    return this.transport.send(bytes, priority);
  }

  /** Ends the connection for good, quietly (no listener is told). */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearInterval(this.heartbeat);
    clearTimeout(this.earlyPings);
    this.stopUpgrading();
    this.wake?.();
    // A handshake under way ends now; the loop sees `closed` and stops.
    this.pending?.reject(new VideoCallError('invalid-state', 'The connection was closed.'));
    this.dropTransport('left');
  }

  /**
   * The one loop behind joining and reconnecting. `lost` is null on the first
   * join: the relays in order, at once, once each. After a loss it says when and
   * where: attempts go round the list from the relay after the lost one, backing
   * off, until `reconnectTimeoutMs` has passed. Either way a failure every relay
   * would give the same (`room-full`, `session-replaced`…) ends it at once.
   * Resolves with the `Welcome`, or null when closed meanwhile.
   */
  private async attempts(
    ready: Promise<unknown>,
    lost: { at: number; index: number; reason: string } | null,
  ): Promise<RelayWelcome | null> {
    const phase = this.state;
    const giveUpAt = lost ? lost.at + this.options.reconnectTimeoutMs : Number.POSITIVE_INFINITY;
    let failure: VideoCallError | null = null;
    for (let attempt = 1; ; attempt++) {
      let index: number;
      if (lost) {
        const delay = Math.min(reconnectDelayMs(attempt), giveUpAt - Date.now());
        if (delay > 0) await this.pause(delay);
        if (this.state !== phase) return null;
        if (Date.now() >= giveUpAt) throw giveUp(failure);
        index = relayForAttempt(this.servers, lost.index, attempt);
        this.events.reconnecting(attempt, this.servers[index]!, lost.reason);
        if (this.state !== phase) return null; // closed by the listener
      } else {
        index = attempt - 1;
        if (index >= this.servers.length) throw noRelayLetUsIn(failure!, this.servers.length);
      }
      const server = this.servers[index]!;
      try {
        // The first join can't send Join before `ready`: until then `auto` keeps waiting for WebTransport.
        const transport = await this.connect(server, lost ? undefined : ready);
        // The first join: what `Join` carries may still be in the making.
        await ready.catch((error: unknown) => {
          transport.close(1000, 'left');
          throw new NotReady(error);
        });
        if (this.state !== phase) {
          transport.close(1000, 'left');
          return null;
        }
        this.adopt(transport, index);
        const welcome = await this.handshake(transport);
        if (this.state !== phase) return null;
        return this.welcomed(welcome, lost, server, attempt);
      } catch (error) {
        if (error instanceof NotReady) throw error.cause;
        if (this.state !== phase) return null;
        this.dropTransport();
        failure = asVideoCallError(error);
        if (!nextRelayMayHelp(failure.code)) throw failure;
      }
    }
  }

  private connect(server: string, holdFallbackUntil?: Promise<unknown>): Promise<Transport> {
    const connect = this.options.connect ?? connectLazily;
    return connect(server, {
      transport: this.options.transport,
      timeoutMs: this.options.joinTimeoutMs,
      ...(holdFallbackUntil ? { holdFallbackUntil } : {}),
    });
  }

  /** Makes `transport` the current one: its handlers are installed once, here. */
  private adopt(transport: Transport, index: number): void {
    this.transport = transport;
    this.serverIndex = index;
    transport.onmessage = (bytes, consumed, receivedAt) => {
      if (transport === this.transport) this.receive(bytes, consumed, receivedAt);
    };
    transport.ondropped = (bytes, priority) => {
      if (transport === this.transport && this.state === 'open') this.events.dropped?.(bytes, priority);
    };
    transport.onclose = (info) => {
      if (transport !== this.transport) return;
      // The relay took our move to the new transport: its Welcome there comes next.
      if (this.upgrade && movedAway(info.reason)) {
        this.upgrade.oldClosed = true;
        return;
      }
      this.closed(info);
    };
  }

  /** Sends `Join` on `transport` and waits for `Welcome`, the relay's refusal, or the timeout. */
  private handshake(transport: Transport): Promise<RelayWelcome> {
    return new Promise<RelayWelcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new VideoCallError('join-timeout', 'The relay did not answer in time. Check your connection and try again.', {
            fatal: true,
          }),
        );
      }, this.options.joinTimeoutMs);
      let lobbyPings: ReturnType<typeof setInterval> | undefined;
      const settle = () => {
        clearTimeout(timer);
        clearInterval(lobbyPings);
        this.pending = null;
      };
      this.pending = {
        resolve: (welcome) => {
          settle();
          resolve(welcome);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
        relayError: null,
        waiting: (locked, heartbeatIntervalMs) => {
          clearTimeout(timer);
          clearInterval(lobbyPings);
          // Waiting may take minutes: a ping every interval tells the relay we are still here.
          lobbyPings = setInterval(
            () => transport.send(encodeEnvelope({ ping: { time: Date.now() } }), 'control'),
            Math.max(100, heartbeatIntervalMs || 5000),
          );
          this.events.waiting?.(locked);
        },
      };
      this.lastHeard = Date.now();
      const waiting = this.pending;
      this.commitments.take().then(
        (commitment) => {
          // Settled meanwhile (closed, timed out): this Join is not wanted any more.
          if (this.pending !== waiting || transport !== this.transport) return;
          this.pendingSecret = commitment.secret;
          transport.send(this.joinMessage(false, commitment), 'control');
        },
        (error: unknown) => this.pending?.reject(asVideoCallError(error)),
      );
    });
  }

  /**
   * The `Join` to send: after a lost connection (or to move to another transport)
   * it carries the resume token, to come back as the same participant (empty on a
   * first join), with the secret its tokens are bound to as proof; `upgrade` asks
   * the relay to move us from the connection still open. Each Join commits to a
   * fresh secret (returned): each one is revealed at most once, by the resume that
   * spends its tokens.
   */
  private joinMessage(upgrade: boolean, commitment: JoinCommitment): Uint8Array {
    const resume = this.resumeToken && this.resumeSecret;
    return encodeEnvelope({
      join: {
        ...this.options.join(),
        protocolVersion: PROTOCOL_VERSION,
        // Video from the relay on a stream per group of pictures (WebTransport; src/transport/webtransport.ts reads both).
        framedStreams: true,
        // A big room's joins come together, as one PeersJoined (src/call/room.ts reads it).
        batchedPresence: true,
        resumeToken: this.resumeToken,
        resumeKey: commitment.key,
        ...(resume ? { resumeProof: this.resumeSecret } : {}),
        ...(upgrade ? { transportUpgrade: true } : {}),
      },
    });
  }

  /** Every envelope from the current transport comes through here. */
  private receive(bytes: Uint8Array, consumed = false, receivedAt?: number): void {
    this.lastHeard = Date.now();
    let env: DecodedEnvelope;
    try {
      env = decodeEnvelope(bytes);
    } catch {
      return; // the relay only forwards what it could decode; drop anything else
    }
    if (env.media) markReceived(env.media, consumed, receivedAt);
    const pending = this.pending;
    if (pending) {
      if (env.welcome) {
        const w = env.welcome;
        this.maxMessageBytes = w.maxMessageBytes ?? 0;
        // This Welcome's token (and later Pongs') is bound to the secret this Join committed to; the old one is spent.
        this.resumeToken = w.resumeToken ?? '';
        this.resumeSecret = this.pendingSecret;
        const sessionId = w.sessionId ?? '';
        const resumed = !!w.resumed && sessionId === this.sessionId;
        this.startHeartbeat(w.heartbeatIntervalMs || 5000);
        this.held = [];
        pending.resolve({ sessionId, roster: w.roster ?? [], resumed, admin: !!w.admin, locked: !!w.locked });
      } else if (env.lobbyWait) {
        pending.waiting(!!env.lobbyWait.locked, env.lobbyWait.heartbeatIntervalMs ?? 0);
      } else if (env.error) {
        pending.relayError = relayError(env.error.code ?? '', env.error.message ?? '', true);
      }
      return; // nothing else counts before Welcome
    }
    if (this.held) {
      if (this.held.length < MAX_HELD) this.held.push({ env });
      return;
    }
    this.dispatch(env);
  }

  /** An envelope after Welcome, once the owner knows it is joined. */
  private dispatch(env: DecodedEnvelope): void {
    if (this.state !== 'open') return;
    if (env.body === 'pong') {
      if (env.pong?.time) this.pong(env.pong.time, env.pong.relayTime ?? 0);
      if (env.pong?.resumeToken) this.resumeToken = env.pong.resumeToken;
      return;
    }
    if (env.body === 'error' && env.error?.fatal) {
      // Our own move to another transport, told on the old one: not the end of the call.
      if (this.upgrade && movedAway(env.error.code ?? '')) return;
      const error = relayError(env.error.code ?? '', env.error.message ?? '', true);
      // The relay is going away (shutdown, timeout…): reconnect now rather than wait for its close.
      if (worthReconnecting({ code: 0, reason: error.code })) this.lose(error.code);
      else this.fail(error);
      return;
    }
    this.events.message(env);
  }

  /** The current transport closed without us asking. */
  private closed(info: TransportClose): void {
    const pending = this.pending;
    if (pending) {
      pending.reject(
        pending.relayError ??
          relayError(info.reason || 'relay-unreachable', `The relay closed the connection (${info.code}).`, true),
      );
      return;
    }
    if (this.held) {
      this.held.push({ close: info });
      return;
    }
    if (this.state !== 'open') return;
    if (worthReconnecting(info)) return this.lose(info.reason || 'connection-lost');
    const error =
      info.reason === ''
        ? new VideoCallError('connection-lost', 'The connection to the relay was lost.', { fatal: true })
        : relayError(info.reason, '', true);
    this.fail(error);
  }

  /** Records a `Welcome`: the state is open again, and the owner hears of a reconnect. */
  private welcomed(
    welcome: RelayWelcome,
    lost: { at: number; reason: string } | null,
    server: string,
    attempts: number,
  ): RelayWelcome {
    this.state = 'open';
    this.sessionId = welcome.sessionId;
    this.epoch++;
    this.upgradeAttempts = 0;
    this.scheduleUpgrade();
    if (lost) {
      this.events.resumed(welcome, { server, attempts, downtimeMs: Date.now() - lost.at });
      this.release();
    }
    return welcome;
  }

  /** The owner knows it is joined: hand it what came in meanwhile. */
  private release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const input of held) {
      if (this.state !== 'open') return;
      if ('env' in input) this.dispatch(input.env);
      else this.closed(input.close);
    }
  }

  /**
   * Pings every interval (the relay drops a silent client) and, since the relay
   * answers every ping, takes its silence for {@link SILENT_INTERVALS} intervals as
   * a dead link: a half-open TCP connection would otherwise hang the call forever.
   */
  private startHeartbeat(intervalMs: number): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (this.state !== 'open') return;
      // During a move the relay talks on the new transport, which is read from its Welcome
      // on: silence meanwhile is the move's (bounded by its own timeout), not a dead link.
      if (this.upgrade) return;
      if (Date.now() - this.lastHeard > SILENT_INTERVALS * intervalMs) this.lose('connection-lost');
      else this.ping();
    }, intervalMs);
    // Another relay may keep another clock. A few quick round trips now, so delays
    // can be estimated from the first frames rather than after the first heartbeats.
    this.clock.reset();
    this.pings.clear();
    clearTimeout(this.earlyPings);
    const early = (left: number): void => {
      this.ping();
      if (left > 1) this.earlyPings = setTimeout(() => early(left - 1), EARLY_PING_GAP_MS);
    };
    early(EARLY_PINGS);
  }

  private ping(): void {
    const time = Date.now();
    this.pings.set(time, wallClockMs());
    // Unanswered pings of a link that went quiet must not pile up.
    if (this.pings.size > 16) this.pings.delete(this.pings.keys().next().value!);
    this.sendControl({ ping: { time } });
  }

  /** A Pong for the Ping sent at `time`: the round trip, and a sample of the relay's clock. */
  private pong(time: number, relayTimeUs: number): void {
    this.rttMs = Date.now() - time;
    const sentAt = this.pings.get(time);
    this.pings.delete(time);
    if (sentAt !== undefined && relayTimeUs > 0)
      this.clock.add({ sentAt, receivedAt: wallClockMs(), relayTime: relayTimeUs / 1000 });
  }

  /**
   * The relay went away while open: tell the owner, then get a relay back. Nothing
   * is sent meanwhile ({@link send} needs `open`). This is no Leave: the relay holds
   * us for its grace period, so a resume is invisible to the others.
   */
  private lose(reason: string): void {
    if (this.state !== 'open') return;
    this.state = 'reconnecting';
    clearInterval(this.heartbeat);
    clearTimeout(this.earlyPings);
    this.stopUpgrading();
    this.dropTransport();
    this.events.lost(reason);
    if (this.state !== 'reconnecting') return; // closed by the listener
    const lost = { at: Date.now(), index: this.serverIndex, reason };
    this.attempts(Promise.resolve(), lost).catch((error: unknown) => {
      if (this.state === 'reconnecting') this.fail(asVideoCallError(error));
    });
  }

  /** Ends for good on the relay's refusal or after giving up, and tells the owner. */
  private fail(error: VideoCallError): void {
    if (this.state === 'closed') return;
    this.close();
    this.events.failed(error);
  }

  /** Lets go of the current transport without hearing from it again. */
  private dropTransport(reason: 'left' | 'connection-lost' = 'connection-lost'): void {
    const transport = this.transport;
    this.held = null;
    if (!transport) return;
    this.transport = null;
    transport.onclose = null;
    transport.onmessage = null;
    transport.close(1000, reason);
  }

  /**
   * After joining on WebSocket with `auto`: the next background WebTransport
   * attempt, if any is left (at most {@link UPGRADE_DELAYS_MS}'s length since the join).
   */
  private scheduleUpgrade(): void {
    clearTimeout(this.upgradeTimer);
    const delays = this.options.upgradeDelaysMs ?? UPGRADE_DELAYS_MS;
    const wanted =
      this.options.upgradeToWebTransport ?? (this.options.transport === 'auto' && typeof WebTransport !== 'undefined');
    if (!wanted || this.options.transport !== 'auto' || this.transport?.kind !== 'websocket') return;
    if (this.upgradeAttempts >= delays.length) return;
    const delay = delays[this.upgradeAttempts++]!;
    const epoch = this.epoch;
    this.upgradeTimer = setTimeout(() => void this.tryUpgrade(epoch), delay);
  }

  /** One background attempt: a WebTransport to the relay in use, then a `Join` that moves us onto it. */
  private async tryUpgrade(epoch: number): Promise<void> {
    const current = (): boolean => this.state === 'open' && this.epoch === epoch && !this.upgrade;
    if (!current()) return;
    const server = this.servers[this.serverIndex];
    if (server === undefined) return;
    const connect = this.options.connect ?? connectLazily;
    let transport: Transport;
    try {
      transport = await connect(server, {
        transport: 'webtransport',
        timeoutMs: Math.min(this.options.joinTimeoutMs, UPGRADE_CONNECT_TIMEOUT_MS),
      });
    } catch {
      if (current()) this.scheduleUpgrade();
      return;
    }
    if (!current()) return transport.close(1000, 'not used');
    const upgrade: Upgrade = {
      transport,
      oldClosed: false,
      timer: setTimeout(() => this.upgradeFailed(upgrade, false), this.options.joinTimeoutMs),
      secret: null,
    };
    this.upgrade = upgrade;
    transport.onmessage = (bytes) => this.upgradeMessage(upgrade, bytes);
    transport.onclose = (info) => this.upgradeFailed(upgrade, info.reason === ErrorCode.UpgradeRefused);
    this.commitments.take().then(
      (commitment) => {
        if (this.upgrade !== upgrade) return;
        upgrade.secret = commitment.secret;
        transport.send(this.joinMessage(true, commitment), 'control');
      },
      () => this.upgradeFailed(upgrade, false),
    );
  }

  /** What the new transport says before its `Welcome`: the `Welcome` itself, or why not. */
  private upgradeMessage(upgrade: Upgrade, bytes: Uint8Array): void {
    if (this.upgrade !== upgrade) return;
    let env: DecodedEnvelope;
    try {
      env = decodeEnvelope(bytes);
    } catch {
      return;
    }
    if (env.error) return this.upgradeFailed(upgrade, env.error.code === ErrorCode.UpgradeRefused);
    const w = env.welcome;
    if (!w) return; // nothing else comes before Welcome
    if (!w.resumed || w.sessionId !== this.sessionId) {
      // Not us any more (a relay that ignores the upgrade flag let us in anew): leave that one.
      upgrade.transport.send(encodeEnvelope({ leave: {} }), 'control');
      return this.upgradeFailed(upgrade, true);
    }
    clearTimeout(upgrade.timer);
    this.upgrade = null;
    if (w.resumeToken) {
      // The new token is bound to the secret the upgrade's Join committed to; the old one is spent.
      this.resumeToken = w.resumeToken;
      this.resumeSecret = upgrade.secret;
    }
    if (w.maxMessageBytes) this.maxMessageBytes = w.maxMessageBytes;
    const old = this.transport;
    this.adopt(upgrade.transport, this.serverIndex);
    // The heartbeat goes on as it was (pings follow `transport`), and so does the clock
    // estimate: the same relay keeps the same clock.
    this.lastHeard = Date.now();
    if (old) {
      // What the relay had queued on the old one before the move still comes in; then it is closed.
      old.onclose = null;
      old.onmessage = upgrade.oldClosed ? null : (b, consumed, at) => this.receiveAfterMove(b, consumed, at);
      if (!upgrade.oldClosed) setTimeout(() => old.close(1000, ErrorCode.TransportUpgrade), OLD_TRANSPORT_DRAIN_MS);
    }
    this.events.transportChanged?.(upgrade.transport.kind, old?.kind ?? 'websocket');
  }

  /**
   * What the relay sent on the old transport before the move, arriving after it:
   * passed on, except the relay's word that the participant moved (an `Error`
   * `session-replaced` when the move reached another relay of the cluster).
   */
  private receiveAfterMove(bytes: Uint8Array, consumed = false, receivedAt?: number): void {
    let env: DecodedEnvelope;
    try {
      env = decodeEnvelope(bytes);
    } catch {
      return;
    }
    if (env.media) markReceived(env.media, consumed, receivedAt);
    if (env.body === 'error' || env.body === 'pong') return;
    this.dispatch(env);
  }

  /**
   * The move did not happen. `final`: the relay refused it (no later attempt would
   * do better). If the relay had already closed the old transport, the call is
   * without one: a lost connection, which reconnects and resumes as usual.
   */
  private upgradeFailed(upgrade: Upgrade, final: boolean): void {
    if (this.upgrade !== upgrade) return;
    this.upgrade = null;
    clearTimeout(upgrade.timer);
    upgrade.transport.onclose = null;
    upgrade.transport.onmessage = null;
    upgrade.transport.close(1000, 'gave up');
    if (upgrade.oldClosed) return this.lose('connection-lost');
    if (!final) this.scheduleUpgrade();
  }

  private stopUpgrading(): void {
    clearTimeout(this.upgradeTimer);
    this.upgradeTimer = undefined;
    const upgrade = this.upgrade;
    if (!upgrade) return;
    this.upgrade = null;
    clearTimeout(upgrade.timer);
    upgrade.transport.onclose = null;
    upgrade.transport.onmessage = null;
    upgrade.transport.close(1000, 'left');
  }

  /** Waits `ms`, or less if closed meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => (this.wake = null));
  }
}

/** Quick pings after each Welcome, this far apart, for a first clock estimate. */
const EARLY_PINGS = 3;
const EARLY_PING_GAP_MS = 300;
/**
 * How the relay closes (or says it closes) the connection a move to another
 * transport left: `transport-upgrade`, or `session-replaced` from a relay of the
 * cluster other than the one the move reached (its close is not told why).
 */
function movedAway(reason: string): boolean {
  return reason === ErrorCode.TransportUpgrade || reason === ErrorCode.SessionReplaced;
}

/**
 * Bound on one background WebTransport attempt. A ready handshake takes tens of
 * ms, hundreds on a busy page; a blocked UDP port never answers, and each
 * attempt against it should not hold a session open for long.
 */
const UPGRADE_CONNECT_TIMEOUT_MS = 5000;

/**
 * After a move to WebTransport, how long the old WebSocket is kept for what the
 * relay sent on it before the move (the relay closes it itself, right after).
 */
const OLD_TRANSPORT_DRAIN_MS = 1000;

/** Input from the transport between `Welcome` and the owner hearing of it. */
type HeldInput = { env: DecodedEnvelope } | { close: TransportClose };

/**
 * Bound on {@link RelayConnection}'s held input. The hold lasts a few microtasks,
 * so this is only reached by a relay flooding us; the excess is dropped.
 */
const MAX_HELD = 1024;

/** The relay's error `code` (or close reason) as a {@link VideoCallError} a person can read. */
export function relayError(code: string, message: string, fatal: boolean): VideoCallError {
  return new VideoCallError((code || 'relay-unreachable') as VideoCallErrorCode, describeRelayError(code, message), {
    fatal,
  });
}

/** `ready` failed: not the relay's fault, so no other relay is tried. */
class NotReady extends Error {
  constructor(override readonly cause: unknown) {
    super('not ready', { cause });
  }
}

function giveUp(failure: VideoCallError | null): VideoCallError {
  const why = failure ? ` ${failure.message}` : '';
  return new VideoCallError(
    'connection-lost',
    `The connection to the relay was lost and could not be restored.${why}`,
    {
      fatal: true,
      cause: failure ?? undefined,
    },
  );
}

/** The first join's failure after every relay of the list was tried. */
function noRelayLetUsIn(failure: VideoCallError, relays: number): VideoCallError {
  if (relays < 2) return failure;
  return new VideoCallError(failure.code, `None of the relays could be reached. ${failure.message}`, {
    fatal: true,
    cause: failure,
  });
}
