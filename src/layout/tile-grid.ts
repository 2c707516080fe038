/** Where tiles go: how many columns and rows, and how big each tile is, in CSS pixels. */
export interface GridLayout {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

/**
 * The grid that gives `count` tiles of one aspect ratio the largest size inside
 * a `width` × `height` box, with `gap` pixels between tiles. Tries every column
 * count, which for the room sizes a screen can show (≤ 100) costs nothing.
 */
export function bestGrid(count: number, width: number, height: number, aspect = 16 / 9, gap = 8): GridLayout {
  if (count <= 0 || width <= 0 || height <= 0) return { columns: 1, rows: 1, tileWidth: 0, tileHeight: 0 };
  let best: GridLayout = { columns: 1, rows: count, tileWidth: 0, tileHeight: 0 };
  for (let columns = 1; columns <= count; columns++) {
    const rows = Math.ceil(count / columns);
    const cellWidth = (width - gap * (columns - 1)) / columns;
    const cellHeight = (height - gap * (rows - 1)) / rows;
    if (cellWidth <= 0 || cellHeight <= 0) continue;
    const tileWidth = Math.min(cellWidth, cellHeight * aspect);
    if (tileWidth > best.tileWidth) {
      best = { columns, rows, tileWidth: Math.floor(tileWidth), tileHeight: Math.floor(tileWidth / aspect) };
    }
  }
  return best;
}
