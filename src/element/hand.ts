import { html, svg, type TemplateResult } from 'lit';
import { defineStrings, translate } from './i18n.js';

defineStrings({
  en: {
    'hand.raise': 'Raise hand',
    'hand.lower': 'Lower hand',
    'hand.raised': 'Hand raised',
    'hand.raised-by': '{name} raised their hand',
  },
});

// Material Symbols "back_hand" (Apache-2.0).
export const handIcon = svg`<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M13 24c-3.26 0-6.19-1.99-7.4-5.02l-3.03-7.61a1 1 0 0 1 1.22-1.32l.79.26c.56.18 1.02.61 1.24 1.16L7.25 15H8V3.25a1.25 1.25 0 0 1 2.5 0V12h1V1.25a1.25 1.25 0 0 1 2.5 0V12h1V2.75a1.25 1.25 0 0 1 2.5 0V12h1V5.75a1.25 1.25 0 0 1 2.5 0V16c0 4.42-3.58 8-8 8Z"/></svg>`;

/** The control that raises and lowers our hand: pressed while it is up. */
export function handButton(lang: string, raised: boolean, onClick: () => void): TemplateResult {
  const label = translate(lang, raised ? 'hand.lower' : 'hand.raise');
  return html`<button
    part="control hand-button"
    aria-pressed=${raised ? 'true' : 'false'}
    aria-label=${label}
    title=${label}
    data-raised=${raised ? 'true' : 'false'}
    @click=${onClick}
  >
    ${handIcon}
  </button>`;
}

/** The sign on a tile whose participant raised their hand: an icon with a label, not colour alone. */
export function handIndicator(lang: string): TemplateResult {
  const label = translate(lang, 'hand.raised');
  return html`<span part="indicator hand-raised" role="img" aria-label=${label} title=${label}>${handIcon}</span>`;
}
