/**
 * Access tokens: who may join which room, as whom, allowed to do what. A site's
 * backend signs a JWT (claims `room`, `sub`, `name`, `exp`, `nbf`, `grants`) and
 * the page passes it in `Join.token`; the relay checks it here with `jose`.
 *
 * Keys: `AUTH_SECRET` (HS256, a secret the site and the relay share) or
 * `AUTH_PUBLIC_KEY` (ES256 or EdDSA: a PEM public key or a JWKS, so the site signs
 * with a private key the relay never sees). With neither, the relay runs open:
 * anyone joins any room under any name, which is for development only.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { CloseCode, ErrorCode, isValidRoomName } from '../src/protocol/index.js';
import { ConfigError, ProtocolError } from './errors.js';

/** What a participant may publish. */
export type PublishKind = 'audio' | 'video' | 'screen';

const PUBLISH_KINDS: readonly PublishKind[] = ['audio', 'video', 'screen'];

/** What a token allows, with every default applied. */
export interface Grants {
  /** Track kinds the participant may send; frames of other kinds are dropped (counted as `not-granted`). */
  readonly publish: ReadonlySet<PublishKind>;
  /** Whether the relay delivers other participants' media to it. */
  readonly subscribe: boolean;
  /** Chat and data messages (none exist yet: carried for when they do). */
  readonly chat: boolean;
  /** Moderation rights: admit or deny from the lobby, mute, remove, lock the room, end the meeting; never waits in the lobby. */
  readonly admin: boolean;
  /** The bearer waits in the room's lobby until an admin admits it (as everyone without `admin` does in a locked room). */
  readonly lobby: boolean;
  /** A recorder or bot: in no roster, announced to nobody, and publishing nothing. */
  readonly hidden: boolean;
}

/** What a checked token says about its bearer. */
export interface Access {
  /** `sub`: who this is, as the token's signer says; empty in open mode. */
  readonly identity: string;
  /** `name`, when the token gives one. */
  readonly name: string | undefined;
  /** When the token expires (ms since epoch); undefined in open mode. */
  readonly expiresAt: number | undefined;
  readonly grants: Grants;
}

/** Everything allowed but `admin` and `hidden`: what a join gets in open mode, and a token without `grants`. */
export const DEFAULT_GRANTS: Grants = {
  publish: new Set(PUBLISH_KINDS),
  subscribe: true,
  chat: true,
  admin: false,
  hidden: false,
  lobby: false,
};

/** Open mode's access: no identity, no expiry, the default grants. */
export const OPEN_ACCESS: Access = { identity: '', name: undefined, expiresAt: undefined, grants: DEFAULT_GRANTS };

/** Longest token accepted: a JWT with a few claims is a few hundred bytes. */
export const MAX_TOKEN_LENGTH = 4096;
/** Longest `sub`. */
const MAX_IDENTITY_LENGTH = 256;
/** Clock skew forgiven on `nbf` and `exp` between the signer and the relay. */
const CLOCK_TOLERANCE_S = 5;

/** How tokens are checked: {@link RelayOptions.auth}. */
export interface AuthOptions {
  /** HS256 secret shared with the site's backend (at least 32 bytes). */
  secret?: string | Uint8Array;
  /** ES256/EdDSA: a PEM public key (SPKI) or a JWKS (JSON text or object). */
  publicKey?: string | JSONWebKeySet;
}

type VerifyKey = KeyObject | Uint8Array | ReturnType<typeof createLocalJWKSet>;

/** Checks access tokens for one relay; `required` is false in open mode. */
export class AccessTokens {
  private constructor(
    private readonly key: VerifyKey | undefined,
    private readonly algorithms: string[],
    /** What kind of key, for the start-up log. */
    readonly keyKind: 'open' | 'hs256' | 'public-key' | 'jwks',
  ) {}

  /** From {@link AuthOptions}; throws {@link ConfigError} for an unusable key. */
  static fromOptions(options: AuthOptions | undefined): AccessTokens {
    if (options?.secret !== undefined && options.publicKey !== undefined) {
      throw new ConfigError('set AUTH_SECRET or AUTH_PUBLIC_KEY, not both');
    }
    if (options?.secret !== undefined) {
      const secret = Buffer.from(options.secret);
      if (secret.length < 32) throw new ConfigError('AUTH_SECRET must be at least 32 bytes (HS256)');
      // As bytes: jose imports them itself (a KeyObject measured no faster, and slower in some runs).
      return new AccessTokens(new Uint8Array(secret), ['HS256'], 'hs256');
    }
    const publicKey = options?.publicKey;
    if (publicKey === undefined) return new AccessTokens(undefined, [], 'open');
    if (typeof publicKey === 'object' || publicKey.trim().startsWith('{')) {
      let jwks: JSONWebKeySet;
      try {
        jwks = typeof publicKey === 'object' ? publicKey : (JSON.parse(publicKey) as JSONWebKeySet);
        if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new Error('no "keys"');
      } catch (err) {
        throw new ConfigError(`AUTH_PUBLIC_KEY: not a JWKS: ${(err as Error).message}`);
      }
      return new AccessTokens(createLocalJWKSet(jwks), ['ES256', 'EdDSA', 'Ed25519'], 'jwks');
    }
    let key: KeyObject;
    try {
      key = createPublicKey(publicKey);
    } catch (err) {
      throw new ConfigError(`AUTH_PUBLIC_KEY: not a PEM public key: ${(err as Error).message}`);
    }
    const type = key.asymmetricKeyType;
    if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
      return new AccessTokens(key, ['ES256'], 'public-key');
    }
    if (type === 'ed25519') return new AccessTokens(key, ['EdDSA', 'Ed25519'], 'public-key');
    throw new ConfigError('AUTH_PUBLIC_KEY must be an EC P-256 (ES256) or Ed25519 (EdDSA) public key');
  }

  /** True when joins need a token; false in open mode. */
  get required(): boolean {
    return this.key !== undefined;
  }

  /**
   * Checks `token` for joining `room`. Rejects with a fatal {@link ProtocolError}:
   * `token-missing`, `token-invalid` (malformed, bad signature, not yet valid, bad
   * claims), `token-expired` or `token-wrong-room`. In open mode, {@link OPEN_ACCESS}.
   */
  async verify(token: string, room: string, now: number = Date.now()): Promise<Access> {
    const key = this.key;
    if (!key) return OPEN_ACCESS;
    if (!token) throw tokenError(ErrorCode.TokenMissing, 'this relay requires an access token in Join.token');
    if (token.length > MAX_TOKEN_LENGTH) {
      throw tokenError(ErrorCode.TokenInvalid, `access tokens are at most ${MAX_TOKEN_LENGTH} characters`);
    }
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: this.algorithms,
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(now),
        requiredClaims: ['exp', 'sub', 'room'],
      };
      ({ payload } = await jwtVerify(token, key, options));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw tokenError(ErrorCode.TokenExpired, 'the access token expired');
      const why = err instanceof joseErrors.JOSEError ? err.code : 'unreadable';
      throw tokenError(ErrorCode.TokenInvalid, `the access token was refused (${why})`);
    }
    return accessOf(payload, room);
  }
}

/** The claims of a verified token as {@link Access}, or why they don't let the bearer into `room`. */
function accessOf(payload: JWTPayload, room: string): Access {
  const claimedRoom = payload.room;
  if (typeof claimedRoom !== 'string' || (claimedRoom !== '*' && !isValidRoomName(claimedRoom))) {
    throw tokenError(ErrorCode.TokenInvalid, 'the access token\'s "room" claim is not a room name or "*"');
  }
  if (claimedRoom !== '*' && claimedRoom !== room) {
    throw tokenError(ErrorCode.TokenWrongRoom, `the access token is for room "${claimedRoom}", not "${room}"`);
  }
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_IDENTITY_LENGTH) {
    throw tokenError(ErrorCode.TokenInvalid, `the access token's "sub" must be 1 to ${MAX_IDENTITY_LENGTH} characters`);
  }
  const name = payload.name;
  if (name !== undefined && typeof name !== 'string') {
    throw tokenError(ErrorCode.TokenInvalid, 'the access token\'s "name" claim must be a string');
  }
  return { identity: sub, name, expiresAt: (payload.exp ?? 0) * 1000, grants: grantsOf(payload.grants) };
}

/**
 * `grants` as {@link Grants}. Absent: {@link DEFAULT_GRANTS}. Present: `publish`,
 * `subscribe` and `chat` default to allowed, `admin`, `hidden` and `lobby` to not; `publish`
 * is `true`, `false` or a list of `audio`, `video`, `screen`. A hidden participant publishes nothing.
 */
export function grantsOf(claim: unknown): Grants {
  if (claim === undefined) return DEFAULT_GRANTS;
  if (typeof claim !== 'object' || claim === null || Array.isArray(claim)) {
    throw tokenError(ErrorCode.TokenInvalid, 'the access token\'s "grants" claim must be an object');
  }
  const g = claim as Record<string, unknown>;
  const flag = (name: string, fallback: boolean): boolean => {
    const value = g[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw tokenError(ErrorCode.TokenInvalid, `grants.${name} must be true or false`);
    return value;
  };
  const hidden = flag('hidden', false);
  let publish: Set<PublishKind>;
  const p = g.publish;
  if (p === undefined || p === true) publish = new Set(PUBLISH_KINDS);
  else if (p === false) publish = new Set();
  else if (Array.isArray(p) && p.every((k): k is PublishKind => PUBLISH_KINDS.includes(k as PublishKind))) {
    publish = new Set(p);
  } else {
    throw tokenError(ErrorCode.TokenInvalid, 'grants.publish must be true, false or a list of audio, video, screen');
  }
  return {
    publish: hidden ? new Set() : publish,
    subscribe: flag('subscribe', true),
    chat: flag('chat', true),
    admin: flag('admin', false),
    hidden,
    lobby: flag('lobby', false),
  };
}

const TOKEN_CLOSE: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.TokenMissing]: CloseCode.TokenMissing,
  [ErrorCode.TokenInvalid]: CloseCode.TokenInvalid,
  [ErrorCode.TokenExpired]: CloseCode.TokenExpired,
  [ErrorCode.TokenWrongRoom]: CloseCode.TokenWrongRoom,
};

function tokenError(code: ErrorCode, message: string): ProtocolError {
  return new ProtocolError(code, message, TOKEN_CLOSE[code] ?? CloseCode.Unauthorized);
}

/**
 * `AUTH_PUBLIC_KEY`'s value as key material: inline PEM or JSON as it is, else
 * the path of a file holding one. Throws {@link ConfigError}.
 */
export function readPublicKeySetting(value: string): string {
  const trimmed = value.trim();
  if (trimmed.startsWith('-----BEGIN') || trimmed.startsWith('{')) return trimmed;
  try {
    return readFileSync(trimmed, 'utf8');
  } catch (err) {
    throw new ConfigError(`AUTH_PUBLIC_KEY: cannot read "${trimmed}": ${(err as Error).message}`);
  }
}
