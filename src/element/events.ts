import type { VideoCallErrorCode } from '../core/errors.js';
import type { ParticipantInfo } from '../core/remote-participant.js';

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

declare global {
  interface HTMLElementEventMap {
    'vc-joined': VcJoinedEvent;
    'vc-participant-joined': VcParticipantJoinedEvent;
    'vc-participant-left': VcParticipantLeftEvent;
    'vc-left': VcLeftEvent;
    'vc-error': VcErrorEvent;
  }
}
