/**
 * Request header validation (RFC 9114 §4.2–4.3, RFC 9220 for extended CONNECT):
 * a malformed request is a stream error H3_MESSAGE_ERROR.
 */
import { H3ErrorCode, streamError, type H3Error } from './errors.js';
import type { HeaderField } from './qpack.js';

/** Request pseudo-header fields. */
export interface PseudoHeaders {
  method?: string;
  scheme?: string;
  authority?: string;
  path?: string;
  protocol?: string;
}

const PSEUDO_NAMES = new Set([':method', ':scheme', ':authority', ':path', ':protocol']);
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\u0000\r\n]/;
const NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/**
 * Checks a request header section against RFC 9114 §4.2–4.3 (and RFC 9220 for
 * extended CONNECT) and returns its pseudo-headers.
 *
 * @throws {@link H3Error} `MessageError` (stream) when the request is malformed.
 */
export function validateRequest(headers: readonly HeaderField[]): PseudoHeaders {
  const malformed = (message: string): H3Error =>
    streamError(H3ErrorCode.MessageError, `malformed request: ${message}`);
  const pseudo: PseudoHeaders = {};
  let regularSeen = false;
  for (const [name, value] of headers) {
    if (BAD_VALUE.test(value)) throw malformed(`the value of ${name} holds a forbidden character`);
    if (name.startsWith(':')) {
      if (regularSeen) throw malformed(`${name} after a regular field`);
      if (!PSEUDO_NAMES.has(name)) throw malformed(`unknown pseudo-header ${name}`);
      const key = name.slice(1) as keyof PseudoHeaders;
      if (pseudo[key] !== undefined) throw malformed(`duplicate ${name}`);
      pseudo[key] = value;
      continue;
    }
    regularSeen = true;
    if (!NAME.test(name)) throw malformed(`invalid field name ${JSON.stringify(name)}`);
    if (CONNECTION_SPECIFIC.has(name)) throw malformed(`connection-specific field ${name}`);
    if (name === 'te' && value !== 'trailers') throw malformed('te other than trailers');
  }
  if (pseudo.method === undefined) throw malformed('no :method');
  if (pseudo.method === 'CONNECT' && pseudo.protocol === undefined) {
    // Classic CONNECT: :authority only (§4.4).
    if (pseudo.authority === undefined) throw malformed('CONNECT without :authority');
    if (pseudo.scheme !== undefined || pseudo.path !== undefined) throw malformed('CONNECT with :scheme or :path');
    return pseudo;
  }
  if (pseudo.protocol !== undefined && pseudo.method !== 'CONNECT') throw malformed(':protocol without CONNECT');
  if (pseudo.scheme === undefined || pseudo.path === undefined || pseudo.path === '') {
    throw malformed('no :scheme or :path');
  }
  if (pseudo.method === 'CONNECT' && pseudo.authority === undefined) throw malformed('CONNECT without :authority');
  return pseudo;
}
