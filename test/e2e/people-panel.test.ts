// The People panel in a larger room: one Chromium page among simulated participants (cli/sim, real
// protocol), whose clear audio levels make the relay name active speakers.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { waitFor } from './browser.js';
import { simRoom } from './sim-room.js';

const SIMS = 10;
/** The simulated participant who speaks while `talking` is true. */
const TALKER = 3;

interface Row {
  id: string;
  name: string;
  speaking: boolean;
  signs: string[];
}

function panelRows(page: Page): Promise<Row[]> {
  return page.evaluate(() => {
    const root = document
      .querySelector('videocall-room')
      ?.shadowRoot?.querySelector('videocall-people-panel')?.shadowRoot;
    return [...(root?.querySelectorAll<HTMLElement>('[part~="person"]') ?? [])].map((row) => ({
      id: row.dataset.id ?? '',
      name: row.querySelector('[part~="person-name"]')?.textContent?.trim() ?? '',
      speaking: row.matches('[part~="person-speaking"]'),
      signs: [...row.querySelectorAll('[part~="indicator"]')].map((s) => s.getAttribute('aria-label') ?? ''),
    }));
  });
}

describe('People panel in a room of simulated participants', () => {
  let talking = true;
  const env = simRoom({
    room: 'e2e-people',
    count: SIMS,
    sim: (i) => ({
      name: `Sim ${i}`,
      camera: true,
      mic: true,
      speaking: i === TALKER ? () => talking : () => false,
      view: { tiles: 0, page: 0, tileSize: { width: 320, height: 180 } },
    }),
    query: 'name=Viewer&mic=off&camera=off&max-tiles=4',
    viewport: { width: 1280, height: 800 },
    ready: {
      what: 'the page to join and see everyone',
      check: async (page) =>
        (await page.evaluate(() => document.querySelector('videocall-room')?.participants.length)) === SIMS,
    },
  });

  it('lists everyone, shows who speaks live (about 4 updates a second) without rebuilding the list', async () => {
    await env.page.click('videocall-room >> [part~="people-button"]');
    const rows = await waitFor('the panel', async () => {
      const r = await panelRows(env.page);
      return r.length === SIMS + 1 ? r : undefined;
    });
    expect(rows[0]!.name).toBe('Viewer (you)');
    // Then by name.
    expect(rows.slice(1).map((r) => r.name)).toEqual(env.sims.map((_, i) => `Sim ${i}`));
    const talker = env.sims[TALKER]!.id;
    const speakingRow = await waitFor(
      'the talker shown speaking',
      async () => (await panelRows(env.page)).find((r) => r.id === talker && r.speaking),
      20_000,
    );
    expect(speakingRow.signs).toContain('Speaking');
    expect((await panelRows(env.page)).filter((r) => r.speaking).map((r) => r.id)).toEqual([talker]);

    // Watch the list: rows are updated in place, never replaced, while the speaking sign goes.
    await env.page.evaluate(() => {
      const list = document
        .querySelector('videocall-room')!
        .shadowRoot!.querySelector('videocall-people-panel')!
        .shadowRoot!.querySelector('[part~="people-list"]')!;
      const w = globalThis as unknown as { rowsReplaced: number; speakingChanges: number };
      w.rowsReplaced = 0;
      w.speakingChanges = 0;
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.type === 'childList' && r.target === list)
            w.rowsReplaced += r.addedNodes.length + r.removedNodes.length;
          if (r.type === 'attributes' && r.attributeName === 'data-speaking') w.speakingChanges++;
        }
      }).observe(list, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-speaking'] });
    });
    talking = false;
    const quietAt = Date.now();
    await waitFor(
      'the talker shown quiet once the relay stops naming them',
      async () => ((await panelRows(env.page)).find((r) => r.id === talker)?.speaking === false ? true : undefined),
      20_000,
    );
    const counts = await env.page.evaluate(() => {
      const w = globalThis as unknown as { rowsReplaced: number; speakingChanges: number };
      return { rowsReplaced: w.rowsReplaced, speakingChanges: w.speakingChanges };
    });
    // Rows updated in place; the sign changed, at most once per poll (every 250 ms) while it settled.
    expect(counts.rowsReplaced).toBe(0);
    expect(counts.speakingChanges).toBeGreaterThanOrEqual(1);
    expect(counts.speakingChanges).toBeLessThanOrEqual(Math.ceil((Date.now() - quietAt) / 250) + 1);
  }, 60_000);

  it('finds someone by name among eleven and brings their page of the grid into view', async () => {
    const last = env.sims[SIMS - 1]!.id;
    const gridIds = () =>
      env.page.evaluate(() =>
        [
          ...document
            .querySelector('videocall-room')!
            .shadowRoot!.querySelectorAll<HTMLElement>('[part~="grid"] [part~="tile-remote"]'),
        ].map((t) => t.dataset.id ?? ''),
      );
    expect(await gridIds()).not.toContain(last);
    await env.page.fill('videocall-room >> [part~="people-filter"]', 'sim 9');
    await waitFor('the search', async () => {
      const rows = await panelRows(env.page);
      return rows.length === 1 && rows[0]!.id === last ? true : undefined;
    });
    await env.page.focus(`videocall-room >> [data-id="${last}"] [part~="person-show"]`);
    await env.page.keyboard.press('Enter');
    await waitFor('their tile in view', async () => ((await gridIds()).includes(last) ? true : undefined));
    const status = await env.page.evaluate(
      () =>
        document.querySelector('videocall-room')!.shadowRoot!.querySelector('[part~="page-status"]')?.textContent ?? '',
    );
    expect(status).not.toContain('Page 1 of');
  }, 60_000);
});
