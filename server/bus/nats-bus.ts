/**
 * The bus over a NATS cluster: what relays use when `NATS_URL` is set, so that
 * one room can span many relay nodes. NATS does the clustering (routes between
 * servers, interest-based forwarding, client failover); this is a thin adapter
 * from the {@link Bus} interface to the `nats` client, with these choices:
 *
 * - `noEcho`: a node never gets back what it published. The relay delivers to
 *   its own participants directly and publishes only for the other nodes.
 * - Reconnect forever (`maxReconnectAttempts: -1`) through the whole server list
 *   and the servers the cluster advertises (`connect_urls`). (A server that does
 *   not answer the very first connect is dropped from the list by the client; it
 *   comes back through the cluster's advertisements once it rejoins.) The first
 *   connect fails if no server answers, so a wrong `NATS_URL` is found at start,
 *   not left retrying in silence. While disconnected, `publish` drops
 *   and counts (`dropped.disconnected`) instead of letting the client queue media
 *   that would be stale by the time it left; presence is resynchronized after a
 *   reconnect (`cluster.ts`), so nothing depends on those messages.
 * - `max_payload` is read from the server's INFO on every (re)connect; a larger
 *   payload throws {@link BusPayloadError} (and is counted) rather than being
 *   handed to the client, which would throw something less clear.
 * - Pings every few seconds, so a silent network failure is noticed in seconds,
 *   not the client's default minutes.
 */
import { readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  Events,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
  type NatsError,
  type Subscription,
} from 'nats';
import { ConfigError } from '../errors.js';
import { createLogger } from '../log.js';
import { BusPayloadError, parseSubject, type Bus, type BusHandler, type BusSubscription } from './bus.js';

const log = createLogger('nats-bus');

/** NATS's own default `max_payload`, assumed until a server says otherwise. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** How long `close()` waits for what was published to reach the server. */
const CLOSE_FLUSH_MS = 1000;

const SUBJECT = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/**
 * How a relay proves itself to NATS, and how it checks the server: at most one
 * way to authenticate (a creds file, an NKey seed file, user and password, or a
 * token), and TLS (a CA to trust, and a client certificate when the server
 * requires one). The subjects a relay needs are `room.>` and `relay.>`, to both
 * publish and subscribe (README: "NATS credentials").
 */
export interface NatsAuthOptions {
  /** Path of a `.creds` file (a user JWT and its NKey seed), as `nsc` makes. */
  credsFile?: string;
  /** Path of a file holding an NKey user seed (`SU…`). */
  nkeySeedFile?: string;
  user?: string;
  pass?: string;
  token?: string;
  /** PEM file of the CA that signed the servers' certificates (turns TLS on). */
  tlsCaFile?: string;
  /** PEM files of a client certificate and its key, for servers that verify clients. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

/**
 * `NATS_CREDS`, `NATS_NKEY_SEED`, `NATS_USER` + `NATS_PASS`, `NATS_TOKEN`, `NATS_TLS_CA`,
 * `NATS_TLS_CERT` + `NATS_TLS_KEY` as {@link NatsAuthOptions}; undefined when none is set.
 * Throws {@link ConfigError} for a half-given or ambiguous setting.
 */
export function natsAuthFromEnv(env: NodeJS.ProcessEnv): NatsAuthOptions | undefined {
  const auth: NatsAuthOptions = {};
  if (env.NATS_CREDS) auth.credsFile = env.NATS_CREDS;
  if (env.NATS_NKEY_SEED) auth.nkeySeedFile = env.NATS_NKEY_SEED;
  if (env.NATS_USER) auth.user = env.NATS_USER;
  if (env.NATS_PASS) auth.pass = env.NATS_PASS;
  if (env.NATS_TOKEN) auth.token = env.NATS_TOKEN;
  if (env.NATS_TLS_CA) auth.tlsCaFile = env.NATS_TLS_CA;
  if (env.NATS_TLS_CERT) auth.tlsCertFile = env.NATS_TLS_CERT;
  if (env.NATS_TLS_KEY) auth.tlsKeyFile = env.NATS_TLS_KEY;
  if (Object.keys(auth).length === 0) return undefined;
  checkNatsAuth(auth);
  return auth;
}

/** Throws {@link ConfigError} when `auth` is half-given or names two ways to authenticate. */
export function checkNatsAuth(auth: NatsAuthOptions): void {
  if (Boolean(auth.user) !== Boolean(auth.pass)) throw new ConfigError('set both NATS_USER and NATS_PASS, or neither');
  if (Boolean(auth.tlsCertFile) !== Boolean(auth.tlsKeyFile))
    throw new ConfigError('set both NATS_TLS_CERT and NATS_TLS_KEY (a client certificate), or neither');
  const ways = [auth.credsFile, auth.nkeySeedFile, auth.user, auth.token].filter(Boolean).length;
  if (ways > 1) throw new ConfigError('set one of NATS_CREDS, NATS_NKEY_SEED, NATS_USER/NATS_PASS or NATS_TOKEN');
}

/** {@link NatsAuthOptions} as the `nats` client's connect options; reads the files now (a missing one is a {@link ConfigError}). */
function connectAuth(auth: NatsAuthOptions): Partial<ConnectionOptions> {
  checkNatsAuth(auth);
  const read = (what: string, path: string): Uint8Array => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`${what}: cannot read "${path}": ${(err as Error).message}`);
    }
  };
  const out: Partial<ConnectionOptions> = {};
  if (auth.credsFile) out.authenticator = credsAuthenticator(read('NATS_CREDS', auth.credsFile));
  if (auth.nkeySeedFile) {
    out.authenticator = nkeyAuthenticator(
      new TextEncoder().encode(Buffer.from(read('NATS_NKEY_SEED', auth.nkeySeedFile)).toString().trim()),
    );
  }
  if (auth.user) {
    out.user = auth.user;
    out.pass = auth.pass;
  }
  if (auth.token) out.token = auth.token;
  if (auth.tlsCaFile || auth.tlsCertFile) {
    for (const [what, path] of [
      ['NATS_TLS_CA', auth.tlsCaFile],
      ['NATS_TLS_CERT', auth.tlsCertFile],
      ['NATS_TLS_KEY', auth.tlsKeyFile],
    ] as const) {
      if (path) read(what, path);
    }
    out.tls = {
      ...(auth.tlsCaFile ? { caFile: auth.tlsCaFile } : {}),
      ...(auth.tlsCertFile ? { certFile: auth.tlsCertFile, keyFile: auth.tlsKeyFile } : {}),
    };
  }
  return out;
}

export interface NatsBusOptions extends NatsAuthOptions {
  /** NATS servers, e.g. `['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222']`; `host:port` works too. */
  servers: string[];
  /** Connection name shown by the server's `/connz`. Default `videocall-relay`. */
  name?: string;
  /** Try the servers in random order (spreads relays over the cluster). Default true. */
  randomize?: boolean;
  /** Wait before trying the same server again. Default 1000 ms (other servers are tried at once). */
  reconnectTimeWaitMs?: number;
  /** Ping interval; two unanswered pings mean the connection is dead. Default 3000 ms. */
  pingIntervalMs?: number;
  /** Time to open one connection to one server. Default 5000 ms. */
  connectTimeoutMs?: number;
}

/** Why publishes were not sent: the bus was reconnecting, or the payload was above `max_payload`. */
export type BusDropReason = 'disconnected' | 'max-payload' | 'failed';

/** Counters of a {@link NatsBus}, for `/metrics`. */
export interface NatsBusStats {
  connected: boolean;
  /** Server the bus is connected to now (`host:port`), or the last one. */
  server: string;
  maxPayload: number;
  reconnects: number;
  disconnects: number;
  dropped: Record<BusDropReason, number>;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** The first connection failed on every server. */
export class BusConnectError extends Error {
  override readonly name = 'BusConnectError';
  readonly code = 'bus-unreachable';
}

export class NatsBus implements Bus {
  readonly kind = 'nats';
  private nc: NatsConnection | undefined;
  private connecting: Promise<void> | undefined;
  private isConnected = false;
  private closed = false;
  private lastMaxPayload = DEFAULT_MAX_PAYLOAD;
  private readonly listeners = new Set<(connected: boolean) => void>();
  private readonly counts = { reconnects: 0, disconnects: 0 };
  private readonly dropped: Record<BusDropReason, number> = { disconnected: 0, 'max-payload': 0, failed: 0 };

  /** Connects to `options.servers` and resolves once connected to one of them. */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const bus = new NatsBus(options);
    await bus.connect();
    return bus;
  }

  /** A bus not connected yet: call {@link connect} before using it. */
  constructor(private readonly options: NatsBusOptions) {
    if (options.servers.length === 0) throw new RangeError('NatsBus needs at least one server');
  }

  /**
   * Opens the connection: tries each server once and rejects with
   * {@link BusConnectError} if none answers. Once connected, it reconnects by
   * itself, forever. Idempotent.
   */
  connect(): Promise<void> {
    this.connecting ??= this.open();
    return this.connecting;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get maxPayload(): number {
    const current = this.nc?.info?.max_payload;
    if (current) this.lastMaxPayload = current;
    return this.lastMaxPayload;
  }

  stats(): NatsBusStats {
    const io = this.nc?.stats() ?? { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0 };
    return {
      connected: this.isConnected,
      server: this.nc?.getServer() ?? '',
      maxPayload: this.maxPayload,
      reconnects: this.counts.reconnects,
      disconnects: this.counts.disconnects,
      dropped: { ...this.dropped },
      messagesIn: io.inMsgs,
      messagesOut: io.outMsgs,
      bytesIn: io.inBytes,
      bytesOut: io.outBytes,
    };
  }

  publish(subject: string, payload: Uint8Array): void {
    if (this.closed) return;
    if (!SUBJECT.test(subject)) parseSubject(subject, false); // throws the same error as the local bus
    const max = this.maxPayload;
    if (payload.length > max) {
      this.dropped['max-payload']++;
      throw new BusPayloadError(payload.length, max);
    }
    const nc = this.nc;
    if (!nc || !this.isConnected) {
      this.dropped.disconnected++;
      return;
    }
    try {
      nc.publish(subject, payload);
    } catch (err) {
      // The client refuses when it learned a smaller max_payload, or closes under us.
      if ((err as NatsError).code === 'MAX_PAYLOAD_EXCEEDED') {
        this.dropped['max-payload']++;
        throw new BusPayloadError(payload.length, this.maxPayload);
      }
      this.dropped.failed++;
      log.warn('publish failed', { subject, err });
    }
  }

  subscribe(pattern: string, handler: BusHandler): BusSubscription {
    parseSubject(pattern, true);
    const nc = this.nc;
    if (this.closed || !nc) {
      if (!this.closed) throw new Error('NatsBus: connect() before subscribing');
      return { unsubscribe: () => {} };
    }
    let sub: Subscription | undefined = nc.subscribe(pattern, {
      callback: (err, msg) => {
        if (err) {
          log.warn('subscription error', { pattern, err });
          return;
        }
        try {
          handler(msg.subject, msg.data);
        } catch (e) {
          log.error('bus handler threw', { subject: msg.subject, err: e });
        }
      },
    });
    return {
      unsubscribe: () => {
        if (!sub) return;
        // While reconnecting the UNSUB cannot be sent; the client drops the subscription
        // locally and does not send it again on reconnect.
        if (!sub.isClosed()) sub.unsubscribe();
        sub = undefined;
      },
    };
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Flushes what was published (bounded), then closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connecting?.catch(() => {});
    const nc = this.nc;
    if (!nc) return;
    if (this.isConnected) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        nc.flush().catch(() => {}),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_FLUSH_MS))),
      ]);
      clearTimeout(timer);
    }
    this.setConnected(false);
    await nc.close().catch(() => {});
  }

  private async open(): Promise<void> {
    const o = this.options;
    const auth = connectAuth(o);
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: o.servers,
        name: o.name ?? 'videocall-relay',
        noEcho: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: o.reconnectTimeWaitMs ?? 1000,
        reconnectJitter: 200,
        pingInterval: o.pingIntervalMs ?? 3000,
        maxPingOut: 2,
        timeout: o.connectTimeoutMs ?? 5000,
        noRandomize: o.randomize === false,
        ...auth,
      });
    } catch (err) {
      const e = err as NatsError;
      // The server refused our credentials: say so, not just "cannot connect".
      const refused = e.code === 'AUTHORIZATION_VIOLATION' || /authori[sz]ation|authentication/i.test(e.message);
      const why = refused
        ? `the server refused the relay's credentials (${e.message}); check NATS_CREDS, NATS_NKEY_SEED, NATS_USER/NATS_PASS or NATS_TOKEN`
        : e.message;
      throw new BusConnectError(`cannot connect to NATS at ${o.servers.join(', ')}: ${why}`, { cause: err });
    }
    if (this.closed) {
      await nc.close();
      return;
    }
    this.nc = nc;
    this.setConnected(true);
    log.info('connected to NATS', { server: nc.getServer(), maxPayload: this.maxPayload });
    void this.watch(nc);
    void nc.closed().then((err) => {
      this.setConnected(false);
      if (!this.closed) log.error('NATS connection closed for good', { err });
    });
  }

  /** Follows the client's status events: connected or not, and why. */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      switch (status.type) {
        case Events.Disconnect:
          this.counts.disconnects++;
          log.warn('lost the NATS connection; reconnecting', { server: status.data });
          this.setConnected(false);
          break;
        case Events.Reconnect:
          this.counts.reconnects++;
          log.info('reconnected to NATS', { server: status.data, maxPayload: this.maxPayload });
          this.setConnected(true);
          break;
        case Events.LDM:
          log.info('NATS server entering lame duck mode', { server: nc.getServer() });
          break;
        case Events.Error:
          log.warn('NATS error', { data: status.data });
          break;
        default:
          break;
      }
    }
  }

  private setConnected(connected: boolean): void {
    if (this.isConnected === connected) return;
    this.isConnected = connected;
    for (const listener of [...this.listeners]) {
      try {
        listener(connected);
      } catch (err) {
        log.error('connection listener threw', { err });
      }
    }
  }
}
