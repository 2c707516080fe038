/**
 * The envelope's body types as small numbers (their protobuf field numbers) and
 * as metric labels (their proto field names), so counting and the bus header
 * need no strings on the hot path.
 */
import type { BodyKind } from '../src/protocol/index.js';

/** Field number of each body in `Envelope` (proto/videocall.proto). */
export const BodyField = {
  join: 2,
  welcome: 3,
  peerJoined: 4,
  peerLeft: 5,
  media: 6,
  keyframeRequest: 7,
  mediaState: 8,
  ping: 9,
  pong: 10,
  error: 11,
  leave: 12,
  keyExchange: 13,
  tokenRefresh: 14,
  subscription: 20,
  layerDemand: 21,
  activeSpeakers: 22,
  peersJoined: 23,
  lobbyWait: 30,
  knock: 31,
  admission: 32,
  moderation: 33,
  chat: 40,
} as const satisfies Record<BodyKind, number>;

export type BodyFieldNumber = (typeof BodyField)[BodyKind];

/** Metric label of each body type: its proto field name, e.g. `keyframe_request`. */
const LABELS: Record<BodyKind, string> = {
  join: 'join',
  welcome: 'welcome',
  peerJoined: 'peer_joined',
  peerLeft: 'peer_left',
  media: 'media',
  keyframeRequest: 'keyframe_request',
  mediaState: 'media_state',
  ping: 'ping',
  pong: 'pong',
  error: 'error',
  leave: 'leave',
  keyExchange: 'key_exchange',
  tokenRefresh: 'token_refresh',
  subscription: 'subscription',
  layerDemand: 'layer_demand',
  activeSpeakers: 'active_speakers',
  peersJoined: 'peers_joined',
  lobbyWait: 'lobby_wait',
  knock: 'knock',
  admission: 'admission',
  moderation: 'moderation',
  chat: 'chat',
};

const LABEL_BY_FIELD: string[] = [];
for (const [kind, field] of Object.entries(BodyField)) LABEL_BY_FIELD[field] = LABELS[kind as BodyKind];

/** Metric label of a body field number; `unknown` for numbers this relay does not know. */
export function bodyLabelOfField(field: number): string {
  return LABEL_BY_FIELD[field] ?? 'unknown';
}
