import { html, nothing, type TemplateResult } from 'lit';
import type { KnockingParticipant, ModerationKind } from '../call/events.js';

/** What the admins' lobby panel shows and does. */
export interface LobbyPanel {
  /** Who waits now; the panel shows only while someone does. */
  knocking: readonly KnockingParticipant[];
  onAdmit: (id: string) => void;
  onDeny: (id: string) => void;
}

/** Admins: who waits to be let in, each with Admit and Deny. Nothing while nobody waits. */
export function lobbyPanel({ knocking, onAdmit, onDeny }: LobbyPanel): TemplateResult | typeof nothing {
  if (knocking.length === 0) return nothing;
  return html`<div part="lobby" role="region" aria-label="Waiting to join">
    <div part="lobby-title">${knocking.length === 1 ? '1 person wants' : `${knocking.length} people want`} to join</div>
    ${knocking.map(
      (p) =>
        html`<div part="knock" data-id=${p.id}>
          <span part="knock-name">${p.name || p.identity || 'Guest'}</span>
          <button part="action admit-button" @click=${() => onAdmit(p.id)}>Admit</button>
          <button part="action deny-button" @click=${() => onDeny(p.id)}>Deny</button>
        </div>`,
    )}
  </div>`;
}

/** What to tell a person an admin did about them or the room. */
export function describeModeration(kind: ModerationKind, locked: boolean): string {
  switch (kind) {
    case 'mic-muted':
      return locked
        ? 'An admin muted your microphone. You can turn it on again when they allow it.'
        : 'An admin muted your microphone.';
    case 'camera-muted':
      return locked
        ? 'An admin turned your camera off. You can turn it on again when they allow it.'
        : 'An admin turned your camera off.';
    case 'mic-allowed':
      return 'An admin allowed your microphone again.';
    case 'camera-allowed':
      return 'An admin allowed your camera again.';
    case 'room-locked':
      return 'The room is locked: new people wait until an admin lets them in.';
    case 'room-unlocked':
      return 'The room is unlocked.';
  }
}
