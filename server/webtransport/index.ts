/**
 * WebTransport over HTTP/3 for the relay: the deliberate public surface of
 * `server/webtransport/`. Everything else in the folder is internal.
 */
export { generateDevCertificate, certificateSha256, type DevCertificate } from './dev-certificate.js';
export { H3Error, H3ErrorCode, WebTransportError, type WebTransportErrorCode } from './errors.js';
export type { WebTransportRequest } from './h3-connection.js';
export type { QuicLimits } from './quic-endpoint.js';
export {
  startRelayWebTransport,
  webTransportEnv,
  WEBTRANSPORT_INFO_PATH,
  WEBTRANSPORT_PATH,
  type RelayWebTransport,
  type RelayWebTransportOptions,
  type WebTransportInfo,
  type WebTransportStatus,
} from './relay-webtransport.js';
export {
  startWebTransportServer,
  webTransportAvailability,
  type WebTransportServer,
  type WebTransportServerOptions,
  type WebTransportServerStats,
} from './webtransport-server.js';
export type {
  SessionCloseInfo,
  WebTransportBidiStream,
  WebTransportReceiveStream,
  WebTransportSendStream,
  WebTransportSession,
} from './webtransport-session.js';
