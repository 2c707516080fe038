/**
 * What the stage shows and how: the grid a page at a time, or the speaker
 * layout (one large tile, the others in a filmstrip), the active speaker kept
 * in view, screen shares as tiles of their own, and the pager. Tiles not on
 * the current page are not rendered, so the subscription controller measures
 * nothing for them and the room unsubscribes them.
 */
import { html, nothing, svg, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { Room } from '../call/room.js';
import {
  cameraKey,
  planStage,
  tilesThatFit,
  type StageLayout,
  type StagePlan,
  type TileKey,
} from '../layout/stage-plan.js';
import { translate } from './large-room-strings.js';
import { localScreenTile, remoteScreenTile } from './screen-tiles.js';
import { remoteTile, type TileExtras } from './tiles.js';

/** What the controller needs from its element. */
export interface StageSource {
  /** The stage box, once rendered. */
  stage(): HTMLElement | null;
  /** The room while in the call; null otherwise. */
  room(): Room | null;
  layout(): StageLayout;
  /** The `max-tiles` attribute; 0 or less: from the stage's size. */
  maxTiles(): number;
  lang(): string;
}

/** Filmstrip tiles: this share of the stage's height, within these bounds (CSS pixels). */
const STRIP_SHARE = 0.22;
const STRIP_MIN = 72;
const STRIP_MAX = 160;
const DEFAULT_GAP = 8;

const speakingIcon = svg`<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 9v6h4l5 5V4L7 9H3Zm13.5 3A4.5 4.5 0 0 0 14 7.97v8.05A4.47 4.47 0 0 0 16.5 12ZM14 3.23v2.06a7 7 0 0 1 0 13.42v2.06a9 9 0 0 0 0-17.54Z"/></svg>`;

export class StageController implements ReactiveController {
  /** The page shown, from 0 (clamped by the plan). */
  page = 0;
  /** The remote participant who spoke last: kept large (speaker layout) or in view (grid) between speakers. */
  private lastSpeaker: string | null = null;
  private size = { width: 0, height: 0, gap: DEFAULT_GAP };
  private observer: ResizeObserver | null = null;
  private observed: HTMLElement | null = null;
  private current: StagePlan = { featured: null, tiles: ['local'], page: 0, pages: 1 };

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly source: StageSource,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.observer = new ResizeObserver(() => this.measure());
    this.observeStage();
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
    this.observer = null;
    this.observed = null;
  }

  hostUpdated(): void {
    this.observeStage();
  }

  /** The plan for this render: call once per render, before {@link tileCount} is read. */
  plan(): StagePlan {
    const room = this.source.room();
    const remotes = room ? [...room.participants.keys()] : [];
    const speakers = room?.activeSpeakers ?? [];
    const speaking = speakers.find((id) => room?.participants.has(id)) ?? null;
    if (speaking !== null) this.lastSpeaker = speaking;
    if (this.lastSpeaker !== null && !room?.participants.has(this.lastSpeaker)) this.lastSpeaker = null;
    const screens = room ? [...room.participants.values()].filter((p) => p.screen).map((p) => p.id) : [];
    this.current = planStage({
      layout: this.source.layout(),
      localScreen: !!room?.screenSharing,
      remotes,
      screens,
      speaker: this.lastSpeaker,
      capacity: this.capacity(),
      page: this.page,
    });
    this.page = this.current.page;
    return this.current;
  }

  /** Tiles in the grid now (for the grid's size). */
  get tileCount(): number {
    return Math.max(1, this.current.tiles.length);
  }

  /** Goes to page `page` (clamped). */
  turnTo(page: number): void {
    const next = Math.min(Math.max(0, page), this.current.pages - 1);
    if (next === this.page) return;
    this.page = next;
    this.host.requestUpdate();
  }

  /**
   * Turns to the page that shows `id`'s camera tile (in the grid, or in the
   * speaker layout's filmstrip or large), as the People panel asks; false when
   * they are not in the call. A tile already in view keeps the page.
   */
  reveal(id: string): boolean {
    if (!this.source.room()?.participants.has(id)) return false;
    const key = cameraKey(id);
    const inView = (plan: StagePlan) => plan.featured === key || plan.tiles.includes(key);
    const start = this.page;
    if (inView(this.plan())) return true;
    for (let page = 0; page < this.current.pages; page++) {
      this.page = page;
      if (inView(this.plan())) {
        this.host.requestUpdate();
        return true;
      }
    }
    this.page = start;
    this.plan();
    return false;
  }

  /**
   * The stage's tiles for `plan`: `local` renders our own camera tile (from the
   * element, which knows its name and devices; `extras` marks it as the active
   * speaker when the relay picks us), the rest here.
   */
  render(plan: StagePlan, gridStyle: string, localTile: (extras: TileExtras) => TemplateResult): TemplateResult {
    const tile = (key: TileKey) => this.tile(key, localTile);
    if (plan.featured === null) {
      // `.style` sets the CSSOM's cssText, which a page's strict Content-Security-Policy allows (a style attribute it blocks).
      return html`<div part="grid" .style=${gridStyle}>${repeat(plan.tiles, (k) => k, tile)}</div>`;
    }
    const strip = this.stripHeight();
    return html`<div part="speaker-layout" .style=${`--vc-strip-height:${strip}px`}>
      <div part="featured">${tile(plan.featured)}</div>
      ${
        plan.tiles.length > 0
          ? html`<div part="filmstrip" role="list" aria-label=${translate(this.source.lang(), 'stage.filmstrip')}>
              ${repeat(
                plan.tiles,
                (k) => k,
                (k) => html`<div part="strip-slot" role="listitem">${tile(k)}</div>`,
              )}
            </div>`
          : nothing
      }
    </div>`;
  }

  /** Previous/next page controls, when there is more than one page. */
  pager(plan: StagePlan): TemplateResult | typeof nothing {
    if (plan.pages <= 1) return nothing;
    const lang = this.source.lang();
    return html`<nav part="pager" aria-label=${translate(lang, 'pager.label')}>
      <button
        part="control pager-button previous-page"
        aria-label=${translate(lang, 'pager.previous')}
        title=${translate(lang, 'pager.previous')}
        ?disabled=${plan.page === 0}
        @click=${() => this.turnTo(plan.page - 1)}
      >
        ‹
      </button>
      <span part="page-status" aria-live="polite"
        >${translate(lang, 'pager.status', { page: plan.page + 1, pages: plan.pages })}</span
      >
      <button
        part="control pager-button next-page"
        aria-label=${translate(lang, 'pager.next')}
        title=${translate(lang, 'pager.next')}
        ?disabled=${plan.page >= plan.pages - 1}
        @click=${() => this.turnTo(plan.page + 1)}
      >
        ›
      </button>
    </nav>`;
  }

  private tile(key: TileKey, localTile: (extras: TileExtras) => TemplateResult): TemplateResult {
    const room = this.source.room();
    const lang = this.source.lang();
    // Our own session id when the relay picks us: our tile wears the ring too.
    if (key === 'local') {
      const us = !!room && room.activeSpeaker !== null && room.activeSpeaker === room.sessionId;
      return localTile({ activeSpeaker: us ? this.speakingSign(lang, 'speaker.indicatorSelf') : null });
    }
    if (key === 'local-screen') return localScreenTile(room?.screenShare.track ?? null, lang);
    const [kind, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const p = room?.participants.get(id);
    if (!p) return html``;
    if (kind === 'screen') return remoteScreenTile(p, lang);
    const active = room?.activeSpeaker === id && cameraKey(id) === key;
    return remoteTile(p, lang, { activeSpeaker: active ? this.speakingSign(lang, 'speaker.indicator') : null });
  }

  /** The active speaker's sign in a tile's name bar: an icon, and text that says it (not colour alone). */
  private speakingSign(lang: string, key: 'speaker.indicator' | 'speaker.indicatorSelf'): TemplateResult {
    const label = translate(lang, key);
    return html`<span part="indicator speaking-indicator" title=${label}
      >${speakingIcon}<span class="visually-hidden">${label}</span></span
    >`;
  }

  /** Tiles one page holds: `max-tiles`, or what fits the stage; the filmstrip's in the speaker layout. */
  private capacity(): number {
    const { width, height, gap } = this.size;
    const set = this.source.maxTiles();
    const fit = width > 0 && height > 0 ? tilesThatFit(width - 2 * gap, height - 2 * gap, gap) : 25;
    const max = set > 0 ? Math.floor(set) : fit;
    if (this.source.layout() !== 'speaker') return max;
    // The strip holds what fits across the stage, and never more than max-tiles besides the large tile.
    const stripTileWidth = (this.stripHeight() * 16) / 9;
    const across = width > 0 ? Math.max(1, Math.floor((width - gap) / (stripTileWidth + gap))) : max;
    return Math.max(1, Math.min(max - 1, across));
  }

  private stripHeight(): number {
    return Math.round(Math.min(STRIP_MAX, Math.max(STRIP_MIN, this.size.height * STRIP_SHARE)));
  }

  private observeStage(): void {
    const stage = this.source.stage();
    if (!stage || !this.observer || stage === this.observed) return;
    if (this.observed) this.observer.unobserve(this.observed);
    this.observer.observe(stage);
    this.observed = stage;
    // No measuring here: that would force style and layout right after the render (20 ms on a
    // joining page). The observer reports the new stage's size after layout, before it is painted.
  }

  /** The stage's size changed: a new capacity may change the pages. */
  private measure(): void {
    const stage = this.source.stage();
    if (!stage) return;
    const rect = stage.getBoundingClientRect();
    const gap = parseFloat(getComputedStyle(this.host).getPropertyValue('--vc-gap')) || DEFAULT_GAP;
    const before = this.capacity();
    const stripBefore = this.stripHeight();
    this.size = { width: rect.width, height: rect.height, gap };
    if (this.capacity() !== before || this.stripHeight() !== stripBefore) this.host.requestUpdate();
  }
}
