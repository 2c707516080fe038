/**
 * Where a relay is reached, below its base URL, and what it says about its
 * WebTransport endpoint: the HTTP side of the contract between the relay and
 * the client, declared once for both.
 */

/** The WebSocket endpoint: clients upgrade `GET /ws`. */
export const WEBSOCKET_PATH = '/ws';

/** The WebTransport endpoint (on the relay's UDP port): clients open their session at `/wt`. */
export const WEBTRANSPORT_PATH = '/wt';

/**
 * The JSON document ({@link WebTransportInfo}) that says where the WebTransport
 * endpoint is; 404 when the relay does not run one.
 */
export const WEBTRANSPORT_INFO_PATH = '/webtransport.json';

/** A certificate hash to pin, as `WebTransportOptions.serverCertificateHashes` takes it. */
export interface CertificateHash {
  /** The hash function; the relay serves `sha-256`. */
  algorithm: string;
  /** The hash of the certificate (DER), base64. */
  value: string;
}

/** The document at {@link WEBTRANSPORT_INFO_PATH}: what a client needs to connect over WebTransport. */
export interface WebTransportInfo {
  /** UDP port; the host is the relay's. */
  port: number;
  /** Session path, e.g. {@link WEBTRANSPORT_PATH}. */
  path: string;
  /**
   * For a generated (development) certificate, the hashes to pin; empty for a
   * configured certificate, which browsers check the usual way.
   */
  serverCertificateHashes: CertificateHash[];
  /** When the pinned certificate expires (ISO 8601); absent for a configured one. */
  expires?: string;
}
