/**
 * The stats panel inside `<videocall-room>`: the transport and round trip, what
 * we send, and per participant what we receive, refreshed once a second while
 * it is open. Loaded with a dynamic `import()` the first time it opens, so a
 * plain call's bundle does not carry it.
 */
import { css, html, LitElement, nothing, type TemplateResult } from 'lit';
import { sidePanelStyles } from './side-panel-styles.js';
import { property, state } from 'lit/decorators.js';
import type { CallStats, LocalStats, ParticipantStats } from '../call/call-stats.js';
import { translate } from './i18n.js';
import './stats-strings.js';

/** The panel's parts, passed up through `<videocall-room>` with `exportparts`. */
export const STATS_PANEL_PARTS = [
  'stats-panel',
  'stats-header',
  'stats-title',
  'stats-close',
  'stats-summary',
  'stats-body',
  'stats-table',
  'stats-caption',
  'stats-row',
  'stats-label',
  'stats-value',
  'stats-empty',
].join(', ');

/** How often the figures are read while the panel is open. */
const REFRESH_MS = 1000;

type Row = [key: string, value: string];

/**
 * @csspart stats-panel - the panel (also every `stats-*` part listed in `STATS_PANEL_PARTS`)
 */
export class VideocallStatsPanelElement extends LitElement {
  static override styles = [
    sidePanelStyles({ root: 'stats-panel', header: 'stats-header', title: 'stats-title' }, 'left'),
    css`
      :host {
        width: min(24rem, calc(100% - 2 * var(--vc-gap, 8px)));
      }
      [part~='stats-panel'] {
        font-size: 0.85rem;
      }
      [part~='stats-panel']:focus-visible {
        outline: 2px solid var(--vc-accent, #4f8cff);
        outline-offset: -2px;
      }
      [part~='stats-close'] {
        border: none;
        background: transparent;
        color: inherit;
        font: inherit;
        width: 32px;
        height: 32px;
        border-radius: 50%;
        cursor: pointer;
        font-size: 1.2rem;
      }
      [part~='stats-close']:focus-visible {
        outline: 2px solid var(--vc-accent, #4f8cff);
      }
      [part~='stats-summary'] {
        margin: 0;
        padding: 8px 14px 0;
        color: var(--vc-muted-text, #a3aab8);
      }
      [part~='stats-body'] {
        flex: 1;
        min-height: 0;
        overflow-y: auto;
        padding: 4px 14px 12px;
      }
      [part~='stats-table'] {
        width: 100%;
        border-collapse: collapse;
        margin-top: 10px;
      }
      [part~='stats-caption'] {
        text-align: left;
        font-weight: 600;
        padding-bottom: 4px;
      }
      [part~='stats-body']:focus-visible {
        outline: 2px solid var(--vc-accent, #4f8cff);
        outline-offset: -2px;
      }
      [part~='stats-label'] {
        text-align: left;
        font-weight: normal;
        color: var(--vc-muted-text, #a3aab8);
        padding: 2px 8px 2px 0;
      }
      [part~='stats-value'] {
        text-align: right;
        font-variant-numeric: tabular-nums;
        padding: 2px 0;
      }
    `,
  ];

  /** The language to speak. */
  @property() override lang = 'en';
  /** Reads the figures (the element's `getStats`). */
  @property({ attribute: false }) source: (() => Promise<CallStats>) | null = null;
  /** Closes the panel. */
  @property({ attribute: false }) close: () => void = () => undefined;

  @state() private stats: CallStats | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Moves focus into the panel (it opens as a non-modal dialog). */
  override focus(): void {
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[part~="stats-close"]')?.focus());
  }

  private async refresh(): Promise<void> {
    const source = this.source;
    if (!source) return;
    try {
      this.stats = await source();
    } catch {
      // The call ended meanwhile: the element removes the panel.
    }
  }

  private t(key: string, params?: Record<string, string | number>): string {
    return translate(this.lang, key, params);
  }

  override render(): TemplateResult {
    const s = this.stats;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      this.close();
    };
    return html`<div part="stats-panel" role="dialog" aria-labelledby="title" @keydown=${onKey}>
      <div part="stats-header">
        <h2 part="stats-title" id="title">${this.t('stats.title')}</h2>
        <button
          part="stats-close"
          aria-label=${this.t('stats.close')}
          title=${this.t('stats.close')}
          @click=${() => this.close()}
        >
          ✕
        </button>
      </div>
      ${
        s
          ? html`<p part="stats-summary">
              ${this.t('stats.transport')}: ${s.transport ?? this.t('stats.unknown')} · ${this.t('stats.rtt')}:
              ${this.ms(s.rttMs)}
            </p>`
          : nothing
      }
      <div part="stats-body" tabindex="0" role="region" aria-labelledby="title">
        ${
          s
            ? html`${this.table(this.t('stats.you'), 'local', this.localRows(s.local))}
              ${s.participants.map((p) => this.table(p.name || p.id, p.id, this.participantRows(p)))}
              ${s.participants.length === 0 ? html`<p part="stats-empty">${this.t('stats.none')}</p>` : nothing}`
            : html`<p part="stats-empty">${this.t('stats.loading')}</p>`
        }
      </div>
    </div>`;
  }

  private table(caption: string, id: string, rows: Row[]): TemplateResult {
    return html`<table part="stats-table" data-id=${id}>
      <caption part="stats-caption">
        ${caption}
      </caption>
      <tbody>
        ${rows.map(
          ([key, value]) =>
            html`<tr part="stats-row" data-key=${key}>
              <th part="stats-label" scope="row">${this.t(key)}</th>
              <td part="stats-value">${value}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
  }

  private localRows(local: LocalStats): Row[] {
    const v = local.video;
    const a = local.audio;
    const rows: Row[] = [];
    if (!v) rows.push(['stats.video', this.t('stats.off')]);
    else {
      rows.push(
        ['stats.resolution', this.size(v.width, v.height)],
        ['stats.fps', this.fps(v.fps)],
        ['stats.bitrate', this.kbps(v.bitrateKbps)],
        ['stats.codec', v.codec.toUpperCase()],
      );
      if (v.limitedBy) rows.push(['stats.limited', this.t(`stats.limited.${v.limitedBy}`)]);
    }
    rows.push(['stats.audio', !a || a.muted ? this.t('stats.muted') : this.kbps(a.bitrateKbps)]);
    this.screenRows(rows, local.screen, local.screenAudio);
    return rows;
  }

  private participantRows(p: ParticipantStats): Row[] {
    const rows: Row[] = [['stats.quality', this.t(`stats.quality.${p.quality}`)]];
    const v = p.video;
    if (!v) rows.push(['stats.video', this.t('stats.off')]);
    else
      rows.push(
        ['stats.resolution', v.width ? this.size(v.width, v.height) : this.t('stats.unknown')],
        ['stats.fps', this.fps(v.fps)],
        ['stats.bitrate', this.kbps(v.bitrateKbps)],
        ['stats.codec', v.codec ? v.codec.toUpperCase() : this.t('stats.unknown')],
        ['stats.layer', v.layer === null ? this.t('stats.unknown') : String(v.layer)],
        ['stats.loss', this.pct(v.lossPct)],
        ['stats.freezes', String(v.freezes)],
        ['stats.dropped', String(v.framesDropped)],
        ['stats.g2g', this.ms(v.glassToGlassMs)],
      );
    const a = p.audio;
    if (!a) rows.push(['stats.audio', this.t('stats.muted')]);
    else
      rows.push(
        ['stats.audio', this.kbps(a.bitrateKbps)],
        ['stats.jitter', this.ms(a.jitterBufferMs)],
        ['stats.concealed', this.pct(a.concealedPct)],
        ['stats.m2e', this.ms(a.mouthToEarMs)],
      );
    this.screenRows(rows, p.screen, p.screenAudio);
    return rows;
  }

  /** A screen share, sent or received, in one row (size, frame rate, bitrate), and its sound in another; none without one. */
  private screenRows(
    rows: Row[],
    screen: { width: number; height: number; fps: number | null; bitrateKbps: number | null } | null,
    sound: { bitrateKbps: number | null } | null,
  ): void {
    if (screen)
      rows.push([
        'stats.screen',
        [
          screen.width ? this.size(screen.width, screen.height) : this.t('stats.unknown'),
          this.fps(screen.fps),
          this.kbps(screen.bitrateKbps),
        ].join(' · '),
      ]);
    if (sound) rows.push(['stats.screenAudio', this.kbps(sound.bitrateKbps)]);
  }

  private ms(value: number | null): string {
    return value === null ? this.t('stats.unknown') : this.t('stats.ms', { value: Math.round(value) });
  }
  private kbps(value: number | null): string {
    return value === null ? this.t('stats.unknown') : this.t('stats.kbps', { value: Math.round(value) });
  }
  private fps(value: number | null): string {
    return value === null ? this.t('stats.unknown') : this.t('stats.fpsValue', { value: Math.round(value) });
  }
  private pct(value: number | null): string {
    return value === null ? this.t('stats.unknown') : this.t('stats.pct', { value: value.toFixed(1) });
  }
  private size(width: number, height: number): string {
    return this.t('stats.size', { width, height });
  }
}

if (!customElements.get('videocall-stats-panel')) {
  customElements.define('videocall-stats-panel', VideocallStatsPanelElement);
}

declare global {
  interface HTMLElementTagNameMap {
    'videocall-stats-panel': VideocallStatsPanelElement;
  }
}
