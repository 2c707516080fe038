import type { VideoCallError } from './errors.js';
import type { RemoteParticipant } from './remote-participant.js';

/** The room joined: the relay accepted us. */
export class RoomJoinedEvent extends Event {
  constructor(
    readonly sessionId: string,
    readonly transport: 'websocket' | 'webtransport',
  ) {
    super('joined');
  }
}

/** A remote participant arrived, changed (mute, camera, speaking) or left. */
export class ParticipantEvent extends Event {
  constructor(
    type: 'participant-joined' | 'participant-updated',
    readonly participant: RemoteParticipant,
  ) {
    super(type);
  }
}

export class ParticipantLeftEvent extends Event {
  constructor(
    readonly participant: RemoteParticipant,
    /** `left`, `timeout`, `disconnected`, `server-shutdown`… as the relay says. */
    readonly reason: string,
  ) {
    super('participant-left');
  }
}

/** We left the room, on purpose (`error` undefined) or not. */
export class RoomLeftEvent extends Event {
  constructor(
    readonly reason: string,
    readonly error?: VideoCallError,
  ) {
    super('left');
  }
}

export class RoomErrorEvent extends Event {
  constructor(readonly error: VideoCallError) {
    super('error');
  }
}

/** Local camera, microphone or playout changed: re-read `Room.local` and `Room.audioSuspended`. */
export class LocalMediaEvent extends Event {
  constructor() {
    super('local-media');
  }
}

export interface RoomEventMap {
  joined: RoomJoinedEvent;
  'participant-joined': ParticipantEvent;
  'participant-updated': ParticipantEvent;
  'participant-left': ParticipantLeftEvent;
  left: RoomLeftEvent;
  error: RoomErrorEvent;
  'local-media': LocalMediaEvent;
  // Indexed so the map satisfies Record<string, Event>.
  [type: string]: Event;
}
