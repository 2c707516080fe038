import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { bestGrid, type GridLayout } from '../layout/tile-grid.js';

/** What the controller needs from its element. */
export interface GridLayoutSource {
  /** The box the tiles are laid out in, once rendered. */
  stage(): HTMLElement | null;
  /** How many tiles there are now. */
  tileCount(): number;
}

interface StageSize {
  width: number;
  height: number;
  gap: number;
}

/** The gap between tiles when `--vc-gap` cannot be read. */
const DEFAULT_GAP = 8;
/** Tiles are 16:9, the shape of most cameras. */
const TILE_ASPECT = 16 / 9;

/**
 * Keeps the tile grid as large as the stage allows: watches the stage's size
 * (re-attached whenever the element is connected again, e.g. after a move in the
 * page) and the tile count after each update, and asks for a render when the
 * best grid changes.
 */
export class GridLayoutController implements ReactiveController {
  /** The grid now. */
  layout: GridLayout = { columns: 1, rows: 1, tileWidth: 0, tileHeight: 0 };
  private observer: ResizeObserver | null = null;
  private observed: HTMLElement | null = null;
  /** Tile count at the last relayout (-1: none yet). */
  private laidOutCount = -1;
  /** The stage's size and gap as last observed; null before the first observation. */
  private stageSize: StageSize | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly source: GridLayoutSource,
  ) {}

  /** The grid's inline style (CSS text): columns of the tile width, rows of the tile height. */
  get style(): string {
    const { columns, tileWidth, tileHeight } = this.layout;
    return `grid-template-columns:repeat(${columns},${tileWidth}px);grid-auto-rows:${tileHeight}px`;
  }

  hostConnected(): void {
    this.observer = new ResizeObserver(() => this.relayout());
    this.observeStage();
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
    this.observer = null;
    this.observed = null;
  }

  hostUpdated(): void {
    this.observeStage();
    // The element renders many times a second in a call (levels, speakers, stats). Measuring
    // the stage after a render forces style and layout at once (10-20 ms on a joining page),
    // so the stage's size is the ResizeObserver's job: a render with another tile count is
    // laid out in the size it last reported (its first report comes before the first paint).
    if (this.stageSize && this.source.tileCount() !== this.laidOutCount) this.layoutIn(this.stageSize);
  }

  /** Observes the stage once it exists (the first render makes it; a reconnect needs it again). */
  private observeStage(): void {
    const stage = this.source.stage();
    if (!stage || !this.observer || stage === this.observed) return;
    if (this.observed) this.observer.unobserve(this.observed);
    this.observer.observe(stage);
    this.observed = stage;
  }

  /** The stage's size changed (the ResizeObserver, after layout: measuring now costs nothing more). */
  private relayout(): void {
    const stage = this.source.stage();
    if (!stage) return;
    const gap = parseFloat(getComputedStyle(this.host).getPropertyValue('--vc-gap')) || DEFAULT_GAP;
    const rect = stage.getBoundingClientRect();
    this.stageSize = { width: rect.width, height: rect.height, gap };
    this.layoutIn(this.stageSize);
  }

  private layoutIn({ width, height, gap }: StageSize): void {
    this.laidOutCount = this.source.tileCount();
    const next = bestGrid(this.laidOutCount, width - 2 * gap, height - 2 * gap, TILE_ASPECT, gap);
    const current = this.layout;
    if (
      next.columns !== current.columns ||
      next.tileWidth !== current.tileWidth ||
      next.tileHeight !== current.tileHeight
    ) {
      this.layout = next;
      this.host.requestUpdate();
    }
  }
}
