/**
 * The transport runs in the media worker, which decodes the others' microphones
 * itself: a receiving page whose main thread is blocked still hands their audio
 * to its speaker meanwhile. With the transport on the page (the Room option
 * `transportInWorker: false`, as where workers are forbidden) nothing arrives
 * until the page is free again.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { relayAndChromium } from './browser.js';

interface Blocked {
  offThread: boolean;
  kind: string;
  /** Ada's audio packets handed to Bob's playout while his main thread was blocked (after its first 50 ms), and in all. */
  during: number;
  total: number;
  blockedMs: number;
}

/**
 * Bob joins `room` from a page of the relay's origin (the bundle's `Room`, no
 * element), waits for Ada's audio to flow, blocks his main thread for 600 ms,
 * and counts the audio handed to playout in that time (the timeline's
 * `decoded` marks carry when, as the worker saw it).
 */
async function blockWhileListening(page: Page, room: string, transportInWorker: boolean): Promise<Blocked> {
  return page.evaluate(
    async ({ room, transportInWorker }) => {
      // A plain import() here would be rewritten by the test runner's transform.
      const load = new Function('return import("/videocall-room.js")') as () => Promise<
        typeof import('../../src/index.js')
      >;
      const { Room } = await load();
      const bob = new Room({
        server: location.origin,
        room,
        name: 'Bob',
        camera: false,
        mic: false,
        transportInWorker,
      });
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      await bob.join();
      const timeline = bob.startTimeline();
      const decodedAt = () =>
        timeline
          .list()
          .filter((r) => r.participant !== '' && r.kind === 'audio' && r.marks.decoded !== undefined)
          .map((r) => r.marks.decoded!);
      for (let i = 0; i < 100 && decodedAt().length < 10; i++) await sleep(100);
      const from = performance.timeOrigin + performance.now();
      while (performance.timeOrigin + performance.now() < from + 600) {
        // busy: no task, no callback, no message runs on this thread meanwhile
      }
      const to = performance.timeOrigin + performance.now();
      await sleep(500);
      const at = decodedAt();
      const transport = bob.transport;
      const result = {
        offThread: transport?.offThread === true,
        kind: transport?.kind ?? '',
        during: at.filter((t) => t > from + 50 && t < to).length,
        total: at.length,
        blockedMs: to - from,
      };
      bob.leave();
      return result;
    },
    { room, transportInWorker },
  );
}

describe('the media worker', () => {
  const env = relayAndChromium();

  it('plays the others’ audio while the page’s main thread is blocked; with the transport on the page it waits', async () => {
    const room = `media-worker-${Date.now().toString(36)}`;
    // Ada's fake microphone sends all the time (a beep now and then, silence between: still packets).
    const ada = await env.chromium.newPage(`${env.relay.url}/?room=${room}&name=Ada&camera=off`);
    const bob = await env.chromium.newPage(`${env.relay.url}/healthz`);

    const inWorker = await blockWhileListening(bob, room, true);
    console.log('[media worker] transport in the worker:', inWorker);
    expect(inWorker.offThread).toBe(true);
    // 10 ms packets for 550 ms: about 55; the worker's own scheduling and the relay take a few.
    expect(inWorker.during).toBeGreaterThanOrEqual(25);

    const onPage = await blockWhileListening(bob, `${room}`, false);
    console.log('[media worker] transport on the page:', onPage);
    expect(onPage.offThread).toBe(false);
    expect(onPage.kind).toBe(inWorker.kind);
    expect(onPage.total).toBeGreaterThan(10);
    expect(onPage.during).toBe(0);

    await bob.close();
    await ada.close();
  });
});
