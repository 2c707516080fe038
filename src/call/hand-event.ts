/** Someone raised or lowered their hand: a remote participant, or we ourselves (`local`). */
export class HandEvent extends Event {
  constructor(
    /** Their participant id (ours when `local`). */
    readonly participantId: string,
    readonly raised: boolean,
    /** True for our own hand ({@link Room.raiseHand}). */
    readonly local: boolean,
  ) {
    super('hand');
  }
}
