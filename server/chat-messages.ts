/**
 * Chat and app data through the relay: what a client may send (`ChatMessage`),
 * checked and re-encoded with only the fields the protocol knows, stamped with
 * the sender and the relay's clock; and the same check on what other relay
 * nodes pass on over the bus. The content is never read: with E2EE it is
 * ciphertext, and without it the relay has no business with the words either.
 */
import {
  decodeEnvelope,
  encodeEnvelope,
  ErrorCode,
  MAX_CHAT_CONTENT_BYTES,
  MAX_CHAT_ENVELOPE_BYTES,
  MAX_CHAT_RECIPIENTS,
  type ChatMessageInit,
  type DecodedEnvelope,
} from '../src/protocol/index.js';
import { ProtocolError } from './errors.js';
import { isSessionId } from './session-id.js';

/** A client's chat message as the relay forwards it. */
export interface OutgoingChat {
  /** The recipients, deduplicated; empty for everyone in the room. */
  to: string[];
  /** The envelope to deliver: `from`, `to`, the content and `at`. */
  bytes: Uint8Array;
}

type ChatBody = NonNullable<DecodedEnvelope['chat']>;

/**
 * `chat` from `sender` checked and re-encoded for delivery, stamped with `at`
 * (ms since the epoch). Throws a non-fatal {@link ProtocolError}: `malformed`
 * (no content, an id that can't be one, recipients named twice or too many)
 * or `too-large` (content beyond {@link MAX_CHAT_CONTENT_BYTES}).
 */
export function outgoingChat(chat: ChatBody, sender: string, at: number): OutgoingChat {
  const to = chat.to ?? [];
  if (to.length > MAX_CHAT_RECIPIENTS) {
    throw new ProtocolError(ErrorCode.Malformed, `a chat message names at most ${MAX_CHAT_RECIPIENTS} recipients`);
  }
  if (!to.every(isSessionId)) throw new ProtocolError(ErrorCode.Malformed, 'a chat recipient is not a session id');
  if (new Set(to).size !== to.length) {
    throw new ProtocolError(ErrorCode.Malformed, 'a chat message names a recipient twice');
  }
  const content = contentOf(chat);
  if (!content) throw new ProtocolError(ErrorCode.Malformed, 'a chat message needs text, data or sealed content');
  const size = contentBytes(content);
  if (size > MAX_CHAT_CONTENT_BYTES) {
    throw new ProtocolError(
      ErrorCode.TooLarge,
      `chat content is at most ${MAX_CHAT_CONTENT_BYTES} bytes, this one ${size}`,
    );
  }
  return { to: [...to], bytes: encodeEnvelope({ from: sender, chat: { to, ...content, at } }) };
}

/**
 * A chat envelope another node passes on as `sender`'s, checked like client
 * input and re-encoded; undefined when anything is off (the caller counts it).
 */
export function checkedBusChat(bytes: Uint8Array, sender: string): Uint8Array | undefined {
  if (!isSessionId(sender) || bytes.length > MAX_CHAT_ENVELOPE_BYTES) return undefined;
  let envelope: DecodedEnvelope;
  try {
    envelope = decodeEnvelope(bytes);
  } catch {
    return undefined;
  }
  if (envelope.body !== 'chat' || envelope.from !== sender || !envelope.chat) return undefined;
  const at = envelope.chat.at ?? 0;
  if (!Number.isSafeInteger(at) || at < 0) return undefined;
  try {
    return outgoingChat(envelope.chat, sender, at).bytes;
  } catch {
    return undefined;
  }
}

type Content = Pick<ChatMessageInit, 'text' | 'data' | 'sealed'>;

function contentOf(chat: ChatBody): Content | undefined {
  switch (chat.content) {
    case 'text':
      return { text: chat.text ?? '' };
    case 'data':
      return { data: chat.data ?? new Uint8Array(0) };
    case 'sealed':
      return { sealed: chat.sealed ?? new Uint8Array(0) };
    default:
      return undefined;
  }
}

function contentBytes(content: Content): number {
  if (content.text !== undefined && content.text !== null) return Buffer.byteLength(content.text, 'utf8');
  return (content.data ?? content.sealed)?.length ?? 0;
}
