/**
 * Chat and app data on the wire (`ChatMessage`, `ChatContent` in
 * proto/videocall.proto): the limits both ends keep, and the inner content that
 * end-to-end encryption seals.
 */
import { videocall } from './gen/videocall.js';

export type ChatMessageInit = videocall.ChatMessage.$Properties;

/** Longest chat text a client sends, in UTF-16 code units (a long paragraph). */
export const MAX_CHAT_TEXT_LENGTH = 4000;

/** Largest app data a client sends in one message, in bytes. */
export const MAX_CHAT_DATA_BYTES = 15 * 1024;

/**
 * Largest content field (`text` as UTF-8, `data` or `sealed`) the relay takes:
 * the client limits above plus room for the SFrame header, tag and inner framing.
 */
export const MAX_CHAT_CONTENT_BYTES = 16 * 1024;

/** Most recipients one message may name; more is a room-wide message in all but name. */
export const MAX_CHAT_RECIPIENTS = 64;

/** Largest `ChatMessage` envelope the relay takes: a full content field and a full recipient list. */
export const MAX_CHAT_ENVELOPE_BYTES = MAX_CHAT_CONTENT_BYTES + MAX_CHAT_RECIPIENTS * 66 + 64;

/** Messages a participant may send: a burst, then a sustained rate (per second). */
export const CHAT_BURST = 30;
export const CHAT_PER_SECOND = 10;

/** What a sealed chat message holds: the text or the app data. */
export type ChatPlain = { text: string } | { data: Uint8Array };

/** The plaintext of {@link ChatPlain} that end-to-end encryption seals. */
export function encodeChatContent(content: ChatPlain): Uint8Array {
  return videocall.ChatContent.encode('text' in content ? { text: content.text } : { data: content.data }).finish();
}

/** A sealed message's plaintext as {@link ChatPlain}; throws on bytes that are not a `ChatContent` with one content. */
export function decodeChatContent(bytes: Uint8Array): ChatPlain {
  const content = videocall.ChatContent.decode(bytes);
  if (content.content === 'text') return { text: content.text ?? '' };
  if (content.content === 'data') return { data: content.data ?? new Uint8Array(0) };
  throw new RangeError('sealed chat content holds neither text nor data');
}
