import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  certificateSha256,
  generateDevCertificate,
  MAX_PINNED_VALIDITY_MS,
} from '../../server/webtransport/dev-certificate.js';

describe('development certificate for serverCertificateHashes', () => {
  const now = new Date('2026-05-01T12:00:00Z');
  const dev = generateDevCertificate({
    now,
    hostnames: ['localhost', 'relay.test'],
    ips: ['127.0.0.1', '::1', 'fe80::1:2'],
  });
  const x509 = new X509Certificate(dev.cert);

  it('is a self-signed ECDSA P-256 certificate that verifies', () => {
    expect(x509.publicKey.asymmetricKeyType).toBe('ec');
    expect(x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(x509.issuer).toBe(x509.subject);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkPrivateKey(createPrivateKey(dev.key))).toBe(true);
    expect(x509.ca).toBe(false);
  });

  it('is valid for less than 14 days, starting before now', () => {
    const from = new Date(x509.validFrom).getTime();
    const to = new Date(x509.validTo).getTime();
    expect(from).toBeLessThan(now.getTime());
    expect(to).toBeGreaterThan(now.getTime() + 9 * 24 * 3600 * 1000);
    expect(to - from).toBeLessThan(MAX_PINNED_VALIDITY_MS);
    expect(dev.notAfter.getTime()).toBe(to);
  });

  it('caps a requested validity below 14 days', () => {
    const long = generateDevCertificate({ now, validityMs: 30 * 24 * 3600 * 1000 });
    const x = new X509Certificate(long.cert);
    expect(new Date(x.validTo).getTime() - new Date(x.validFrom).getTime()).toBeLessThan(MAX_PINNED_VALIDITY_MS);
  });

  it('names its hosts and addresses in subjectAltName', () => {
    expect(x509.subjectAltName).toBe(
      'DNS:localhost, DNS:relay.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:FE80:0:0:0:0:0:1:2',
    );
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkHost('localhost')).toBe('localhost');
  });

  it('publishes the SHA-256 of its DER, as serverCertificateHashes expects', () => {
    const expected = createHash('sha256').update(x509.raw).digest();
    expect(Buffer.from(dev.sha256)).toEqual(expected);
    expect(certificateSha256(dev.cert)).toEqual(dev.sha256);
  });

  it('is fresh every time', () => {
    expect(generateDevCertificate().sha256).not.toEqual(generateDevCertificate().sha256);
  });
});
