import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { findPackageRoot } from '../../server/paths.js';
import { STATS_WINDOW_MS } from '../../src/call/call-stats.js';
import {
  health,
  startClusterRelay,
  startRelayProcess,
  waitForNodes,
  type ClusterRelay,
  type RelayProcess,
} from '../nats/helpers.js';
import { hasNatsServer, NatsCluster } from '../nats/nats-cluster.js';
import type { RelayOptions } from '../../server/relay.js';
import { launchChromium, readRemoteTiles, waitFor, type TestBrowser } from './browser.js';

// When the relay a page is on dies (crash or orderly stop), the element moves to
// the next relay of its `server` list and resumes as the same participant: the
// others, on another relay of the NATS cluster, see no leave and no join, and its
// picture moves again. Relay A runs in a child process so it can be SIGKILLed;
// relay B runs here and serves every page (Chromium lets a page reach loopback
// relays only from a relay's own origin), but the movers list A first.
const root = findPackageRoot();
const GRACE_MS = 4000;
const cluster = {
  resumeSecret: 'the cluster-wide resume secret for e2e',
  resumeGraceMs: GRACE_MS,
  nodeHeartbeatMs: 300,
};

/** What each page records of its element's events, with the page's clock (ms). */
interface Seen {
  type: string;
  at: number;
  sessionId?: string;
  resumed?: boolean;
  server?: string;
  attempt?: number;
  reason?: string;
  transport?: string;
  downtimeMs?: number;
  participant?: string;
}

declare global {
  interface Window {
    vcSeen: Seen[];
  }
}

/** Records every vc-* event from the page's first script on, before the element joins. */
function recordEvents(): void {
  window.vcSeen = [];
  const types = [
    'vc-joined',
    'vc-participant-joined',
    'vc-participant-left',
    'vc-left',
    'vc-error',
    'vc-reconnecting',
    'vc-reconnected',
  ];
  for (const type of types) {
    document.addEventListener(type, (e) => {
      const event = e as Event & Record<string, unknown>;
      const participant = event.participant as { name?: string } | undefined;
      window.vcSeen.push({
        type,
        at: performance.now(),
        sessionId: event.sessionId as string | undefined,
        resumed: event.resumed as boolean | undefined,
        server: event.server as string | undefined,
        attempt: event.attempt as number | undefined,
        reason: (event.reason ?? event.code) as string | undefined,
        transport: event.transport as string | undefined,
        downtimeMs: event.downtimeMs as number | undefined,
        participant: participant?.name,
      });
    });
  }
}

const seen = (page: Page): Promise<Seen[]> => page.evaluate(() => window.vcSeen);

/** Who joined or left, as another page saw it. */
async function presence(page: Page, name: string): Promise<string[]> {
  return (await seen(page))
    .filter((e) => e.participant === name && e.type.startsWith('vc-participant-'))
    .map((e) => e.type);
}

/** What a page's element knows, for a failure message: events, participants and tiles. */
async function pageState(page: Page): Promise<unknown> {
  const participants = await page.evaluate(() =>
    document.querySelector('videocall-room')!.participants.map((p) => ({ name: p.name, id: p.id, e2ee: p.e2ee })),
  );
  const tiles = (await readRemoteTiles(page)).map(({ name, width, lumaSpread }) => ({ name, width, lumaSpread }));
  return { participants, tiles, events: await seen(page) };
}

/** Waits until `page` shows `name`'s picture and it moves; returns the tile's id. */
async function pictureMoves(page: Page, name: string, what: string, other?: Page): Promise<string> {
  const first = await waitFor(`${name}'s picture ${what}`, async () =>
    (await readRemoteTiles(page)).find((t) => t.name === name && t.width >= 160 && t.lumaSpread > 8),
  ).catch(async (error: Error) => {
    // Who knew whom, and how far the keys got, says which side stalled.
    const state = { page: await pageState(page), other: other ? await pageState(other) : undefined };
    throw new Error(`${error.message}\n${JSON.stringify(state).slice(0, 4000)}`);
  });
  await waitFor(`${name}'s picture to move ${what}`, async () => {
    const again = (await readRemoteTiles(page)).find((t) => t.id === first.id);
    return again && again.samples.some((v, i) => Math.abs(v - first.samples[i]!) > 6) ? true : undefined;
  });
  return first.id;
}

describe.skipIf(!hasNatsServer())('an element moving to another relay when its relay dies', () => {
  let nats: NatsCluster;
  let b: ClusterRelay;
  const doomed: RelayProcess[] = [];
  let chromium: TestBrowser;
  let firstObserver: Page;

  beforeAll(async () => {
    nats = await NatsCluster.start({ size: 2 });
    b = await startClusterRelay([nats.urls[1]!], {
      ...cluster,
      demoDir: join(root, 'demo'),
      distDir: join(root, 'dist'),
    });
    chromium = await launchChromium();
    await chromium.context.addInitScript(recordEvents);
  });

  afterAll(async () => {
    await chromium?.close();
    await Promise.all(doomed.splice(0).map((r) => r.crash()));
    await b?.close();
    await nats?.stop();
  });

  /** A relay A in its own process on the other NATS server, known to B. */
  async function relayA(options: RelayOptions = {}): Promise<RelayProcess> {
    // An earlier test that failed before its move left its A running: end it, or every later test fails too.
    for (const leftover of doomed.splice(0)) await leftover.crash();
    const a = await startRelayProcess({ natsUrl: nats.urls[0], ...cluster, ...options });
    doomed.push(a);
    await waitForNodes([b, a], 2);
    return a;
  }

  /** A page served by B whose element lists A first, so it joins A. */
  async function moverOn(
    a: RelayProcess,
    room: string,
    name: string,
    extra = '',
  ): Promise<{ page: Page; sessionId: string }> {
    const server = encodeURIComponent(`${a.url} ${b.url}`);
    const page = await chromium.newPage(`${b.url}/?room=${room}&name=${name}&server=${server}${extra}`);
    const joined = await waitFor(`${name} to join`, async () => (await seen(page)).find((e) => e.type === 'vc-joined'));
    return { page, sessionId: joined.sessionId! };
  }

  /**
   * Ends relay A with `end` and checks the mover comes back on B as itself, the
   * observer never sees it leave or join (also after the grace period), and its
   * picture moves again. Returns the figures.
   */
  async function expectMove(
    a: RelayProcess,
    mover: { page: Page; sessionId: string },
    name: string,
    end: () => Promise<void>,
    observer: Page = firstObserver,
  ): Promise<{
    detectMs: number;
    downtimeMs: number;
    wallMs: number;
    attempts: number;
    transport: string;
    reason: string;
  }> {
    const tile = await pictureMoves(observer, name, 'before the move', mover.page);
    expect((await health(a)).participants).toBe(1);
    const before = await presence(observer, name);
    // On failure, what both pages saw says who dropped whom.
    expect(
      before,
      JSON.stringify({ observer: await seen(observer), mover: await seen(mover.page) }).slice(0, 3000),
    ).toEqual(['vc-participant-joined']);
    const startedAt = Date.now();
    const pageStart = await mover.page.evaluate(() => performance.now());
    await end();

    const back = await waitFor(
      `${name} to reconnect`,
      async () => (await seen(mover.page)).find((e) => e.type === 'vc-reconnected'),
      30_000,
      50,
    );
    const wallMs = Date.now() - startedAt;
    const events = await seen(mover.page);
    const reconnecting = events.filter((e) => e.type === 'vc-reconnecting');
    expect(reconnecting.length).toBeGreaterThanOrEqual(1);
    expect(back).toMatchObject({ resumed: true, sessionId: mover.sessionId, server: b.url });
    // The mover never left, and lost nobody (movers of earlier tests, whose pages closed, may leave meanwhile).
    const observerName = await observer.evaluate(() => document.querySelector('videocall-room')!.name);
    const lost = events.filter(
      (e) =>
        ['vc-left', 'vc-error'].includes(e.type) ||
        (e.type === 'vc-participant-left' && e.participant === observerName),
    );
    expect(lost).toEqual([]);

    // The observer's tile of the mover is the same one and shows new pictures.
    const snapshot = (await readRemoteTiles(observer)).find((t) => t.id === tile)!;
    expect(snapshot).toBeDefined();
    await waitFor(`${name}'s picture to move after the move`, async () => {
      const again = (await readRemoteTiles(observer)).find((t) => t.id === tile);
      return again && again.samples.some((v, i) => Math.abs(v - snapshot.samples[i]!) > 6) ? true : undefined;
    });
    // Past the grace period the relays would have reported it gone, had the resume not taken.
    const waitMore = Math.max(
      GRACE_MS + 1500 - (Date.now() - startedAt),
      STATS_WINDOW_MS + 200 - (Date.now() - (startedAt + wallMs)),
    );
    if (waitMore > 0) await new Promise((resolve) => setTimeout(resolve, waitMore));
    expect(await presence(observer, name)).toEqual(before);
    // Its voice goes on too: its microphone (sent from its media worker without E2EE) follows it to
    // the new connection. The stats window now lies wholly after the move.
    const heard = await observer.evaluate(
      async (id) =>
        (await document.querySelector('videocall-room')!.getStats()).participants.find((p) => p.id === id)?.audio
          ?.bitrateKbps ?? 0,
      mover.sessionId,
    );
    expect(heard, `${name}'s audio bitrate at the observer after the move`).toBeGreaterThan(0);
    expect(
      (await observer.evaluate(() => document.querySelector('videocall-room')!.participants)).map((p) => p.id),
    ).toContain(mover.sessionId);
    expect((await health(b)).participants).toBeGreaterThanOrEqual(2);
    // Two cores: a page left running would slow the next test's move.
    await mover.page.close();
    return {
      detectMs: Math.round(reconnecting[0]!.at - pageStart),
      downtimeMs: back.downtimeMs!,
      wallMs,
      attempts: reconnecting.length,
      transport: back.transport!,
      reason: reconnecting[0]!.reason!,
    };
  }

  it('moves a page from a crashed relay to another within seconds, as the same participant', async () => {
    const a = await relayA();
    firstObserver = await chromium.newPage(`${b.url}/?room=failover&name=Grace`);
    const mover = await moverOn(a, 'failover', 'Ada');
    const figures = await expectMove(a, mover, 'Ada', () => a.crash());
    console.log('relay SIGKILLed:', JSON.stringify(figures));
    // Noticed at once (the socket closes when its process dies), back on B within a few seconds.
    expect(figures.wallMs).toBeLessThan(5000);
  });

  it('moves a page from a relay stopped in order (server-shutdown) to another, as the same participant', async () => {
    const a = await relayA();
    const mover = await moverOn(a, 'failover', 'Linus');
    const figures = await expectMove(a, mover, 'Linus', () => a.stop());
    console.log('relay stopped (SIGTERM):', JSON.stringify(figures));
    expect(figures.reason).toBe('server-shutdown');
    expect(figures.wallMs).toBeLessThan(5000);
  });

  it('moves a page over WebSocket too', async () => {
    const a = await relayA();
    const mover = await moverOn(a, 'failover', 'Ken', '&transport=websocket');
    const figures = await expectMove(a, mover, 'Ken', () => a.crash());
    console.log('relay SIGKILLed, WebSocket:', JSON.stringify(figures));
    expect(figures.transport).toBe('websocket');
    expect(figures.wallMs).toBeLessThan(5000);
  });

  it('keeps an end-to-end encrypted call decrypting across the move', async () => {
    const a = await relayA();
    const key = '#vc-key=correct-horse-battery-staple';
    const observer = await chromium.newPage(`${b.url}/?room=sealed&name=Radia${key}`);
    const mover = await moverOn(a, 'sealed', 'Frances', key);
    const figures = await expectMove(a, mover, 'Frances', () => a.crash(), observer);
    console.log('relay SIGKILLed, E2EE:', JSON.stringify(figures));
    const info = await observer.evaluate(() => document.querySelector('videocall-room')!.participants);
    expect(info.find((p) => p.name === 'Frances')?.e2ee).toBe('verified');
    await observer.close();
  });

  it('rejoins as a new participant, E2EE restarted, when the other relay cannot honour the resume token', async () => {
    // Another resume secret: B can't check A's tokens (a misconfigured cluster), so the move is a fresh join.
    const a = await relayA({ resumeSecret: 'a secret only relay A knows' });
    const key = '#vc-key=another-passphrase-for-the-fresh-case';
    const observer = await chromium.newPage(`${b.url}/?room=fresh&name=Radia${key}`);
    const mover = await moverOn(a, 'fresh', 'Hedy', key);
    await pictureMoves(observer, 'Hedy', 'before the move');
    await a.crash();
    const back = await waitFor('Hedy to reconnect', async () =>
      (await seen(mover.page)).find((e) => e.type === 'vc-reconnected'),
    );
    expect(back).toMatchObject({ resumed: false, server: b.url });
    expect(back.sessionId).not.toBe(mover.sessionId);
    // The observer sees the new Hedy join at once, the old one leave once the grace is over…
    const observed = await waitFor('the old Hedy to leave', async () => {
      const events = (await seen(observer)).filter((e) => e.participant === 'Hedy');
      return events.some((e) => e.type === 'vc-participant-left') ? events.map((e) => e.type) : undefined;
    });
    expect(observed).toEqual(['vc-participant-joined', 'vc-participant-joined', 'vc-participant-left']);
    const participants = await observer.evaluate(() => document.querySelector('videocall-room')!.participants);
    expect(participants.map((p) => p.id)).toEqual([back.sessionId]);
    // …and decrypts the new one's picture: both sides exchanged keys for the new session id.
    await pictureMoves(observer, 'Hedy', 'after rejoining');
    await waitFor('keys verified with the new Hedy', async () => {
      const now = await observer.evaluate(() => document.querySelector('videocall-room')!.participants);
      return now[0]?.e2ee === 'verified' ? true : undefined;
    });
    const moverEvents = await seen(mover.page);
    expect(moverEvents.filter((e) => ['vc-left', 'vc-error'].includes(e.type))).toEqual([]);
    await mover.page.close();
    await observer.close();
  });

  it('moves a page off a relay that froze (its connection open but silent) once 3 heartbeats go unanswered', async () => {
    // Pings every 500 ms: silent for 3 of them, the page takes the link for dead.
    const heartbeatIntervalMs = 500;
    const a = await relayA({ heartbeatIntervalMs });
    const mover = await moverOn(a, 'failover', 'Barbara');
    // SIGSTOP: the process keeps its sockets but never answers again (a half-open link, seen from the page).
    const figures = await expectMove(a, mover, 'Barbara', async () => void a.child.kill('SIGSTOP'));
    console.log('relay frozen (SIGSTOP):', JSON.stringify(figures));
    expect(figures.reason).toBe('connection-lost');
    expect(figures.detectMs).toBeGreaterThanOrEqual(3 * heartbeatIntervalMs);
    expect(figures.detectMs).toBeLessThan(5 * heartbeatIntervalMs + 1000);
  });
});
