import { describe, expect, it } from 'vitest';
import { ActiveSpeakerEvent, ScreenShareEvent } from '../../../src/call/large-room-events.js';
import { HandEvent } from '../../../src/call/hand-event.js';
import type { RoomEventMap } from '../../../src/call/events.js';
import {
  forwardLargeRoomEvents,
  VcActiveSpeakerEvent,
  VcScreenShareEvent,
} from '../../../src/element/large-room-events.js';
import { forwardToPage, VcHandEvent } from '../../../src/element/events.js';
import { TypedEventTarget } from '../../../src/shared/typed-event-target.js';

/** The fields a page reads, without Event's own. */
function fields(event: Event): Record<string, unknown> {
  return {
    ...Object.fromEntries(Object.entries(event)),
    type: event.type,
    bubbles: event.bubbles,
    composed: event.composed,
  };
}

function forwarded(): { room: TypedEventTarget<RoomEventMap>; fired: Event[] } {
  const room = new TypedEventTarget<RoomEventMap>();
  const fired: Event[] = [];
  forwardLargeRoomEvents(room, (event) => fired.push(event));
  forwardToPage(
    room,
    () => 'standup',
    (event) => fired.push(event),
  );
  return { room, fired };
}

describe('large-room events', () => {
  it('name who they are about by participantId, as vc-hand does', () => {
    const { room, fired } = forwarded();
    room.emit(new ScreenShareEvent('ada-1', true, false));
    room.emit(new ActiveSpeakerEvent('grace-2', ['grace-2', 'ada-1']));
    room.emit(new ActiveSpeakerEvent(null, []));
    room.emit(new HandEvent('ada-1', true, false));
    expect(fired.map((e) => e.constructor)).toEqual([
      VcScreenShareEvent,
      VcActiveSpeakerEvent,
      VcActiveSpeakerEvent,
      VcHandEvent,
    ]);
    expect(fired.map(fields)).toEqual([
      {
        type: 'vc-screen-share',
        participantId: 'ada-1',
        sharing: true,
        local: false,
        bubbles: true,
        composed: true,
      },
      {
        type: 'vc-active-speaker',
        participantId: 'grace-2',
        speakers: ['grace-2', 'ada-1'],
        bubbles: true,
        composed: true,
      },
      { type: 'vc-active-speaker', participantId: null, speakers: [], bubbles: true, composed: true },
      { type: 'vc-hand', participantId: 'ada-1', raised: true, local: false, bubbles: true, composed: true },
    ]);
  });

  it('hands the page a copy of the speakers, not the room’s own list', () => {
    const { room, fired } = forwarded();
    const speakers = ['grace-2'];
    room.emit(new ActiveSpeakerEvent('grace-2', speakers));
    expect((fired[0] as VcActiveSpeakerEvent).speakers).not.toBe(speakers);
  });
});
