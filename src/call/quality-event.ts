import type { ConnectionQuality } from './connection-quality.js';

/** A remote participant's connection class changed (see {@link Room.getStats} and `connection-quality.ts`). */
export class QualityChangedEvent extends Event {
  constructor(
    /** Their participant id. */
    readonly participantId: string,
    /** The class now. */
    readonly quality: ConnectionQuality,
    /** The class before. */
    readonly previous: ConnectionQuality,
  ) {
    super('quality-changed');
  }
}
