import type { VideoCallErrorCode } from '../call/errors.js';
import type { RoomEventMap } from '../call/events.js';
import type { ParticipantInfo } from '../call/remote-participant.js';
import type { TypedEventTarget } from '../shared/typed-event-target.js';
import type { VcDeviceChangedEvent } from './device-events.js';

const init = { bubbles: true, composed: true } as const;

/** Fired when the element has joined its room. */
export class VcJoinedEvent extends Event {
  constructor(
    /** The room joined. */
    readonly room: string,
    /** Our session id. */
    readonly sessionId: string,
    /** The transport in use: `websocket` or `webtransport`. */
    readonly transport: 'websocket' | 'webtransport',
  ) {
    super('vc-joined', init);
  }
}

/** Fired when a remote participant joins. */
export class VcParticipantJoinedEvent extends Event {
  constructor(readonly participant: ParticipantInfo) {
    super('vc-participant-joined', init);
  }
}

/** Fired when a remote participant leaves; `reason` is `left`, `timeout`, `disconnected`… */
export class VcParticipantLeftEvent extends Event {
  constructor(
    readonly participant: ParticipantInfo,
    readonly reason: string,
  ) {
    super('vc-participant-left', init);
  }
}

/** Fired when the element has left its room, on purpose or because of a fatal error. */
export class VcLeftEvent extends Event {
  constructor(
    /** `left` when asked to, otherwise the error code that ended the call. */
    readonly reason: string,
  ) {
    super('vc-left', init);
  }
}

/**
 * Fired when the connection to the relay was lost while in the call and the
 * element tries to get it back: before each attempt. The call is not over: tiles
 * stay, the camera and microphone stay open, and nothing is sent until
 * `vc-reconnected`. After the `RoomOptions.reconnectTimeoutMs` (60 s by default)
 * without success the call ends with `vc-error` `connection-lost` and `vc-left`.
 *
 * @example
 * ```js
 * call.addEventListener('vc-reconnecting', (e) => console.log(`attempt ${e.attempt} via ${e.server}`));
 * ```
 */
export class VcReconnectingEvent extends Event {
  constructor(
    /** 1 on the first attempt after the loss, then 2, 3… */
    readonly attempt: number,
    /** The relay this attempt tries, one of the `server` list. */
    readonly server: string,
    /** Why the connection was lost: `connection-lost`, `server-shutdown`, `heartbeat-timeout`… */
    readonly reason: string,
  ) {
    super('vc-reconnecting', init);
  }
}

/** Fired when the element is back in the call after `vc-reconnecting`. */
export class VcReconnectedEvent extends Event {
  constructor(
    /**
     * True when the relay took this element back as the same participant (same
     * `sessionId`; the others saw no leave or join). False: it rejoined as a new
     * participant with a new `sessionId`, which the others saw leave and join.
     */
    readonly resumed: boolean,
    /** The session id now. */
    readonly sessionId: string,
    /** The relay reached, one of the `server` list. */
    readonly server: string,
    /** The transport in use: `websocket` or `webtransport`. */
    readonly transport: 'websocket' | 'webtransport',
    /** Time from losing the connection to being back, in ms. */
    readonly downtimeMs: number,
  ) {
    super('vc-reconnected', init);
  }
}

/**
 * Fired when the call moved to another transport without leaving it: with
 * `transport="auto"`, WebTransport became ready after the element had joined on
 * WebSocket (the page was busy, or UDP was slow to answer), and the call now runs
 * on it. Same `sessionId`, keys and tiles; the others saw no leave or join.
 * `transportInUse` and the `stage` part's `data-transport` say the same.
 *
 * @example
 * ```js
 * call.addEventListener('vc-transport-changed', (e) => console.log(`${e.previous} → ${e.transport}`));
 * ```
 */
export class VcTransportChangedEvent extends Event {
  constructor(
    /** The transport the call runs on now: `webtransport`. */
    readonly transport: 'websocket' | 'webtransport',
    /** The one it ran on before: `websocket`. */
    readonly previous: 'websocket' | 'webtransport',
  ) {
    super('vc-transport-changed', init);
  }
}

/**
 * Fired when this element's video is sent at another size or frame rate: it
 * steps down when the machine's encoder or the network falls behind (so the
 * call stays live instead of lagging) and back up when they recover.
 *
 * @example
 * ```js
 * call.addEventListener('vc-send-quality', (e) => {
 *   if (e.limitedBy === 'cpu') hint.textContent = `Sending ${e.height}p: this device is busy`;
 * });
 * ```
 */
export class VcSendQualityEvent extends Event {
  constructor(
    /** Height of the video sent, in pixels (the width follows the camera's aspect ratio). */
    readonly height: number,
    /** Frames per second aimed at. */
    readonly framerate: number,
    /** `cpu` or `network` when below the camera's best; null when sending the best. */
    readonly limitedBy: 'cpu' | 'network' | null,
  ) {
    super('vc-send-quality', init);
  }
}

/** Fired for every error a person may need to know about. Switch on `code`. */
export class VcErrorEvent extends Event {
  constructor(
    readonly code: VideoCallErrorCode,
    /** What happened and what to do, for people. */
    readonly message: string,
    /** True when the call ended because of it. */
    readonly fatal: boolean,
  ) {
    super('vc-error', init);
  }
}

/** The relay put this element's join in the room's lobby: it waits for an admin (`locked`: the room is locked). */
export class VcWaitingEvent extends Event {
  constructor(readonly locked: boolean) {
    super('vc-waiting', init);
  }
}

/**
 * Admins: who waits in the lobby now (the whole list; empty when nobody does).
 * Answer with the element's `admit(id)` or `deny(id)`.
 */
export class VcKnockEvent extends Event {
  constructor(readonly waiting: readonly { id: string; name: string; identity: string }[]) {
    super('vc-knock', init);
  }
}

/** An admin muted this participant, allowed it again, or locked or unlocked the room. */
export class VcModeratedEvent extends Event {
  constructor(
    /** `mic-muted`, `camera-muted`, `mic-allowed`, `camera-allowed`, `room-locked` or `room-unlocked`. */
    readonly kind: string,
    /** With a mute: it stays until an admin allows it. */
    readonly locked: boolean,
  ) {
    super('vc-moderated', init);
  }
}

/** The room events a page hears of, each as its `vc-*` twin. */
export class VcMessageEvent extends Event {
  constructor(
    /** The sender's participant id. */
    readonly from: string,
    /** The sender's display name when the message came. */
    readonly fromName: string,
    /** The text of a chat message (`sendMessage`); undefined for app data. */
    readonly text: string | undefined,
    /** The bytes of app data (`sendData`); undefined for a chat message. */
    readonly data: Uint8Array | undefined,
    /** The recipients the sender named (participant ids); empty when it went to everyone. */
    readonly to: readonly string[],
    /** When the relay took it, ms since the Unix epoch (`new Date(at)`). */
    readonly at: number,
    /** True when it came end-to-end encrypted. */
    readonly encrypted: boolean,
  ) {
    super('vc-message', init);
  }
}

export class VcHandEvent extends Event {
  constructor(
    /** Who: a participant id (this element's own session id when `local`). */
    readonly participantId: string,
    /** True when the hand went up, false when it came down. */
    readonly raised: boolean,
    /** True for this element's own hand (`raiseHand()`, `lowerHand()` or its button). */
    readonly local: boolean,
  ) {
    super('vc-hand', init);
  }
}

type PageEventType =
  | 'joined'
  | 'participant-joined'
  | 'participant-left'
  | 'reconnecting'
  | 'reconnected'
  | 'transport-changed'
  | 'send-quality'
  | 'waiting'
  | 'knock'
  | 'moderated'
  | 'hand';

/**
 * The `vc-*` event a page sees for each room event it may know of, made from the
 * room event's public fields only: participants as snapshots (never the live
 * objects that take video sinks), no reconnect attempt count. `error` and `left`
 * are not here: the element fires those itself, once each, also for failures of
 * `join()` that no room event carries.
 */
const PAGE_EVENTS: { [K in PageEventType]: (event: RoomEventMap[K], room: string) => Event } = {
  joined: (e, room) => new VcJoinedEvent(room, e.sessionId, e.transport),
  'participant-joined': (e) => new VcParticipantJoinedEvent(e.participant.toJSON()),
  'participant-left': (e) => new VcParticipantLeftEvent(e.participant.toJSON(), e.reason),
  reconnecting: (e) => new VcReconnectingEvent(e.attempt, e.server, e.reason),
  reconnected: (e) => new VcReconnectedEvent(e.resumed, e.sessionId, e.server, e.transport, e.downtimeMs),
  'transport-changed': (e) => new VcTransportChangedEvent(e.transport, e.previous),
  'send-quality': (e) => new VcSendQualityEvent(e.quality.height, e.quality.framerate, e.quality.limitedBy),
  waiting: (e) => new VcWaitingEvent(e.locked),
  knock: (e) => new VcKnockEvent(e.waiting.map((p) => ({ ...p }))),
  moderated: (e) => new VcModeratedEvent(e.kind, e.locked),
  hand: (e) => new VcHandEvent(e.participantId, e.raised, e.local),
};

/**
 * Passes each room event a page may know of to `fire` as its `vc-*` twin.
 * `room` is read when the event comes (the name `vc-joined` reports).
 */
export function forwardToPage(
  source: TypedEventTarget<RoomEventMap>,
  room: () => string,
  fire: (event: Event) => void,
): void {
  const forward = <K extends PageEventType>(type: K) =>
    source.addEventListener(type, (event) => fire(PAGE_EVENTS[type](event, room())));
  for (const type of Object.keys(PAGE_EVENTS) as PageEventType[]) forward(type);
}

declare global {
  interface HTMLElementEventMap {
    'vc-joined': VcJoinedEvent;
    'vc-participant-joined': VcParticipantJoinedEvent;
    'vc-participant-left': VcParticipantLeftEvent;
    'vc-left': VcLeftEvent;
    'vc-error': VcErrorEvent;
    'vc-reconnecting': VcReconnectingEvent;
    'vc-reconnected': VcReconnectedEvent;
    'vc-transport-changed': VcTransportChangedEvent;
    'vc-send-quality': VcSendQualityEvent;
    'vc-waiting': VcWaitingEvent;
    'vc-knock': VcKnockEvent;
    'vc-moderated': VcModeratedEvent;
    'vc-message': VcMessageEvent;
    'vc-device-changed': VcDeviceChangedEvent;
    'vc-hand': VcHandEvent;
  }
}
