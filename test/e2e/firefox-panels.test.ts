/**
 * The element's own UI in real headless Firefox (Debian's firefox-esr over WebDriver BiDi), driven
 * as a person drives it: clicks and keys on the controls inside the shadow DOM, not the JS API.
 * Fiona (Firefox) joins through the pre-join screen, then meets Chris (Chromium) through a real
 * relay; in Firefox: the Tab order and focus rings, the chat, People, settings and statistics
 * panels (each a chunk fetched when first opened), and axe-core with each panel open.
 * One Firefox page for the whole file: the steps follow one another as in one call.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page as FirefoxPage } from 'puppeteer-core';
import type { Page } from 'playwright-core';
import { AXE_RUN_OPTIONS, describeViolation, type AxeViolation } from '../shared/axe-audit.js';
import { relayAndChromium, waitFor } from './browser.js';
import { firefoxPage, hasFirefox, launchFirefox, pictureMoves } from './firefox.js';

const ROOM = 'ff-panels';
/** Where the screenshots go, to look at (one per panel). */
const shot = (name: string) => `/tmp/ff-panels-${name}.png`;

/** Records `vc-message` texts, from before the element joins (both browsers). */
function recordInPage(): void {
  const w = window as unknown as { vcTexts: string[] };
  w.vcTexts = [];
  document.addEventListener('vc-message', (e) => w.vcTexts.push((e as Event & { text?: string }).text ?? ''));
}

const textsOf = (page: Page): Promise<string[]> =>
  page.evaluate(() => (window as unknown as { vcTexts: string[] }).vcTexts);

/** `>>>` pierces every shadow root (puppeteer's deep combinator): the element's and its panels'. */
const deep = (part: string) => `>>> [part~="${part}"]`;

/** Clicks a part as a person would (puppeteer waits for it to be visible, stable and enabled). */
const click = (page: FirefoxPage, part: string) => page.locator(deep(part)).click();

/** The texts of every node of a part, through the shadow roots. */
const textsIn = (page: FirefoxPage, part: string): Promise<string[]> =>
  page.$$eval(deep(part), (nodes) => nodes.map((n) => n.textContent?.trim() ?? ''));

const count = async (page: FirefoxPage, part: string): Promise<number> => (await page.$$(deep(part))).length;

/** What has the keyboard focus, down through the shadow roots, and how it is drawn. */
function focusedInPage(): { part: string; outline: string; width: number; focusVisible: boolean } | null {
  let el = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {
    part: el.getAttribute('part') ?? `${el.localName}#${el.id}`,
    outline: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    focusVisible: el.matches(':focus-visible'),
  };
}

const focused = (page: FirefoxPage) => page.evaluate(focusedInPage);

/** Tabs from the demo page's own button (just before the element) to a part, as a keyboard user gets there. */
async function tabTo(page: FirefoxPage, part: string): Promise<void> {
  await page.focus('#copy-link');
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    if ((await focused(page))?.part.split(' ').includes(part)) return;
  }
  throw new Error(`Tab never reached ${part}`);
}

/** axe-core's source, injected into the Firefox page as a site would load it. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The violations axe finds in the element (shadow trees included), one line each (the browser tests' rules). */
async function axeViolations(page: FirefoxPage): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const found = await page.evaluate(async (options) => {
    const axe = (
      window as unknown as { axe: { run(el: Element, options: object): Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    return (await axe.run(document.querySelector('videocall-room')!, options)).violations;
  }, AXE_RUN_OPTIONS);
  return found.map(describeViolation);
}

/** In both themes (Firefox headless prefers light; the demo page is dark): no violations. */
async function expectAccessible(page: FirefoxPage, what: string): Promise<void> {
  for (const theme of ['dark', 'light']) {
    await page.evaluate(async (t) => {
      const el = document.querySelector('videocall-room')!;
      el.setAttribute('theme', t);
      await el.updateComplete;
    }, theme);
    expect(await axeViolations(page), `${what}, ${theme} theme`).toEqual([]);
  }
  await page.evaluate(() => document.querySelector('videocall-room')!.removeAttribute('theme'));
}

/** The lazy chunks (dist/chunks/) this page fetched so far, by name without the hash. */
const chunksFetched = (page: FirefoxPage): Promise<string[]> =>
  page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => /\/chunks\/([a-z-]+)-[\w-]+\.js$/.exec(e.name)?.[1])
      .filter((n): n is string => !!n),
  );

const stateOf = (page: FirefoxPage) => page.evaluate(() => document.querySelector('videocall-room')!.state);

describe.skipIf(!hasFirefox())('the element’s panels and controls in Firefox, in a call with Chromium', () => {
  const env = relayAndChromium();
  let firefox: Browser;
  let fiona: FirefoxPage;
  let chris: Page;
  let chrisId = '';

  beforeAll(async () => {
    firefox = await launchFirefox();
    await env.chromium.context.addInitScript(recordInPage);
  });

  afterAll(async () => {
    await firefox?.close();
  });

  it('pre-join in Firefox: camera preview, a name is asked for, Join joins', async () => {
    // `prejoin` and no name (the demo passes attributes from the query).
    fiona = await firefoxPage(firefox, `${env.relay.url}/?room=${ROOM}&prejoin&name=`, recordInPage);
    fiona.setDefaultTimeout(15_000);
    await fiona.setViewport({ width: 960, height: 600 });
    // The preview plays Firefox's fake camera: a flat colour that drifts.
    const look = () =>
      fiona.$eval(deep('prejoin-video'), (v) => {
        const video = v as HTMLVideoElement;
        if (video.videoWidth === 0 || video.hidden) return null;
        const c = document.createElement('canvas');
        c.width = c.height = 8;
        const ctx = c.getContext('2d', { willReadFrequently: true })!;
        ctx.drawImage(video, 0, 0, 8, 8);
        return [...ctx.getImageData(0, 0, 8, 8).data];
      });
    const first = await waitFor('the camera preview', async () => {
      const px = await look();
      return px && px.some((v, i) => i % 4 !== 3 && v > 20) ? px : undefined;
    });
    await waitFor('the preview to move', async () =>
      (await look())?.some((v, i) => Math.abs(v - first[i]!) > 6) ? true : undefined,
    );
    expect(await chunksFetched(fiona)).toContain('prejoin-panel');
    expect(await fiona.$eval(deep('camera-select'), (s) => (s as HTMLSelectElement).options.length)).toBeGreaterThan(0);
    // The preview is no Tab stop (Firefox makes a <video> one unless told not to): name field, then Join's way.
    expect(await fiona.$eval(deep('prejoin-video'), (v) => (v as HTMLVideoElement).tabIndex)).toBe(-1);
    await expectAccessible(fiona, 'pre-join');
    await fiona.screenshot({ path: shot('prejoin') });

    // Join without a name: refused, said in words; then with one, by the keyboard.
    await click(fiona, 'prejoin-join');
    await waitFor('the missing name said', async () => ((await textsIn(fiona, 'prejoin-error'))[0] ? true : undefined));
    expect(await stateOf(fiona)).toBe('idle');
    expect((await focused(fiona))?.part).toBe('prejoin-name');
    await fiona.keyboard.type('Fiona');
    await fiona.keyboard.press('Enter');
    await waitFor('Fiona to join', async () => ((await stateOf(fiona)) === 'joined' ? true : undefined));

    chris = await env.chromium.newPage(`${env.relay.url}/?room=${ROOM}&name=Chris`);
    const seen = await pictureMoves(chris, 'Fiona', true);
    await pictureMoves(fiona, 'Chris');
    chrisId = await fiona.evaluate(() => document.querySelector('videocall-room')!.participants[0]!.id);
    expect(seen.name).toBe('Fiona');
  }, 90_000);

  it('Tab goes through the controls in order, each with a visible focus ring; Space and Enter act', async () => {
    await fiona.focus('#copy-link'); // the demo page's own button, just before the element
    const order: string[] = [];
    for (let i = 0; i < 12 && order.at(-1) !== 'leave-button'; i++) {
      await fiona.keyboard.press('Tab');
      const f = await focused(fiona);
      expect(f, `Tab ${i + 1} left the page`).not.toBeNull();
      const part = f!.part.replace(/^(control|action) /, '');
      order.push(part);
      expect(f!.focusVisible, `${part} focused without :focus-visible`).toBe(true);
      expect(f!.outline, `the focus ring on ${part}`).toBe('solid');
      expect(f!.width).toBeGreaterThanOrEqual(2);
    }
    // "Click to hear the call" comes first where the page may not play sound yet (no sound server here).
    expect(order.filter((p) => p !== 'hear-button')).toEqual([
      'mic-button',
      'camera-button',
      'screen-button', // Firefox can share a screen
      'settings-button',
      'hand-button',
      'people-button',
      'chat-button',
      'leave-button',
    ]);
    // Back to the hand (Shift+Tab from Leave): Space raises it, Space again lowers it.
    const back = async (times: number) => {
      await fiona.keyboard.down('Shift');
      for (let i = 0; i < times; i++) await fiona.keyboard.press('Tab');
      await fiona.keyboard.up('Shift');
    };
    await back(3);
    expect((await focused(fiona))?.part).toContain('hand-button');
    const pressed = () => fiona.$eval(deep('hand-button'), (b) => b.getAttribute('aria-pressed'));
    await fiona.keyboard.press(' ');
    await waitFor('Space to raise the hand', async () => ((await pressed()) === 'true' ? true : undefined));
    await fiona.keyboard.press(' ');
    await waitFor('Space to lower it', async () => ((await pressed()) === 'false' ? true : undefined));
    await fiona.keyboard.press('Tab');
    await fiona.keyboard.press('Tab');
    expect((await focused(fiona))?.part).toContain('chat-button');
    expect(await chunksFetched(fiona)).not.toContain('chat-panel');
    await fiona.keyboard.press('Enter');
    // The panel is a chunk fetched now; the focus lands in its message box.
    await waitFor('focus in the message box', async () =>
      (await focused(fiona))?.part === 'chat-input' ? true : undefined,
    );
    expect(await chunksFetched(fiona)).toContain('chat-panel');
  });

  it('chat: typed and sent in Firefox, read in Chromium; the answer shows; unread badge while closed', async () => {
    await fiona.keyboard.type('Hello Chris, from Firefox');
    await fiona.keyboard.press('Enter');
    await waitFor('Chris to read Fiona', async () =>
      (await textsOf(chris)).includes('Hello Chris, from Firefox') ? true : undefined,
    );
    expect(await textsIn(fiona, 'chat-text')).toEqual(['Hello Chris, from Firefox']);

    await chris.locator('[part~="chat-button"]').click();
    await chris.locator('[part~="chat-input"]').fill('Hi Fiona, I read you.');
    await chris.locator('[part~="chat-input"]').press('Enter');
    await waitFor('Chris’s answer in Fiona’s panel', async () =>
      (await textsIn(fiona, 'chat-text')).includes('Hi Fiona, I read you.') ? true : undefined,
    );
    expect(await textsIn(fiona, 'chat-sender')).toEqual(['You', 'Chris']);
    expect(await count(fiona, 'badge')).toBe(0);
    await expectAccessible(fiona, 'chat open');
    await fiona.screenshot({ path: shot('chat') });

    // Closed: the next message puts a badge on the button, also in its name.
    await click(fiona, 'chat-button');
    await waitFor('the panel closed', async () => ((await count(fiona, 'chat')) === 0 ? true : undefined));
    await chris.locator('[part~="chat-input"]').fill('Are you there?');
    await chris.locator('[part~="chat-send"]').click();
    await waitFor('the unread badge', async () => ((await textsIn(fiona, 'badge'))[0] === '1' ? true : undefined));
    expect(await fiona.$eval(deep('chat-button'), (b) => b.getAttribute('aria-label'))).toMatch(/1 unread/);
    await click(fiona, 'chat-button');
    await waitFor('the message in the panel', async () =>
      (await textsIn(fiona, 'chat-text')).includes('Are you there?') ? true : undefined,
    );
    expect(await count(fiona, 'badge')).toBe(0);
    await click(fiona, 'chat-close');
    await waitFor('the panel closed', async () => ((await count(fiona, 'chat')) === 0 ? true : undefined));
  });

  it('People: both names with microphone and camera; a hand raised in Firefox shows at Chris', async () => {
    await click(fiona, 'people-button');
    const rows = () =>
      fiona.$$eval(deep('person'), (nodes) =>
        nodes.map((row) => ({
          name: row.querySelector('[part~="person-name"]')?.textContent?.trim() ?? '',
          signs: [...row.querySelectorAll('[part~="indicator"]')].map((s) => s.getAttribute('aria-label') ?? ''),
        })),
      );
    const both = await waitFor('both rows', async () => {
      const r = await rows();
      return r.length === 2 ? r : undefined;
    });
    expect(both.map((r) => r.name)).toEqual(['Fiona (you)', 'Chris']);
    for (const row of both) expect(row.signs).toEqual(expect.arrayContaining(['Microphone on', 'Camera on']));
    expect(await chunksFetched(fiona)).toContain('people-panel');

    // Chris turns his camera off: Fiona's list follows.
    await chris.locator('[part~="camera-button"]').click();
    await waitFor('Chris’s camera off in the list', async () =>
      (await rows()).find((r) => r.name === 'Chris')?.signs.includes('Camera off') ? true : undefined,
    );
    await chris.locator('[part~="camera-button"]').click();

    // Fiona raises her hand: on her row, and on her tile at Chris.
    await click(fiona, 'hand-button');
    expect(await fiona.$eval(deep('hand-button'), (b) => b.getAttribute('aria-pressed'))).toBe('true');
    const sign = chris.locator('[part~="tile-remote"] [part~="hand-raised"]');
    await waitFor('the hand on Fiona’s tile at Chris', async () => ((await sign.count()) === 1 ? true : undefined));
    expect(await sign.getAttribute('aria-label')).toBe('Hand raised');
    await waitFor('the hand on Fiona’s row', async () =>
      (await rows())[0]?.signs.some((s) => /hand/i.test(s)) ? true : undefined,
    );
    await expectAccessible(fiona, 'People open, hand raised');
    await fiona.screenshot({ path: shot('people') });
    // Lowered from the panel's own button.
    await click(fiona, 'lower-hand');
    await waitFor('the hand gone at Chris', async () => ((await sign.count()) === 0 ? true : undefined));
    await click(fiona, 'people-close');
    await waitFor('the panel closed', async () => ((await count(fiona, 'people-panel')) === 0 ? true : undefined));
  });

  it('settings: Firefox’s fake camera and microphone listed; choosing one keeps the call going', async () => {
    // By the keyboard: Enter on the button, the focus lands on the camera picker, shown as such.
    await tabTo(fiona, 'settings-button');
    await fiona.keyboard.press('Enter');
    const picker = await waitFor('focus on the camera picker', async () => {
      const f = await focused(fiona);
      return f?.part.includes('camera-select') ? f : undefined;
    });
    expect(picker.focusVisible).toBe(true);
    expect(picker.outline).toBe('solid');
    const devices = await fiona.evaluate(async () =>
      (await navigator.mediaDevices.enumerateDevices()).map((d) => ({ kind: d.kind, id: d.deviceId, label: d.label })),
    );
    const options = (part: string) =>
      fiona.$eval(deep(part), (s) =>
        [...(s as HTMLSelectElement).options].map((o) => ({ id: o.value, label: o.text })),
      );
    for (const [part, kind] of [
      ['camera-select', 'videoinput'],
      ['mic-select', 'audioinput'],
    ] as const) {
      const listed = await options(part);
      const real = devices.filter((d) => d.kind === kind);
      expect(real.length, `Firefox offers no ${kind}`).toBeGreaterThan(0);
      expect(listed).toEqual(real.map((d) => ({ id: d.id, label: d.label })));
      expect(listed.every((o) => o.label.length > 0)).toBe(true); // named: permission was given
    }
    // Firefox chooses its own output: the panel says so instead of a picker.
    expect(await count(fiona, 'speaker-select')).toBe(0);
    expect(await count(fiona, 'setting-note')).toBe(1);
    await expectAccessible(fiona, 'settings open');
    await fiona.screenshot({ path: shot('settings') });

    // Firefox's fake devices are one of each: choosing the last entry of each is choosing it again,
    // which makes the element open that device by its id.
    for (const part of ['camera-select', 'mic-select']) {
      const last = (await options(part)).at(-1)!.id;
      await (await fiona.$(deep(part)))!.select(last);
    }
    const camera = (await options('camera-select')).at(-1)!.id;
    await waitFor('the camera chosen', async () =>
      (await fiona.evaluate(() => document.querySelector('videocall-room')!.selectedDevices.camera)) === camera
        ? true
        : undefined,
    );
    expect(await fiona.evaluate(() => document.querySelector('videocall-room')!.state)).toBe('joined');
    expect(
      await fiona.evaluate(
        () => document.querySelector('videocall-room')!.roomClient!.local.videoTrack?.readyState ?? 'none',
      ),
    ).toBe('live');
    await pictureMoves(chris, 'Fiona', true);
  });

  it('statistics: figures for Chris (codec, frame rate, resolution) and the transport', async () => {
    await click(fiona, 'stats-button');
    const figures = () =>
      fiona.$$eval(
        deep('stats-table'),
        (tables, id) => {
          const table = tables.find((t) => (t as HTMLElement).dataset.id === id);
          return Object.fromEntries(
            [...(table?.querySelectorAll<HTMLElement>('[part~="stats-row"]') ?? [])].map((r) => [
              r.dataset.key ?? '',
              r.querySelector('[part~="stats-value"]')?.textContent?.trim() ?? '',
            ]),
          );
        },
        chrisId,
      );
    const chrisFigures = await waitFor(
      'Chris’s figures',
      async () => {
        const f = await figures();
        if (/^[1-9]\d* fps$/.test(f['stats.fps'] ?? '') && f['stats.codec'] && f['stats.resolution']) return f;
        throw new Error(`seen so far: ${JSON.stringify(f)}`);
      },
      20_000,
      500,
    );
    expect(chrisFigures['stats.resolution']).toMatch(/^\d+×\d+$/);
    expect(chrisFigures['stats.codec']).toMatch(/^(H264|VP8|VP9|AV1)$/);
    const text = (await textsIn(fiona, 'stats-panel'))[0]!;
    expect(text).toContain('Call statistics');
    expect(text).toContain('Chris');
    expect(text).toMatch(/Transport: (websocket|webtransport)/);
    expect(await chunksFetched(fiona)).toEqual(expect.arrayContaining(['stats-panel', 'device-settings']));
    await expectAccessible(fiona, 'statistics open');
    await fiona.screenshot({ path: shot('stats') });
    // Escape closes it.
    await fiona.keyboard.press('Escape');
    await waitFor('the panel closed', async () => ((await count(fiona, 'stats-panel')) === 0 ? true : undefined));
    await fiona.close();
    await chris.close();
  });
});
