/**
 * A development certificate that browsers accept through WebTransport's
 * `serverCertificateHashes`: self-signed X.509 v3, ECDSA P-256 with SHA-256,
 * valid for less than 14 days (Chromium's limit for hash-pinned certificates),
 * with the host names and IP addresses in subjectAltName.
 *
 * node:crypto makes the key and the signature and parses the result
 * (`X509Certificate`), but has no certificate builder, and `openssl` is not in
 * every Debian image; so the few DER structures a certificate needs are written here.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { WebTransportError } from './errors.js';

/** Chromium refuses hash-pinned certificates valid for 14 days or more. */
export const MAX_PINNED_VALIDITY_MS = 14 * 24 * 3600 * 1000;

export interface DevCertificateOptions {
  /** DNS names in subjectAltName. Default `['localhost']`. */
  hostnames?: string[];
  /** IP addresses in subjectAltName. Default `['127.0.0.1', '::1']`. */
  ips?: string[];
  /** Validity, ms (before the 1-hour back-dating for clock skew); capped below 14 days. Default 10 days. */
  validityMs?: number;
  /** "Now", for tests. */
  now?: Date;
}

export interface DevCertificate {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
  /** SHA-256 of the certificate's DER: what `serverCertificateHashes` takes. */
  sha256: Uint8Array;
  notBefore: Date;
  notAfter: Date;
}

/** Hashes a PEM (or DER) certificate the way `serverCertificateHashes` expects: SHA-256 of the DER. */
export function certificateSha256(cert: string | Uint8Array): Uint8Array {
  const der = new X509Certificate(typeof cert === 'string' ? cert : Buffer.from(cert)).raw;
  return new Uint8Array(createHash('sha256').update(der).digest());
}

/** Generates a fresh key pair and self-signed certificate. */
export function generateDevCertificate(options: DevCertificateOptions = {}): DevCertificate {
  const hostnames = options.hostnames ?? ['localhost'];
  const ips = options.ips ?? ['127.0.0.1', '::1'];
  const now = options.now ?? new Date();
  const skew = 3600 * 1000;
  const validity = Math.min(options.validityMs ?? 10 * 24 * 3600 * 1000, MAX_PINNED_VALIDITY_MS - skew - 60_000);
  const notBefore = new Date(Math.floor((now.getTime() - skew) / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + skew + validity);

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = sequence(set(sequence(oid(OID.commonName), utf8String(hostnames[0] ?? ips[0] ?? 'localhost'))));
  const ecdsaWithSha256 = sequence(oid(OID.ecdsaWithSha256));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // positive
  serial[0]! |= 0x01; // and minimal: no leading zero byte

  const altNames = [
    ...hostnames.map((host) => tagged(0x82, Buffer.from(host, 'ascii'))),
    ...ips.map((ip) => tagged(0x87, ipBytes(ip))),
  ];
  const extensions = explicit(
    3,
    sequence(
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.keyUsage, true, bitString(Uint8Array.of(0x80), 7)), // digitalSignature
      extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
      extension(OID.subjectAltName, false, sequence(...altNames)),
    ),
  );
  const tbs = sequence(
    explicit(0, integer(Uint8Array.of(2))), // v3
    integer(serial),
    ecdsaWithSha256,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    spki,
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const der = sequence(tbs, ecdsaWithSha256, bitString(signature, 0));

  const x509 = new X509Certificate(der);
  if (!x509.verify(publicKey))
    throw new WebTransportError('bad-certificate', 'the generated certificate does not verify');
  return {
    cert: x509.toString(),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    sha256: new Uint8Array(createHash('sha256').update(der).digest()),
    notBefore,
    notAfter,
  };
}

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

/** A DER TLV. */
function tagged(tag: number, content: Uint8Array): Buffer {
  const length = content.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), content]);
}

const sequence = (...items: Uint8Array[]): Buffer => tagged(0x30, Buffer.concat(items));
const set = (...items: Uint8Array[]): Buffer => tagged(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Uint8Array): Buffer => tagged(0xa0 | n, inner);
const utf8String = (text: string): Buffer => tagged(0x0c, Buffer.from(text, 'utf8'));
const octetString = (bytes: Uint8Array): Buffer => tagged(0x04, bytes);
const bitString = (bytes: Uint8Array, unusedBits: number): Buffer =>
  tagged(0x03, Buffer.concat([Uint8Array.of(unusedBits), bytes]));
const boolean = (value: boolean): Buffer => tagged(0x01, Uint8Array.of(value ? 0xff : 0));

function integer(bytes: Uint8Array): Buffer {
  // A set high bit would read as negative: prefix a zero byte.
  return tagged(0x02, bytes[0]! & 0x80 ? Buffer.concat([Uint8Array.of(0), bytes]) : bytes);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0]! * 40 + parts[1]!];
  for (const part of parts.slice(2)) {
    const base128: number[] = [];
    for (let rest = part; ; rest = Math.floor(rest / 128)) {
      base128.unshift((rest % 128) | (base128.length > 0 ? 0x80 : 0));
      if (rest < 128) break;
    }
    out.push(...base128);
  }
  return tagged(0x06, Uint8Array.from(out));
}

function extension(id: string, critical: boolean, value: Uint8Array): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/** UTCTime (YYMMDDHHMMSSZ) up to 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-05-01T12:34:56.000Z
  const compact = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z';
  return date.getUTCFullYear() < 2050
    ? tagged(0x17, Buffer.from(compact.slice(2), 'ascii'))
    : tagged(0x18, Buffer.from(compact, 'ascii'));
}

/** An IP address as the 4 or 16 bytes of a subjectAltName iPAddress. */
function ipBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new WebTransportError('invalid-argument', `${ip} is not an IP address`);
  const [head = '', tail] = ip.split('::');
  const groups = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const middle = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  const out = new Uint8Array(16);
  [...left, ...middle, ...right].forEach((group, i) => {
    const value = parseInt(group, 16);
    out[i * 2] = value >> 8;
    out[i * 2 + 1] = value & 0xff;
  });
  return out;
}
