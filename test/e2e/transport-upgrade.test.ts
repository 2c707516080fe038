/**
 * `auto` moves a call from WebSocket to WebTransport once WebTransport becomes
 * available, in real Chromium through a real relay: a page whose WebTransport is
 * blocked at first (its `webtransport.json` points at a UDP port that swallows
 * everything) joins on WebSocket; then the relay's real description is served
 * again, the page's background attempt reaches WebTransport, and the call moves
 * there as the same participant. The other page sees no leave or join, and both
 * keep seeing a moving picture, end-to-end encrypted throughout.
 */
import type { Socket } from 'node:dgram';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../server/relay.js';
import { launchChromium, readRemoteTiles, waitFor, type TestBrowser, type TileLook } from './browser.js';
import { udpBlackhole } from './udp-blackhole.js';

/** What each page heard from its element, kept from before its scripts run. */
const EVENT_LOG = `(() => {
  const log = { joined: null, changed: [], peersJoined: [], peersLeft: [], reconnecting: 0, errors: [] };
  globalThis.__vcLog = log;
  document.addEventListener('vc-joined', (e) => (log.joined = { transport: e.transport, sessionId: e.sessionId }));
  document.addEventListener('vc-transport-changed', (e) => log.changed.push(e.previous + '>' + e.transport));
  document.addEventListener('vc-participant-joined', (e) => log.peersJoined.push(e.participant.name));
  document.addEventListener('vc-participant-left', (e) => log.peersLeft.push(e.participant.name + ':' + e.reason));
  document.addEventListener('vc-reconnecting', () => log.reconnecting++);
  document.addEventListener('vc-error', (e) => log.errors.push(e.code + ': ' + e.message));
})();`;

interface EventLog {
  joined: { transport: string; sessionId: string } | null;
  changed: string[];
  peersJoined: string[];
  peersLeft: string[];
  reconnecting: number;
  errors: string[];
}

const eventLog = (page: Page): Promise<EventLog> =>
  page.evaluate(() => (globalThis as unknown as { __vcLog: EventLog }).__vcLog);

const PASSPHRASE = 'correct-horse-battery-staple';

function liveTile(tiles: TileLook[]): TileLook | undefined {
  const live = tiles.filter((t) => t.width >= 160 && t.height >= 90 && t.lumaSpread > 8);
  return live.length === 1 ? live[0] : undefined;
}

function changed(a: TileLook, b: TileLook): number {
  let differing = 0;
  for (let i = 0; i < a.samples.length; i++) if (Math.abs(a.samples[i]! - (b.samples[i] ?? 0)) > 6) differing++;
  return differing;
}

/** Waits for the page's one remote tile to show a picture, then for that picture to change. */
async function seesMovingPicture(page: Page, what: string): Promise<void> {
  const first = await waitFor(`a live remote tile (${what})`, async () => liveTile(await readRemoteTiles(page)));
  await waitFor(`a moving picture (${what})`, async () => {
    const later = liveTile(await readRemoteTiles(page));
    return later && changed(first, later) > 0 ? true : undefined;
  });
}

let relay: Relay;
let chromium: TestBrowser;
let blackhole: Socket;

beforeAll(async () => {
  relay = await startRelay({ host: '127.0.0.1', port: 0 });
  expect(relay.webTransport, 'the relay runs WebTransport').toBeDefined();
  blackhole = await udpBlackhole();
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  await relay?.close();
  blackhole?.close();
});

describe('auto after a fallback to WebSocket', () => {
  const room = 'wt-upgrade';
  let una: Page; // blocked from WebTransport at first
  let sam: Page; // on WebSocket throughout

  afterAll(async () => {
    await una?.close();
    await sam?.close();
  });

  it('joins on WebSocket while WebTransport is blocked', async () => {
    sam = await chromium.context.newPage();
    await sam.addInitScript(EVENT_LOG);
    await sam.goto(`${relay.url}/?room=${room}&name=Sam&transport=websocket#vc-key=${PASSPHRASE}`);
    await waitFor('Sam joined', async () => ((await eventLog(sam)).joined ? true : undefined));

    una = await chromium.context.newPage();
    una.on('pageerror', (error) => console.error('[page una]', error));
    await una.addInitScript(EVENT_LOG);
    const blocked = {
      port: blackhole.address().port,
      path: '/wt',
      serverCertificateHashes: [{ algorithm: 'sha-256', value: Buffer.alloc(32, 7).toString('base64') }],
    };
    await una.route('**/webtransport.json', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(blocked) }),
    );
    await una.goto(`${relay.url}/?room=${room}&name=Una&transport=auto#vc-key=${PASSPHRASE}`);
    const joined = await waitFor('Una joined', async () => (await eventLog(una)).joined ?? undefined, 20_000, 50);
    expect(joined.transport).toBe('websocket');
    await seesMovingPicture(una, 'Una sees Sam on WebSocket');
    await seesMovingPicture(sam, 'Sam sees Una on WebSocket');
    expect((await eventLog(una)).changed).toEqual([]);
  });

  it('moves the call to WebTransport as the same participant, without a leave, a join or a blank tile', async () => {
    // WebTransport reachable again: the next background attempt finds the relay's real description.
    await una.unroute('**/webtransport.json');
    // Sam's tile of Una, watched through the move and a second after it: it never goes blank.
    let blankLooks = 0;
    let looks = 0;
    let movedAt = 0;
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline && (!movedAt || Date.now() - movedAt < 1000)) {
      looks++;
      if (!liveTile(await readRemoteTiles(sam))) blankLooks++;
      if (!movedAt && (await eventLog(una)).changed.length) movedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(movedAt, 'vc-transport-changed within 40 s').toBeGreaterThan(0);
    expect(blankLooks, `blank in ${blankLooks} of ${looks} looks`).toBe(0);
    expect((await eventLog(una)).changed).toEqual(['websocket>webtransport']);
    const inUse = await una.evaluate(() => {
      const el = document.querySelector('videocall-room')!;
      const stage = el.shadowRoot!.querySelector<HTMLElement>('[part~="stage"]')!;
      return { property: el.transportInUse, attribute: stage.dataset.transport };
    });
    expect(inUse).toEqual({ property: 'webtransport', attribute: 'webtransport' });
    expect(relay.stats().webTransport.sessions).toBe(1);
    expect(relay.stats().participants).toBe(2);
  });

  it('keeps both pictures moving afterwards, with nobody seeing a leave, a join or a reconnect', async () => {
    await seesMovingPicture(sam, 'Sam sees Una after the move');
    await seesMovingPicture(una, 'Una sees Sam after the move');
    const [unaLog, samLog] = [await eventLog(una), await eventLog(sam)];
    expect(samLog.peersJoined).toEqual(['Una']);
    expect(samLog.peersLeft).toEqual([]);
    expect(unaLog.peersJoined).toEqual(['Sam']);
    expect(unaLog.peersLeft).toEqual([]);
    expect(unaLog.reconnecting).toBe(0);
    expect(unaLog.errors).toEqual([]);
    expect(samLog.errors).toEqual([]);
  });
});
