import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startRelay, type Relay } from '../../server/relay.js';
import { launchChromium, readRemoteTiles, waitFor, type TestBrowser, type TileLook } from './browser.js';

const NAMES = ['Ada', 'Grace', 'Linus'];

/** Tiles that show a live picture: not flat, at a real size. */
function liveTiles(tiles: TileLook[]): TileLook[] {
  return tiles.filter((t) => t.width >= 160 && t.height >= 90 && t.lumaSpread > 8);
}

function changed(a: TileLook, b: TileLook): number {
  let differing = 0;
  for (let i = 0; i < a.samples.length; i++) if (Math.abs(a.samples[i]! - (b.samples[i] ?? 0)) > 6) differing++;
  return differing;
}

describe('a call between three browsers through a real relay', () => {
  let relay: Relay;
  let chromium: TestBrowser;
  const pages: Page[] = [];

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    for (const name of NAMES) pages.push(await chromium.newPage(`${relay.url}/?room=e2e-three&name=${name}`));
  });

  afterAll(async () => {
    await chromium?.close();
    await relay?.close();
  });

  it('shows every page two live remote tiles whose pictures change', async () => {
    for (const [i, page] of pages.entries()) {
      const first = await waitFor(`two live remote tiles on ${NAMES[i]}'s page`, async () => {
        const live = liveTiles(await readRemoteTiles(page));
        return live.length === 2 ? live : undefined;
      });
      expect(first.map((t) => t.name).sort()).toEqual(NAMES.filter((_, j) => j !== i).sort());
      // The fake camera animates: a second look a moment later differs for each tile.
      await waitFor(`moving pictures on ${NAMES[i]}'s page`, async () => {
        const later = liveTiles(await readRemoteTiles(page));
        const moving = first.filter((tile) => {
          const again = later.find((t) => t.id === tile.id);
          return again && changed(tile, again) > 0;
        });
        return moving.length === 2 ? true : undefined;
      });
    }
  });

  it('plays every remote participant’s audio with energy', async () => {
    for (const [i, page] of pages.entries()) {
      // The fake microphone beeps now and then: look at the played level for a few seconds.
      const heard = new Map<string, number>();
      await waitFor(
        `audio from both others on ${NAMES[i]}'s page`,
        async () => {
          for (const tile of await readRemoteTiles(page))
            heard.set(tile.id, Math.max(heard.get(tile.id) ?? 0, tile.audioLevel));
          const loud = [...heard.values()].filter((level) => level > 0.01);
          return loud.length === 2 ? true : undefined;
        },
        20_000,
        50,
      );
    }
  });

  it('estimates each remote’s glass-to-glass and mouth-to-ear delay from the capture times in the frames, and says how long joining took', async () => {
    const estimates = async (page: Page) => {
      const info = await page.evaluate(() => document.querySelector('videocall-room')!.participants);
      return info.length === 2 && info.every((p) => p.videoDelayMs !== null && p.audioDelayMs !== null)
        ? info
        : undefined;
    };
    for (const [i, page] of pages.entries())
      await waitFor(`delay estimates on ${NAMES[i]}'s page`, () => estimates(page));
    // Judged once the call has settled: the first estimates include the start (decoders warming up,
    // buffers filling while three pages start on two cores), which is not the delay of the call.
    await new Promise((r) => setTimeout(r, 3000));
    for (const [i, page] of pages.entries()) {
      // Normally at once; a page that reconnected meanwhile (its pings late on a starved machine) has
      // fresh remotes whose estimates come with their next frames. What the page knows goes in the error.
      const delays = await waitFor(
        `delay estimates on ${NAMES[i]}'s page after the call settled`,
        async () => {
          const now = await estimates(page);
          if (now) return now;
          throw new Error(
            JSON.stringify(await page.evaluate(() => document.querySelector('videocall-room')!.participants)),
          );
        },
        10_000,
      );
      console.log(
        `[delays] ${NAMES[i]} sees ` +
          delays.map((p) => `${p.name}: video ${p.videoDelayMs} ms, audio ${p.audioDelayMs} ms`).join('; '),
      );
      const joinTimes = await page.evaluate(() => document.querySelector('videocall-room')!.joinTimes!);
      console.log(`[join] ${NAMES[i]}: ${JSON.stringify(joinTimes)}`);
      expect(joinTimes.joinedMs).toBeGreaterThan(0);
      expect(joinTimes.firstVideoMs).toBeGreaterThan(joinTimes.joinedMs!);
      expect(joinTimes.firstAudioMs).toBeGreaterThan(joinTimes.joinedMs!);
      // Loose bounds: positive (one clock, estimated right) and not absurd on a loaded 2-core machine.
      for (const p of delays) {
        expect(p.videoDelayMs!).toBeGreaterThan(0);
        expect(p.videoDelayMs!).toBeLessThan(3000);
        expect(p.audioDelayMs!).toBeGreaterThan(0);
        expect(p.audioDelayMs!).toBeLessThan(3000);
      }
    }
  });

  it('removes the tile of a participant who leaves from the others’ pages', async () => {
    const leaver = pages[2]!;
    await leaver.evaluate(() => document.querySelector('videocall-room')!.leave());
    for (const page of pages.slice(0, 2)) {
      await waitFor('the leaver’s tile to go', async () => {
        const tiles = await readRemoteTiles(page);
        return tiles.length === 1 && tiles[0]!.name === NAMES[page === pages[0] ? 1 : 0] ? true : undefined;
      });
    }
    const leftState = await leaver.evaluate(() => document.querySelector('videocall-room')!.state);
    expect(leftState).toBe('left');
  });
});
