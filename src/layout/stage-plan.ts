/**
 * Which tiles a call shows now: in the grid, one page of them; in the speaker
 * layout, one large tile and a page of the filmstrip. Pure logic: the element
 * renders the plan, and tiles not in it are neither drawn nor subscribed to.
 */

/** A tile: `local`, `local-screen`, `camera:<id>` or `screen:<id>`. */
export type TileKey = string;

/** `grid`: tiles of equal size. `speaker`: the active speaker (or a screen share) large, the others in a strip. */
export type StageLayout = 'grid' | 'speaker';

export interface StageInput {
  layout: StageLayout;
  /** We share our screen (a tile of its own, beside our camera). */
  localScreen: boolean;
  /** Remote participants, in a stable order (who joined first first). */
  remotes: readonly string[];
  /** Remote participants sharing a screen, in the order they started. */
  screens: readonly string[];
  /** The remote participant speaking, or who spoke last; null when none has. */
  speaker: string | null;
  /** Tiles one page holds: the grid's whole page, or the filmstrip's. At least 1. */
  capacity: number;
  /** The page asked for, from 0; clamped to the pages there are. */
  page: number;
}

export interface StagePlan {
  /** The large tile of the speaker layout; null in the grid. */
  featured: TileKey | null;
  /** The grid's tiles on this page, or the filmstrip's. */
  tiles: TileKey[];
  /** The page shown (clamped), from 0. */
  page: number;
  /** How many pages there are (1 when everyone fits). */
  pages: number;
}

/** The key of someone's camera tile. */
export const cameraKey = (id: string): TileKey => `camera:${id}`;
/** The key of someone's screen share tile. */
export const screenKey = (id: string): TileKey => `screen:${id}`;

/**
 * Plans the stage. Our own tile, our screen and remote screens are on every
 * page; remote cameras fill the slots left, a page at a time. The speaker is
 * always in view: large in the speaker layout (unless a screen share takes the
 * large tile: a share wins, and then the speaker stays on every page of the
 * strip), and on every page of the grid (in the page's last slot when the page
 * would not show them).
 */
export function planStage(input: StageInput): StagePlan {
  const remotes = [...new Set(input.remotes)];
  const speaker = input.speaker !== null && remotes.includes(input.speaker) ? input.speaker : null;
  const screens = input.screens.filter((id) => remotes.includes(id));
  let featured: TileKey | null = null;
  if (input.layout === 'speaker') {
    if (screens.length > 0) featured = screenKey(screens[0]!);
    else if (speaker !== null) featured = cameraKey(speaker);
    else if (remotes.length > 0) featured = cameraKey(remotes[0]!);
    else featured = input.localScreen ? 'local-screen' : 'local';
  }
  const fixed: TileKey[] = ['local'];
  if (input.localScreen) fixed.push('local-screen');
  for (const id of screens) fixed.push(screenKey(id));
  const paged = remotes.map(cameraKey).filter((key) => key !== featured);
  const kept = fixed.filter((key) => key !== featured);
  const slots = Math.max(1, Math.floor(input.capacity) - kept.length);
  const pages = Math.max(1, Math.ceil(paged.length / slots));
  const page = Math.min(Math.max(0, Math.floor(input.page) || 0), pages - 1);
  const slice = paged.slice(page * slots, (page + 1) * slots);
  const speakerKey = speaker === null ? null : cameraKey(speaker);
  if (speakerKey !== null && speakerKey !== featured && !slice.includes(speakerKey)) {
    if (slice.length >= slots) slice[slice.length - 1] = speakerKey;
    else slice.push(speakerKey);
  }
  return { featured, tiles: [...kept, ...slice], page, pages };
}

/** Smallest tile (CSS pixels) the grid pages rather than go below, when `max-tiles` is not set. */
export const MIN_TILE = { width: 160, height: 90 };
/** Most tiles on one page by default (the issue's `max-tiles` default). */
export const DEFAULT_MAX_TILES = 25;

/**
 * How many tiles fit a `width`×`height` stage before they would be smaller
 * than {@link MIN_TILE}; between 1 and {@link DEFAULT_MAX_TILES}.
 */
export function tilesThatFit(width: number, height: number, gap: number): number {
  const columns = Math.floor((width + gap) / (MIN_TILE.width + gap));
  const rows = Math.floor((height + gap) / (MIN_TILE.height + gap));
  return Math.min(DEFAULT_MAX_TILES, Math.max(1, columns * rows));
}
