/**
 * What a browser showing a page of tiles subscribes to, as the element does:
 * the publishers on the current page in tiles of one size, and the active
 * speaker in a large tile; each tile gets the smallest layer at least as large
 * as the tile (a 180p tile never receives 720p).
 */
import { TrackKind } from '../../src/protocol/index.js';

export interface Size {
  width: number;
  height: number;
}

/** A page of tiles plus the active speaker's large tile. */
export interface PageView {
  /** Tiles per page (the speaker's large tile not counted). */
  tiles: number;
  /** Which page, from 0. */
  page: number;
  tileSize: Size;
  /** The large tile of the active speaker; absent: no large tile. */
  speakerSize?: Size;
}

/** A publisher as the roster shows it: its id and the video layers it announced (largest first). */
export interface RosterPublisher {
  id: string;
  camera: boolean;
  videoLayers: readonly Size[];
}

export interface TrackChoice {
  publisher: string;
  kind: number;
  layer: number;
}

/** The smallest announced layer at least as large as `size` (layer 0 if none is, or none was announced). */
export function layerFor(layers: readonly Size[], size: Size): number {
  let best = 0;
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l]!;
    if (layer.width >= size.width && layer.height >= size.height) best = l;
  }
  return best;
}

/**
 * The Subscription tracks for `view` over `publishers` (in roster order), with
 * `speaker` (the loudest) in the large tile. Publishers with their camera off take no tile.
 */
export function chooseTracks(
  publishers: readonly RosterPublisher[],
  view: PageView,
  speaker: string | undefined,
): TrackChoice[] {
  const cameras = publishers.filter((p) => p.camera);
  const large = view.speakerSize ? cameras.find((p) => p.id === speaker) : undefined;
  const grid = cameras.filter((p) => p !== large).slice(view.page * view.tiles, (view.page + 1) * view.tiles);
  const out = grid.map((p) => ({
    publisher: p.id,
    kind: TrackKind.VIDEO,
    layer: layerFor(p.videoLayers, view.tileSize),
  }));
  if (large && view.speakerSize) {
    out.push({ publisher: large.id, kind: TrackKind.VIDEO, layer: layerFor(large.videoLayers, view.speakerSize) });
  }
  return out;
}
