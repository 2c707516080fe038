// A page in a big room while many people join at once: the relay announces the joins together
// (PeersJoined), and the element shows each newcomer, fires vc-participant-joined once each,
// and watches them like any other participant.
import { describe, expect, it } from 'vitest';
import { SimParticipant } from '../../cli/sim/index.js';
import { waitFor } from './browser.js';
import { simRoom } from './sim-room.js';

/** In before the page; with it the room is at the relay's batching threshold. */
const EARLY = 3;
const LATE = 12;

describe('joins announced in batches, in the element', () => {
  const late: SimParticipant[] = [];
  const env = simRoom({
    room: 'e2e-batched-joins',
    count: EARLY,
    // Small threshold and a long window, so the late joins surely come as one or a few batches.
    relay: { presenceBatchFrom: EARLY + 1, presenceBatchMs: 500 },
    sim: (i) => ({
      name: `Early ${i}`,
      camera: true,
      mic: false,
      view: { tiles: 0, page: 0, tileSize: { width: 320, height: 180 } },
    }),
    query: 'name=Viewer&mic=off&camera=off',
    viewport: { width: 1280, height: 800 },
    async beforePage({ chromium }) {
      await chromium.context.addInitScript(() => {
        const seen: string[] = [];
        (globalThis as unknown as { joinedEvents: string[] }).joinedEvents = seen;
        document.addEventListener('vc-participant-joined', (e) =>
          seen.push((e as Event & { participant: { name: string } }).participant.name),
        );
      });
    },
  });

  it('shows everyone who joined together, each announced once, and watches their cameras', async () => {
    const before = env.relay.stats().messagesOut.peers_joined ?? 0;
    const lateNames = Array.from({ length: LATE }, (_, i) => `Late ${i}`);
    const sims = lateNames.map(
      (name) =>
        new SimParticipant({
          url: env.relay.wsUrl,
          room: 'e2e-batched-joins',
          name,
          camera: true,
          mic: false,
          view: { tiles: 0, page: 0, tileSize: { width: 320, height: 180 } },
        }),
    );
    late.push(...sims);
    await Promise.all(sims.map((s) => s.join()));
    for (const s of sims) s.start();

    const names = await waitFor(
      'all late joiners on the page',
      async () => {
        const n = await env.page.evaluate(() =>
          (document.querySelector('videocall-room')?.participants ?? []).map((p) => p.name),
        );
        return n.length === EARLY + LATE ? n : undefined;
      },
      20_000,
    );
    expect(names.filter((n) => n.startsWith('Late ')).sort()).toEqual([...lateNames].sort());
    // The relay sent PeersJoined (to the page and to the sims: both read it).
    expect((env.relay.stats().messagesOut.peers_joined ?? 0) - before).toBeGreaterThan(0);
    const events = await env.page.evaluate(() => (globalThis as unknown as { joinedEvents: string[] }).joinedEvents);
    expect(events.filter((n) => n.startsWith('Late ')).sort()).toEqual([...lateNames].sort());
    // Each newcomer is a participant like the others: the page asks for their video (the grid has room for all).
    await waitFor(
      'the page to watch the late joiners',
      async () => (sims.every((s) => s.stats.demanded.length > 0) ? true : undefined),
      20_000,
    );
    for (const s of late.splice(0)) s.close();
  });
});
