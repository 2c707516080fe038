import { html, nothing, svg, type TemplateResult } from 'lit';
import './chat-strings.js';
import { translate } from './i18n.js';

// Material Symbols "chat" (Apache-2.0).
const chatIcon = svg`<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2ZM6 9h12v2H6V9Zm8 5H6v-2h8v2Zm4-6H6V6h12v2Z"/></svg>`;

/** The control that opens and closes the chat, with the count of unread messages on it. */
export function chatButton(lang: string, open: boolean, unread: number, onClick: () => void): TemplateResult {
  const label = open ? translate(lang, 'chat.close') : translate(lang, 'chat.open');
  const full = unread > 0 ? `${label}, ${translate(lang, 'chat.unread', { count: unread })}` : label;
  return html`<button
    part="control chat-button"
    aria-expanded=${open ? 'true' : 'false'}
    aria-label=${full}
    title=${full}
    @click=${onClick}
  >
    ${chatIcon}${unread > 0 ? html`<span part="badge" aria-hidden="true">${unread > 99 ? '99+' : unread}</span>` : nothing}
  </button>`;
}
