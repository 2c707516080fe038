import type { MediaStateInit } from './envelope.js';

/** Mic, camera and screen state of a participant, as they announced it. */
export interface MediaStateSnapshot {
  mic: boolean;
  camera: boolean;
  screen: boolean;
  /** Their screen share carries audio (only while `screen`); absent: it does not. */
  screenAudio?: boolean;
}

/**
 * The wire's `MediaState` (every field optional, absent when false) as a
 * snapshot with each field set: the one place both sides read it.
 */
export function mediaState(init: MediaStateInit | null | undefined): MediaStateSnapshot {
  const screen = !!init?.screen;
  return { mic: !!init?.mic, camera: !!init?.camera, screen, screenAudio: screen && !!init?.screenAudio };
}

/** True when two wire states announce the same thing (absent and false are the same). */
export function sameMediaState(a: MediaStateInit | null | undefined, b: MediaStateInit | null | undefined): boolean {
  return (
    !!a?.mic === !!b?.mic &&
    !!a?.camera === !!b?.camera &&
    !!a?.screen === !!b?.screen &&
    !!a?.screenAudio === !!b?.screenAudio &&
    !!a?.handRaised === !!b?.handRaised
  );
}
