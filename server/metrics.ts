/**
 * The relay's counters, kept as plain numbers on the hot path; `prometheus.ts`
 * exposes them (and the gauges) for `/metrics` through prom-client.
 */
import { bodyLabelOfField } from './body-types.js';
import type { Bus } from './bus/bus.js';
import type { NatsBusStats } from './bus/nats-bus.js';

/** A counter with one label, e.g. messages by type. */
export class CounterVec {
  private readonly values = new Map<string, number>();

  inc(label: string, by = 1): void {
    this.values.set(label, (this.values.get(label) ?? 0) + by);
  }

  get(label: string): number {
    return this.values.get(label) ?? 0;
  }

  toObject(): Record<string, number> {
    return Object.fromEntries(this.values);
  }

  entries(): IterableIterator<[string, number]> {
    return this.values.entries();
  }
}

/** Why the relay did not deliver a message to a receiver. */
export type DropReason =
  /** Video not sent: the receiver's socket buffer was above the video limit. */
  | 'video-congested'
  /** Video delta not sent: the receiver lost frames of this track and waits for a keyframe. */
  | 'video-awaiting-keyframe'
  /** Video delta of a layer a receiver switches to, before that layer's keyframe (it keeps the old layer meanwhile). */
  | 'layer-awaiting-keyframe'
  /** Video frame of temporal layer 1 (nothing depends on it) held back from a congested receiver: half the rate, same size. */
  | 'congestion-temporal-layer'
  /** Audio frame forwarded to nobody: its microphone is not among the loudest few (counted once per frame). */
  | 'audio-not-audible'
  /** Audio not sent: the receiver's socket buffer was above the audio limit. */
  | 'audio-congested'
  /** A keyframe request over the per-(sender, target) rate. */
  | 'keyframe-request-rate'
  /** A keyframe request over the rate its target (per track kind) takes from all requesters together. */
  | 'keyframe-request-target-rate'
  /** An end-to-end-encryption key message over the per-(sender, target) rate. */
  | 'key-exchange-rate'
  /** A media state change over the per-connection rate (the sender gets `rate-limited`). */
  | 'media-state-rate'
  /** A chat or app-data message over the per-connection rate (the sender gets `rate-limited`). */
  | 'chat-rate'
  /** A media frame whose kind the sender's access token does not allow publishing. */
  | 'not-granted'
  /** A media frame for a receiver whose token does not allow subscribing. */
  | 'not-subscribed'
  /** The receiver's connection was already closing. */
  | 'receiver-closed'
  /** The receiver's buffer passed the hard limit: the message was not sent and the connection closed. */
  | 'slow-consumer'
  /** A media frame larger than the bus between relays carries (NATS `max_payload`); the sender got `too-large`. */
  | 'bus-max-payload'
  /** WebTransport: an unfinished video stream reset because that publisher's next keyframe went out. */
  | 'video-superseded'
  /** WebTransport: the client allowed no more unidirectional streams just then. */
  | 'stream-limit'
  /** WebTransport: an audio datagram found QUIC's datagram queue full. */
  | 'datagram-queue-full'
  /** WebTransport: control for a client that has not opened its control stream. */
  | 'no-control-stream'
  /** A client's control message beyond its byte budget (`controlBytesPerSecond`). */
  | 'control-budget'
  /** Droppable control (key exchange, keyframe requests) beyond its receiver's budget (`receiverControlBytesPerSecond`). */
  | 'receiver-control-budget'
  /** A held latest-wins control message (a peer's MediaState…) replaced by a newer one before its receiver's budget allowed it. */
  | 'receiver-control-coalesced'
  /** A media frame of a track an admin muted. */
  | 'moderated';

/** Gauges read at render time rather than kept up to date. */
export interface MetricsGauges {
  /** Client connections open now: WebSocket connections and WebTransport sessions. */
  connections: number;
  /** WebTransport, when it runs: relay sessions and QUIC connections open now. */
  webTransport?: {
    sessions: number;
    quicConnections: number;
    /** QUIC connections still in their handshake. */
    quicHandshaking?: number;
    /** QUIC Retry packets sent (address validation). */
    quicRetries?: number;
    /** Client Initials dropped for their address-validation token, by reason. */
    quicInvalidTokens?: Record<string, number>;
  };
  rooms: number;
  participants: number;
  uptimeSeconds: number;
  bus: {
    kind: Bus['kind'];
    connected: boolean;
    /** Relay nodes known alive, this one included. */
    nodes: number;
    /** With NATS: the client's counters. */
    nats?: NatsBusStats;
  };
}

export class Metrics {
  /** Client connections accepted, WebSocket and WebTransport. */
  connectionsTotal = 0;
  /** WebTransport sessions accepted (a part of {@link connectionsTotal}). */
  webTransportSessionsTotal = 0;
  joinsTotal = 0;
  bytesIn = 0;
  bytesOut = 0;
  // Indexed by body field number (body-types.ts, all below 64): counting a message is one array store.
  private readonly inByField: number[] = new Array<number>(64).fill(0);
  private readonly outByField: number[] = new Array<number>(64).fill(0);
  readonly dropped = new CounterVec();
  /** Errors sent to clients or closes with a reason, by error code (plus `internal`). */
  readonly errors = new CounterVec();
  /**
   * Resumes, by outcome: `resumed` (the room still knew the participant), `resumed-unknown`
   * (it did not: the others see a join), `rejected-<why>` (a fresh join instead).
   */
  readonly resumes = new CounterVec();
  /**
   * Joins, connections and requests the relay refused or cut for a limit or for
   * access, by reason (an error code, or what was over its limit).
   */
  readonly refused = new CounterVec();
  /** Lobby outcomes: `waiting` (a joiner had to wait), `admitted`, `denied`. */
  readonly lobby = new CounterVec();
  /** Admin actions, by action (`MUTE_MIC`, `REMOVE`, `LOCK_ROOM`, `admit`, `deny`…) and `removed` (enforced). */
  readonly moderation = new CounterVec();
  /** Access tokens renewed during a call. */
  tokenRefreshes = 0;
  /** Receivers moved to smaller simulcast layers (or back up) for congestion, per step. */
  layerFloorChanges = 0;
  /** Participants held for the grace period, by outcome: `resumed`, `expired`. */
  readonly held = new CounterVec();
  /**
   * WebTransport streams a client opened that the relay refused, by reason:
   * `extra-bidi` (only the first bidirectional stream is the control stream),
   * `uni-limit` (too many open at once), `too-large` (beyond `maxMessageBytes`).
   */
  readonly refusedStreams = new CounterVec();

  constructor(
    /** Reported in `videocall_relay_info`. */
    readonly version: string,
    readonly protocol: number,
  ) {}

  /** Counts one decoded envelope from a client (`field`: its body field number). */
  countIn(field: number): void {
    this.inByField[field & 63]++;
  }

  /** Counts one envelope sent to a client. */
  countOut(field: number, bytes: number): void {
    this.outByField[field & 63]++;
    this.bytesOut += bytes;
  }

  /** Envelopes received from clients, by body type label (e.g. `media`). */
  messagesIn(): Record<string, number> {
    return byLabel(this.inByField);
  }

  /** Envelopes sent to clients, by body type label. */
  messagesOut(): Record<string, number> {
    return byLabel(this.outByField);
  }
}

function byLabel(counts: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  counts.forEach((n, field) => {
    if (n > 0) out[bodyLabelOfField(field)] = n;
  });
  return out;
}
