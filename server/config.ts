/**
 * The relay's options: their types and defaults (`resolveOptions`) and how the
 * command line process reads them from the environment (`optionsFromEnv`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_ROOM_SIZE,
} from '../src/protocol/index.js';
import { readPublicKeySetting, type AuthOptions } from './access-tokens.js';
import type { Bus } from './bus/bus.js';
import { LocalBus } from './bus/local-bus.js';
import { NatsBus, natsAuthFromEnv, type NatsAuthOptions } from './bus/nats-bus.js';
import { ConfigError } from './errors.js';
import { parseAllowedOrigins } from './origins.js';
import { isLogLevel, type LogLevel } from './log.js';
import { findPackageRoot, readPackageVersion } from './paths.js';
import { WebTransportError, type QuicheLoad } from './webtransport/index.js';
import { webTransportEnv } from './wt-server.js';

/**
 * Socket buffer thresholds (bytes queued for one receiver, `ws.bufferedAmount`)
 * at which the relay starts dropping for that receiver. Control is never dropped.
 */
export interface BackpressureLimits {
  /** Above this, video is dropped and the track then waits for a keyframe. Default 1 MiB. */
  videoDropBytes: number;
  /** Above this, audio is dropped too. Default 4 MiB. */
  audioDropBytes: number;
  /** Above this, the receiver is closed as `slow-consumer` (4009). Default 16 MiB. */
  closeBytes: number;
  /**
   * A receiver above `audioDropBytes` this long (ms) is closed as `slow-consumer` too:
   * media is dropped there, so only control would ever reach `closeBytes`. Default 10000.
   */
  slowConsumerMs: number;
}

/** Options of {@link startRelay}. Every field is optional. */
export interface RelayOptions {
  /** TCP port; 0 picks a free one (read it back from `Relay.port`). Default 8080. */
  port?: number;
  /** Interface to listen on. Default `0.0.0.0` (all IPv4 interfaces), what a deployed relay needs. */
  host?: string;
  /** PEM certificate chain and key: when given, the relay serves HTTPS and WSS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Largest envelope accepted, in bytes; larger WebSocket messages close with 1009. */
  maxMessageBytes?: number;
  /** Most participants in one room (participants held for a resume don't count). */
  maxRoomSize?: number;
  /** Rooms with participants on this relay; a join that would open one more is refused. Default 10000. */
  maxRooms?: number;
  /** Client connections open at once (WebSocket and WebTransport). Default 10000. */
  maxConnections?: number;
  /** Client connections open at once from one address (an IPv4 address or an IPv6 /64). Default 100. */
  maxConnectionsPerAddress?: number;
  /** Joins from one address per minute. Default 60. */
  joinsPerAddressPerMinute?: number;
  /** A connection that has not sent `Join` this long after opening is closed (`join-deadline`). Default 10000. */
  joinDeadlineMs?: number;
  /** Longest an HTTP client may take to send its request headers (Node's `headersTimeout`). Default 10000. */
  headersTimeoutMs?: number;
  /** How often clients must send something; silent for 3 intervals means gone. Default 5000. */
  heartbeatIntervalMs?: number;
  /** Directory served at `/` (its `index.html`) and below. Default `<repo>/demo`. */
  demoDir?: string;
  /** Directory holding the built `videocall-room.js`. Default `<repo>/dist`. */
  distDir?: string;
  /**
   * Compress the bundle (Brotli and gzip) as soon as the relay listens, so the first
   * page load gets it compressed without waiting ~0.5 s for it. Either way every
   * compressible file is compressed once, on its first request. Default false
   * (tests start many relays); `npm start` and the `videocall-relay` command turn it on.
   */
  precompressBundle?: boolean;
  /** The bus between relay nodes. Default a new in-process `LocalBus` (closed with the relay). */
  bus?: Bus;
  /**
   * NATS servers to run on as one node of a cluster of relays, as a comma-separated
   * string (`nats://a:4222,nats://b:4222`) or a list. Used when `bus` is not given:
   * the relay then connects at start (failing if no server answers) and closes the
   * connection when it stops. Default unset: the in-process bus.
   */
  natsUrl?: string | string[];
  /** How often this relay tells the others it is alive; silent for 3 intervals means gone. Default 2000. */
  nodeHeartbeatMs?: number;
  /** Longest the first joiner of a room on this relay waits for the other relays' roster. Default 500. */
  rosterSyncTimeoutMs?: number;
  /**
   * How long a participant whose connection died (or whose relay died or stopped) is
   * kept in its room before the others are told it left: a client that reconnects
   * within it, to any relay of the cluster, resumes as the same participant and the
   * others see nothing. 0 reports the departure at once. Default 10000.
   */
  resumeGraceMs?: number;
  /**
   * Secret that signs resume tokens; every relay of a cluster needs the same one
   * for participants to resume on another relay. Default: random per process
   * (participants can then resume only on the relay they were on).
   */
  resumeSecret?: string | Uint8Array;
  /**
   * How access tokens are checked: an HS256 `secret`, or an ES256/EdDSA `publicKey`
   * (PEM or JWKS). Default unset: open mode, where anyone joins any room (development only).
   */
  auth?: AuthOptions;
  /**
   * Web origins whose pages may use the relay (`https://app.example.com`), checked on
   * the WebSocket upgrade, the WebTransport CONNECT and for CORS; the relay's own
   * pages always may. Default unset (or `*`): any origin.
   */
  allowedOrigins?: string[];
  backpressure?: Partial<BackpressureLimits>;
  /**
   * Most microphones a room forwards at once: the loudest, by the audio level in
   * each frame's clear header, with hysteresis. 0 forwards every microphone. Default 3.
   */
  maxAudible?: number;
  /** How long a speaker must be quiet before another may take its place among the audible. Default 1500. */
  speakerHoldMs?: number;
  /**
   * Longest a join into a big room waits to be announced together with the joins
   * after it (one `PeersJoined` per member instead of one message per join); 0
   * announces each join at once. Default 100.
   */
  presenceBatchMs?: number;
  /** Room size from which joins are announced in batches (see `presenceBatchMs`). Default 50. */
  presenceBatchFrom?: number;
  /**
   * Every room admits by hand: joiners without the `admin` grant wait in the lobby
   * until an admin lets them in (as they do in a room an admin locked, or with a
   * token whose grants say `lobby`). Default false.
   */
  lobby?: boolean;
  /** Most people waiting in one room's lobby on this relay; more are refused (`lobby-full`). Default 100. */
  maxLobbySize?: number;
  /** How long an identity an admin removed from a room stays refused there, in ms. Default 12 hours. */
  removalBanMs?: number;
  /**
   * Control (every message but media) a connection may send, in bytes per second,
   * after a burst of `controlBurstBytes`; beyond it messages are dropped (counted),
   * and a client that keeps on is closed (`control-flood`). Default 32 KiB/s, burst 128 KiB.
   */
  controlBytesPerSecond?: number;
  controlBurstBytes?: number;
  /**
   * Control other participants cause to be sent to one receiver, in bytes per
   * second after a burst of `receiverControlBurstBytes`, so many senders together
   * cannot flood one receiver; beyond it, key exchange and keyframe requests are
   * dropped and state updates coalesced to the latest (see `receiver-control-budget.ts`).
   * Default 64 KiB/s, burst 256 KiB.
   */
  receiverControlBytesPerSecond?: number;
  receiverControlBurstBytes?: number;
  /** Credentials and TLS for `natsUrl` (see {@link NatsAuthOptions}). */
  natsAuth?: NatsAuthOptions;
  /** Keyframe requests per (sender, target): a burst, then a sustained rate. Default 3, then 3 per second. */
  keyframeRequestBurst?: number;
  keyframeRequestsPerSecond?: number;
  /** Consecutive bad messages after which a connection is closed as `malformed`. Default 20. */
  maxBadMessagesInRow?: number;
  /** Longest `close()` waits for clients to finish the closing handshake. Default 3000. */
  shutdownTimeoutMs?: number;
  /** Reported in `Welcome`, `/healthz` and `/metrics`. Default the package.json version. */
  version?: string;
  /**
   * WebTransport (HTTP/3 over QUIC, UDP) beside WebSocket, with the `tls` certificate
   * (or a generated development one, whose hash `/webtransport.json` publishes).
   * Default on; a relay whose QUIC binding or UDP port is unavailable runs without it.
   */
  webTransport?: RelayWebTransportOptions;
  /** Serve `/metrics` on this plain-HTTP port instead of the relay's own (`METRICS_PORT`; 0 picks one). */
  metricsPort?: number;
  /** Interface for `metricsPort` (`METRICS_HOST`). Default `host`. */
  metricsHost?: string;
  /** `/metrics` answers only `Authorization: Bearer <metricsToken>` (`METRICS_TOKEN`, 16+ characters). */
  metricsToken?: string;
}

/** {@link RelayOptions.webTransport}. */
export interface RelayWebTransportOptions {
  /** False turns WebTransport off. Default true. */
  enabled?: boolean;
  /** UDP port. Default: the relay's TCP port (a free one when that is 0). */
  port?: number;
  /**
   * QUIC Retry address validation (`QUIC_RETRY`): `auto` (default) sends Retries while
   * `retryThreshold` connections are still handshaking, `always` for every new client, `never`.
   */
  retry?: 'auto' | 'always' | 'never';
  /** Half-open QUIC connections from which `auto` sends Retries (`QUIC_RETRY_THRESHOLD`). Default 64. */
  retryThreshold?: number;
  /** @internal Tests act out a missing QUIC binding with it. */
  loadBinding?: () => Promise<QuicheLoad>;
}

/** {@link RelayOptions} with every default filled in. */
export interface ResolvedRelayOptions extends Required<
  Omit<
    RelayOptions,
    | 'tls'
    | 'backpressure'
    | 'natsUrl'
    | 'resumeSecret'
    | 'webTransport'
    | 'auth'
    | 'allowedOrigins'
    | 'natsAuth'
    | 'metricsPort'
    | 'metricsHost'
    | 'metricsToken'
  >
> {
  metricsPort: number | undefined;
  metricsHost: string | undefined;
  metricsToken: string | undefined;
  natsAuth: NatsAuthOptions | undefined;
  allowedOrigins: string[] | undefined;
  auth: AuthOptions | undefined;
  tls: RelayOptions['tls'];
  resumeSecret: RelayOptions['resumeSecret'];
  /** `natsUrl` as a list; empty without NATS. */
  natsServers: string[];
  backpressure: BackpressureLimits;
  webTransport: {
    enabled: boolean;
    port: number | undefined;
    retry?: 'auto' | 'always' | 'never';
    retryThreshold?: number;
    loadBinding?: () => Promise<QuicheLoad>;
  };
  /** True when `bus` was created here, so the relay owns (and closes) it. */
  ownsBus: boolean;
}

const MiB = 1024 * 1024;

export function resolveOptions(options: RelayOptions = {}): ResolvedRelayOptions {
  const root = findPackageRoot();
  const natsServers = options.natsUrl === undefined ? [] : parseNatsServers(options.natsUrl);
  const resolved: ResolvedRelayOptions = {
    port: options.port ?? 8080,
    host: options.host ?? '0.0.0.0',
    tls: options.tls,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxRoomSize: options.maxRoomSize ?? DEFAULT_MAX_ROOM_SIZE,
    maxRooms: options.maxRooms ?? 10_000,
    maxConnections: options.maxConnections ?? 10_000,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 100,
    joinsPerAddressPerMinute: options.joinsPerAddressPerMinute ?? 60,
    joinDeadlineMs: options.joinDeadlineMs ?? 10_000,
    headersTimeoutMs: options.headersTimeoutMs ?? 10_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    demoDir: options.demoDir ?? join(root, 'demo'),
    distDir: options.distDir ?? join(root, 'dist'),
    precompressBundle: options.precompressBundle ?? false,
    natsServers,
    // An unconnected NatsBus: `startRelay` connects it.
    bus:
      options.bus ??
      (natsServers.length > 0 ? new NatsBus({ servers: natsServers, ...options.natsAuth }) : new LocalBus()),
    natsAuth: options.natsAuth,
    ownsBus: options.bus === undefined,
    nodeHeartbeatMs: options.nodeHeartbeatMs ?? 2000,
    rosterSyncTimeoutMs: options.rosterSyncTimeoutMs ?? 500,
    resumeGraceMs: options.resumeGraceMs ?? 10_000,
    resumeSecret: options.resumeSecret,
    metricsPort: options.metricsPort,
    metricsHost: options.metricsHost,
    metricsToken: options.metricsToken,
    auth: options.auth,
    allowedOrigins: options.allowedOrigins,
    backpressure: {
      videoDropBytes: options.backpressure?.videoDropBytes ?? 1 * MiB,
      audioDropBytes: options.backpressure?.audioDropBytes ?? 4 * MiB,
      closeBytes: options.backpressure?.closeBytes ?? 16 * MiB,
      slowConsumerMs: options.backpressure?.slowConsumerMs ?? 10_000,
    },
    maxAudible: options.maxAudible ?? 3,
    speakerHoldMs: options.speakerHoldMs ?? 1500,
    presenceBatchMs: options.presenceBatchMs ?? 100,
    presenceBatchFrom: options.presenceBatchFrom ?? 50,
    keyframeRequestBurst: options.keyframeRequestBurst ?? 3,
    keyframeRequestsPerSecond: options.keyframeRequestsPerSecond ?? 3,
    lobby: options.lobby ?? false,
    maxLobbySize: options.maxLobbySize ?? 100,
    removalBanMs: options.removalBanMs ?? 12 * 3600_000,
    controlBytesPerSecond: options.controlBytesPerSecond ?? 32 * 1024,
    controlBurstBytes: options.controlBurstBytes ?? 128 * 1024,
    receiverControlBytesPerSecond: options.receiverControlBytesPerSecond ?? 64 * 1024,
    receiverControlBurstBytes: options.receiverControlBurstBytes ?? 256 * 1024,
    maxBadMessagesInRow: options.maxBadMessagesInRow ?? 20,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 3000,
    version: options.version ?? readPackageVersion(root),
    webTransport: {
      enabled: options.webTransport?.enabled ?? true,
      port: options.webTransport?.port,
      ...(options.webTransport?.retry ? { retry: options.webTransport.retry } : {}),
      ...(options.webTransport?.retryThreshold !== undefined
        ? { retryThreshold: options.webTransport.retryThreshold }
        : {}),
      ...(options.webTransport?.loadBinding ? { loadBinding: options.webTransport.loadBinding } : {}),
    },
  };
  validate(resolved);
  return resolved;
}

function validate(o: ResolvedRelayOptions): void {
  const int = (name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
    }
  };
  int('port', o.port, 0, 65535);
  if (o.webTransport.port !== undefined) int('webTransport.port', o.webTransport.port, 0, 65535);
  if (o.metricsPort !== undefined) int('metricsPort', o.metricsPort, 0, 65535);
  if (o.metricsPort !== undefined && o.metricsPort !== 0 && o.metricsPort === o.port) {
    throw new ConfigError('metricsPort must differ from port: it is a server of its own');
  }
  if (o.metricsToken !== undefined && o.metricsToken.length < 16) {
    throw new ConfigError('METRICS_TOKEN (metricsToken) must be at least 16 characters');
  }
  if (o.webTransport.retryThreshold !== undefined) int('webTransport.retryThreshold', o.webTransport.retryThreshold, 1);
  if (o.webTransport.retry !== undefined && !['auto', 'always', 'never'].includes(o.webTransport.retry)) {
    throw new ConfigError(`webTransport.retry must be auto, always or never, got ${String(o.webTransport.retry)}`);
  }
  int('maxMessageBytes', o.maxMessageBytes, 1024, 64 * MiB);
  int('maxRoomSize', o.maxRoomSize, 1);
  int('maxRooms', o.maxRooms, 1);
  int('maxConnections', o.maxConnections, 1);
  int('maxConnectionsPerAddress', o.maxConnectionsPerAddress, 1);
  int('joinsPerAddressPerMinute', o.joinsPerAddressPerMinute, 1);
  int('joinDeadlineMs', o.joinDeadlineMs, 100);
  int('headersTimeoutMs', o.headersTimeoutMs, 100);
  int('heartbeatIntervalMs', o.heartbeatIntervalMs, 10);
  int('maxBadMessagesInRow', o.maxBadMessagesInRow, 1);
  int('shutdownTimeoutMs', o.shutdownTimeoutMs, 0);
  int('nodeHeartbeatMs', o.nodeHeartbeatMs, 10);
  int('rosterSyncTimeoutMs', o.rosterSyncTimeoutMs, 0);
  int('resumeGraceMs', o.resumeGraceMs, 0, 10 * 60_000);
  int('maxAudible', o.maxAudible, 0, 1000);
  int('speakerHoldMs', o.speakerHoldMs, 0, 60_000);
  int('presenceBatchMs', o.presenceBatchMs, 0, 10_000);
  int('presenceBatchFrom', o.presenceBatchFrom, 1);
  int('maxLobbySize', o.maxLobbySize, 1);
  int('removalBanMs', o.removalBanMs, 0);
  int('controlBytesPerSecond', o.controlBytesPerSecond, 1024);
  // A burst must hold the largest control message (a Join with a token, a Subscription).
  int('controlBurstBytes', o.controlBurstBytes, 16 * 1024);
  int('receiverControlBytesPerSecond', o.receiverControlBytesPerSecond, 1024);
  // A burst must hold the largest control message a receiver gets (a Knock listing a full lobby).
  int('receiverControlBurstBytes', o.receiverControlBurstBytes, 16 * 1024);
  const bp = o.backpressure;
  if (!(bp.videoDropBytes > 0 && bp.videoDropBytes <= bp.audioDropBytes && bp.audioDropBytes <= bp.closeBytes)) {
    throw new ConfigError('backpressure limits must satisfy 0 < videoDropBytes <= audioDropBytes <= closeBytes');
  }
  int('backpressure.slowConsumerMs', bp.slowConsumerMs, 1);
  if (!(o.keyframeRequestBurst >= 1 && o.keyframeRequestsPerSecond > 0)) {
    throw new ConfigError('keyframeRequestBurst must be at least 1 and keyframeRequestsPerSecond above 0');
  }
}

/** What the command line process reads from its environment. */
export interface EnvConfig {
  options: RelayOptions;
  logLevel: LogLevel | undefined;
}

/**
 * The servers of a `NATS_URL`-style list: comma-separated `nats://host:port`
 * (`tls://` for TLS; a bare `host:port` means `nats://`). Throws {@link ConfigError}.
 */
export function parseNatsServers(value: string | string[]): string[] {
  const list = (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const shown = Array.isArray(value) ? value.join(',') : value;
  if (list.length === 0) throw new ConfigError(`NATS_URL lists no server: "${shown}"; e.g. nats://127.0.0.1:4222`);
  for (const server of list) {
    let url: URL | undefined;
    try {
      url = new URL(server.includes('://') ? server : `nats://${server}`);
    } catch {
      url = undefined;
    }
    if (!url || !['nats:', 'tls:'].includes(url.protocol) || !url.hostname || !/^\/?$/.test(url.pathname)) {
      throw new ConfigError(
        `NATS_URL: "${server}" is not a NATS server address; list servers as nats://host:port, separated by commas`,
      );
    }
  }
  return list;
}

/**
 * Reads the relay's environment variables: `PORT`, `HOST`, `TLS_CERT` and `TLS_KEY`
 * (PEM file paths, both or neither), `MAX_MESSAGE_BYTES`, `MAX_ROOM_SIZE`,
 * `HEARTBEAT_INTERVAL_MS`, `DEMO_DIR`, `DIST_DIR`, `SHUTDOWN_TIMEOUT_MS`, `LOG_LEVEL`, `NATS_URL`,
 * `RESUME_GRACE_MS`, `RESUME_SECRET`, `WEBTRANSPORT` (`on`/`off`), `WT_PORT` (UDP), `QUIC_RETRY`, `QUIC_RETRY_THRESHOLD`,
 * `AUTH_SECRET` (HS256) or `AUTH_PUBLIC_KEY` (PEM or JWKS, inline or a file path), `ALLOWED_ORIGINS`,
 * `MAX_ROOMS`, `MAX_CONNECTIONS`, `MAX_CONNECTIONS_PER_ADDRESS`, `JOINS_PER_ADDRESS_PER_MINUTE`,
 * `JOIN_DEADLINE_MS`, `HEADERS_TIMEOUT_MS`, `MAX_AUDIBLE`, `SPEAKER_HOLD_MS`, `PRESENCE_BATCH_MS`, `PRESENCE_BATCH_FROM`, `LOBBY` (`on`/`off`), `MAX_LOBBY_SIZE`, `REMOVAL_BAN_MS`,
 * `CONTROL_BYTES_PER_SECOND`, `CONTROL_BURST_BYTES`, `METRICS_PORT`, `METRICS_HOST`, `METRICS_TOKEN`, and for NATS `NATS_CREDS` (a creds file), `NATS_NKEY_SEED`
 * (a seed file), `NATS_USER` and `NATS_PASS`, `NATS_TOKEN`, `NATS_TLS_CA`, `NATS_TLS_CERT` and `NATS_TLS_KEY`.
 * Throws {@link ConfigError} with a message that says what to fix.
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv): EnvConfig {
  const options: RelayOptions = {};
  if (env.NATS_URL) options.natsUrl = parseNatsServers(env.NATS_URL).join(',');
  const int = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
    return Number(raw);
  };
  options.port = int('PORT');
  options.metricsPort = int('METRICS_PORT');
  if (env.METRICS_HOST) options.metricsHost = env.METRICS_HOST;
  if (env.METRICS_TOKEN) options.metricsToken = env.METRICS_TOKEN;
  if (env.HOST) options.host = env.HOST;
  options.maxMessageBytes = int('MAX_MESSAGE_BYTES');
  options.maxRoomSize = int('MAX_ROOM_SIZE');
  options.maxRooms = int('MAX_ROOMS');
  options.maxConnections = int('MAX_CONNECTIONS');
  options.maxConnectionsPerAddress = int('MAX_CONNECTIONS_PER_ADDRESS');
  options.joinsPerAddressPerMinute = int('JOINS_PER_ADDRESS_PER_MINUTE');
  options.joinDeadlineMs = int('JOIN_DEADLINE_MS');
  options.headersTimeoutMs = int('HEADERS_TIMEOUT_MS');
  options.heartbeatIntervalMs = int('HEARTBEAT_INTERVAL_MS');
  options.shutdownTimeoutMs = int('SHUTDOWN_TIMEOUT_MS');
  options.resumeGraceMs = int('RESUME_GRACE_MS');
  options.maxAudible = int('MAX_AUDIBLE');
  options.speakerHoldMs = int('SPEAKER_HOLD_MS');
  options.presenceBatchMs = int('PRESENCE_BATCH_MS');
  options.presenceBatchFrom = int('PRESENCE_BATCH_FROM');
  options.maxLobbySize = int('MAX_LOBBY_SIZE');
  options.removalBanMs = int('REMOVAL_BAN_MS');
  options.controlBytesPerSecond = int('CONTROL_BYTES_PER_SECOND');
  options.controlBurstBytes = int('CONTROL_BURST_BYTES');
  options.receiverControlBytesPerSecond = int('RECEIVER_CONTROL_BYTES_PER_SECOND');
  options.receiverControlBurstBytes = int('RECEIVER_CONTROL_BURST_BYTES');
  if (env.LOBBY) {
    const lobby = env.LOBBY.trim().toLowerCase();
    if (!['on', 'off', 'true', 'false', '1', '0'].includes(lobby))
      throw new ConfigError(`LOBBY must be on or off, got "${env.LOBBY}"`);
    options.lobby = ['on', 'true', '1'].includes(lobby);
  }
  const natsAuth = natsAuthFromEnv(env);
  if (natsAuth) {
    if (!env.NATS_URL) throw new ConfigError('NATS credentials or TLS are set but NATS_URL is not');
    options.natsAuth = natsAuth;
  }
  if (env.RESUME_SECRET) {
    if (env.RESUME_SECRET.length < 16) throw new ConfigError('RESUME_SECRET must be at least 16 characters');
    options.resumeSecret = env.RESUME_SECRET;
  }
  if (env.AUTH_SECRET && env.AUTH_PUBLIC_KEY) throw new ConfigError('set AUTH_SECRET or AUTH_PUBLIC_KEY, not both');
  if (env.ALLOWED_ORIGINS) options.allowedOrigins = parseAllowedOrigins(env.ALLOWED_ORIGINS);
  if (env.AUTH_SECRET) options.auth = { secret: env.AUTH_SECRET };
  if (env.AUTH_PUBLIC_KEY) options.auth = { publicKey: readPublicKeySetting(env.AUTH_PUBLIC_KEY) };
  if (env.DEMO_DIR) options.demoDir = env.DEMO_DIR;
  try {
    const webTransport = webTransportEnv(env);
    if (Object.keys(webTransport).length > 0) options.webTransport = webTransport;
  } catch (err) {
    if (err instanceof WebTransportError) throw new ConfigError(err.message);
    throw err;
  }
  if (env.DIST_DIR) options.distDir = env.DIST_DIR;

  const { TLS_CERT: certPath, TLS_KEY: keyPath } = env;
  if (Boolean(certPath) !== Boolean(keyPath)) {
    throw new ConfigError(
      'set both TLS_CERT and TLS_KEY (PEM file paths) to serve HTTPS/WSS, or neither for plain HTTP',
    );
  }
  if (certPath && keyPath) options.tls = { cert: readPem('TLS_CERT', certPath), key: readPem('TLS_KEY', keyPath) };

  let logLevel: LogLevel | undefined;
  const level = env.LOG_LEVEL?.toLowerCase();
  if (level) {
    if (!isLogLevel(level))
      throw new ConfigError(`LOG_LEVEL must be debug, info, warn, error or silent, got "${env.LOG_LEVEL}"`);
    logLevel = level;
  }
  // Drop unset keys so the defaults of resolveOptions apply.
  for (const key of Object.keys(options) as (keyof RelayOptions)[]) if (options[key] === undefined) delete options[key];
  return { options, logLevel };
}

function readPem(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${name}: cannot read "${path}": ${(err as Error).message}`);
  }
}
