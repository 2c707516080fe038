import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { SimParticipant } from '../../cli/sim/index.js';
import { waitFor } from './browser.js';
import { simRoom } from './sim-room.js';

/** Simulated publishers: 3 camera layers and a microphone each, speaking real protocol. */
const PUBLISHERS = 12;
/** The one who talks all the time (the relay names them the active speaker). */
const SPEAKER = 7;

/** What the page shows: the large tile, the remote camera tiles of the strip or grid, and the pager's status. */
interface Shown {
  featured: string | null;
  featuredActive: boolean;
  strip: string[];
  grid: string[];
  status: string;
}

function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const root = document.querySelector('videocall-room')!.shadowRoot!;
    const ids = (selector: string) => [...root.querySelectorAll<HTMLElement>(selector)].map((t) => t.dataset.id ?? '');
    const featured = root.querySelector<HTMLElement>('[part~="featured"] [part~="tile"]');
    return {
      featured: featured?.dataset.id ?? null,
      featuredActive:
        !!featured?.matches('[part~="active-speaker"]') && !!featured.querySelector('[part~="speaking-indicator"]'),
      strip: ids('[part~="filmstrip"] [part~="tile-remote"]'),
      grid: ids('[part~="grid"] [part~="tile-remote"]'),
      status: root.querySelector('[part~="page-status"]')?.textContent?.trim() ?? '',
    };
  });
}

describe('a large room in one page: active speaker large, a page of tiles, pages turned', () => {
  const byId = new Map<string, SimParticipant>();
  const env = simRoom({
    room: 'e2e-large',
    count: PUBLISHERS,
    sim: (i) => ({
      name: `Sim ${i}`,
      camera: true,
      mic: true,
      speaking: i === SPEAKER ? () => true : () => false,
      // They watch nothing themselves: what the relay asks of them is what the page watches.
      view: { tiles: 0, page: 0, tileSize: { width: 320, height: 180 } },
    }),
    query: 'name=Viewer&mic=off&camera=off&layout=speaker&max-tiles=5',
    viewport: { width: 1280, height: 800 },
    async beforePage({ chromium, sims }) {
      for (const sim of sims) byId.set(sim.id, sim);
      // Every vc-active-speaker the element fires (it bubbles out of the shadow root), from the page's start.
      await chromium.context.addInitScript(() => {
        const seen: (string | null)[] = [];
        (globalThis as unknown as { speakerEvents: (string | null)[] }).speakerEvents = seen;
        document.addEventListener('vc-active-speaker', (e) =>
          seen.push((e as Event & { participantId: string | null }).participantId),
        );
      });
    },
  });

  /** The simulated publishers whose video the relay asks for now (someone, i.e. the page, watches them), and at which layers. */
  const watched = (): Map<string, number[]> =>
    new Map(
      env.sims.filter((s) => s.stats.demanded.length > 0).map((s) => [s.id, [...s.stats.demanded].sort()] as const),
    );

  it('names the active speaker (property and typed event) and shows them large, with a speaking sign', async () => {
    const speaker = env.sims[SPEAKER]!.id;
    const reported = await waitFor(
      'the active speaker',
      async () => {
        const id = await env.page.evaluate(() => document.querySelector('videocall-room')?.activeSpeaker ?? null);
        return id ?? undefined;
      },
      60_000,
    );
    expect(reported).toBe(speaker);
    const events = await env.page.evaluate(
      () => (globalThis as unknown as { speakerEvents: (string | null)[] }).speakerEvents,
    );
    expect(events.at(-1)).toBe(speaker);
    const s = await waitFor('the speaker large', async () => {
      const now = await shown(env.page);
      return now.featured === speaker && now.featuredActive ? now : undefined;
    });
    // The large tile receives the large layer; the strip's tiles the smallest.
    const layers = await waitFor('the relay to apply the subscription', async () => {
      const w = watched();
      return w.get(speaker)?.[0] === 0 && s.strip.every((id) => w.get(id)?.join() === '2') ? w : undefined;
    });
    expect([...layers.keys()].sort()).toEqual([speaker, ...s.strip].sort());
  }, 90_000);

  it('shows one page of the strip, pages the rest, and a page turned shows new faces within about a second', async () => {
    const speaker = env.sims[SPEAKER]!.id;
    const first = await shown(env.page);
    const perPage = first.strip.length;
    expect(perPage).toBeGreaterThanOrEqual(1);
    expect(perPage).toBeLessThanOrEqual(3); // max-tiles 5: the large tile, our own, and at most 3 others
    const pages = Math.ceil((PUBLISHERS - 1) / perPage);
    expect(first.status).toBe(`Page 1 of ${pages}`);
    expect(first.strip).not.toContain(speaker);

    // Keyboard: the next-page button is focusable and turns the page with Enter.
    await env.page.focus('videocall-room >> [part~="next-page"]');
    const turnedAt = Date.now();
    await env.page.keyboard.press('Enter');
    const second = await waitFor(
      'the relay to forward the new page',
      async () => {
        const now = await shown(env.page);
        if (now.strip.length === 0 || now.strip.some((id) => first.strip.includes(id))) return undefined;
        const w = watched();
        const relayed = now.strip.every((id) => w.has(id)) && first.strip.every((id) => !w.has(id));
        return relayed ? now : undefined;
      },
      10_000,
      50,
    );
    const ms = Date.now() - turnedAt;
    console.log(`page turned: new faces subscribed at the relay after ${ms} ms`);
    expect(ms).toBeLessThan(2000);
    expect(second.status).toBe(`Page 2 of ${pages}`);
    expect(second.featured).toBe(speaker);
    expect(second.strip.length).toBe(perPage);
  }, 60_000);

  it('the grid with max-tiles pages too, keeping the active speaker in view, and unsubscribes the rest', async () => {
    const speaker = env.sims[SPEAKER]!.id;
    await env.page.evaluate(() => {
      const el = document.querySelector('videocall-room')!;
      el.layout = 'grid';
      el.maxTiles = 6;
    });
    const grid = await waitFor('a page of the grid', async () => {
      const now = await shown(env.page);
      return now.featured === null && now.grid.length === 5 ? now : undefined;
    });
    expect(grid.grid).toContain(speaker);
    expect(grid.status).toMatch(/^Page \d+ of 3$/);
    const w = await waitFor('only the page watched', async () => {
      const now = watched();
      return now.size === 5 ? now : undefined;
    });
    expect([...w.keys()].sort()).toEqual([...grid.grid].sort());
  }, 60_000);
});
