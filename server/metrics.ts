/**
 * The relay's counters, kept as plain numbers on the hot path and rendered in
 * the Prometheus text format (version 0.0.4) for `/metrics`.
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
  | 'no-control-stream';

/** Gauges read at render time rather than kept up to date. */
export interface MetricsGauges {
  /** Client connections open now: WebSocket connections and WebTransport sessions. */
  connections: number;
  /** WebTransport, when it runs: relay sessions and QUIC connections open now. */
  webTransport?: { sessions: number; quicConnections: number };
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
  // Indexed by body field number (body-types.ts): counting a message is one array store.
  private readonly inByField: number[] = new Array<number>(16).fill(0);
  private readonly outByField: number[] = new Array<number>(16).fill(0);
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
    private readonly version: string,
    private readonly protocol: number,
  ) {}

  /** Counts one decoded envelope from a client (`field`: its body field number). */
  countIn(field: number): void {
    this.inByField[field & 15]++;
  }

  /** Counts one envelope sent to a client. */
  countOut(field: number, bytes: number): void {
    this.outByField[field & 15]++;
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

  /** The whole registry in Prometheus text format. */
  render(g: MetricsGauges): string {
    const out: string[] = [];
    const family = (name: string, type: 'counter' | 'gauge', help: string): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    const vec = (name: string, help: string, label: string, values: Iterable<[string, number]>): void => {
      family(name, 'counter', help);
      for (const [value, n] of values) out.push(`${name}{${label}="${escapeLabel(value)}"} ${n}`);
    };

    family('videocall_relay_info', 'gauge', 'Relay build information.');
    out.push(`videocall_relay_info{version="${escapeLabel(this.version)}",protocol="${this.protocol}"} 1`);
    family('videocall_uptime_seconds', 'gauge', 'Seconds since the relay started.');
    out.push(`videocall_uptime_seconds ${g.uptimeSeconds}`);
    family('videocall_connections_total', 'counter', 'Client connections accepted (WebSocket and WebTransport).');
    out.push(`videocall_connections_total ${this.connectionsTotal}`);
    family('videocall_connections', 'gauge', 'Client connections open now (WebSocket and WebTransport).');
    out.push(`videocall_connections ${g.connections}`);
    if (g.webTransport) {
      family('videocall_webtransport_sessions_total', 'counter', 'WebTransport sessions accepted.');
      out.push(`videocall_webtransport_sessions_total ${this.webTransportSessionsTotal}`);
      family('videocall_webtransport_sessions', 'gauge', 'WebTransport sessions open now.');
      out.push(`videocall_webtransport_sessions ${g.webTransport.sessions}`);
      family('videocall_quic_connections', 'gauge', 'QUIC connections open now (each carries WebTransport sessions).');
      out.push(`videocall_quic_connections ${g.webTransport.quicConnections}`);
      vec(
        'videocall_webtransport_refused_streams_total',
        'WebTransport streams from clients the relay refused, by reason.',
        'reason',
        this.refusedStreams.entries(),
      );
    }
    family('videocall_joins_total', 'counter', 'Successful joins.');
    out.push(`videocall_joins_total ${this.joinsTotal}`);
    family('videocall_rooms', 'gauge', 'Rooms with participants on this relay.');
    out.push(`videocall_rooms ${g.rooms}`);
    family('videocall_participants', 'gauge', 'Participants joined on this relay.');
    out.push(`videocall_participants ${g.participants}`);
    vec(
      'videocall_messages_in_total',
      'Envelopes received from clients, by type.',
      'type',
      Object.entries(this.messagesIn()),
    );
    vec(
      'videocall_messages_out_total',
      'Envelopes sent to clients, by type.',
      'type',
      Object.entries(this.messagesOut()),
    );
    family('videocall_bytes_in_total', 'counter', 'Envelope bytes received from clients.');
    out.push(`videocall_bytes_in_total ${this.bytesIn}`);
    family('videocall_bytes_out_total', 'counter', 'Envelope bytes sent to clients.');
    out.push(`videocall_bytes_out_total ${this.bytesOut}`);
    vec(
      'videocall_dropped_messages_total',
      'Messages not delivered to a receiver, by reason.',
      'reason',
      this.dropped.entries(),
    );
    vec(
      'videocall_errors_total',
      'Errors sent to clients and connections closed for a reason, by code.',
      'code',
      this.errors.entries(),
    );
    vec(
      'videocall_resumes_total',
      'Joins that carried a resume token, by outcome (resumed, resumed-unknown, rejected-<why>).',
      'outcome',
      this.resumes.entries(),
    );
    vec(
      'videocall_held_participants_total',
      'Participants whose connection or relay died, held for the grace period, by outcome (resumed, expired).',
      'outcome',
      this.held.entries(),
    );
    vec(
      'videocall_refused_total',
      'Joins, connections and requests refused or cut for a limit or for access, by reason.',
      'reason',
      this.refused.entries(),
    );
    family('videocall_token_refreshes_total', 'counter', 'Access tokens renewed during a call.');
    out.push(`videocall_token_refreshes_total ${this.tokenRefreshes}`);
    family(
      'videocall_layer_floor_changes_total',
      'counter',
      'Receivers moved a simulcast layer down (or back up) because their link backed up (or drained).',
    );
    out.push(`videocall_layer_floor_changes_total ${this.layerFloorChanges}`);
    family('videocall_bus_connected', 'gauge', 'Whether the bus reaches the other relay nodes now (1) or not (0).');
    out.push(`videocall_bus_connected{bus="${g.bus.kind}"} ${g.bus.connected ? 1 : 0}`);
    family('videocall_relay_nodes', 'gauge', 'Relay nodes known alive on the bus, this one included.');
    out.push(`videocall_relay_nodes ${g.bus.nodes}`);
    const nats = g.bus.nats;
    if (nats) {
      family('videocall_bus_max_payload_bytes', 'gauge', 'Largest message the NATS server accepts (max_payload).');
      out.push(`videocall_bus_max_payload_bytes ${nats.maxPayload}`);
      family('videocall_bus_reconnects_total', 'counter', 'Reconnections to NATS after losing the connection.');
      out.push(`videocall_bus_reconnects_total ${nats.reconnects}`);
      family('videocall_bus_disconnects_total', 'counter', 'Times the NATS connection was lost.');
      out.push(`videocall_bus_disconnects_total ${nats.disconnects}`);
      vec(
        'videocall_bus_dropped_total',
        'Bus messages not published, by reason (disconnected, max-payload, failed).',
        'reason',
        Object.entries(nats.dropped),
      );
      vec('videocall_bus_messages_total', 'Bus messages received from and sent to NATS.', 'direction', [
        ['in', nats.messagesIn],
        ['out', nats.messagesOut],
      ]);
      vec('videocall_bus_bytes_total', 'Bus payload bytes received from and sent to NATS.', 'direction', [
        ['in', nats.bytesIn],
        ['out', nats.bytesOut],
      ]);
    }
    return out.join('\n') + '\n';
  }
}

function byLabel(counts: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  counts.forEach((n, field) => {
    if (n > 0) out[bodyLabelOfField(field)] = n;
  });
  return out;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
