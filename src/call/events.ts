import type { SendQuality } from '../codec/send-adaptation.js';
import type { VideoCallError } from './errors.js';
import type { RemoteParticipant } from './remote-participant.js';
import type { RoomMessageEvent } from './chat.js';
import type { ActiveSpeakerEvent, ScreenShareEvent } from './large-room-events.js';
import type { HandEvent } from './hand-event.js';
import type { QualityChangedEvent } from './quality-event.js';

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
    /**
     * Only their played audio level (`audioLevel`, `screenAudioLevel`) changed:
     * up to ten times a second per talker, for meters; nothing else about them did.
     */
    readonly levelOnly = false,
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

/**
 * The connection to the relay was lost (or the relay went away) while joined and
 * the room is trying to get it back: fired before each attempt. Remote
 * participants, their tiles and local capture stay; nothing is sent meanwhile.
 */
export class RoomReconnectingEvent extends Event {
  constructor(
    /** 1 on the first attempt after the loss, then 2, 3… */
    readonly attempt: number,
    /** The relay this attempt connects to, as given in `server`. */
    readonly server: string,
    /** Why the connection was lost: the relay's reason (`server-shutdown`, …) or `connection-lost`. */
    readonly reason: string,
  ) {
    super('reconnecting');
  }
}

/** The room is connected again after {@link RoomReconnectingEvent}s and sending. */
export class RoomReconnectedEvent extends Event {
  constructor(
    /**
     * True when the relay took us back as the same participant (same session id;
     * the others saw nothing). False: we came back as a new participant with a
     * new session id, and the others saw us leave and join.
     */
    readonly resumed: boolean,
    /** Our session id now (a new one when `resumed` is false). */
    readonly sessionId: string,
    /** The relay reached, as given in `server`. */
    readonly server: string,
    readonly transport: 'websocket' | 'webtransport',
    /** How many attempts it took. */
    readonly attempts: number,
    /** Time from losing the connection to being back, in ms. */
    readonly downtimeMs: number,
  ) {
    super('reconnected');
  }
}

/**
 * The call moved to another transport without leaving: WebTransport became ready
 * after `auto` had fallen back to WebSocket. Same session id, keys and tiles; the
 * others saw nothing.
 */
export class RoomTransportChangedEvent extends Event {
  constructor(
    /** The transport the call runs on now. */
    readonly transport: 'websocket' | 'webtransport',
    /** The one it ran on before. */
    readonly previous: 'websocket' | 'webtransport',
  ) {
    super('transport-changed');
  }
}

export class RoomErrorEvent extends Event {
  constructor(readonly error: VideoCallError) {
    super('error');
  }
}

/**
 * Our video is now sent at another size or frame rate: the encoder or the
 * network fell behind (`limitedBy`) or recovered (`limitedBy` null at the top).
 */
export class SendQualityEvent extends Event {
  constructor(readonly quality: SendQuality) {
    super('send-quality');
  }
}

/** Local camera, microphone or playout changed: re-read `Room.local` and `Room.audioSuspended`. */
export class LocalMediaEvent extends Event {
  constructor() {
    super('local-media');
  }
}

/** The relay put our join in the room's lobby: we wait for an admin (`locked`: the room was locked). */
export class RoomWaitingEvent extends Event {
  constructor(readonly locked: boolean) {
    super('waiting');
  }
}

/** Someone waiting in a room's lobby, as admins see them. */
export interface KnockingParticipant {
  /** What {@link Room.admit} and {@link Room.deny} take. */
  readonly id: string;
  readonly name: string;
  /** The access token's `sub`. */
  readonly identity: string;
}

/** Admins only: who waits in the lobby now (the whole list; empty when nobody does). */
export class KnockEvent extends Event {
  constructor(readonly waiting: readonly KnockingParticipant[]) {
    super('knock');
  }
}

/** What an admin did that concerns us. */
export type ModerationKind =
  'mic-muted' | 'camera-muted' | 'mic-allowed' | 'camera-allowed' | 'room-locked' | 'room-unlocked';

/** An admin (`by`, a session id) muted us, allowed us again, or locked or unlocked the room. */
export class ModeratedEvent extends Event {
  constructor(
    readonly kind: ModerationKind,
    readonly by: string,
    /** With a mute: we can't turn it back on until an admin allows it. */
    readonly locked: boolean,
  ) {
    super('moderated');
  }
}

export interface RoomEventMap {
  waiting: RoomWaitingEvent;
  knock: KnockEvent;
  moderated: ModeratedEvent;
  joined: RoomJoinedEvent;
  'participant-joined': ParticipantEvent;
  'participant-updated': ParticipantEvent;
  'participant-left': ParticipantLeftEvent;
  left: RoomLeftEvent;
  error: RoomErrorEvent;
  reconnecting: RoomReconnectingEvent;
  reconnected: RoomReconnectedEvent;
  'transport-changed': RoomTransportChangedEvent;
  'local-media': LocalMediaEvent;
  'send-quality': SendQualityEvent;
  message: RoomMessageEvent;
  'screen-share': ScreenShareEvent;
  'active-speaker': ActiveSpeakerEvent;
  hand: HandEvent;
  'quality-changed': QualityChangedEvent;
  // Indexed so the map satisfies Record<string, Event>.
  [type: string]: Event;
}
