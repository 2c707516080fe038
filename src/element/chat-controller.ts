import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { RoomMessageEvent } from '../call/chat.js';
import type { Room } from '../call/room.js';
import { VcMessageEvent } from './events.js';

/** One chat message as the panel shows it. */
export interface ChatEntry {
  /** Increasing, for keyed rendering. */
  readonly key: number;
  readonly from: string;
  readonly fromName: string;
  readonly text: string;
  /** Recipient ids; empty for everyone. */
  readonly to: readonly string[];
  /** Recipient names, as known when it came or went. */
  readonly toNames: readonly string[];
  readonly at: number;
  /** Sent by this element. */
  readonly own: boolean;
  readonly encrypted: boolean;
}

/** Messages the panel keeps; older ones scroll away for good. */
const MAX_ENTRIES = 500;

/**
 * The element's chat: the history of one call, whether the panel is open, how
 * many messages came while it was closed; and every message and app data
 * passed to the page as `vc-message`.
 */
export class ChatController implements ReactiveController {
  entries: ChatEntry[] = [];
  open = false;
  unread = 0;
  private room: Room | null = null;
  private nextKey = 1;

  constructor(private readonly host: ReactiveControllerHost & EventTarget) {
    host.addController(this);
  }

  hostConnected(): void {}

  /** Follows `room` from now on (a new call starts an empty history). */
  bind(room: Room): void {
    this.room = room;
    this.entries = [];
    this.unread = 0;
    room.addEventListener('message', (event) => {
      if (this.room === room) this.received(room, event);
    });
  }

  /** Sends `text` to everyone or to `to` (ids), and shows it as ours once it went. */
  async send(text: string, to: readonly string[]): Promise<void> {
    const room = this.room;
    if (!room) return;
    await room.sendMessage(text, { to });
    this.add({
      from: room.sessionId,
      fromName: '',
      text,
      to,
      toNames: to.map((id) => room.participants.get(id)?.name ?? ''),
      at: Date.now(),
      own: true,
      encrypted: room.encryption !== 'off',
    });
  }

  toggle(open = !this.open): void {
    this.open = open;
    if (open) this.unread = 0;
    this.host.requestUpdate();
  }

  private received(room: Room, e: RoomMessageEvent): void {
    const fromName = room.participants.get(e.from)?.name ?? '';
    this.host.dispatchEvent(new VcMessageEvent(e.from, fromName, e.text, e.data, e.to, e.at, e.encrypted));
    // App data is for the page, not for people.
    if (e.text === undefined) return;
    this.add({
      from: e.from,
      fromName,
      text: e.text,
      to: e.to,
      toNames: e.to.map((id) => (id === room.sessionId ? '' : (room.participants.get(id)?.name ?? ''))),
      at: e.at,
      own: false,
      encrypted: e.encrypted,
    });
    if (!this.open) this.unread++;
  }

  private add(entry: Omit<ChatEntry, 'key'>): void {
    this.entries = [...this.entries.slice(-(MAX_ENTRIES - 1)), { key: this.nextKey++, ...entry }];
    this.host.requestUpdate();
  }
}
