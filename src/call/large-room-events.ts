/** Room events of large rooms: who shares a screen, who speaks. */

/**
 * Someone started or stopped sharing a screen: `participantId` is their id, or
 * our own session id with `local`.
 */
export class ScreenShareEvent extends Event {
  constructor(
    readonly participantId: string,
    readonly sharing: boolean,
    readonly local: boolean,
  ) {
    super('screen-share');
  }
}

/**
 * The room's active speaker changed (the relay's choice from audio levels,
 * with hysteresis): `participantId` is their id (ours when it is us), null when
 * nobody speaks; `speakers` the current speakers' ids, loudest first.
 */
export class ActiveSpeakerEvent extends Event {
  constructor(
    readonly participantId: string | null,
    readonly speakers: readonly string[],
  ) {
    super('active-speaker');
  }
}
