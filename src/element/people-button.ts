import { css, html, svg, type TemplateResult } from 'lit';
import { defineStrings, translate } from './i18n.js';

// The button's strings; the panel's are in people-strings.ts, loaded with the panel.
defineStrings({
  en: {
    'people.open': 'Show everyone',
    'people.close': 'Close the people list',
    'people.count': '{count} in the call',
  },
});

// Material Symbols "group" (Apache-2.0).
const peopleIcon = svg`<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6Zm-8 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6Zm0 2c-2.33 0-7 1.17-7 3.5V19h14v-2.5C15 14.17 10.33 13 8 13Zm8 0c-.29 0-.62.02-.97.05A4.22 4.22 0 0 1 17 16.5V19h6v-2.5c0-2.33-4.67-3.5-7-3.5Z"/></svg>`;

/** The control that opens and closes the People panel, with how many are in the call on it. */
export function peopleButton(lang: string, open: boolean, count: number, onClick: () => void): TemplateResult {
  const label = translate(lang, open ? 'people.close' : 'people.open');
  const full = `${label}, ${translate(lang, 'people.count', { count })}`;
  return html`<button
    part="control people-button"
    aria-expanded=${open ? 'true' : 'false'}
    aria-label=${full}
    title=${full}
    @click=${onClick}
  >
    ${peopleIcon}<span part="people-count" aria-hidden="true">${count > 999 ? '999+' : count}</span>
  </button>`;
}

/** The People button and its count (the panel styles itself). */
export const peopleButtonStyles = css`
  [part~='people-button'] {
    position: relative;
  }
  [part~='people-button'][aria-expanded='true'] {
    background: var(--vc-accent);
  }
  [part~='people-count'] {
    position: absolute;
    top: -4px;
    right: -6px;
    min-width: 18px;
    height: 18px;
    padding: 0 4px;
    box-sizing: border-box;
    border-radius: 9px;
    background: var(--vc-control-background);
    box-shadow: 0 0 0 1px var(--vc-muted-text);
    color: var(--vc-text);
    font-size: 0.7rem;
    font-weight: 700;
    line-height: 18px;
    text-align: center;
  }
`;
