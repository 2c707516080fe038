/**
 * `relay.stats()`: the gauges `/metrics` shows (read once, by the same function)
 * and the relay's counters, as one object of numbers.
 */
import type { Bus } from './bus/bus.js';
import type { Metrics, MetricsGauges } from './metrics.js';
import type { WebTransportStatus } from './wt-server.js';

/** A snapshot of one relay's counters (what `/metrics` shows, as numbers). */
export interface RelayStats {
  /** Client connections open now: WebSocket connections and WebTransport sessions. */
  connections: number;
  /** WebTransport: its status, sessions open now and accepted, QUIC connections open now, streams refused by reason. */
  webTransport: {
    status: WebTransportStatus['status'];
    sessions: number;
    sessionsTotal: number;
    quicConnections: number;
    refusedStreams: Record<string, number>;
  };
  /** Rooms and participants on this node now. */
  rooms: number;
  participants: number;
  connectionsTotal: number;
  joinsTotal: number;
  /** Envelopes received from clients, by type (proto field name, e.g. `media`). */
  messagesIn: Record<string, number>;
  /** Envelopes sent to clients, by type. */
  messagesOut: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  /** Messages not delivered, by reason (`video-congested`, `audio-congested`, ...). */
  dropped: Record<string, number>;
  /** Errors sent or connections closed, by error code. */
  errors: Record<string, number>;
  /** Joins, connections and requests refused or cut for a limit or for access, by reason. */
  refused: Record<string, number>;
  /** Resumes by outcome (`resumed`, `resumed-unknown`, `rejected-<why>`). */
  resumes: Record<string, number>;
  /** Access tokens renewed during a call. */
  tokenRefreshes: number;
  layerFloorChanges: number;
  uptimeSeconds: number;
  /** The bus: its kind, whether it reaches the other nodes now, and the relay nodes known alive (this one included). */
  bus: { kind: Bus['kind']; connected: boolean; nodes: number };
}

/** The stats of a relay whose gauges are `g` and counters `metrics`. */
export function relayStats(g: MetricsGauges, metrics: Metrics, webTransport: WebTransportStatus['status']): RelayStats {
  return {
    connections: g.connections,
    webTransport: {
      status: webTransport,
      sessions: g.webTransport?.sessions ?? 0,
      sessionsTotal: metrics.webTransportSessionsTotal,
      quicConnections: g.webTransport?.quicConnections ?? 0,
      refusedStreams: metrics.refusedStreams.toObject(),
    },
    rooms: g.rooms,
    participants: g.participants,
    uptimeSeconds: g.uptimeSeconds,
    // Without the NATS client's counters: those are for /metrics.
    bus: { kind: g.bus.kind, connected: g.bus.connected, nodes: g.bus.nodes },
    connectionsTotal: metrics.connectionsTotal,
    joinsTotal: metrics.joinsTotal,
    messagesIn: metrics.messagesIn(),
    messagesOut: metrics.messagesOut(),
    bytesIn: metrics.bytesIn,
    bytesOut: metrics.bytesOut,
    dropped: metrics.dropped.toObject(),
    errors: metrics.errors.toObject(),
    refused: metrics.refused.toObject(),
    resumes: metrics.resumes.toObject(),
    tokenRefreshes: metrics.tokenRefreshes,
    layerFloorChanges: metrics.layerFloorChanges,
  };
}
