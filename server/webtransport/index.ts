/**
 * WebTransport over HTTP/3 over QUIC (quiche): the public surface of
 * `server/webtransport/`, and the only file of it the relay imports. The stack
 * depends on nothing outside its folder but Node and the quiche binding; it
 * logs through the logger its user passes (`WebTransportServerOptions.logger`).
 * Its client side ({@link connectWebTransport}) is what videocall-cli uses.
 */
export { generateDevCertificate, certificateSha256, type DevCertificate } from './dev-certificate.js';
export { H3Error, H3ErrorCode, WebTransportError, type WebTransportErrorCode } from './errors.js';
export type { WebTransportRequest } from './h3-connection.js';
export type { LogFields, LoggerFactory, WebTransportLogger } from './logger.js';
export type { QuicheLoad } from './quic-binding.js';
export type { QuicLimits, QuicRetryMode } from './quic-endpoint.js';
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
export {
  connectWebTransport,
  type WebTransportClientOptions,
  type WebTransportClientSession,
} from './webtransport-client.js';
export type { QuicClientLimits } from './quic-client.js';
export type { QuicCloseInfo } from './quic-connection.js';
