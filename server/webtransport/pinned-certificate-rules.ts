/**
 * What browsers require of a certificate pinned by `serverCertificateHashes`
 * (W3C WebTransport, "verify a certificate hash"; Chromium's checks): an X.509
 * certificate with an ECDSA P-256 key, valid now, for less than 14 days in all.
 * Our Node client applies the same rules after the hash matches, so that a
 * relay the CLI reaches is one the browsers reach too.
 */
import { X509Certificate } from 'node:crypto';
import { MAX_PINNED_VALIDITY_MS } from './dev-certificate.js';

/** Why browsers would refuse `certificate` (DER) when pinned by hash at `now`; null when they accept it. */
export function pinnedCertificateProblem(certificate: Uint8Array, now: Date = new Date()): string | null {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certificate);
  } catch (error) {
    return `it is not an X.509 certificate (${(error as Error).message})`;
  }
  const key = x509.publicKey;
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    const kind = key.asymmetricKeyType === 'ec' ? `EC ${key.asymmetricKeyDetails?.namedCurve}` : key.asymmetricKeyType;
    return `its key is ${kind?.toUpperCase() ?? 'of an unknown type'}, and browsers pin only ECDSA P-256 certificates`;
  }
  const from = new Date(x509.validFrom).getTime();
  const to = new Date(x509.validTo).getTime();
  if (now.getTime() < from) return `it is not valid before ${x509.validFrom}`;
  if (now.getTime() > to) return `it expired on ${x509.validTo}`;
  if (to - from >= MAX_PINNED_VALIDITY_MS) {
    const days = Math.round((to - from) / (24 * 3600 * 1000));
    return `it is valid for ${days} days, and browsers pin only certificates valid for less than 14`;
  }
  return null;
}
