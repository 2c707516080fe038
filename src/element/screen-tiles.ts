/** Tiles of screen shares: a remote participant's (decoded, subscribed like video) and our own preview. */
import { html, nothing, type TemplateResult } from 'lit';
import type { RemoteParticipant } from '../call/remote-participant.js';
import { canRenderToTrack } from '../render/track-renderer.js';
import { translate } from './large-room-strings.js';
import { remoteVideo } from './remote-video.js';
import { selfView, VIDEO_TABINDEX } from './self-view.js';
import { speakerIcon } from './icons.js';
import { indicator } from './tiles.js';

const TRACK_RENDER = canRenderToTrack();

/**
 * A remote participant's screen share: `tile-remote` (so it is measured and
 * subscribed like a camera tile) with `tile-screen` and `data-kind="screen"`;
 * a speaker sign (`indicator screen-audio`) when the share carries sound.
 */
export function remoteScreenTile(p: RemoteParticipant, lang: string): TemplateResult {
  const label = translate(lang, 'screen.tile', { name: p.name || 'Guest' });
  return html`<div part="tile tile-remote tile-screen" data-id=${p.id} data-kind="screen" aria-label=${label}>
    ${
      TRACK_RENDER
        ? html`<video
            part="video screen"
            data-id=${p.id}
            data-kind="screen"
            tabindex=${VIDEO_TABINDEX}
            muted
            playsinline
            ${remoteVideo(p, 'screen')}
          ></video>`
        : html`<canvas part="video screen" data-id=${p.id} data-kind="screen" ${remoteVideo(p, 'screen')}></canvas>`
    }
    <div part="label">
      ${p.screenAudio ? indicator('screen-audio', translate(lang, 'screen.audio'), speakerIcon) : nothing}<span
        >${label}</span
      >
    </div>
  </div>`;
}

/** What we share, as we share it (not mirrored: text must read the right way round). */
export function localScreenTile(track: MediaStreamTrack | null, lang: string): TemplateResult {
  const label = translate(lang, 'screen.local');
  return html`<div part="tile tile-local-screen tile-screen" data-id="local-screen" aria-label=${label}>
    <video part="video screen" tabindex=${VIDEO_TABINDEX} muted playsinline autoplay ${selfView(track)}></video>
    <div part="label"><span>${label}</span></div>
  </div>`;
}
