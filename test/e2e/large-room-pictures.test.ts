/**
 * A page in a room of 20 simulated publishers, each sending a real VP8 picture
 * of its own colour (cli/sim with ffmpeg-encoded clips): the page shows the
 * active speaker large and the right page of faces in the strip, each tile the
 * picture of the participant it names; turning pages shows the new faces'
 * pictures within about a second of the click, measured in the page from the
 * click to the first frame of each new tile.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { SimClip } from '../../cli/sim/index.js';
import { waitFor } from './browser.js';
import { simRoom } from './sim-room.js';
import { CLIP_LAYER, colourClip, distinctColours, type Rgb } from './colour-clips.js';

const PUBLISHERS = 20;
/** The one who talks all the time: the relay names them the active speaker. */
const SPEAKER = 13;
/** A tile shows a face when each channel is within this of its colour (VP8 and YUV 4:2:0 move flat colours a little). */
const TOLERANCE = 40;

/** One tile as the page shows it: whose it is, where, and the colour of its picture now (null before a frame). */
interface TileColour {
  id: string;
  featured: boolean;
  rgb: [number, number, number] | null;
}

/** Reads the remote camera tiles' colours (the mean of their middle), in the order they stand. */
function tileColours(page: Page): Promise<{ tiles: TileColour[]; status: string }> {
  return page.evaluate(() => {
    const root = document.querySelector('videocall-room')!.shadowRoot!;
    const copy = document.createElement('canvas');
    copy.width = copy.height = 8;
    const ctx = copy.getContext('2d', { willReadFrequently: true })!;
    const tiles = [...root.querySelectorAll<HTMLElement>('[part~="tile-remote"]:not([part~="tile-screen"])')].map(
      (tile) => {
        const video = tile.querySelector<HTMLVideoElement | HTMLCanvasElement>('[part~="video"]');
        const w = video instanceof HTMLVideoElement ? video.videoWidth : (video?.width ?? 0);
        const h = video instanceof HTMLVideoElement ? video.videoHeight : (video?.height ?? 0);
        let rgb: [number, number, number] | null = null;
        if (video && w > 0 && h > 0) {
          ctx.drawImage(video, w / 4, h / 4, w / 2, h / 2, 0, 0, 8, 8);
          const { data } = ctx.getImageData(0, 0, 8, 8);
          const sum = [0, 0, 0];
          for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += data[i + c]!;
          rgb = sum.map((s) => Math.round(s / 64)) as [number, number, number];
        }
        return { id: tile.dataset.id ?? '', featured: !!tile.closest('[part~="featured"]'), rgb };
      },
    );
    return { tiles, status: root.querySelector('[part~="page-status"]')?.textContent?.trim() ?? '' };
  });
}

const near = (a: readonly number[] | null, b: Rgb): boolean =>
  !!a && a.every((v, c) => Math.abs(v - b[c]!) <= TOLERANCE);

/**
 * Clicks "next page" in the page and watches every animation frame until each
 * tile of the strip that was not there before shows its own colour; returns
 * the new tiles' ids and, for each, ms from the click to its first right frame.
 */
function turnPageAndTime(page: Page, colours: Record<string, Rgb>, tolerance: number, timeoutMs: number) {
  return page.evaluate(
    ({ colours, tolerance, timeoutMs }) =>
      new Promise<{ ids: string[]; ms: number[]; timedOut: boolean }>((resolve) => {
        const root = document.querySelector('videocall-room')!.shadowRoot!;
        const strip = () =>
          [...root.querySelectorAll<HTMLElement>('[part~="filmstrip"] [part~="tile-remote"]')].map((t) => t);
        const before = new Set(strip().map((t) => t.dataset.id));
        const copy = document.createElement('canvas');
        copy.width = copy.height = 8;
        const ctx = copy.getContext('2d', { willReadFrequently: true })!;
        const shown = new Map<string, number>();
        const colourOf = (tile: HTMLElement): number[] | null => {
          const video = tile.querySelector<HTMLVideoElement | HTMLCanvasElement>('[part~="video"]');
          const w = video instanceof HTMLVideoElement ? video.videoWidth : (video?.width ?? 0);
          const h = video instanceof HTMLVideoElement ? video.videoHeight : (video?.height ?? 0);
          if (!video || w === 0 || h === 0) return null;
          ctx.drawImage(video, w / 4, h / 4, w / 2, h / 2, 0, 0, 8, 8);
          const { data } = ctx.getImageData(0, 0, 8, 8);
          const sum = [0, 0, 0];
          for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += data[i + c]!;
          return sum.map((s) => s / 64);
        };
        const clicked = performance.now();
        root.querySelector<HTMLButtonElement>('[part~="next-page"]')!.click();
        const look = () => {
          const now = performance.now();
          const fresh = strip().filter((t) => !before.has(t.dataset.id));
          for (const tile of fresh) {
            const id = tile.dataset.id!;
            const want = colours[id];
            const got = colourOf(tile);
            if (!shown.has(id) && want && got && got.every((v, c) => Math.abs(v - want[c]!) <= tolerance))
              shown.set(id, now - clicked);
          }
          const ids = fresh.map((t) => t.dataset.id!);
          const done = ids.length > 0 && ids.every((id) => shown.has(id));
          if (done || now - clicked > timeoutMs)
            resolve({ ids, ms: ids.map((id) => shown.get(id) ?? Infinity), timedOut: !done });
          else requestAnimationFrame(look);
        };
        requestAnimationFrame(look);
      }),
    { colours, tolerance, timeoutMs },
  );
}

describe('a large room of real pictures: the right page of faces, the speaker large, pages turned in about a second', () => {
  /** Each simulated publisher's colour, by session id. */
  const colours: Record<string, Rgb> = {};
  const palette = distinctColours(PUBLISHERS);
  const clips: SimClip[] = [];
  const env = simRoom({
    room: 'e2e-pictures',
    count: PUBLISHERS,
    async prepare() {
      for (const colour of palette) clips.push(await colourClip(colour));
    },
    sim: (i) => ({
      name: `Face ${i}`,
      camera: true,
      layers: [CLIP_LAYER],
      clips: [clips[i]],
      // Only the speaker has a microphone: the others would add nothing but load.
      mic: i === SPEAKER,
      speaking: () => i === SPEAKER,
      // They watch nothing themselves: what the relay asks of them is what the page watches.
      view: { tiles: 0, page: 0, tileSize: { width: 320, height: 180 } },
    }),
    async beforePage({ sims }) {
      sims.forEach((sim, i) => (colours[sim.id] = palette[i]!));
    },
    query: 'name=Viewer&mic=off&camera=off&layout=speaker&max-tiles=5',
    viewport: { width: 1280, height: 800 },
    setupTimeoutMs: 180_000,
  });

  it('shows the active speaker large and the first page of faces, each tile the picture of whom it names', async () => {
    const speaker = env.sims[SPEAKER]!.id;
    const shown = await waitFor(
      'the speaker large and every strip tile showing its face',
      async () => {
        const now = await tileColours(env.page);
        const featured = now.tiles.find((t) => t.featured);
        const strip = now.tiles.filter((t) => !t.featured);
        const right =
          featured?.id === speaker &&
          near(featured.rgb, colours[speaker]!) &&
          strip.length > 0 &&
          strip.every((t) => near(t.rgb, colours[t.id]!));
        return right ? now : undefined;
      },
      60_000,
    );
    // The strip is the first page of everyone else, in the order they joined (the roster's).
    const others = env.sims.filter((s) => s.id !== speaker).map((s) => s.id);
    const strip = shown.tiles.filter((t) => !t.featured).map((t) => t.id);
    expect(strip).toEqual(others.slice(0, strip.length));
    expect(strip.length).toBeLessThanOrEqual(3); // max-tiles 5: the large tile, our own, at most 3 others
    expect(shown.status).toBe(`Page 1 of ${Math.ceil(others.length / strip.length)}`);
  }, 90_000);

  it('turning pages shows the next faces’ pictures within about a second of the click, page after page', async () => {
    const speaker = env.sims[SPEAKER]!.id;
    const others = env.sims.filter((s) => s.id !== speaker).map((s) => s.id);
    const perPage = (await tileColours(env.page)).tiles.filter((t) => !t.featured).length;
    const pages = Math.ceil(others.length / perPage);
    const delays: number[] = [];
    for (let p = 1; p < pages; p++) {
      const turned = await turnPageAndTime(env.page, colours, TOLERANCE, 10_000);
      expect(turned.timedOut, `page ${p + 1}: ${JSON.stringify(turned)}`).toBe(false);
      // The right faces: the next slice of the roster, each showing its own picture.
      expect(turned.ids).toEqual(others.slice(p * perPage, (p + 1) * perPage));
      delays.push(...turned.ms);
      const now = await tileColours(env.page);
      expect(now.status).toBe(`Page ${p + 1} of ${pages}`);
      const featured = now.tiles.find((t) => t.featured);
      expect(featured?.id).toBe(speaker);
      expect(near(featured!.rgb, colours[speaker]!)).toBe(true);
    }
    const sorted = [...delays].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(
      `page turns: click to each new face's first frame, median ${Math.round(median)} ms, max ${Math.round(sorted.at(-1)!)} ms (${delays.length} faces, ${pages - 1} turns)`,
    );
    expect(median).toBeLessThan(1000);
    expect(sorted.at(-1)!).toBeLessThan(1500);
  }, 120_000);
});
