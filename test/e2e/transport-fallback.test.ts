/**
 * The element on WebTransport in real Chromium (QUIC on: no --disable-quic),
 * through a real relay: a WebTransport page and a WebSocket page in one room see
 * and hear each other; `auto` falls back to WebSocket fast when UDP is blocked.
 */
import type { Socket } from 'node:dgram';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../server/relay.js';
import { chromiumArgs } from '../chromium.mjs';
import { launchChromium, readRemoteTiles, waitFor, type TestBrowser, type TileLook } from './browser.js';
import { udpBlackhole } from './udp-blackhole.js';

/** What the page recorded about its join (see {@link JOIN_CLOCK}). */
interface JoinRecord {
  transport: string;
  /** From the element entering the page to `vc-joined`, ms. */
  joinMs: number;
  errors: string[];
}

/**
 * Runs in each page before its scripts: notes when `<videocall-room>` is inserted
 * (the demo appends it) and when it fires `vc-joined` (events bubble and are composed).
 */
const JOIN_CLOCK = `(() => {
  const state = { added: 0, joined: null, errors: [] };
  globalThis.__vcJoin = state;
  // Stamp the moment the element is inserted (it starts connecting inside that call).
  const stamp = (nodes) => {
    if (!state.added && nodes.some((n) => n && n.localName === 'videocall-room')) state.added = performance.now();
  };
  for (const [proto, name] of [[Node.prototype, 'appendChild'], [Element.prototype, 'append']]) {
    const original = proto[name];
    proto[name] = function (...nodes) { stamp(nodes); return original.apply(this, nodes); };
  }
  document.addEventListener('vc-joined', (e) => {
    state.joined = { transport: e.transport, joinMs: performance.now() - state.added };
  });
  document.addEventListener('vc-error', (e) => state.errors.push(e.code + ': ' + e.message));
})();`;

function joinRecord(page: Page): Promise<JoinRecord> {
  return waitFor(
    'vc-joined',
    () =>
      page.evaluate(() => {
        const s = (
          globalThis as unknown as {
            __vcJoin: { joined: { transport: string; joinMs: number } | null; errors: string[] };
          }
        ).__vcJoin;
        if (s.errors.length && !s.joined) throw new Error(s.errors.join('; '));
        return s.joined ? { ...s.joined, errors: s.errors } : undefined;
      }),
    20_000,
    50,
  );
}

function liveTiles(tiles: TileLook[]): TileLook[] {
  return tiles.filter((t) => t.width >= 160 && t.height >= 90 && t.lumaSpread > 8);
}

function changed(a: TileLook, b: TileLook): number {
  let differing = 0;
  for (let i = 0; i < a.samples.length; i++) if (Math.abs(a.samples[i]! - (b.samples[i] ?? 0)) > 6) differing++;
  return differing;
}

let relay: Relay;
let chromium: TestBrowser;

/**
 * `remembered`: what the page remembers of the relay's WebTransport description
 * from an earlier visit (src/transport/webtransport-info.ts); `null`: nothing, as
 * on a network where WebTransport never worked. Left out: whatever earlier pages
 * of this browser remembered.
 */
async function openPage(url: string, info?: object, remembered?: object | null): Promise<Page> {
  const page = await chromium.context.newPage();
  page.on('pageerror', (error) => console.error(`[page ${url}]`, error));
  await page.addInitScript(JOIN_CLOCK);
  if (remembered !== undefined) {
    await page.addInitScript((entry) => {
      const key = 'videocall-room:webtransport-info';
      if (entry === null) localStorage.removeItem(key);
      else
        localStorage.setItem(
          key,
          JSON.stringify({
            [new URL('/webtransport.json', location.origin).href]: { info: entry, savedAt: Date.now() },
          }),
        );
    }, remembered);
  }
  if (info) {
    // Stands in for the relay's own /webtransport.json (e.g. to point at a port that swallows UDP).
    await page.route('**/webtransport.json', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(info) }),
    );
  }
  await page.goto(url);
  return page;
}

beforeAll(async () => {
  relay = await startRelay({ host: '127.0.0.1', port: 0 });
  expect(relay.webTransport, 'the relay runs WebTransport').toBeDefined();
  expect(chromiumArgs()).not.toContain('--disable-quic');
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  await relay?.close();
});

describe('a call with one page on WebTransport and one on WebSocket', () => {
  const pages: Page[] = [];
  const records: JoinRecord[] = [];

  // The join timings below are measured on a browser with no call running.
  afterAll(async () => {
    for (const page of pages) await page.close();
  });

  it('joins each page on the transport it asked for', async () => {
    pages.push(await openPage(`${relay.url}/?room=wt-mixed&name=Wendy&transport=webtransport`));
    pages.push(await openPage(`${relay.url}/?room=wt-mixed&name=Sam&transport=websocket`));
    for (const page of pages) records.push(await joinRecord(page));
    expect(records.map((r) => r.transport)).toEqual(['webtransport', 'websocket']);
    const inUse = await Promise.all(
      pages.map((p) => p.evaluate(() => document.querySelector('videocall-room')!.transportInUse)),
    );
    expect(inUse).toEqual(['webtransport', 'websocket']);
    // The relay agrees: one WebTransport session, and two participants.
    expect(relay.stats().webTransport.sessions).toBe(1);
    expect(relay.stats().participants).toBe(2);
    console.log(
      `[transport] join: webtransport ${records[0]!.joinMs.toFixed(0)} ms, websocket ${records[1]!.joinMs.toFixed(0)} ms`,
    );
  });

  it('shows each page the other’s moving picture', async () => {
    for (const [i, page] of pages.entries()) {
      const first = await waitFor(`a live remote tile on page ${i}`, async () => {
        const live = liveTiles(await readRemoteTiles(page));
        return live.length === 1 ? live : undefined;
      });
      expect(first[0]!.name).toBe(i === 0 ? 'Sam' : 'Wendy');
      await waitFor(`a moving picture on page ${i}`, async () => {
        const later = liveTiles(await readRemoteTiles(page));
        return later.length === 1 && changed(first[0]!, later[0]!) > 0 ? true : undefined;
      });
    }
  });

  it('plays each page the other’s audio', async () => {
    for (const [i, page] of pages.entries()) {
      let loudest = 0;
      await waitFor(
        `audio on page ${i}`,
        async () => {
          for (const tile of await readRemoteTiles(page)) loudest = Math.max(loudest, tile.audioLevel);
          return loudest > 0.01 ? true : undefined;
        },
        20_000,
        50,
      );
    }
  });
});

describe('auto with UDP blocked', () => {
  let blackhole: Socket;

  beforeAll(async () => {
    blackhole = await udpBlackhole();
  });

  afterAll(() => blackhole?.close());

  it('falls back to WebSocket in under two seconds', async () => {
    const info = {
      port: blackhole.address().port,
      path: '/wt',
      serverCertificateHashes: [{ algorithm: 'sha-256', value: Buffer.alloc(32, 7).toString('base64') }],
    };
    // Baseline: the same page on WebSocket alone, to tell the fallback's cost from the join's own.
    const plain = await openPage(`${relay.url}/?room=wt-blocked-ws&name=Vic&transport=websocket`);
    const baseline = await joinRecord(plain);
    await plain.close();
    const page = await openPage(`${relay.url}/?room=wt-blocked&name=Una&transport=auto`, info, null);
    const record = await joinRecord(page);
    expect(record.transport).toBe('websocket');
    expect(record.errors).toEqual([]);
    console.log(
      `[transport] auto with UDP blocked joined on websocket in ${record.joinMs.toFixed(0)} ms` +
        ` (websocket alone: ${baseline.joinMs.toFixed(0)} ms)`,
    );
    expect(record.joinMs).toBeLessThan(2000);
    await page.close();
  });

  it('falls back as fast when the page remembers the description from a network where UDP went through', async () => {
    // A laptop that joined over WebTransport at home, now on a network that swallows UDP:
    // the remembered description is the one the relay still gives, and it cannot be reached.
    const info = {
      port: blackhole.address().port,
      path: '/wt',
      serverCertificateHashes: [{ algorithm: 'sha-256', value: Buffer.alloc(32, 7).toString('base64') }],
    };
    const page = await openPage(`${relay.url}/?room=wt-blocked-2&name=Uma&transport=auto`, info, info);
    const record = await joinRecord(page);
    expect(record.transport).toBe('websocket');
    expect(record.errors).toEqual([]);
    console.log(
      `[transport] auto with UDP blocked, description remembered: websocket in ${record.joinMs.toFixed(0)} ms`,
    );
    expect(record.joinMs).toBeLessThan(2000);
    await page.close();
  });

  it('uses WebTransport when it is there', async () => {
    const page = await openPage(`${relay.url}/?room=wt-auto&name=Ann&transport=auto`);
    const record = await joinRecord(page);
    expect(record.transport).toBe('webtransport');
    console.log(`[transport] auto with WebTransport available joined in ${record.joinMs.toFixed(0)} ms`);
    await page.close();
  });
});
