/**
 * What other relay nodes send about their participants (presence, roster
 * entries, control addressed to one participant), checked like client input
 * before it reaches anyone here: a node with bus access may be buggy, outdated
 * or compromised, and the bus is not trusted blindly. Each message is rebuilt
 * from the fields the protocol knows, within the limits a relay itself keeps;
 * anything else is dropped (the caller counts it). Presence is rare, so decoding
 * and re-encoding it costs nothing that matters.
 */
import {
  decodeEnvelope,
  encodeEnvelope,
  MAX_NAME_LENGTH,
  type DecodedEnvelope,
  type MediaStateInit,
  type ParticipantInit,
} from '../src/protocol/index.js';
import { BodyField } from './body-types.js';
import { cleanDisplayName } from './display-name.js';
import { checkedBusChat } from './chat-messages.js';
import { isSessionId } from './session-id.js';

const MAX_IDENTITY = 256;
const MAX_DECODERS = 16;
const MAX_LAYERS = 8;
const MAX_REASON = 32;
/** Targeted control is small (a keyframe request, a key share, a moderation). */
const MAX_TARGETED_BYTES = 1024;

export { isSessionId };

/** A participant from another node, rebuilt within the limits; undefined when it can't be one. */
export function checkedParticipant(p: ParticipantInit | null | undefined): ParticipantInit | undefined {
  if (!p || !isSessionId(p.id)) return undefined;
  const rawName = typeof p.name === 'string' ? p.name : '';
  if (rawName.length > 4 * MAX_NAME_LENGTH) return undefined;
  const name = cleanDisplayName(rawName);
  if (name.length > MAX_NAME_LENGTH) return undefined;
  const identity = typeof p.identity === 'string' ? p.identity : '';
  if (identity.length > MAX_IDENTITY) return undefined;
  const decoders = Array.isArray(p.decoders) ? p.decoders : [];
  if (decoders.length > MAX_DECODERS || !decoders.every((d) => Number.isInteger(d) && d >= 0 && d < 64))
    return undefined;
  const state = checkedState(p.state);
  if (!state) return undefined;
  return { id: p.id, name, identity, decoders: [...decoders], state };
}

/** A media state rebuilt from the known fields; undefined when it carries more layers than any publisher has. */
export function checkedState(s: MediaStateInit | null | undefined): MediaStateInit | undefined {
  const videoLayers = s?.videoLayers ?? [];
  const screenLayers = s?.screenLayers ?? [];
  if (videoLayers.length > MAX_LAYERS || screenLayers.length > MAX_LAYERS) return undefined;
  const layer = (l: NonNullable<MediaStateInit['videoLayers']>[number]) => ({
    width: l.width ?? 0,
    height: l.height ?? 0,
    maxFramerate: l.maxFramerate ?? 0,
    maxBitrate: l.maxBitrate ?? 0,
  });
  const out: MediaStateInit = { mic: !!s?.mic, camera: !!s?.camera, screen: !!s?.screen };
  if (videoLayers.length) out.videoLayers = videoLayers.map(layer);
  if (screenLayers.length) out.screenLayers = screenLayers.map(layer);
  if (out.screen && s?.screenAudio) out.screenAudio = true;
  if (s?.micLocked) out.micLocked = true;
  if (s?.cameraLocked) out.cameraLocked = true;
  if (s?.handRaised) out.handRaised = true;
  return out;
}

/** Presence from another node: `sender`'s join, leave or media state, re-encoded; undefined when malformed. */
export function checkedPresence(
  bytes: Uint8Array,
  sender: string,
): { body: number; envelope: DecodedEnvelope; bytes: Uint8Array } | undefined {
  if (!isSessionId(sender)) return undefined;
  let envelope: DecodedEnvelope;
  try {
    envelope = decodeEnvelope(bytes);
  } catch {
    return undefined;
  }
  switch (envelope.body) {
    case 'peerJoined': {
      const participant = checkedParticipant(envelope.peerJoined?.participant);
      if (!participant || participant.id !== sender) return undefined;
      return rebuilt(BodyField.peerJoined, { from: sender, peerJoined: { participant } });
    }
    case 'peerLeft': {
      const reason = envelope.peerLeft?.reason ?? '';
      if (envelope.peerLeft?.id !== sender || reason.length > MAX_REASON) return undefined;
      return rebuilt(BodyField.peerLeft, { from: sender, peerLeft: { id: sender, reason } });
    }
    case 'mediaState': {
      const state = checkedState(envelope.mediaState);
      if (!state) return undefined;
      return rebuilt(BodyField.mediaState, { from: sender, mediaState: state });
    }
    case 'chat': {
      const chat = checkedBusChat(bytes, sender);
      if (!chat) return undefined;
      return { body: BodyField.chat, envelope: decodeEnvelope(chat), bytes: chat };
    }
    default:
      return undefined;
  }
}

/**
 * Control addressed to one participant here, from `sender` on another node: a
 * keyframe request, a key exchange message or a moderation, of the type its
 * header says, re-encoded with the known fields. Undefined when anything is off.
 */
export function checkedTargeted(bytes: Uint8Array, sender: string, body: number): Uint8Array | undefined {
  // A chat message to one person is larger, and checked on its own terms.
  if (body === BodyField.chat) return checkedBusChat(bytes, sender);
  if (!isSessionId(sender) || bytes.length > MAX_TARGETED_BYTES) return undefined;
  let envelope: DecodedEnvelope;
  try {
    envelope = decodeEnvelope(bytes);
  } catch {
    return undefined;
  }
  if (envelope.from !== sender) return undefined;
  switch (envelope.body) {
    case 'keyframeRequest': {
      if (body !== BodyField.keyframeRequest) return undefined;
      const { target, kind, layer } = envelope.keyframeRequest!;
      return encodeEnvelope({ from: sender, keyframeRequest: { target, kind, layer } });
    }
    case 'keyExchange': {
      if (body !== BodyField.keyExchange) return undefined;
      const { target, step, data, mac, kid } = envelope.keyExchange!;
      return encodeEnvelope({ from: sender, keyExchange: { target, step, data, mac, kid } });
    }
    case 'moderation': {
      if (body !== BodyField.moderation) return undefined;
      const { action, target, lock } = envelope.moderation!;
      return encodeEnvelope({ from: sender, moderation: { action, target, lock } });
    }
    default:
      return undefined;
  }
}

function rebuilt(
  body: number,
  init: Parameters<typeof encodeEnvelope>[0],
): { body: number; envelope: DecodedEnvelope; bytes: Uint8Array } {
  const bytes = encodeEnvelope(init);
  return { body, envelope: decodeEnvelope(bytes), bytes };
}
