/**
 * `/metrics` through `prom-client`: the relay's counters (kept as plain numbers
 * on the hot path, in `Metrics`) and gauges (read at scrape time) exposed as
 * Prometheus metric families. Each family reads its values in `collect()`, when
 * scraped, so nothing on the data path calls into prom-client. The families of
 * WebTransport and NATS are in their own registries, shown only when those run.
 */
import { Counter, Gauge, Registry, type CounterConfiguration, type GaugeConfiguration } from 'prom-client';
import type { Metrics, MetricsGauges } from './metrics.js';

type Values = () => number | Iterable<[string, number]>;

export class PrometheusExport {
  private readonly base = new Registry();
  private readonly webTransport = new Registry();
  private readonly nats = new Registry();
  /** The gauges of the scrape under way, read by the families' `collect()`. */
  private g: MetricsGauges | undefined;

  constructor(metrics: Metrics) {
    const m = metrics;
    const { version, protocol } = metrics;
    const g = (): MetricsGauges => this.g!;
    this.gauge(this.base, 'videocall_relay_info', 'Relay build information.', () => [['', 1]], undefined, {
      version,
      protocol: String(protocol),
    });
    this.gauge(this.base, 'videocall_uptime_seconds', 'Seconds since the relay started.', () => g().uptimeSeconds);
    this.counter(
      this.base,
      'videocall_connections_total',
      'Client connections accepted (WebSocket and WebTransport).',
      () => m.connectionsTotal,
    );
    this.gauge(
      this.base,
      'videocall_connections',
      'Client connections open now (WebSocket and WebTransport).',
      () => g().connections,
    );
    this.counter(
      this.webTransport,
      'videocall_webtransport_sessions_total',
      'WebTransport sessions accepted.',
      () => m.webTransportSessionsTotal,
    );
    this.gauge(
      this.webTransport,
      'videocall_webtransport_sessions',
      'WebTransport sessions open now.',
      () => g().webTransport?.sessions ?? 0,
    );
    this.gauge(
      this.webTransport,
      'videocall_quic_connections',
      'QUIC connections open now (each carries WebTransport sessions).',
      () => g().webTransport?.quicConnections ?? 0,
    );
    this.gauge(
      this.webTransport,
      'videocall_quic_handshaking',
      'QUIC connections still in their handshake (half-open); QUIC_RETRY=auto sends Retries above a threshold.',
      () => g().webTransport?.quicHandshaking ?? 0,
    );
    this.counter(
      this.webTransport,
      'videocall_quic_retries_total',
      'QUIC Retry packets sent to validate client addresses.',
      () => g().webTransport?.quicRetries ?? 0,
    );
    this.counter(
      this.webTransport,
      'videocall_quic_invalid_tokens_total',
      'Client Initials dropped for their address-validation token, by reason (malformed, unauthentic, expired).',
      () => Object.entries(g().webTransport?.quicInvalidTokens ?? {}),
      'reason',
    );
    this.counter(
      this.webTransport,
      'videocall_webtransport_refused_streams_total',
      'WebTransport streams from clients the relay refused, by reason.',
      () => m.refusedStreams.entries(),
      'reason',
    );
    this.counter(this.base, 'videocall_joins_total', 'Successful joins.', () => m.joinsTotal);
    this.gauge(this.base, 'videocall_rooms', 'Rooms with participants on this relay.', () => g().rooms);
    this.gauge(this.base, 'videocall_participants', 'Participants joined on this relay.', () => g().participants);
    this.counter(
      this.base,
      'videocall_messages_in_total',
      'Envelopes received from clients, by type.',
      () => Object.entries(m.messagesIn()),
      'type',
    );
    this.counter(
      this.base,
      'videocall_messages_out_total',
      'Envelopes sent to clients, by type.',
      () => Object.entries(m.messagesOut()),
      'type',
    );
    this.counter(this.base, 'videocall_bytes_in_total', 'Envelope bytes received from clients.', () => m.bytesIn);
    this.counter(this.base, 'videocall_bytes_out_total', 'Envelope bytes sent to clients.', () => m.bytesOut);
    const vecs: [string, string, string, () => Iterable<[string, number]>][] = [
      [
        'videocall_dropped_messages_total',
        'Messages not delivered to a receiver, by reason.',
        'reason',
        () => m.dropped.entries(),
      ],
      [
        'videocall_errors_total',
        'Errors sent to clients and connections closed for a reason, by code.',
        'code',
        () => m.errors.entries(),
      ],
      [
        'videocall_resumes_total',
        'Joins that carried a resume token, by outcome (resumed, resumed-unknown, rejected-<why>).',
        'outcome',
        () => m.resumes.entries(),
      ],
      [
        'videocall_held_participants_total',
        'Participants whose connection or relay died, held for the grace period, by outcome (resumed, expired).',
        'outcome',
        () => m.held.entries(),
      ],
      [
        'videocall_refused_total',
        'Joins, connections and requests refused or cut for a limit or for access, by reason.',
        'reason',
        () => m.refused.entries(),
      ],
      [
        'videocall_lobby_total',
        'Joiners that waited in a lobby, and how it ended (waiting, admitted, denied).',
        'outcome',
        () => m.lobby.entries(),
      ],
      ['videocall_moderation_total', 'Admin actions, by action.', 'action', () => m.moderation.entries()],
    ];
    for (const [name, help, label, values] of vecs) this.counter(this.base, name, help, values, label);
    this.counter(
      this.base,
      'videocall_token_refreshes_total',
      'Access tokens renewed during a call.',
      () => m.tokenRefreshes,
    );
    this.counter(
      this.base,
      'videocall_layer_floor_changes_total',
      'Receivers moved a simulcast layer down (or back up) because their link backed up (or drained).',
      () => m.layerFloorChanges,
    );
    this.gauge(
      this.base,
      'videocall_bus_connected',
      'Whether the bus reaches the other relay nodes now (1) or not (0).',
      () => [[g().bus.kind, g().bus.connected ? 1 : 0]],
      'bus',
    );
    this.gauge(
      this.base,
      'videocall_relay_nodes',
      'Relay nodes known alive on the bus, this one included.',
      () => g().bus.nodes,
    );
    const nats = () => g().bus.nats!;
    this.gauge(
      this.nats,
      'videocall_bus_max_payload_bytes',
      'Largest message the NATS server accepts (max_payload).',
      () => nats().maxPayload,
    );
    this.counter(
      this.nats,
      'videocall_bus_reconnects_total',
      'Reconnections to NATS after losing the connection.',
      () => nats().reconnects,
    );
    this.counter(
      this.nats,
      'videocall_bus_disconnects_total',
      'Times the NATS connection was lost.',
      () => nats().disconnects,
    );
    this.counter(
      this.nats,
      'videocall_bus_dropped_total',
      'Bus messages not published, by reason (disconnected, max-payload, failed).',
      () => Object.entries(nats().dropped),
      'reason',
    );
    this.counter(
      this.nats,
      'videocall_bus_messages_total',
      'Bus messages received from and sent to NATS.',
      () => [
        ['in', nats().messagesIn],
        ['out', nats().messagesOut],
      ],
      'direction',
    );
    this.counter(
      this.nats,
      'videocall_bus_bytes_total',
      'Bus payload bytes received from and sent to NATS.',
      () => [
        ['in', nats().bytesIn],
        ['out', nats().bytesOut],
      ],
      'direction',
    );
  }

  /** The content type of {@link render}'s text. */
  get contentType(): string {
    return this.base.contentType;
  }

  /** Every family, with `gauges` read now, in Prometheus text format. */
  async render(gauges: MetricsGauges): Promise<string> {
    this.g = gauges;
    try {
      let text = await this.base.metrics();
      if (gauges.webTransport) text += await this.webTransport.metrics();
      if (gauges.bus.nats) text += await this.nats.metrics();
      // prom-client separates families with blank lines; one line per sample or comment reads as before.
      return text.replace(/\n{2,}/g, '\n');
    } finally {
      this.g = undefined;
    }
  }

  private counter(registry: Registry, name: string, help: string, values: Values, label?: string): void {
    const config: CounterConfiguration<string> = {
      name,
      help,
      registers: [registry],
      labelNames: label ? [label] : [],
      collect() {
        this.reset();
        set(values(), label, (v, labels) => (labels ? this.inc(labels, v) : this.inc(v)));
      },
    };
    new Counter(config);
  }

  private gauge(
    registry: Registry,
    name: string,
    help: string,
    values: Values,
    label?: string,
    fixed?: Record<string, string>,
  ): void {
    const labelNames = [...(label ? [label] : []), ...Object.keys(fixed ?? {})];
    const config: GaugeConfiguration<string> = {
      name,
      help,
      registers: [registry],
      labelNames,
      collect() {
        this.reset();
        set(values(), label, (v, labels) => {
          const all = { ...labels, ...fixed };
          if (Object.keys(all).length > 0) this.set(all, v);
          else this.set(v);
        });
      },
    };
    new Gauge(config);
  }
}

/** Calls `put` with each value: one unlabelled, or one per label value. */
function set(
  values: number | Iterable<[string, number]>,
  label: string | undefined,
  put: (value: number, labels?: Record<string, string>) => void,
): void {
  if (typeof values === 'number') return put(values);
  for (const [value, n] of values) put(n, label ? { [label]: value } : undefined);
}
