/**
 * How played audio levels are shown (speaking rings, `participants[i].audioLevel`):
 * like a meter with a release, a level rises at once and falls off over a few
 * hundred ms. Without the release, a short syllable lit the ring for one 100 ms
 * poll and a page reading the level now and then could miss a whole word.
 */

/** Share of the shown level kept per 100 ms poll once the sound stops (−4.4 dB each). */
export const LEVEL_RELEASE = 0.6;

/** Levels below this show as silence. */
const SILENCE = 0.001;

/**
 * The level to show after a poll: the loudest reported since the last one, or the
 * level shown until now falling off, whichever is higher; 0 once it is inaudible.
 *
 * @example
 * ```ts
 * nextShownLevel(0, 0.2); // 0.2: rises at once
 * nextShownLevel(0.2, 0); // 0.12: then falls off
 * ```
 */
export function nextShownLevel(shown: number, loudest: number): number {
  const level = Math.max(loudest, shown * LEVEL_RELEASE);
  return level < SILENCE ? 0 : level;
}
