import { html, nothing, type TemplateResult } from 'lit';
import type { VideoCallError } from '../call/errors.js';
import type { RoomState } from '../call/room.js';

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
}: CallStatus): TemplateResult | typeof nothing {
  if (state === 'connecting' && waiting) {
    return html`<div part="overlay waiting" role="status">
      <div>Waiting for the host to let you in…</div>
      ${waiting.locked ? html`<div>The room is locked.</div>` : nothing}
    </div>`;
  }
  if (state === 'connecting') return html`<div part="overlay" role="status">Joining ${room}…</div>`;
  if (state === 'left') {
    return html`<div part="overlay" role=${endedBy ? 'alert' : 'status'}>
      <div>${endedBy ? endedBy.message : 'You left the call.'}</div>
      ${room ? html`<button part="action" @click=${onRejoin}>${endedBy ? 'Try again' : 'Rejoin'}</button>` : nothing}
    </div>`;
  }
  if (state === 'idle' && !room) return html`<div part="overlay">Set a room to start a call.</div>`;
  if (state === 'joined' && audioSuspended) {
    return html`<button part="action hear-button" @click=${onHear}>Click to hear the call</button>`;
  }
  return nothing;
}

/** While reconnecting a standing banner says so (tiles stay); otherwise the passing notice, if any. */
export function notice({ state, notice }: CallStatus): TemplateResult | typeof nothing {
  if (state === 'reconnecting') return html`<div part="notice reconnecting" role="status">Reconnecting…</div>`;
  if (!notice) return nothing;
  const kind = notice.error ? 'error' : '';
  return html`<div part="notice ${kind}" class=${kind} role="status">${notice.text}</div>`;
}
