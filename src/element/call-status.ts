import { html, nothing, type TemplateResult } from 'lit';
import type { VideoCallError } from '../call/errors.js';
import type { RoomState } from '../call/room.js';
import { translate, translateOr } from './i18n.js';

/** What the overlay and the notice say about the call. */
export interface CallStatus {
  state: RoomState;
  /** The room name (empty: none set yet). */
  room: string;
  /** Waiting in the room's lobby for an admin (`locked`: an admin locked the room); null when not. */
  waiting: { locked: boolean } | null;
  /** What ended the call, once it is `left`; null when left on purpose. */
  endedBy: VideoCallError | null;
  /** True while the browser holds remote audio until a gesture. */
  audioSuspended: boolean;
  /** A passing message, if any. */
  notice: { text: string; error: boolean } | null;
  onRejoin: () => void;
  onHear: () => void;
  /** The language to speak (default English). */
  lang?: string;
  /** Set when this browser cannot make calls at all: said instead of anything else. */
  unsupported?: VideoCallError | null;
}

/** What covers the call when it is not running: joining, ended, no room; or the button to hear it. */
export function overlay({
  state,
  room,
  waiting,
  endedBy,
  audioSuspended,
  onRejoin,
  onHear,
  lang = 'en',
  unsupported,
}: CallStatus): TemplateResult | typeof nothing {
  const t = (key: string, params?: Record<string, string>) => translate(lang, key, params);
  // No retry button: nothing on this page can fix it.
  if (unsupported) return html`<div part="overlay unsupported" role="alert">${errorText(unsupported, lang)}</div>`;
  if (state === 'connecting' && waiting) {
    return html`<div part="overlay waiting" role="status">
      <div>${t('status.waiting')}</div>
      ${waiting.locked ? html`<div>${t('status.locked')}</div>` : nothing}
    </div>`;
  }
  if (state === 'connecting') return html`<div part="overlay" role="status">${t('status.joining', { room })}</div>`;
  if (state === 'left') {
    return html`<div part="overlay" role=${endedBy ? 'alert' : 'status'}>
      <div>${endedBy ? errorText(endedBy, lang) : t('status.left')}</div>
      ${
        room
          ? html`<button part="action" @click=${onRejoin}>${t(endedBy ? 'status.tryAgain' : 'status.rejoin')}</button>`
          : nothing
      }
    </div>`;
  }
  if (state === 'idle' && !room) return html`<div part="overlay">${t('status.noRoom')}</div>`;
  if (state === 'joined' && audioSuspended) {
    return html`<button part="action hear-button" @click=${onHear}>${t('status.hear')}</button>`;
  }
  return nothing;
}

/** An error for people, in their language where the catalogue has its code (`error.<code>`), else as the core words it. */
export function errorText(error: VideoCallError, lang: string): string {
  return translateOr(lang, `error.${error.code}`, error.message);
}

/** While reconnecting a standing banner says so (tiles stay); otherwise the passing notice, if any. */
export function notice({ state, notice, lang = 'en' }: CallStatus): TemplateResult | typeof nothing {
  if (state === 'reconnecting') {
    return html`<div part="notice reconnecting" role="status">${translate(lang, 'status.reconnecting')}</div>`;
  }
  if (!notice) return nothing;
  const kind = notice.error ? 'error' : '';
  return html`<div part="notice ${kind}" class=${kind} role="status">${notice.text}</div>`;
}
