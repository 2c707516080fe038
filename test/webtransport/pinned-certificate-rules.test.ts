// The browsers' rules for hash-pinned certificates, as our Node client applies them: on the
// relay's own development certificate and on certificates Debian's openssl makes.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDevCertificate } from '../../server/webtransport/dev-certificate.js';
import { pinnedCertificateProblem } from '../../server/webtransport/pinned-certificate-rules.js';

const dir = mkdtempSync(join(tmpdir(), 'vc-pinned-'));

/** A self-signed certificate from openssl, as DER: `key` is openssl's -newkey argument. */
function openssl(name: string, key: string, days: number): Uint8Array {
  const der = join(dir, `${name}.der`);
  const pem = join(dir, `${name}.pem`);
  const keyArgs = key.startsWith('ec:')
    ? ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${key.slice(3)}`]
    : ['-newkey', key];
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', ...keyArgs, '-nodes', '-keyout', join(dir, `${name}.key`)],
      ...['-subj', '/CN=localhost', '-days', String(days), '-out', pem],
    ],
    { stdio: 'ignore' },
  );
  execFileSync('openssl', ['x509', '-in', pem, '-outform', 'DER', '-out', der]);
  return readFileSync(der);
}

describe('certificates pinned by hash: what browsers accept', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts the relay's development certificate and an ECDSA P-256 one valid 13 days", () => {
    expect(pinnedCertificateProblem(new X509Certificate(generateDevCertificate().cert).raw)).toBeNull();
    expect(pinnedCertificateProblem(openssl('p256', 'ec:prime256v1', 13))).toBeNull();
  });

  it('refuses an RSA key and another curve, saying which', () => {
    expect(pinnedCertificateProblem(openssl('rsa', 'rsa:2048', 10))).toMatch(/key is RSA.*ECDSA P-256/);
    expect(pinnedCertificateProblem(openssl('p384', 'ec:secp384r1', 10))).toMatch(/key is EC SECP384R1/);
  });

  it('refuses a validity of 14 days or more, and one not valid now', () => {
    expect(pinnedCertificateProblem(openssl('long', 'ec:prime256v1', 30))).toMatch(/valid for 30 days/);
    const week = openssl('week', 'ec:prime256v1', 7);
    expect(pinnedCertificateProblem(week, new Date(Date.now() + 8 * 24 * 3600 * 1000))).toMatch(/expired/);
    expect(pinnedCertificateProblem(week, new Date(Date.now() - 24 * 3600 * 1000))).toMatch(/not valid before/);
  });

  it('says so for bytes that are no certificate', () => {
    expect(pinnedCertificateProblem(new Uint8Array([1, 2, 3]))).toMatch(/not an X\.509 certificate/);
  });
});
