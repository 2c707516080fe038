/** Room events of large rooms: who shares a screen, who speaks. */

/**
 * Someone started or stopped sharing a screen: `participant` is their id, or
 * our own session id with `local`.
 */
export class ScreenShareEvent extends Event {
  constructor(
    readonly participant: string,
    readonly sharing: boolean,
    readonly local: boolean,
  ) {
    super('screen-share');
  }
}

/**
 * The room's active speaker changed (the relay's choice from audio levels,
 * with hysteresis): `speaker` is their id (ours when it is us), null when
 * nobody speaks; `speakers` the current speakers, loudest first.
 */
export class ActiveSpeakerEvent extends Event {
  constructor(
    readonly speaker: string | null,
    readonly speakers: readonly string[],
  ) {
    super('active-speaker');
  }
}
