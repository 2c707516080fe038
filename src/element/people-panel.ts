/**
 * The People panel: everyone in the call, ourselves first, then raised hands in
 * the order they went up, then by name; each with their microphone, camera,
 * screen share, whether they speak now, their hand and how end-to-end
 * encryption with them stands (the same signs as their tile). Loaded on demand
 * (`PeopleController` imports this module when the panel first opens).
 */
import { css, html, LitElement, nothing, svg, type TemplateResult } from 'lit';
import { sidePanelStyles } from './side-panel-styles.js';
import type { Room } from '../call/room.js';
import { property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { handIcon } from './hand.js';
import { translate } from './i18n.js';
import { cameraIcon, cameraOffIcon, lockIcon, micIcon, micOffIcon, screenIcon } from './icons.js';
import { FILTER_ABOVE, matchesQuery, orderPeople, type PersonRow } from './people-order.js';
import './people-strings.js';
import { indicator, isSpeaking, security } from './tiles.js';

/** How often the speaking signs follow the audio levels: about 4 times a second, never per audio packet. */
const SPEAKING_POLL_MS = 250;

// Material Symbols "graphic_eq" (Apache-2.0).
const speakingIcon = svg`<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M7 18h2V6H7v12Zm4 4h2V2h-2v20Zm-8-8h2v-4H3v4Zm12 4h2V6h-2v12Zm4-8v4h2v-4h-2Z"/></svg>`;

/**
 * The parts of the panel, passed up through `<videocall-room>`: the panel sets
 * its own `exportparts`, so the list is not in the element's bundle.
 */
export const PEOPLE_PANEL_PARTS = [
  'people-panel',
  'people-header',
  'people-title',
  'people-close',
  'people-filter',
  'people-list',
  'people-empty',
  'person',
  'person-you',
  'person-speaking',
  'person-hand',
  'person-name',
  'person-show',
  'person-states',
  'lower-hand',
  'indicator',
  'mic-on',
  'mic-off',
  'camera-on',
  'camera-off',
  'screen-sharing',
  'speaking-indicator',
  'hand-raised',
  'lock',
  'verified',
  'unverified',
  'pending',
  'mismatch',
  'self',
  'safety-code',
].join(', ');

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>) => a.size === b.size && [...a].every((x) => b.has(x));

/**
 * `<videocall-people-panel>`, inside `<videocall-room>`: the list of people.
 * Enter or a click on someone's name brings their tile into view; our own
 * raised hand can be lowered from our row; Escape closes the panel.
 *
 * @csspart people-panel - the panel (also every part listed in `PEOPLE_PANEL_PARTS`)
 */
export class VideocallPeoplePanelElement extends LitElement {
  static override styles = [
    sidePanelStyles({ root: 'people-panel', header: 'people-header', title: 'people-title' }),
    css`
      button,
      input {
        font: inherit;
        color: inherit;
      }
      [part~='people-close'] {
        border: none;
        background: transparent;
        width: 32px;
        height: 32px;
        border-radius: 50%;
        cursor: pointer;
        font-size: 1.2rem;
      }
      [part~='people-filter'] {
        margin: 8px 14px 0;
        background: var(--vc-tile-background, #1f232b);
        border: 1px solid var(--vc-muted-text, #a3aab8);
        border-radius: 6px;
        padding: 6px 8px;
      }
      [part~='people-list'] {
        flex: 1;
        min-height: 0;
        overflow-y: auto;
        margin: 0;
        padding: 6px 8px;
        list-style: none;
      }
      [part~='person'] {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 4px 8px;
        padding: 6px;
        border-radius: 6px;
        box-shadow: inset 3px 0 0 0 transparent;
      }
      [part~='person-speaking'] {
        box-shadow: inset 3px 0 0 0 var(--vc-speaking, #3ccf91);
      }
      [part~='person-name'] {
        flex: 1 1 8rem;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      [part~='person-show'] {
        max-width: 100%;
        border: none;
        background: transparent;
        padding: 2px 4px;
        margin: -2px -4px;
        border-radius: 4px;
        cursor: pointer;
        text-align: start;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      [part~='person-show']:hover {
        text-decoration: underline;
      }
      [part~='person-states'] {
        display: inline-flex;
        align-items: center;
        gap: 6px;
      }
      [part~='indicator'] {
        display: inline-flex;
        align-items: center;
        gap: 2px;
        color: var(--vc-muted-text, #a3aab8);
      }
      [part~='indicator'] svg {
        width: 1.1em;
        height: 1.1em;
        fill: currentColor;
      }
      [part~='mic-off'],
      [part~='camera-off'],
      [part~='mismatch'] {
        color: var(--vc-danger-text, #ff6b70);
      }
      [part~='speaking-indicator'],
      [part~='lock'][part~='verified'] {
        color: var(--vc-speaking, #3ccf91);
      }
      [part~='hand-raised'] {
        color: var(--vc-hand, #f5b700);
        font-weight: 700;
        font-size: 0.8rem;
      }
      [part~='safety-code'] {
        font-family: ui-monospace, monospace;
        font-size: 0.8rem;
      }
      [part~='lower-hand'] {
        border: 1px solid var(--vc-muted-text, #a3aab8);
        background: transparent;
        border-radius: 14px;
        padding: 2px 10px;
        cursor: pointer;
        font-size: 0.8rem;
      }
      [part~='people-empty'] {
        padding: 6px;
        color: var(--vc-muted-text, #a3aab8);
      }
      :focus-visible {
        outline: 2px solid var(--vc-accent, #4f8cff);
        outline-offset: 2px;
      }
      [part~='people-panel']:focus-visible {
        outline-offset: -2px;
      }
    `,
  ];

  /** The call whose people it lists (the element renders the panel again when the room changes). */
  @property({ attribute: false }) room: Room | null = null;
  /** Our display name, as given. */
  @property() name = '';
  /** Language of the strings. */
  @property() override lang = 'en';
  /** Everyone's place in the queue of raised hands (from 1), by id. */
  @property({ attribute: false }) handPositions: () => ReadonlyMap<string, number> = () => new Map();
  /** Brings someone's tile into view. */
  @property({ attribute: false }) show: (id: string) => void = () => undefined;
  /** Closes the panel. */
  @property({ attribute: false }) close: () => void = () => undefined;

  @state() private query = '';
  @state() private speakingNow: ReadonlySet<string> = new Set();
  private poll: ReturnType<typeof setInterval> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.setAttribute('exportparts', PEOPLE_PANEL_PARTS);
    this.followSpeaking();
    // Only a change re-renders, and only the rows whose signs changed touch the DOM (keyed rows).
    this.poll = setInterval(() => this.followSpeaking(), SPEAKING_POLL_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.poll);
  }

  /** Puts the keyboard focus in the search field, or on the panel when there is none. */
  override focus(): void {
    const target =
      this.renderRoot.querySelector<HTMLElement>('[part~="people-filter"]') ??
      this.renderRoot.querySelector<HTMLElement>('[part~="people-panel"]');
    target?.focus();
  }

  /** Everyone in the call as the panel lists them, ourselves first (unsorted otherwise). */
  private rows(room: Room): PersonRow[] {
    const positions = this.handPositions();
    const self: PersonRow = {
      id: room.sessionId,
      name: this.name,
      local: true,
      mic: room.local.state.mic,
      camera: room.local.state.camera,
      screen: room.screenSharing,
      handRaised: room.handRaised,
      handPosition: room.handRaised ? (positions.get(room.sessionId) ?? null) : null,
      e2ee: 'off',
      safetyCode: null,
      encrypted: room.encryption !== 'off',
    };
    const others = [...room.participants.values()].map((p): PersonRow => ({
      id: p.id,
      name: p.name,
      local: false,
      mic: p.mic,
      camera: p.camera,
      screen: p.screen,
      handRaised: p.handRaised,
      handPosition: p.handRaised ? (positions.get(p.id) ?? null) : null,
      e2ee: p.e2ee,
      safetyCode: p.safetyCode,
      encrypted: false,
    }));
    return [self, ...others];
  }

  /**
   * Who speaks now: whoever the relay counts among the active speakers (from the
   * clear audio levels, so also with E2EE; ourselves included), and a remote
   * participant whose tile shows them speaking (the level played here).
   */
  private speaking(): Set<string> {
    const room = this.room;
    if (!room) return new Set();
    const ids = new Set(room.activeSpeakers);
    for (const p of room.participants.values()) if (isSpeaking(p)) ids.add(p.id);
    return ids;
  }

  private followSpeaking(): void {
    const now = this.speaking();
    if (!sameSet(now, this.speakingNow)) this.speakingNow = new Set(now);
  }

  private t(key: string, params?: Record<string, string | number>): string {
    return translate(this.lang, key, params);
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    // A search being typed is cleared first; the next Escape closes.
    const field = event.composedPath()[0];
    if (field instanceof HTMLInputElement && this.query) {
      event.preventDefault();
      this.query = '';
      field.value = '';
      return;
    }
    this.close();
  }

  private row(p: PersonRow): TemplateResult {
    const name = p.name || this.t('tile.guest');
    const speaking = p.mic && this.speakingNow.has(p.id);
    const parts = [
      'person',
      p.local ? 'person-you' : '',
      speaking ? 'person-speaking' : '',
      p.handPosition ? 'person-hand' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const label = this.t('people.show', { name });
    return html`<li part=${parts} data-id=${p.id} data-speaking=${speaking ? 'true' : 'false'}>
      <span part="person-name"
        >${
          p.local
            ? this.t('people.you', { name })
            : html`<button part="person-show" aria-label=${label} title=${label} @click=${() => this.show(p.id)}>
                ${name}
              </button>`
        }</span
      >
      <span part="person-states">
        ${
          p.handRaised
            ? indicator(
                'hand-raised',
                p.handPosition ? this.t('people.handRaised', { position: p.handPosition }) : this.t('hand.raised'),
                handIcon,
                html`<span aria-hidden="true">${p.handPosition ?? ''}</span>`,
              )
            : nothing
        }
        ${speaking ? indicator('speaking-indicator', this.t('people.speaking'), speakingIcon) : nothing}
        ${p.screen ? indicator('screen-sharing', this.t('people.screen'), screenIcon) : nothing}
        ${
          p.mic
            ? indicator('mic-on', this.t('people.micOn'), micIcon)
            : indicator('mic-off', this.t('people.micOff'), micOffIcon)
        }
        ${
          p.camera
            ? indicator('camera-on', this.t('people.cameraOn'), cameraIcon)
            : indicator('camera-off', this.t('people.cameraOff'), cameraOffIcon)
        }
        ${p.local ? (p.encrypted ? indicator('lock self', this.t('tile.selfEncrypted'), lockIcon) : nothing) : security(p, this.lang)}
      </span>
      ${
        p.local && p.handRaised
          ? html`<button part="lower-hand" @click=${() => this.room?.lowerHand()}>
              ${this.t('people.lowerOwnHand')}
            </button>`
          : nothing
      }
    </li>`;
  }

  override render(): TemplateResult {
    const everyone = this.room ? orderPeople(this.rows(this.room), this.lang) : [];
    const searchable = everyone.length > FILTER_ABOVE;
    const shown = searchable
      ? everyone.filter((p) => matchesQuery(p.name || this.t('tile.guest'), this.query))
      : everyone;
    const title = `${this.t('people.title')} (${everyone.length})`;
    return html`<section
      part="people-panel"
      role="complementary"
      aria-label=${this.t('people.title')}
      tabindex="-1"
      @keydown=${this.onKey}
    >
      <div part="people-header">
        <h2 part="people-title">${title}</h2>
        <button
          part="people-close"
          aria-label=${this.t('people.close')}
          title=${this.t('people.close')}
          @click=${() => this.close()}
        >
          ×
        </button>
      </div>
      ${
        searchable
          ? html`<input
              part="people-filter"
              type="search"
              aria-label=${this.t('people.filter')}
              placeholder=${this.t('people.filterPlaceholder')}
              .value=${this.query}
              @input=${(e: Event) => (this.query = (e.target as HTMLInputElement).value)}
            />`
          : nothing
      }
      <ul part="people-list" aria-label=${this.t('people.list')}>
        ${repeat(
          shown,
          (p) => p.id,
          (p) => this.row(p),
        )}
        ${
          shown.length === 0
            ? html`<li part="people-empty">${this.t('people.noMatch', { query: this.query.trim() })}</li>`
            : nothing
        }
      </ul>
    </section>`;
  }
}

if (!customElements.get('videocall-people-panel')) {
  customElements.define('videocall-people-panel', VideocallPeoplePanelElement);
}

declare global {
  interface HTMLElementTagNameMap {
    'videocall-people-panel': VideocallPeoplePanelElement;
  }
}
