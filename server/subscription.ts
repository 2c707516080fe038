/**
 * A client's `Subscription`, checked: what it wants to receive, one entry per
 * publisher-track, before the room drops the publishers it does not know. A
 * subscription that breaks a rule is refused as a whole with a non-fatal
 * `invalid-subscription` error, so the client learns what to fix and keeps its
 * previous one.
 */
import { ErrorCode, TrackKind } from '../src/protocol/index.js';
import { ProtocolError } from './errors.js';
import { MAX_LAYERS } from './simulcast-layers.js';

/** Most tracks one Subscription names: a large page of tiles, each with a screen share, and then some. */
export const MAX_SUBSCRIBED_TRACKS = 128;

/** One publisher-track a receiver wants, and the layer it asked for. */
export interface WantedTrack {
  publisher: string;
  /** `TrackKind.VIDEO` or `TrackKind.SCREEN`. */
  kind: number;
  layer: number;
}

/** The decoded wire message, as protobufjs gives it. */
export interface SubscriptionMessage {
  tracks?: Array<{ publisher?: string | null; kind?: number | null; layer?: number | null }> | null;
}

/** Session ids are 12 characters; anything much longer names nobody. */
const MAX_PUBLISHER_ID = 64;

/** Checks a Subscription; throws {@link ProtocolError} (`invalid-subscription`, non-fatal) at the first broken rule. */
export function parseSubscription(message: SubscriptionMessage | null | undefined): WantedTrack[] {
  const tracks = message?.tracks ?? [];
  if (tracks.length > MAX_SUBSCRIBED_TRACKS) {
    throw invalid(`a Subscription names at most ${MAX_SUBSCRIBED_TRACKS} tracks, this one ${tracks.length}`);
  }
  const seen = new Set<string>();
  const out: WantedTrack[] = [];
  for (const track of tracks) {
    const publisher = track.publisher ?? '';
    const kind = track.kind ?? TrackKind.TRACK_KIND_UNSPECIFIED;
    const layer = track.layer ?? 0;
    if (kind !== TrackKind.VIDEO && kind !== TrackKind.SCREEN) {
      throw invalid(`subscribe to VIDEO or SCREEN tracks (audio is always sent); got track kind ${kind}`);
    }
    if (!Number.isInteger(layer) || layer < 0 || layer >= MAX_LAYERS) {
      throw invalid(`simulcast layers are 0 to ${MAX_LAYERS - 1}; got ${layer}`);
    }
    if (publisher.length === 0 || publisher.length > MAX_PUBLISHER_ID) {
      throw invalid('each subscribed track names its publisher by session id');
    }
    const key = `${publisher} ${kind}`;
    if (seen.has(key)) throw invalid(`publisher "${publisher}" track kind ${kind} is named twice`);
    seen.add(key);
    out.push({ publisher, kind, layer });
  }
  return out;
}

function invalid(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidSubscription, `${message}; the previous Subscription stands`);
}
