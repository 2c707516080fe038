/**
 * Chat and app data in a room: sending (checked here first, sealed under our
 * sender key when E2EE is on) and receiving (opened, in each sender's order) of
 * `ChatMessage`s. The relay delivers them to everyone or only to the named
 * participants and stamps sender and time; it never sees sealed content.
 */
import {
  decodeChatContent,
  encodeChatContent,
  MAX_CHAT_DATA_BYTES,
  MAX_CHAT_RECIPIENTS,
  MAX_CHAT_TEXT_LENGTH,
  type ChatPlain,
  type DecodedEnvelope,
  type EnvelopeInit,
} from '../protocol/index.js';
import { VideoCallError } from './errors.js';
import type { MediaCrypto } from './media-crypto.js';

/** Who a message goes to: one participant id, several, or (absent or empty) everyone. */
export interface SendOptions {
  to?: string | readonly string[];
}

/** A chat message or app data someone else in the room sent us. */
export class RoomMessageEvent extends Event {
  constructor(
    /** The sender's participant id (stamped by the relay). */
    readonly from: string,
    /** The recipients the sender named; empty when it went to everyone. */
    readonly to: readonly string[],
    /** When the relay took it, ms since the Unix epoch on this page's clock. */
    readonly at: number,
    /** The text, for a chat message (`sendMessage`). */
    readonly text: string | undefined,
    /** The bytes, for app data (`sendData`). */
    readonly data: Uint8Array | undefined,
    /** True when it was end-to-end encrypted (the relay saw only ciphertext). */
    readonly encrypted: boolean,
  ) {
    super('message');
  }
}

/** What {@link RoomChat} needs from its room. */
export interface ChatHooks {
  /** True while messages can be sent (joined). */
  canSend(): boolean;
  /** Whether `id` is a remote participant now. */
  hasParticipant(id: string): boolean;
  /** The room's E2EE, when on. */
  crypto(): MediaCrypto | null;
  send(message: EnvelopeInit): void;
  /** Relay clock minus ours, ms. */
  relayClockOffsetMs(): number;
  received(event: RoomMessageEvent): void;
  /** A message that could not be opened (dropped). */
  undecryptable(from: string): void;
}

/** How long a sealed message waits for its sender's key (it may come just after the message), in tries and ms. */
const KEY_WAIT_TRIES = 20;
const KEY_WAIT_MS = 250;

export class RoomChat {
  /** Each sender's messages being opened, chained so they come out in the order they arrived. */
  private readonly opening = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly hooks: ChatHooks) {}

  /**
   * Checks and sends `content` to `options.to`. Rejects with a {@link VideoCallError}:
   * `invalid-state` (not joined), `invalid-argument` (empty text, a recipient
   * who is not here), `too-large` (text or data over the limit).
   */
  async send(content: ChatPlain, options: SendOptions = {}): Promise<void> {
    const to = recipients(options.to);
    if (!this.hooks.canSend()) throw new VideoCallError('invalid-state', 'Join the call before sending messages.');
    checkContent(content);
    if (to.length > MAX_CHAT_RECIPIENTS) {
      throw new VideoCallError('invalid-argument', `A message goes to at most ${MAX_CHAT_RECIPIENTS} people.`);
    }
    const missing = to.find((id) => !this.hooks.hasParticipant(id));
    if (missing !== undefined) {
      throw new VideoCallError('invalid-argument', `Nobody with id "${missing}" is in the call.`);
    }
    const crypto = this.hooks.crypto();
    let chat: EnvelopeInit['chat'];
    if (crypto) {
      chat = { to, sealed: await crypto.sealChat(to, encodeChatContent(content)) };
      if (!this.hooks.canSend()) throw new VideoCallError('invalid-state', 'The call ended before the message went.');
    } else {
      chat = 'text' in content ? { to, text: content.text } : { to, data: content.data };
    }
    this.hooks.send({ chat });
  }

  /** A `ChatMessage` the relay delivered, from `from`. */
  receive(from: string, chat: NonNullable<DecodedEnvelope['chat']>): void {
    if (this.closed || !from) return;
    const to = [...(chat.to ?? [])];
    const at = (chat.at ?? 0) - this.hooks.relayClockOffsetMs();
    const crypto = this.hooks.crypto();
    if (!crypto) {
      // Plain content while E2EE is off only; with E2EE on, plain content is refused below.
      if (chat.content === 'text') this.emit(from, to, at, { text: chat.text ?? '' }, false);
      else if (chat.content === 'data') this.emit(from, to, at, { data: chat.data ?? new Uint8Array(0) }, false);
      return;
    }
    if (chat.content !== 'sealed' || !chat.sealed) {
      // With E2EE on, a clear message is one the relay (or a peer without E2EE) made up: not shown.
      this.hooks.undecryptable(from);
      return;
    }
    const sealed = chat.sealed.slice();
    const previous = this.opening.get(from) ?? Promise.resolve();
    const next = previous.then(() => this.open(crypto, from, to, at, sealed));
    this.opening.set(from, next);
    void next.finally(() => {
      if (this.opening.get(from) === next) this.opening.delete(from);
    });
  }

  /** Stops emitting; messages being opened are dropped. */
  close(): void {
    this.closed = true;
    this.opening.clear();
  }

  private async open(crypto: MediaCrypto, from: string, to: string[], at: number, sealed: Uint8Array): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) return;
      try {
        const content = decodeChatContent(await crypto.openChat(from, to, sealed));
        this.emit(from, to, at, content, true);
        return;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code !== 'e2ee-unknown-key' || attempt >= KEY_WAIT_TRIES || !this.hooks.hasParticipant(from)) {
          this.hooks.undecryptable(from);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, KEY_WAIT_MS));
      }
    }
  }

  private emit(from: string, to: string[], at: number, content: ChatPlain, encrypted: boolean): void {
    if (this.closed) return;
    const text = 'text' in content ? content.text : undefined;
    const data = 'data' in content ? content.data : undefined;
    this.hooks.received(new RoomMessageEvent(from, to, at, text, data, encrypted));
  }
}

/** `to` as a list of distinct ids. */
function recipients(to: SendOptions['to']): string[] {
  if (to === undefined || to === null) return [];
  const list = typeof to === 'string' ? [to] : [...to];
  if (!list.every((id) => typeof id === 'string' && id.length > 0)) {
    throw new VideoCallError('invalid-argument', '`to` takes participant ids (strings).');
  }
  return [...new Set(list)];
}

function checkContent(content: ChatPlain): void {
  if ('text' in content) {
    if (typeof content.text !== 'string' || content.text.trim() === '') {
      throw new VideoCallError('invalid-argument', 'A message needs some text.');
    }
    if (content.text.length > MAX_CHAT_TEXT_LENGTH) {
      throw new VideoCallError('too-large', `A message is at most ${MAX_CHAT_TEXT_LENGTH} characters.`);
    }
    return;
  }
  if (!(content.data instanceof Uint8Array)) {
    throw new VideoCallError('invalid-argument', 'App data is a Uint8Array (encode text or JSON first).');
  }
  if (content.data.length > MAX_CHAT_DATA_BYTES) {
    throw new VideoCallError('too-large', `App data is at most ${MAX_CHAT_DATA_BYTES} bytes per message.`);
  }
}
