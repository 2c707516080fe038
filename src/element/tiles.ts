import { html, nothing, type TemplateResult } from 'lit';
import type { ParticipantInfo, RemoteParticipant } from '../call/remote-participant.js';
import { canRenderToTrack } from '../render/track-renderer.js';
import { cameraOffIcon, lockIcon, lockOpenIcon, micOffIcon } from './icons.js';
import { translate } from './i18n.js';
import { remoteVideo } from './remote-video.js';
import { selfView, VIDEO_TABINDEX } from './self-view.js';
import { handIndicator } from './hand.js';
import { qualityIndicator } from './quality-indicator.js';

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
  /** The language to speak (default English). */
  lang?: string;
}

/** What a tile shows beyond the participant's own state (ours or a remote one's). */
export interface TileExtras {
  /**
   * The room's active speaker (the relay's choice): part `active-speaker` and
   * a `speaking-indicator` sign in the label, whose text says it (not colour alone).
   */
  activeSpeaker?: TemplateResult | null;
}

/** @deprecated Use {@link TileExtras}. */
export type RemoteTileExtras = TileExtras;

/**
 * Our own tile: the mirrored self-view (or initials), and our name. When the
 * relay picks us as the active speaker it wears the same ring and sign as
 * anyone else's tile, so people see that the room hears them.
 */
export function localTile(
  { name, videoTrack, mic, encrypted, lang = 'en' }: LocalTileState,
  extras: TileExtras = {},
): TemplateResult {
  const t = (key: string, params?: Record<string, string>) => translate(lang, key, params);
  const cameraOn = !!videoTrack;
  const label = t('tile.you', { name: name || t('tile.guest') });
  const active = extras.activeSpeaker ?? null;
  return html`<div
    part="tile tile-local ${active ? 'active-speaker' : ''}"
    data-id="local"
    role="group"
    aria-label=${label}
  >
    <video
      part="video"
      tabindex=${VIDEO_TABINDEX}
      muted
      playsinline
      autoplay
      ?hidden=${!cameraOn}
      ${selfView(videoTrack)}
    ></video>
    ${cameraOn ? nothing : html`<div part="avatar" aria-hidden="true">${initials(name || t('tile.guest'))}</div>`}
    <div part="label">
      ${mic ? nothing : indicator('mic-off', t('tile.micOff'), micOffIcon)}
      ${encrypted ? indicator('lock self', t('tile.selfEncrypted'), lockIcon) : nothing} ${active ?? nothing}
      <span>${label}</span>
    </div>
  </div>`;
}

/** A remote participant's tile: their video (or initials), what they mute, and how their media is secured. */
export function remoteTile(p: RemoteParticipant, lang = 'en', extras: TileExtras = {}): TemplateResult {
  const t = (key: string, params?: Record<string, string>) => translate(lang, key, params);
  const name = p.name || t('tile.guest');
  if (p.e2ee === 'mismatch') return undecryptableTile(p, name, lang);
  const speaking = isSpeaking(p);
  const active = extras.activeSpeaker ?? null;
  return html`<div
    part="tile tile-remote ${speaking ? 'speaking' : ''} ${active ? 'active-speaker' : ''}"
    class=${speaking ? 'speaking' : ''}
    data-id=${p.id}
    role="group"
    aria-label=${name}
  >
    ${
      TRACK_RENDER
        ? html`<video
            part="video"
            data-id=${p.id}
            tabindex=${VIDEO_TABINDEX}
            muted
            playsinline
            ?hidden=${!p.camera}
            ${remoteVideo(p)}
          ></video>`
        : html`<canvas part="video" data-id=${p.id} ?hidden=${!p.camera} ${remoteVideo(p)}></canvas>`
    }
    ${p.camera ? nothing : html`<div part="avatar" aria-hidden="true">${initials(p.name)}</div>`}
    <div part="label">
      ${p.mic ? nothing : indicator('mic-off', t('tile.micOff'), micOffIcon)}
      ${p.camera ? nothing : indicator('camera-off', t('tile.cameraOff'), cameraOffIcon)} ${security(p, lang)}
      ${active ?? nothing} ${p.handRaised ? handIndicator(lang) : nothing} ${qualityIndicator(p, lang)}
      <span>${name}</span>
    </div>
  </div>`;
}

/** Their keys failed verification: say so plainly, and never show their bytes. */
function undecryptableTile(p: RemoteParticipant, name: string, lang: string): TemplateResult {
  return html`<div part="tile tile-remote undecryptable" data-id=${p.id} role="group" aria-label=${name}>
    <div part="avatar cant-decrypt">
      <span>${lockOpenIcon}</span>
      <span>${translate(lang, 'tile.cantDecrypt', { name })}</span>
    </div>
    <div part="label">${security(p, lang)}<span>${name}</span></div>
  </div>`;
}

/** Whether a tile (or the People panel) shows them speaking: their mic is on and its played level is up. */
export function isSpeaking(p: Pick<ParticipantInfo, 'mic' | 'audioLevel'>): boolean {
  return p.mic && p.audioLevel > SPEAKING_LEVEL;
}

/**
 * A sign on a tile: an icon with its meaning as a tooltip and, for assistive
 * technology, as its name (an image role, so the name is read).
 */
export function indicator(part: string, text: string, icon: TemplateResult, extra?: TemplateResult): TemplateResult {
  return html`<span part="indicator ${part}" role="img" aria-label=${text} title=${text}
    >${icon}${extra ?? nothing}</span
  >`;
}

/** The lock on a remote tile (and in the People panel): how far end-to-end encryption with them got. */
export function security(
  p: Pick<ParticipantInfo, 'e2ee' | 'name' | 'safetyCode'>,
  lang: string,
): TemplateResult | typeof nothing {
  const t = (key: string, params?: Record<string, string>) => translate(lang, key, params);
  switch (p.e2ee) {
    case 'off':
      return nothing;
    case 'verified':
      return indicator('lock verified', t('tile.verified'), lockIcon);
    case 'unverified':
      // The code is the point: a visible text beside the lock, not only in the tooltip.
      return html`${indicator('lock unverified', t('tile.unverified', { name: p.name || t('tile.guest') }), lockIcon)}<span
          part="safety-code"
          >${p.safetyCode}</span
        >`;
    case 'pending':
      return indicator('lock pending', t('tile.pending'), lockOpenIcon);
    case 'mismatch':
      return indicator('lock mismatch', t('tile.mismatch'), lockOpenIcon);
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
