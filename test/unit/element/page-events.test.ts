import { describe, expect, it } from 'vitest';
import { VideoCallError } from '../../../src/call/errors.js';
import {
  LocalMediaEvent,
  ParticipantEvent,
  ParticipantLeftEvent,
  RoomErrorEvent,
  RoomJoinedEvent,
  RoomLeftEvent,
  RoomReconnectedEvent,
  RoomReconnectingEvent,
  RoomTransportChangedEvent,
  SendQualityEvent,
  type RoomEventMap,
} from '../../../src/call/events.js';
import { RemoteParticipant } from '../../../src/call/remote-participant.js';
import {
  forwardToPage,
  VcJoinedEvent,
  VcParticipantJoinedEvent,
  VcParticipantLeftEvent,
  VcReconnectedEvent,
  VcReconnectingEvent,
  VcSendQualityEvent,
  VcTransportChangedEvent,
} from '../../../src/element/events.js';
import { TypedEventTarget } from '../../../src/shared/typed-event-target.js';

function forwarded(): { room: TypedEventTarget<RoomEventMap>; fired: Event[]; name: { value: string } } {
  const room = new TypedEventTarget<RoomEventMap>();
  const fired: Event[] = [];
  const name = { value: 'standup' };
  forwardToPage(
    room,
    () => name.value,
    (event) => fired.push(event),
  );
  return { room, fired, name };
}

const grace = () => new RemoteParticipant('grace-1', 'Grace', { mic: false, camera: true, screen: false }, ['vp8']);

/** The fields a page reads, without Event's own. */
function fields(event: Event): Record<string, unknown> {
  return {
    ...Object.fromEntries(Object.entries(event)),
    type: event.type,
    bubbles: event.bubbles,
    composed: event.composed,
  };
}

describe('forwardToPage', () => {
  it('fires vc-joined with the room name read when the event comes', () => {
    const { room, fired, name } = forwarded();
    name.value = 'retro';
    room.emit(new RoomJoinedEvent('s-1234567', 'webtransport'));
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeInstanceOf(VcJoinedEvent);
    expect(fields(fired[0]!)).toEqual({
      type: 'vc-joined',
      bubbles: true,
      composed: true,
      room: 'retro',
      sessionId: 's-1234567',
      transport: 'webtransport',
    });
  });

  it('fires vc-send-quality with what our video is sent at and why', () => {
    const { room, fired } = forwarded();
    room.emit(new SendQualityEvent({ height: 360, framerate: 30, limitedBy: 'cpu' }));
    expect(fired[0]).toBeInstanceOf(VcSendQualityEvent);
    expect(fields(fired[0]!)).toEqual({
      type: 'vc-send-quality',
      bubbles: true,
      composed: true,
      height: 360,
      framerate: 30,
      limitedBy: 'cpu',
    });
  });

  it('hands the page snapshots of participants, never the live objects', () => {
    const { room, fired } = forwarded();
    const participant = grace();
    room.emit(new ParticipantEvent('participant-joined', participant));
    participant.framesDecoded = 7;
    room.emit(new ParticipantLeftEvent(participant, 'timeout'));
    expect(fired.map((e) => e.constructor)).toEqual([VcParticipantJoinedEvent, VcParticipantLeftEvent]);
    const [joined, left] = fired as [VcParticipantJoinedEvent, VcParticipantLeftEvent];
    expect(joined.type).toBe('vc-participant-joined');
    expect(joined.participant).not.toBe(participant);
    expect(joined.participant).not.toHaveProperty('setVideoSink');
    expect(joined.participant).toEqual({
      id: 'grace-1',
      name: 'Grace',
      mic: false,
      camera: true,
      screen: false,
      screenAudio: false,
      screenAudioLevel: 0,
      audioLevel: 0,
      framesDecoded: 0,
      videoLayer: null,
      videoWidth: 0,
      videoHeight: 0,
      screenLayer: null,
      screenWidth: 0,
      screenHeight: 0,
      videoDelayMs: null,
      audioDelayMs: null,
      e2ee: 'off',
      safetyCode: null,
      handRaised: false,
    });
    expect(left.type).toBe('vc-participant-left');
    expect(left.participant.framesDecoded).toBe(7);
    expect(left.reason).toBe('timeout');
    expect(left.bubbles && left.composed).toBe(true);
  });

  it('fires vc-reconnecting and vc-reconnected with their fields', () => {
    const { room, fired } = forwarded();
    room.emit(new RoomReconnectingEvent(2, 'https://b.example', 'server-shutdown'));
    room.emit(new RoomReconnectedEvent(true, 's-1234567', 'https://b.example', 'websocket', 2, 812));
    expect(fired[0]).toBeInstanceOf(VcReconnectingEvent);
    expect(fields(fired[0]!)).toEqual({
      type: 'vc-reconnecting',
      bubbles: true,
      composed: true,
      attempt: 2,
      server: 'https://b.example',
      reason: 'server-shutdown',
    });
    expect(fired[1]).toBeInstanceOf(VcReconnectedEvent);
    expect(fields(fired[1]!)).toEqual({
      type: 'vc-reconnected',
      bubbles: true,
      composed: true,
      resumed: true,
      sessionId: 's-1234567',
      server: 'https://b.example',
      transport: 'websocket',
      downtimeMs: 812,
    });
  });

  it('fires vc-transport-changed when the call moved to WebTransport', () => {
    const { room, fired } = forwarded();
    room.emit(new RoomTransportChangedEvent('webtransport', 'websocket'));
    expect(fired[0]).toBeInstanceOf(VcTransportChangedEvent);
    expect(fields(fired[0]!)).toEqual({
      type: 'vc-transport-changed',
      bubbles: true,
      composed: true,
      transport: 'webtransport',
      previous: 'websocket',
    });
  });

  it('keeps to itself what the element fires on its own or the page has no event for', () => {
    const { room, fired } = forwarded();
    const error = new VideoCallError('room-full', 'The room is full.', { fatal: true });
    room.emit(new ParticipantEvent('participant-updated', grace()));
    room.emit(new LocalMediaEvent());
    room.emit(new RoomErrorEvent(error));
    room.emit(new RoomLeftEvent('room-full', error));
    expect(fired).toEqual([]);
  });
});
