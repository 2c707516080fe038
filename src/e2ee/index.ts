/**
 * End-to-end encryption of media: SFrame (RFC 9605) with AES_128_GCM_SHA256_128,
 * per-sender keys exchanged over authenticated X25519, and the routing header
 * authenticated. No DOM: it runs in a page, a worker or Node.
 *
 * The Room needs {@link E2eeContext} and the key-exchange message type (its
 * wire form is converted in `src/call/key-exchange-wire.ts`); the lower
 * layers are exported for tests, benchmarks and tools.
 * @packageDocumentation
 */
export { E2eeContext, type E2eeContextOptions } from './e2ee-context.js';
export {
  E2eeErrorEvent,
  KeyframeNeededEvent,
  KeyframeRequestEvent,
  PeerSecurityEvent,
  type E2eeEventMap,
  type PeerSecurity,
  type PeerVerification,
} from './events.js';
export { E2eeError, type E2eeErrorCode } from './errors.js';
export type { KeyExchangeMessage, KeyExchangeStep } from './key-messages.js';
export {
  deriveRoomSecret,
  normalizePassphrase,
  PASSPHRASE_SCRYPT,
  passphraseFromFragment,
  type RoomSecret,
} from './key-exchange.js';
export { mediaFrameMetadata, type MediaFrameFields } from './media-metadata.js';
export {
  defaultAeadProvider,
  hybridAesGcm,
  nobleAesGcm,
  webCryptoAesGcm,
  type AeadProvider,
  type AesGcmKey,
} from './aead.js';
