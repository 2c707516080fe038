/** What every part of one relay shares. */
import type { AccessTokens } from './access-tokens.js';
import type { AddressLimits } from './address-limits.js';
import type { Bus } from './bus/bus.js';
import type { ClusterNode } from './cluster-node.js';
import type { ResolvedRelayOptions } from './config.js';
import type { Metrics } from './metrics.js';
import type { OriginPolicy } from './origins.js';
import type { ResumeTokens } from './resume-tokens.js';
import type { RoomBans } from './room-bans.js';
import type { Rooms } from './rooms.js';

export interface RelayContext {
  readonly options: ResolvedRelayOptions;
  readonly metrics: Metrics;
  readonly bus: Bus;
  /** This relay as a node of the cluster sharing `bus` (alone on the in-process bus). */
  readonly node: ClusterNode;
  readonly rooms: Rooms;
  /** Signs and checks the tokens participants resume with. */
  readonly resumeTokens: ResumeTokens;
  /** Identities admins removed from rooms, on every relay. */
  readonly bans: RoomBans;
  /** Checks access tokens (`required` false in open mode). */
  readonly accessTokens: AccessTokens;
  /** Which pages' origins may connect (`ALLOWED_ORIGINS`). */
  readonly origins: OriginPolicy;
  /** Connections and joins per address, and connections per relay. */
  readonly addressLimits: AddressLimits;
  readonly startedAt: number;
}
