import { describe, expect, it } from 'vitest';
import { bestGrid } from '../../src/layout/tile-grid.js';

describe('bestGrid', () => {
  it('gives one tile the whole width of a wide box', () => {
    expect(bestGrid(1, 1600, 900, 16 / 9, 0)).toEqual({ columns: 1, rows: 1, tileWidth: 1600, tileHeight: 900 });
  });

  it('puts two tiles side by side in a landscape box and stacked in a portrait one', () => {
    expect(bestGrid(2, 1600, 600).columns).toBe(2);
    expect(bestGrid(2, 400, 900).columns).toBe(1);
  });

  it('uses a near-square grid for many tiles and fits them inside the box', () => {
    for (const count of [3, 4, 7, 9, 16, 25, 49, 100]) {
      const grid = bestGrid(count, 1280, 720);
      expect(grid.columns * grid.rows).toBeGreaterThanOrEqual(count);
      expect(grid.columns * grid.tileWidth + 8 * (grid.columns - 1)).toBeLessThanOrEqual(1280);
      expect(grid.rows * grid.tileHeight + 8 * (grid.rows - 1)).toBeLessThanOrEqual(720);
      // No empty full row or column: the grid is as tight as it can be.
      expect((grid.rows - 1) * grid.columns).toBeLessThan(count);
    }
  });

  it('returns an empty layout for no tiles or no room', () => {
    expect(bestGrid(0, 100, 100).tileWidth).toBe(0);
    expect(bestGrid(3, 0, 100).tileWidth).toBe(0);
  });
});
