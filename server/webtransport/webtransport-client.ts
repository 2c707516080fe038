/**
 * Opens a WebTransport session as a client: QUIC to the server's UDP port
 * (quiche), the server certificate checked (pinned SHA-256 hashes, as the
 * browser's `serverCertificateHashes`, or the CA chain and name), then HTTP/3
 * and the extended CONNECT. Every wait is bounded by one deadline.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { H3ErrorCode, WebTransportError } from './errors.js';
import { H3ClientConnection } from './h3-client.js';
import type { LoggerFactory } from './logger.js';
import { loadQuiche } from './quic-binding.js';
import { pinnedCertificateProblem } from './pinned-certificate-rules.js';
import { QuicClient, type QuicClientLimits } from './quic-client.js';
import type { QuicCloseInfo } from './quic-connection.js';
import type { WebTransportSession } from './webtransport-session.js';
import { untilAborted } from '../../src/shared/until-aborted.js';

/** Options of {@link connectWebTransport}. */
export interface WebTransportClientOptions {
  /**
   * SHA-256 hashes of the certificates accepted (DER of the leaf): with any, the
   * certificate must match one and no CA is consulted (the browser's
   * `serverCertificateHashes`). Without, the chain is verified against Node's
   * root CAs and the URL's host name.
   */
  certificateHashes?: readonly Uint8Array[];
  /** The `origin` header sent with the CONNECT (the relay may check it). */
  origin?: string;
  /** Give up when the session is not open after this long. Default 10 s. */
  timeoutMs?: number;
  /** Aborting gives up at once. */
  signal?: AbortSignal;
  limits?: Partial<QuicClientLimits>;
  logger?: LoggerFactory;
}

/** An open client session and its connection. */
export interface WebTransportClientSession {
  readonly session: WebTransportSession;
  /** Resolves when the connection is gone (after {@link close}, or whatever ended it). */
  readonly connectionClosed: Promise<QuicCloseInfo>;
  /**
   * Closes the session (CLOSE_WEBTRANSPORT_SESSION with `code` and `reason`), waits a
   * little for the server to end its side, then closes the QUIC connection and the
   * socket. Idempotent; bounded (well under a second).
   */
  close(code?: number, reason?: string): Promise<void>;
}

/** How long a close waits for the server to answer the session's close before closing the connection. */
const CLOSE_ANSWER_MS = 250;

/**
 * Connects to `url` (`https://host:port/path`) and opens a WebTransport session.
 *
 * @throws {@link WebTransportError} `quic-unavailable` without the quiche binding;
 *   `connect-failed` saying why (unreachable or refused UDP port, timed out, TLS
 *   failure, CONNECT refused with its status); `certificate-mismatch`.
 */
export async function connectWebTransport(
  url: string | URL,
  options: WebTransportClientOptions = {},
): Promise<WebTransportClientSession> {
  const target = new URL(url);
  if (target.protocol !== 'https:') {
    throw new WebTransportError('invalid-argument', `a WebTransport URL is https://, not ${target.protocol}//`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])]);
  const why = (): string =>
    options.signal?.aborted
      ? 'cancelled'
      : `no answer within ${timeoutMs} ms (is UDP port ${target.port || 443} open?)`;
  const failed = (message: string, cause?: unknown): WebTransportError =>
    new WebTransportError('connect-failed', `WebTransport to ${target.href}: ${message}`, { cause });

  const load = await loadQuiche();
  if (!load.ok) throw new WebTransportError('quic-unavailable', load.reason);
  const hostname = target.hostname.replace(/^\[|\]$/g, '');
  let address = hostname;
  if (isIP(hostname) === 0) {
    try {
      address = (await untilAborted(lookup(hostname), deadline, why)).address;
    } catch (cause) {
      throw failed(`cannot resolve ${hostname} (${messageOf(cause)})`, cause);
    }
  }
  const pinned = options.certificateHashes ?? [];
  let h3: H3ClientConnection | undefined;
  const client = await QuicClient.connect(load.quiche, {
    host: address,
    port: Number(target.port || 443),
    serverName: hostname,
    alpn: ['h3'],
    verifyPeer: pinned.length === 0,
    ca: rootCertificates.join('\n'),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    handler: (connection) =>
      (h3 = new H3ClientConnection(connection, {
        authority: target.host,
        path: `${target.pathname}${target.search}`,
        ...(options.origin ? { origin: options.origin } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      })),
  });
  const connection = h3!;
  try {
    try {
      await untilAborted(connection.established, deadline, why);
    } catch (cause) {
      if (client.refused) throw failed(`nothing listens on UDP port ${target.port || 443}`, cause);
      throw failed(`the QUIC handshake did not complete: ${messageOf(cause)}`, cause);
    }
    // Pinned: quiche took any certificate (verifyPeer off) but TLS 1.3 still checked the server's
    // CertificateVerify against it, so the server holds that certificate's key. Checking the hash
    // now, before a byte of HTTP/3 goes out, is what `serverCertificateHashes` asks. (Not checked:
    // the browser's extra rules for pinned certificates, ECDSA and at most 14 days' validity.)
    if (pinned.length > 0) checkPinned(client.connection.peerCertificate, pinned, target.href);
    connection.open();
    let response;
    try {
      response = await untilAborted(connection.response, deadline, why);
    } catch (cause) {
      throw failed(`the CONNECT got no answer: ${messageOf(cause)}`, cause);
    }
    if (!response.session) throw failed(`the server answered the CONNECT with ${response.status}`);
    const session = response.session;
    let closing: Promise<void> | undefined;
    return {
      session,
      connectionClosed: connection.closed,
      close: (code = 0, reason = '') =>
        (closing ??= (async () => {
          session.close(code, reason);
          await untilAborted(
            waitFor(() => connection.connectEnded, connection.closed),
            AbortSignal.timeout(CLOSE_ANSWER_MS),
            () => '',
          ).catch(() => undefined);
          await client.close(H3ErrorCode.NoError, '');
        })()),
    };
  } catch (error) {
    await client.close(H3ErrorCode.RequestCancelled, 'gave up');
    throw error;
  }
}

/** Throws unless the leaf certificate's SHA-256 is one of `pinned` and browsers would accept it pinned. */
function checkPinned(certificate: Uint8Array | undefined, pinned: readonly Uint8Array[], url: string): void {
  if (!certificate) throw new WebTransportError('certificate-mismatch', `${url} presented no certificate`);
  const hash = createHash('sha256').update(certificate).digest();
  if (!pinned.some((p) => p.length === hash.length && timingSafeEqual(p, hash))) {
    throw new WebTransportError(
      'certificate-mismatch',
      `the certificate of ${url} (SHA-256 ${hash.toString('base64')}) matches none of the ${pinned.length} pinned`,
    );
  }
  const problem = pinnedCertificateProblem(certificate);
  if (problem)
    throw new WebTransportError('certificate-mismatch', `browsers would refuse the certificate of ${url}: ${problem}`);
}

/** Resolves when `predicate` holds (checked every few ms) or `gone` settles. */
function waitFor(predicate: () => boolean, gone: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (predicate()) done();
    }, 5);
    const done = (): void => {
      clearInterval(timer);
      resolve();
    };
    gone.then(done, done);
    if (predicate()) done();
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
