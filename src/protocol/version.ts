/**
 * Wire protocol version, sent in `Join` and `Welcome`. Bump it when a change to
 * `proto/videocall.proto` means old clients can no longer follow; the relay
 * answers a client of another version with the error `protocol-version`.
 */
export const PROTOCOL_VERSION = 1;
