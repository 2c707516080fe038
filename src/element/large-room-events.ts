/**
 * The element's events of large rooms: screen shares and the active speaker.
 * Like `vc-hand`, each names who it is about by `participantId`.
 */
import type { ActiveSpeakerEvent, ScreenShareEvent } from '../call/large-room-events.js';
import type { RoomEventMap } from '../call/events.js';
import type { TypedEventTarget } from '../shared/typed-event-target.js';

const init = { bubbles: true, composed: true } as const;

/**
 * Someone started or stopped sharing a screen.
 *
 * @example
 * ```js
 * call.addEventListener('vc-screen-share', (e) => console.log(e.local ? 'you' : e.participantId, e.sharing));
 * ```
 */
export class VcScreenShareEvent extends Event {
  constructor(
    /** Their participant id (ours when `local`). */
    readonly participantId: string,
    /** True when they started, false when they stopped. */
    readonly sharing: boolean,
    /** True for this element's own screen share. */
    readonly local: boolean,
  ) {
    super('vc-screen-share', init);
  }
}

/**
 * The active speaker changed: the relay's choice from audio levels, with
 * hysteresis, so short noises do not flip it.
 *
 * @example
 * ```js
 * call.addEventListener('vc-active-speaker', (e) => highlight(e.participantId));
 * ```
 */
export class VcActiveSpeakerEvent extends Event {
  constructor(
    /** The active speaker's participant id (ours when it is us); null when nobody speaks. */
    readonly participantId: string | null,
    /** The participant ids of everyone speaking now, loudest first. */
    readonly speakers: readonly string[],
  ) {
    super('vc-active-speaker', init);
  }
}

/** Passes the room's `screen-share` and `active-speaker` to `fire` as their `vc-*` twins. */
export function forwardLargeRoomEvents(source: TypedEventTarget<RoomEventMap>, fire: (event: Event) => void): void {
  source.addEventListener('screen-share', (e: ScreenShareEvent) =>
    fire(new VcScreenShareEvent(e.participantId, e.sharing, e.local)),
  );
  source.addEventListener('active-speaker', (e: ActiveSpeakerEvent) =>
    fire(new VcActiveSpeakerEvent(e.participantId, [...e.speakers])),
  );
}

declare global {
  interface HTMLElementEventMap {
    'vc-screen-share': VcScreenShareEvent;
    'vc-active-speaker': VcActiveSpeakerEvent;
  }
}
