import { html, nothing, type TemplateResult } from 'lit';
import type { KnockingParticipant, ModerationKind } from '../call/events.js';
import { translate } from './i18n.js';

/** What the admins' lobby panel shows and does. */
export interface LobbyPanel {
  /** Who waits now; the panel shows only while someone does. */
  knocking: readonly KnockingParticipant[];
  onAdmit: (id: string) => void;
  onDeny: (id: string) => void;
  /** The language to speak (default English). */
  lang?: string;
}

/** Admins: who waits to be let in, each with Admit and Deny. Nothing while nobody waits. */
export function lobbyPanel({ knocking, onAdmit, onDeny, lang = 'en' }: LobbyPanel): TemplateResult | typeof nothing {
  if (knocking.length === 0) return nothing;
  const t = (key: string, params?: Record<string, string | number>) => translate(lang, key, params);
  return html`<div part="lobby" role="region" aria-label=${t('lobby.label')}>
    <div part="lobby-title">${knocking.length === 1 ? t('lobby.one') : t('lobby.many', { n: knocking.length })}</div>
    ${knocking.map((p) => {
      const name = p.name || p.identity || t('tile.guest');
      return html`<div part="knock" data-id=${p.id}>
        <span part="knock-name">${name}</span>
        <button part="action admit-button" aria-label="${t('lobby.admit')}: ${name}" @click=${() => onAdmit(p.id)}>
          ${t('lobby.admit')}
        </button>
        <button part="action deny-button" aria-label="${t('lobby.deny')}: ${name}" @click=${() => onDeny(p.id)}>
          ${t('lobby.deny')}
        </button>
      </div>`;
    })}
  </div>`;
}

/** What to tell a person an admin did about them or the room. */
export function describeModeration(kind: ModerationKind, locked: boolean, lang = 'en'): string {
  const muted = kind === 'mic-muted' || kind === 'camera-muted';
  return translate(lang, `moderation.${kind}${muted && locked ? '-locked' : ''}`);
}
