/**
 * The key-exchange message: one type for every step, addressed to one peer.
 * Its bytes are the protobuf encoding of this message, proposed for
 * proto/videocall.proto (the lead adds it as `Envelope` field 13):
 *
 * ```proto
 * // End-to-end key exchange with one peer (src/e2ee). The relay delivers it to
 * // `target` only, stamped with `from` like everything else, and reads nothing else.
 * message KeyExchange {
 *   string target = 1;
 *   KeyExchangeStep step = 2;
 *   bytes data = 3;   // COMMIT: 32-byte commitment; REVEAL: 32-byte X25519 public key;
 *                     // SHARE: 12-byte nonce || AES-GCM(pairwise key, sender base key); REQUEST: empty
 *   bytes mac = 4;    // COMMIT, REVEAL: HMAC-SHA256 under the passphrase key; empty without a passphrase
 *   uint64 kid = 5;   // SHARE: the KID the shared key is for; REQUEST: the KID that could not be decrypted
 * }
 * enum KeyExchangeStep {
 *   KEY_EXCHANGE_STEP_UNSPECIFIED = 0;
 *   KEY_COMMIT = 1;
 *   KEY_REVEAL = 2;
 *   KEY_SHARE = 3;
 *   KEY_REQUEST = 4;
 * }
 * ```
 * Decoding is strict about what it knows (sizes, wire types, steps) and skips
 * fields it does not, as protobuf does, so the message can grow.
 */
import { E2eeError } from './errors.js';

/** What a {@link KeyExchangeMessage} carries. */
export type KeyExchangeStep = 'commit' | 'reveal' | 'share' | 'request';

/** Protobuf enum values of {@link KeyExchangeStep}. */
export const KEY_EXCHANGE_STEP_VALUES: Readonly<Record<KeyExchangeStep, number>> = {
  commit: 1,
  reveal: 2,
  share: 3,
  request: 4,
};

/** One key-exchange message. `from` is not here: the relay stamps it on the envelope. */
export interface KeyExchangeMessage {
  /** Session id of the one peer this is for. */
  target: string;
  step: KeyExchangeStep;
  /** See the proto comment above for each step. */
  data: Uint8Array;
  /** HMAC-SHA256 under the passphrase key, or empty. */
  mac: Uint8Array;
  /** Key id (share, request); 0n otherwise. */
  kid: bigint;
}

/** Longest `target` (bytes of UTF-8): session ids are far shorter. */
export const MAX_TARGET_BYTES = 255;
/** Longest `data`: a share of a 32-byte ratcheted key is 12 + 32 + 16 = 60 bytes. */
export const MAX_DATA_BYTES = 64;
const MAC_BYTES = 32;
const KID_LIMIT = 1n << 64n;

const STEP_BY_VALUE = new Map<number, KeyExchangeStep>(
  Object.entries(KEY_EXCHANGE_STEP_VALUES).map(([step, value]) => [value, step as KeyExchangeStep]),
);

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function malformed(what: string): E2eeError {
  return new E2eeError('e2ee-malformed', `Malformed key-exchange message: ${what}.`);
}

/** Checks the sizes each step allows; throws `e2ee-malformed`. */
/** The step of a wire `KeyExchangeStep` value, or undefined for an unknown one. */
export function keyExchangeStepOf(value: number): KeyExchangeStep | undefined {
  return STEP_BY_VALUE.get(value);
}

/** Throws `e2ee-malformed` unless every field has the size its step requires. */
export function validateKeyExchange(message: KeyExchangeMessage): void {
  const { target, step, data, mac, kid } = message;
  const targetBytes = encoder.encode(target).length;
  if (targetBytes === 0 || targetBytes > MAX_TARGET_BYTES) throw malformed(`target of ${targetBytes} bytes`);
  if (!STEP_BY_VALUE.has(KEY_EXCHANGE_STEP_VALUES[step])) throw malformed(`step ${String(step)}`);
  if (mac.length !== 0 && mac.length !== MAC_BYTES) throw malformed(`MAC of ${mac.length} bytes`);
  if (kid < 0n || kid >= KID_LIMIT) throw malformed('KID outside [0, 2^64)');
  switch (step) {
    case 'commit':
    case 'reveal':
      if (data.length !== 32) throw malformed(`${step} data of ${data.length} bytes (32 expected)`);
      break;
    case 'share':
      // nonce (12) + key (16 or 32) + tag (16)
      if (data.length !== 44 && data.length !== 60) throw malformed(`share of ${data.length} bytes`);
      if (mac.length) throw malformed('share with a MAC');
      break;
    case 'request':
      if (data.length || mac.length) throw malformed('request with data');
      break;
  }
}

class Writer {
  private readonly bytes: number[] = [];

  varint(value: bigint): void {
    do {
      let byte = Number(value & 0x7fn);
      value >>= 7n;
      if (value) byte |= 0x80;
      this.bytes.push(byte);
    } while (value);
  }

  tag(field: number, wireType: number): void {
    this.varint(BigInt((field << 3) | wireType));
  }

  lengthDelimited(field: number, value: Uint8Array): void {
    this.tag(field, 2);
    this.varint(BigInt(value.length));
    for (const b of value) this.bytes.push(b);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** The protobuf bytes of `message` (fields at their default are left out). Throws `e2ee-malformed` on bad sizes. */
export function encodeKeyExchange(message: KeyExchangeMessage): Uint8Array {
  validateKeyExchange(message);
  const w = new Writer();
  w.lengthDelimited(1, encoder.encode(message.target));
  w.tag(2, 0);
  w.varint(BigInt(KEY_EXCHANGE_STEP_VALUES[message.step]));
  if (message.data.length) w.lengthDelimited(3, message.data);
  if (message.mac.length) w.lengthDelimited(4, message.mac);
  if (message.kid) {
    w.tag(5, 0);
    w.varint(message.kid);
  }
  return w.finish();
}

class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  varint(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.offset >= this.bytes.length) throw malformed('truncated varint');
      const byte = this.bytes[this.offset++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) {
        if (value >= KID_LIMIT) throw malformed('varint over 64 bits');
        return value;
      }
    }
    throw malformed('varint longer than 10 bytes');
  }

  take(length: number): Uint8Array {
    if (length > this.bytes.length - this.offset) throw malformed('field runs past the end');
    // A copy (Buffer#slice would share memory with the caller's buffer).
    const out = new Uint8Array(length);
    out.set(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return out;
  }

  lengthDelimited(limit: number, name: string): Uint8Array {
    const length = this.varint();
    if (length > BigInt(limit)) throw malformed(`${name} longer than ${limit} bytes`);
    return this.take(Number(length));
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.take(8);
        return;
      case 2:
        this.lengthDelimited(1 << 20, 'unknown field');
        return;
      case 5:
        this.take(4);
        return;
      default:
        throw malformed(`wire type ${wireType}`);
    }
  }
}

/**
 * Parses the protobuf bytes of a key-exchange message. Throws `e2ee-malformed`
 * for anything truncated, oversized, of the wrong wire type or the wrong size
 * for its step; never anything else.
 */
export function decodeKeyExchange(bytes: Uint8Array): KeyExchangeMessage {
  const r = new Reader(bytes);
  const message: KeyExchangeMessage = {
    target: '',
    step: 'commit',
    data: new Uint8Array(0),
    mac: new Uint8Array(0),
    kid: 0n,
  };
  let step: KeyExchangeStep | undefined;
  while (!r.done) {
    const key = r.varint();
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    const expect = (type: number): void => {
      if (wireType !== type) throw malformed(`field ${field} has wire type ${wireType}`);
    };
    switch (field) {
      case 1:
        expect(2);
        try {
          message.target = decoder.decode(r.lengthDelimited(MAX_TARGET_BYTES, 'target'));
        } catch (error) {
          throw error instanceof E2eeError ? error : malformed('target is not UTF-8');
        }
        break;
      case 2: {
        expect(0);
        const value = r.varint();
        step = STEP_BY_VALUE.get(Number(value));
        if (!step) throw malformed(`unknown step ${value}`);
        break;
      }
      case 3:
        expect(2);
        message.data = r.lengthDelimited(MAX_DATA_BYTES, 'data');
        break;
      case 4:
        expect(2);
        message.mac = r.lengthDelimited(MAC_BYTES, 'mac');
        break;
      case 5:
        expect(0);
        message.kid = r.varint();
        break;
      default:
        if (field === 0) throw malformed('field number 0');
        r.skip(wireType);
    }
  }
  if (!step) throw malformed('no step');
  message.step = step;
  validateKeyExchange(message);
  return message;
}
