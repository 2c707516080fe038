/**
 * The part of `@matrixai/quic`'s native binding (Cloudflare quiche through
 * napi-rs) this stack uses, typed here so that the relay type-checks and runs
 * without the optional package, and loaded lazily by {@link loadQuiche}.
 *
 * Conventions of the binding (2.0.9), checked on this machine: `send`,
 * `streamRecv`, `streamSend` and `dgramRecvVec` return `null` for quiche's
 * `Done`; other failures are thrown as `Error`s whose message is the quiche error
 * (`StreamReset(7)`, `StreamStopped(7)`, `InvalidStreamState(4)`, `TlsFail`, ...);
 * `timeout()` is in milliseconds; `SendInfo.at` (the pacing time) is an opaque
 * native handle, unreadable from JavaScript.
 */
import { createRequire } from 'node:module';

export interface HostPort {
  host: string;
  port: number;
}

export interface QuicheConfig {
  setApplicationProtos(protos: string[]): void;
  setMaxIdleTimeout(ms: number): void;
  setMaxRecvUdpPayloadSize(size: number): void;
  setMaxSendUdpPayloadSize(size: number): void;
  setInitialMaxData(v: number): void;
  setInitialMaxStreamDataBidiLocal(v: number): void;
  setInitialMaxStreamDataBidiRemote(v: number): void;
  setInitialMaxStreamDataUni(v: number): void;
  setInitialMaxStreamsBidi(v: number): void;
  setInitialMaxStreamsUni(v: number): void;
  setDisableActiveMigration(v: boolean): void;
  enableDgram(enabled: boolean, recvQueueLen: number, sendQueueLen: number): void;
  enablePacing(v: boolean): void;
  verifyPeer(verify: boolean): void;
}

export interface QuicheConnectionError {
  isApp: boolean;
  errorCode: number;
  reason: Uint8Array;
}

export interface QuicheStats {
  recv: number;
  sent: number;
  lost: number;
  sentBytes: number;
  recvBytes: number;
  peerMaxDatagramFrameSize?: number;
}

export interface QuichePathStats {
  rtt: number;
  cwnd: number;
}

export interface QuicheConnection {
  recv(data: Uint8Array, info: { from: HostPort; to: HostPort }): number;
  send(out: Uint8Array): [number, { from: HostPort; to: HostPort; at: object }] | null;
  sendQuantum(): number;
  streamRecv(streamId: number, out: Uint8Array): [number, boolean] | null;
  streamSend(streamId: number, data: Uint8Array, fin: boolean): number | null;
  streamShutdown(streamId: number, direction: number, err: number): void | null;
  streamCapacity(streamId: number): number;
  peerStreamsLeftBidi(): number;
  peerStreamsLeftUni(): number;
  readable(): Iterable<number>;
  dgramRecvVec(): Uint8Array | null;
  dgramSend(data: Uint8Array): void | null;
  dgramMaxWritableLen(): number | null;
  isDgramSendQueueFull(): boolean;
  dgramSendQueueByteSize(): number;
  timeout(): number | null;
  onTimeout(): void;
  close(app: boolean, err: number, reason: Uint8Array): void | null;
  traceId(): string;
  /** The peer's certificate chain, DER, leaf first (null before the handshake or without one). */
  peerCertChain(): Uint8Array[] | null;
  /** quiche `stream_priority`: `urgency` 0 (first) to 7; incremental streams share bandwidth round-robin. */
  streamPriority(streamId: number, urgency: number, incremental: boolean): void;
  applicationProto(): Uint8Array;
  isEstablished(): boolean;
  isDraining(): boolean;
  isClosed(): boolean;
  isTimedOut(): boolean;
  peerError(): QuicheConnectionError | null;
  localError(): QuicheConnectionError | null;
  stats(): QuicheStats;
  pathStats(): QuichePathStats[];
}

export interface QuicheHeader {
  ty: number;
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** An Initial's token (empty or absent when it has none). */
  token?: Uint8Array | null;
}

export interface Quiche {
  MAX_CONN_ID_LEN: number;
  MIN_CLIENT_INITIAL_LEN: number;
  PROTOCOL_VERSION: number;
  Type: { Initial: number; Short: number };
  Shutdown: { Read: number; Write: number };
  negotiateVersion(scid: Uint8Array, dcid: Uint8Array, out: Uint8Array): number;
  /** Writes a Retry answering an Initial (its `scid`, `dcid`) into `out`; returns its length. */
  retry(
    scid: Uint8Array,
    dcid: Uint8Array,
    newScid: Uint8Array,
    token: Uint8Array,
    version: number,
    out: Uint8Array,
  ): number;
  versionIsSupported(version: number): boolean;
  Config: {
    new (): QuicheConfig;
    withBoringSslCtx(
      verifyPeer: boolean,
      verifyAllowFail: boolean,
      ca: Uint8Array | null,
      keys: Uint8Array[] | null,
      certs: Uint8Array[] | null,
      sigalgs: string | null,
    ): QuicheConfig;
  };
  Connection: {
    accept(
      scid: Uint8Array,
      odcid: Uint8Array | null,
      local: HostPort,
      remote: HostPort,
      config: QuicheConfig,
    ): QuicheConnection;
    connect(
      serverName: string | null,
      scid: Uint8Array,
      local: HostPort,
      remote: HostPort,
      config: QuicheConfig,
    ): QuicheConnection;
  };
  Header: { fromSlice(data: Uint8Array, dcidLength: number): QuicheHeader };
}

/** The binding, or why it is not available. */
export type QuicheLoad = { ok: true; quiche: Quiche } | { ok: false; reason: string };

/**
 * The package holding quiche's prebuilt binding for this platform. We depend on
 * `@matrixai/quic-linux-x64` directly rather than on `@matrixai/quic`: the wrapper's
 * optional darwin/win32 packages at its version are not published, which leaves
 * them out of package-lock.json and makes `npm ci` refuse the lock. Other platforms
 * simply have no binding, and the relay runs without WebTransport.
 */
export const NATIVE_MODULE = `@matrixai/quic-${process.platform}-${process.arch}`;

const requireNative = createRequire(import.meta.url);

const loads = new Map<string, Promise<QuicheLoad>>();

/**
 * Loads the native binding once. Never throws: a missing package (it is an
 * optional dependency) or a binary that does not load on this platform comes
 * back as `{ ok: false, reason }`. `specifier` is for tests of that path.
 */
export function loadQuiche(specifier = NATIVE_MODULE): Promise<QuicheLoad> {
  let loading = loads.get(specifier);
  if (!loading) {
    loading = (async (): Promise<QuicheLoad> => {
      try {
        // A napi addon: loaded with require, the way Node loads .node files.
        const quiche = requireNative(specifier) as Quiche | undefined;
        return quiche?.Config ? { ok: true, quiche } : { ok: false, reason: `${specifier} is not quiche's binding` };
      } catch (err) {
        return { ok: false, reason: `${specifier} did not load: ${(err as Error).message}` };
      }
    })();
    loads.set(specifier, loading);
  }
  return loading;
}
