// The classic-script build (dist/videocall-room.iife.js) as a CMS embed uses it: pages
// with no module script at all, served by the relay beside the module; and a page that
// loads two copies of the bundle, as two embeds on one page do.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../server/relay.js';
import { readRemoteTiles, waitFor, type TestBrowser } from './browser.js';
import { startPageSite, type PageSite } from './page-site.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const OTHER_VERSION = '0.0.1-other';

/** A CMS page: one classic script tag and the element; room and name from the query. */
const CLASSIC_PAGE = `<!doctype html><meta charset="utf-8"><title>classic embed</title>
<script src="/videocall-room.iife.js"></script>
<videocall-room></videocall-room>
<script>
  var q = new URLSearchParams(location.search);
  var el = document.querySelector('videocall-room');
  el.setAttribute('name', q.get('name'));
  el.setAttribute('room', q.get('room'));
</script>`;

/** The module first, then the classic script `?classic=` names; what the page logs is read by the test. */
const TWO_COPIES_PAGE = `<!doctype html><meta charset="utf-8"><title>two copies</title>
<script type="module" src="/videocall-room.js"></script>
<script type="module">
  await customElements.whenDefined('videocall-room');
  const script = document.createElement('script');
  script.src = '/' + new URLSearchParams(location.search).get('classic');
  script.onload = () => { window.classicLoaded = true; };
  document.head.append(script);
</script>`;

describe('the classic-script build', () => {
  let site: PageSite;
  let relay: Relay;
  let chromium: TestBrowser;

  beforeAll(async () => {
    // Another version of the same bundle, as an older embed elsewhere on the page would be.
    const iife = readFileSync(join(ROOT, 'dist', 'videocall-room.iife.js'), 'utf8');
    const literal = JSON.stringify(VERSION);
    expect(iife.split(literal).length - 1, 'the version literal, once').toBe(1);
    site = await startPageSite('classic', {
      'classic.html': CLASSIC_PAGE,
      'two-copies.html': TWO_COPIES_PAGE,
      'other-version.iife.js': iife.replace(literal, JSON.stringify(OTHER_VERSION)),
    });
    ({ relay, chromium } = site);
  });
  afterAll(() => site?.close());

  it('defines the element and joins a call from a page with no module script', async () => {
    const room = 'classic-embed';
    const pages: Page[] = [];
    for (const name of ['Ada', 'Grace'])
      pages.push(await chromium.newPage(`${relay.url}/classic.html?room=${room}&name=${name}`));
    for (const page of pages) {
      expect(await page.evaluate(() => document.querySelectorAll('script[type="module"]').length)).toBe(0);
      const defined = await page.evaluate(() => ({
        version: (customElements.get('videocall-room') as unknown as { version?: string } | undefined)?.version,
        global: typeof (window as unknown as { VideocallRoom?: { Room?: unknown } }).VideocallRoom?.Room,
      }));
      expect(defined).toEqual({ version: VERSION, global: 'function' });
    }
    // Each sees the other: a remote tile whose picture is not blank (the fake camera's pattern).
    for (const [i, page] of pages.entries()) {
      const other = i === 0 ? 'Grace' : 'Ada';
      await waitFor(
        `${other}'s picture on the other page`,
        async () => {
          const tiles = await readRemoteTiles(page);
          return tiles.length === 1 && tiles[0]!.name === other && tiles[0]!.lumaSpread > 5 ? true : undefined;
        },
        60_000,
      );
    }
    for (const page of pages) await page.close();
  });

  it('warns with both versions when a second, different version loads; the same version again is silent', async () => {
    const watch = async (classic: string) => {
      const page = await chromium.context.newPage();
      const warnings: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'warning') warnings.push(message.text());
      });
      await page.goto(`${relay.url}/two-copies.html?classic=${classic}`);
      await waitFor(`${classic} to load`, () =>
        page.evaluate(() => (window as unknown as { classicLoaded?: true }).classicLoaded),
      );
      const kept = await page.evaluate(
        () => (customElements.get('videocall-room') as unknown as { version: string }).version,
      );
      await page.close();
      return { warnings: warnings.filter((w) => w.includes('videocall-room')), kept };
    };

    const other = await watch('other-version.iife.js');
    expect(other.kept).toBe(VERSION);
    expect(other.warnings).toHaveLength(1);
    expect(other.warnings[0]).toContain(`videocall-room ${OTHER_VERSION} was loaded`);
    expect(other.warnings[0]).toContain(`videocall-room ${VERSION} already defines <videocall-room>`);

    const same = await watch('videocall-room.iife.js');
    expect(same).toEqual({ warnings: [], kept: VERSION });
  });
});
