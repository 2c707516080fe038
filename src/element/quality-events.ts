/** The element's `vc-quality-changed` event, and how it follows the room's judgements. */
import type { ConnectionQuality } from '../call/connection-quality.js';
import type { QualityChangedEvent } from '../call/quality-event.js';
import type { Room } from '../call/room.js';
import { showQuality } from './quality-indicator.js';

/**
 * A remote participant's connection class changed (what the bars on their tile
 * show): `good`, `fair` or `poor`, from the frame rate, freezes, loss and
 * jitter-buffer delay of what we receive from them. Judged once a second;
 * a class goes down at once and up only after it held for a few seconds.
 *
 * @example
 * ```js
 * call.addEventListener('vc-quality-changed', (e) => {
 *   if (e.quality === 'poor') console.warn(`${e.participantId}'s connection is poor`);
 * });
 * ```
 */
export class VcQualityChangedEvent extends Event {
  constructor(
    /** Their participant id (as in `participants`). */
    readonly participantId: string,
    /** The class now. */
    readonly quality: ConnectionQuality,
    /** The class before. */
    readonly previous: ConnectionQuality,
  ) {
    super('vc-quality-changed', { bubbles: true, composed: true });
  }
}

/** On each of `room`'s quality changes: updates that participant's indicators, then `fire`s `vc-quality-changed`. */
export function forwardQualityEvents(room: Room, fire: (event: Event) => void): void {
  room.addEventListener('quality-changed', (e: QualityChangedEvent) => {
    const participant = room.participants.get(e.participantId);
    if (participant) showQuality(participant);
    fire(new VcQualityChangedEvent(e.participantId, e.quality, e.previous));
  });
}

declare global {
  interface HTMLElementEventMap {
    'vc-quality-changed': VcQualityChangedEvent;
  }
}
