import { css, html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { sidePanelStyles } from './side-panel-styles.js';
import { property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { MAX_CHAT_TEXT_LENGTH } from '../protocol/chat.js';
import type { ChatEntry } from './chat-controller.js';
import './chat-strings.js';
import { translate } from './i18n.js';

/** Someone a message can go to. */
export interface ChatRecipient {
  id: string;
  name: string;
}

export { CHAT_PANEL_PARTS } from './chat-panel-parts.js';

/**
 * The chat panel inside `<videocall-room>`: the call's messages (newest at the
 * bottom, announced politely to screen readers), who to write to (everyone or
 * one person), and the message box (Enter sends, Shift+Enter starts a line).
 *
 * @csspart chat - the panel (also every `chat-*` part listed in `CHAT_PANEL_PARTS`)
 */
export class VideocallChatPanelElement extends LitElement {
  static override styles = [
    sidePanelStyles({ root: 'chat', header: 'chat-header', title: 'chat-title' }),
    css`
      button,
      select,
      textarea {
        font: inherit;
        color: inherit;
      }
      [part~='chat-close'] {
        border: none;
        background: transparent;
        width: 32px;
        height: 32px;
        border-radius: 50%;
        cursor: pointer;
        font-size: 1.2rem;
      }
      [part~='chat-log'] {
        flex: 1;
        min-height: 0;
        overflow-y: auto;
        padding: 8px 14px;
      }
      [part~='chat-list'] {
        margin: 0;
        padding: 0;
        list-style: none;
        display: flex;
        flex-direction: column;
        gap: 10px;
      }
      [part~='chat-empty'] {
        color: var(--vc-muted-text, #a3aab8);
      }
      [part~='chat-message'] {
        display: flex;
        flex-direction: column;
        gap: 2px;
      }
      [part~='chat-meta'] {
        display: flex;
        gap: 6px;
        align-items: baseline;
        flex-wrap: wrap;
        color: var(--vc-muted-text, #a3aab8);
        font-size: 0.8rem;
      }
      [part~='chat-sender'] {
        color: var(--vc-text, #f2f4f7);
        font-weight: 600;
      }
      [part~='chat-private'] [part~='chat-to'] {
        color: var(--vc-accent, #4f8cff);
      }
      [part~='chat-text'] {
        margin: 0;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      [part~='chat-form'] {
        display: flex;
        flex-direction: column;
        gap: 6px;
        padding: 8px 14px 12px;
        border-top: 1px solid rgb(255 255 255 / 8%);
      }
      label {
        display: flex;
        gap: 6px;
        align-items: center;
        color: var(--vc-muted-text, #a3aab8);
        font-size: 0.8rem;
      }
      [part~='chat-recipient'],
      [part~='chat-input'] {
        background: var(--vc-tile-background, #1f232b);
        border: 1px solid rgb(255 255 255 / 14%);
        border-radius: 6px;
        padding: 6px 8px;
      }
      [part~='chat-recipient'] {
        flex: 1;
      }
      [part~='chat-input'] {
        resize: none;
        min-height: 2.6em;
      }
      [part~='chat-send'] {
        align-self: flex-end;
        border: none;
        border-radius: 8px;
        padding: 6px 16px;
        /* The action colours: white on the dark theme's accent was 3.2:1, under the 4.5:1 text needs. */
        background: var(--vc-action, #2563eb);
        color: var(--vc-on-action, #fff);
        cursor: pointer;
      }
      [part~='chat-error'] {
        color: var(--vc-danger, #e5484d);
        margin: 0;
      }
      :focus-visible {
        outline: 2px solid var(--vc-accent, #4f8cff);
        outline-offset: 2px;
      }
    `,
  ];

  /** The call's messages, oldest first. */
  @property({ attribute: false }) entries: readonly ChatEntry[] = [];
  /** Who else is in the call (a message can go to one of them). */
  @property({ attribute: false }) recipients: readonly ChatRecipient[] = [];
  /** Language of the strings. */
  @property() override lang = 'en';
  /** Sends a message; rejects with what to tell the person. */
  @property({ attribute: false }) send: (text: string, to: readonly string[]) => Promise<void> = () =>
    Promise.resolve();
  /** Closes the panel. */
  @property({ attribute: false }) close: () => void = () => undefined;

  @state() private to = '';
  @state() private error = '';
  private sending = false;

  /** Puts the keyboard focus in the message box. */
  override focus(): void {
    this.renderRoot.querySelector<HTMLTextAreaElement>('textarea')?.focus();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // The person written to left: back to everyone rather than send into the void.
    if (changed.has('recipients') && this.to && !this.recipients.some((r) => r.id === this.to)) this.to = '';
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('entries')) {
      const log = this.renderRoot.querySelector('[part~="chat-log"]');
      if (log) log.scrollTop = log.scrollHeight;
    }
  }

  private t(key: string, params?: Record<string, string | number>): string {
    return translate(this.lang, key, params);
  }

  private async submit(event: Event): Promise<void> {
    event.preventDefault();
    const box = this.renderRoot.querySelector('textarea');
    const text = box?.value ?? '';
    if (!box || !text.trim() || this.sending) return;
    this.sending = true;
    try {
      await this.send(text, this.to ? [this.to] : []);
      box.value = '';
      this.error = '';
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.sending = false;
    }
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) void this.submit(event);
  }

  private entry(e: ChatEntry): TemplateResult {
    const time = new Date(e.at);
    const name = e.own ? this.t('chat.you') : e.fromName || this.t('chat.someone');
    const privately = e.to.length > 0;
    const toWhom = !privately
      ? ''
      : e.own
        ? this.t('chat.private-to', { name: e.toNames.filter(Boolean).join(', ') || '?' })
        : this.t('chat.private-to-you');
    const parts = `chat-message${e.own ? ' chat-own' : ''}${privately ? ' chat-private' : ''}`;
    return html`<li part=${parts} data-from=${e.from}>
      <div part="chat-meta">
        <span part="chat-sender">${name}</span>
        ${privately ? html`<span part="chat-to">${toWhom}</span>` : nothing}
        <time part="chat-time" datetime=${time.toISOString()}
          >${time.toLocaleTimeString(this.lang, { hour: '2-digit', minute: '2-digit' })}</time
        >
      </div>
      <p part="chat-text">${e.text}</p>
    </li>`;
  }

  override render(): TemplateResult {
    // The log is a box around the list: role="log" on the <ol> itself replaced its list role, and left
    // the messages list items outside any list (axe: listitem).
    return html`<section part="chat" role="complementary" aria-label=${this.t('chat.title')}>
      <div part="chat-header">
        <h2 part="chat-title">${this.t('chat.title')}</h2>
        <button
          part="chat-close"
          aria-label=${this.t('chat.close')}
          title=${this.t('chat.close')}
          @click=${() => this.close()}
        >
          ×
        </button>
      </div>
      <div part="chat-log" role="log" aria-live="polite" aria-label=${this.t('chat.title')} tabindex="0">
        <ol part="chat-list">
          ${this.entries.length === 0 ? html`<li part="chat-empty">${this.t('chat.empty')}</li>` : nothing}
          ${repeat(
            this.entries,
            (e) => e.key,
            (e) => this.entry(e),
          )}
        </ol>
      </div>
      <form part="chat-form" @submit=${(e: Event) => void this.submit(e)}>
        <label
          >${this.t('chat.to')}
          <select
            part="chat-recipient"
            .value=${this.to}
            @change=${(e: Event) => (this.to = (e.target as HTMLSelectElement).value)}
          >
            <option value="" ?selected=${this.to === ''}>${this.t('chat.everyone')}</option>
            ${this.recipients.map(
              (r) => html`<option value=${r.id} ?selected=${this.to === r.id}>${r.name || r.id}</option>`,
            )}
          </select>
        </label>
        <textarea
          part="chat-input"
          rows="2"
          maxlength=${MAX_CHAT_TEXT_LENGTH}
          aria-label=${this.t('chat.input')}
          placeholder=${this.t('chat.placeholder')}
          @keydown=${this.onKey}
        ></textarea>
        ${this.error ? html`<p part="chat-error" role="alert">${this.error}</p>` : nothing}
        <button part="chat-send" type="submit">${this.t('chat.send')}</button>
      </form>
    </section>`;
  }
}

if (!customElements.get('videocall-chat-panel')) {
  customElements.define('videocall-chat-panel', VideocallChatPanelElement);
}

declare global {
  interface HTMLElementTagNameMap {
    'videocall-chat-panel': VideocallChatPanelElement;
  }
}
