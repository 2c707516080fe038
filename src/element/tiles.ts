import { html, nothing, type TemplateResult } from 'lit';
import type { RemoteParticipant } from '../call/remote-participant.js';
import { canRenderToTrack } from '../render/track-renderer.js';
import { cameraOffIcon, lockIcon, lockOpenIcon, micOffIcon } from './icons.js';
import { remoteVideo } from './remote-video.js';
import { selfView } from './self-view.js';
import { handIndicator } from './hand.js';

/** A level above this (0..1, RMS of played audio) lights a tile's speaking ring. */
const SPEAKING_LEVEL = 0.02;

/**
 * Remote video goes to a `<video>` fed by a track generator where the browser has
 * one (the compositor paints it, off the main thread), else to a `<canvas>`.
 */
const TRACK_RENDER = canRenderToTrack();

/** What the local tile shows. */
export interface LocalTileState {
  /** Display name, as given (empty: `Guest`). */
  name: string;
  /** The camera track, or null while the camera is off. */
  videoTrack: MediaStreamTrack | null;
  mic: boolean;
  /** True when our media is end-to-end encrypted. */
  encrypted: boolean;
}

/** Our own tile: the mirrored self-view (or initials), and our name. */
export function localTile({ name, videoTrack, mic, encrypted }: LocalTileState): TemplateResult {
  const cameraOn = !!videoTrack;
  const label = `${name || 'Guest'} (you)`;
  return html`<div part="tile tile-local" data-id="local" aria-label=${label}>
    <video part="video" muted playsinline autoplay ?hidden=${!cameraOn} ${selfView(videoTrack)}></video>
    ${cameraOn ? nothing : html`<div part="avatar">${initials(name || 'Guest')}</div>`}
    <div part="label">
      ${mic ? nothing : html`<span part="indicator mic-off" title="Microphone off">${micOffIcon}</span>`}
      ${
        encrypted
          ? html`<span part="indicator lock self" title="Your media is end-to-end encrypted">${lockIcon}</span>`
          : nothing
      }
      <span>${label}</span>
    </div>
  </div>`;
}

/** A remote participant's tile: their video (or initials), what they mute, and how their media is secured. */
export function remoteTile(p: RemoteParticipant): TemplateResult {
  if (p.e2ee === 'mismatch') return undecryptableTile(p);
  const speaking = p.mic && p.audioLevel > SPEAKING_LEVEL;
  return html`<div
    part="tile tile-remote ${speaking ? 'speaking' : ''}"
    class=${speaking ? 'speaking' : ''}
    data-id=${p.id}
    aria-label=${p.name}
  >
    ${
      TRACK_RENDER
        ? html`<video part="video" data-id=${p.id} muted playsinline ?hidden=${!p.camera} ${remoteVideo(p)}></video>`
        : html`<canvas part="video" data-id=${p.id} ?hidden=${!p.camera} ${remoteVideo(p)}></canvas>`
    }
    ${p.camera ? nothing : html`<div part="avatar">${initials(p.name)}</div>`}
    <div part="label">
      ${p.mic ? nothing : html`<span part="indicator mic-off" title="Microphone off">${micOffIcon}</span>`}
      ${p.camera ? nothing : html`<span part="indicator camera-off" title="Camera off">${cameraOffIcon}</span>`}
      ${security(p)} ${p.handRaised ? handIndicator(document.documentElement.lang || 'en') : nothing}
      <span>${p.name || 'Guest'}</span>
    </div>
  </div>`;
}

/** Their keys failed verification: say so plainly, and never show their bytes. */
function undecryptableTile(p: RemoteParticipant): TemplateResult {
  return html`<div part="tile tile-remote undecryptable" data-id=${p.id} aria-label=${p.name}>
    <div part="avatar cant-decrypt">
      <span>${lockOpenIcon}</span>
      <span>Can't decrypt ${p.name || 'Guest'}: a different passphrase, or the keys were tampered with.</span>
    </div>
    <div part="label">${security(p)}<span>${p.name || 'Guest'}</span></div>
  </div>`;
}

/** The lock on a remote tile: how far end-to-end encryption with them got. */
function security(p: RemoteParticipant): TemplateResult | typeof nothing {
  switch (p.e2ee) {
    case 'off':
      return nothing;
    case 'verified':
      return html`<span part="indicator lock verified" title="End-to-end encrypted, verified">${lockIcon}</span>`;
    case 'unverified':
      return html`<span part="indicator lock unverified" title="End-to-end encrypted. Compare this code with ${p.name}"
        >${lockIcon}<span part="safety-code">${p.safetyCode}</span></span
      >`;
    case 'pending':
      return html`<span part="indicator lock pending" title="Exchanging keys…">${lockOpenIcon}</span>`;
    case 'mismatch':
      return html`<span part="indicator lock mismatch" title="Keys do not match">${lockOpenIcon}</span>`;
  }
}

/** One or two initials for a camera-off tile: first and last word, whole code points. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  // Whole code points, so a name starting with an emoji or a surrogate pair stays intact.
  const first = [...words[0]!][0]!;
  return (words.length > 1 ? first + [...words[words.length - 1]!][0]! : first).toUpperCase();
}
