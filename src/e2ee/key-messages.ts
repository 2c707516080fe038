/**
 * The key-exchange message as the E2EE layer sees it: one type for every step,
 * addressed to one peer. On the wire it is `KeyExchange` in
 * proto/videocall.proto, encoded by the generated code; the conversion lives at
 * the protocol boundary (`src/call/key-exchange-wire.ts`). What is
 * checked here is what protobuf cannot know: the sizes each step allows.
 */
import { E2eeError } from './errors.js';

/** What a {@link KeyExchangeMessage} carries. */
export type KeyExchangeStep = 'commit' | 'reveal' | 'share' | 'request' | 'restart';

/** One key-exchange message. `from` is not here: the relay stamps it on the envelope. */
export interface KeyExchangeMessage {
  /** Session id of the one peer this is for. */
  target: string;
  step: KeyExchangeStep;
  /**
   * COMMIT: 32-byte commitment; REVEAL: 32-byte X25519 public key;
   * SHARE: 12-byte nonce || AES-GCM(pairwise key, sender base key); REQUEST, RESTART: empty.
   */
  data: Uint8Array;
  /** COMMIT, REVEAL: HMAC-SHA256 under the passphrase key; empty without a passphrase (and for the other steps). */
  mac: Uint8Array;
  /** SHARE: the KID the shared key is for; REQUEST: the KID that could not be decrypted; 0n otherwise. */
  kid: bigint;
}

/** Longest `target` (bytes of UTF-8): session ids are far shorter. */
const MAX_TARGET_BYTES = 255;
const MAC_BYTES = 32;
const KID_LIMIT = 1n << 64n;
const STEPS: ReadonlySet<string> = new Set<KeyExchangeStep>(['commit', 'reveal', 'share', 'request', 'restart']);

const encoder = new TextEncoder();

function malformed(what: string): E2eeError {
  return new E2eeError('e2ee-malformed', `Malformed key-exchange message: ${what}.`);
}

/** Throws `e2ee-malformed` unless every field has the size its step requires. */
export function validateKeyExchange(message: KeyExchangeMessage): void {
  const { target, step, data, mac, kid } = message;
  const targetBytes = encoder.encode(target).length;
  if (targetBytes === 0 || targetBytes > MAX_TARGET_BYTES) throw malformed(`target of ${targetBytes} bytes`);
  if (!STEPS.has(step)) throw malformed(`step ${String(step)}`);
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
    case 'restart':
      if (data.length || mac.length || kid) throw malformed('restart with data');
      break;
  }
}
