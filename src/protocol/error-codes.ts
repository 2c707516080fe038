/**
 * Stable error codes carried by the protocol's `Error` message and by the
 * element's `vc-error` event. A host page may switch on them; never rename one.
 */
export const ErrorCode = {
  /** The client speaks another protocol version than the relay. */
  ProtocolVersion: 'protocol-version',
  /** The bytes were not a valid envelope. */
  Malformed: 'malformed',
  /** The envelope carried a message type this relay does not know. */
  UnknownType: 'unknown-type',
  /** The message was larger than the relay's limit. */
  TooLarge: 'too-large',
  /** A message that needs a joined session arrived before `Join`. */
  NotJoined: 'not-joined',
  /** A second `Join` on a connection that already joined. */
  AlreadyJoined: 'already-joined',
  /** The room name is not `[A-Za-z0-9_-]{1,64}`. */
  InvalidRoom: 'invalid-room',
  /** The display name is too long or not text. */
  InvalidName: 'invalid-name',
  /** The room already has the maximum number of participants. */
  RoomFull: 'room-full',
  /** The access token is missing, invalid or does not grant this room. */
  Unauthorized: 'unauthorized',
  /** The peer a message was addressed to is not in the room. */
  UnknownPeer: 'unknown-peer',
  /** Too many messages of a kind (for instance keyframe requests). */
  RateLimited: 'rate-limited',
  /** The relay heard nothing from this client for too long. */
  HeartbeatTimeout: 'heartbeat-timeout',
  /** The relay is shutting down; reconnect (possibly to another relay). */
  ServerShutdown: 'server-shutdown',
  /** The client cannot keep up with what the room sends. */
  SlowConsumer: 'slow-consumer',
  /** The relay failed while handling this connection; reconnect. */
  Internal: 'internal',
  /**
   * This participant reconnected on another connection (a resume), which took
   * over: this one is closed and must not reconnect itself.
   */
  SessionReplaced: 'session-replaced',
  /** The relay requires an access token and the `Join` carried none. */
  TokenMissing: 'token-missing',
  /** The access token is malformed, not signed with the relay's key, or not yet valid (`nbf`). */
  TokenInvalid: 'token-invalid',
  /** The access token expired (at join, or during the call without a fresh one). */
  TokenExpired: 'token-expired',
  /** The access token is for another room. */
  TokenWrongRoom: 'token-wrong-room',
  /** The access token's grants do not allow this (e.g. publishing video); the message was dropped. */
  NotAllowed: 'not-allowed',
  /** The connection did not send `Join` in time after opening. */
  JoinDeadline: 'join-deadline',
  /** Too many connections, joins or rooms: from this address, or on this relay. Try again later. */
  TooManyConnections: 'too-many-connections',
  /**
   * This connection's participant moved to another connection of the same client
   * (`Join.transport_upgrade`: WebTransport after a WebSocket fallback). The
   * client asked for it, so this close is expected and ends nothing.
   */
  TransportUpgrade: 'transport-upgrade',
  /**
   * A `Join.transport_upgrade` whose resume token was not honoured: the call stays
   * on the connection it has (no new participant is made).
   */
  UpgradeRefused: 'upgrade-refused',
  /**
   * A `Subscription` the relay refused (a kind that is not VIDEO or SCREEN, a layer
   * out of range, a track named twice, too many tracks): the previous one stands.
   */
  InvalidSubscription: 'invalid-subscription',
  /** An admin turned this participant away from the room's lobby. */
  AdmissionDenied: 'admission-denied',
  /** An admin removed this participant; its identity cannot rejoin the room for the rest of the meeting. */
  Removed: 'removed',
  /** An admin ended the meeting for everyone. */
  MeetingEnded: 'meeting-ended',
  /** Too many people already wait in this room's lobby. */
  LobbyFull: 'lobby-full',
  /** The client kept sending control messages beyond its byte budget. */
  ControlFlood: 'control-flood',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** True when `value` (a close reason or an `Error.code` off the wire) is one of the {@link ErrorCode}s. */
export function isErrorCode(value: string): value is ErrorCode {
  return ERROR_CODES.has(value);
}

/**
 * Codes that say this relay went away or failed, not that the client did
 * anything wrong: the client should reconnect, to this relay or another.
 */
export const RETRYABLE_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.ServerShutdown,
  ErrorCode.HeartbeatTimeout,
  ErrorCode.Internal,
  ErrorCode.SlowConsumer,
  ErrorCode.TooManyConnections,
]);

/**
 * Codes that end a connection for good: every relay of the cluster would answer
 * the same (the room, the name, the version, the token, what was sent), or the
 * participant went on elsewhere (`session-replaced`). Retrying must not happen.
 */
export const FINAL_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.RoomFull,
  ErrorCode.InvalidRoom,
  ErrorCode.InvalidName,
  ErrorCode.ProtocolVersion,
  ErrorCode.Unauthorized,
  ErrorCode.SessionReplaced,
  ErrorCode.UpgradeRefused,
  ErrorCode.Malformed,
  ErrorCode.TooLarge,
  ErrorCode.UnknownType,
  ErrorCode.NotJoined,
  ErrorCode.AlreadyJoined,
  ErrorCode.TokenMissing,
  ErrorCode.TokenInvalid,
  ErrorCode.TokenExpired,
  ErrorCode.TokenWrongRoom,
  ErrorCode.JoinDeadline,
  ErrorCode.AdmissionDenied,
  ErrorCode.Removed,
  ErrorCode.MeetingEnded,
  ErrorCode.LobbyFull,
  ErrorCode.ControlFlood,
]);

/**
 * WebSocket close codes the relay uses (4000–4999 is the range RFC 6455 leaves
 * to applications). The close reason is the matching {@link ErrorCode}.
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  TooLarge: 1009,
  ProtocolVersion: 4001,
  InvalidRoom: 4002,
  RoomFull: 4003,
  Unauthorized: 4004,
  Malformed: 4005,
  HeartbeatTimeout: 4008,
  SlowConsumer: 4009,
  InvalidName: 4010,
  SessionReplaced: 4011,
  TokenMissing: 4012,
  TokenInvalid: 4013,
  TokenExpired: 4014,
  TokenWrongRoom: 4015,
  JoinDeadline: 4016,
  /** Like RFC 6455's 1013 "try again later", with the reason `too-many-connections`. */
  TooManyConnections: 4017,
  TransportUpgrade: 4018,
  UpgradeRefused: 4019,
  AdmissionDenied: 4020,
  Removed: 4021,
  MeetingEnded: 4022,
  LobbyFull: 4023,
  ControlFlood: 4024,
  /** RFC 6455: the server hit an unexpected condition. */
  Internal: 1011,
} as const;
