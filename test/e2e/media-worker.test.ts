/**
 * The transport runs in the media worker, which decodes the others' microphones
 * itself: a receiving page whose main thread is blocked still hands their audio
 * to its speaker meanwhile. Without E2EE it also reads, encodes and sends our
 * microphone: a sending page whose main thread is blocked still sends its
 * voice meanwhile. With the transport on the page (the Room option
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
  /** Of those, how many the timeline also marks as ready for the decoder in that time (the worker's own reading time). */
  readyDuring: number;
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
      const audio = () => timeline.list().filter((r) => r.participant !== '' && r.kind === 'audio');
      const decodedAt = () =>
        audio()
          .filter((r) => r.marks.decoded !== undefined)
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
        readyDuring: audio().filter(
          (r) => r.marks.decrypted !== undefined && r.marks.decrypted > from + 50 && r.marks.decrypted < to,
        ).length,
        blockedMs: to - from,
      };
      bob.leave();
      return result;
    },
    { room, transportInWorker },
  );
}

/** Joins `room` as a listener (no devices) and keeps when each of the others' audio packets was read. */
async function listen(page: Page, room: string): Promise<void> {
  await page.evaluate(async (room) => {
    const load = new Function('return import("/videocall-room.js")') as () => Promise<
      typeof import('../../src/index.js')
    >;
    const { Room } = await load();
    const bob = new Room({ server: location.origin, room, name: 'Bob', camera: false, mic: false });
    await bob.join();
    const timeline = bob.startTimeline();
    (globalThis as unknown as { received: () => number[] }).received = () =>
      timeline
        .list()
        .filter((r) => r.participant !== '' && r.kind === 'audio' && r.marks.received !== undefined)
        .map((r) => r.marks.received!);
  }, room);
}

/**
 * Ada joins `room` with her microphone on, lets it flow for a second, then
 * blocks her main thread for 600 ms; returns when the block was and whether
 * her microphone was sent from the worker.
 */
async function talkWhileBlocked(
  page: Page,
  room: string,
  transportInWorker: boolean,
  worklet: boolean,
): Promise<{ from: number; to: number; micOffThread: boolean }> {
  return page.evaluate(
    async ({ room, transportInWorker, worklet }) => {
      // As in Firefox: no track processor, so the capture worklet posts the microphone to the worker.
      if (worklet) delete (globalThis as { MediaStreamTrackProcessor?: unknown }).MediaStreamTrackProcessor;
      const load = new Function('return import("/videocall-room.js")') as () => Promise<
        typeof import('../../src/index.js')
      >;
      const { Room } = await load();
      const ada = new Room({ server: location.origin, room, name: 'Ada', camera: false, mic: true, transportInWorker });
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      await ada.join();
      for (let i = 0; i < 100 && (ada.local.audioStats?.packets ?? 0) < 50; i++) await sleep(50);
      await sleep(500);
      const from = performance.timeOrigin + performance.now();
      while (performance.timeOrigin + performance.now() < from + 600) {
        // busy: no task, no callback, no message runs on this thread meanwhile
      }
      const to = performance.timeOrigin + performance.now();
      const micOffThread = ada.local.micOffThread;
      await sleep(500);
      ada.leave();
      return { from, to, micOffThread };
    },
    { room, transportInWorker, worklet },
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
    // The page learns of them after the block, but marks them ready when the worker read them.
    expect(inWorker.readyDuring).toBeGreaterThanOrEqual(inWorker.during - 5);

    const onPage = await blockWhileListening(bob, `${room}`, false);
    console.log('[media worker] transport on the page:', onPage);
    expect(onPage.offThread).toBe(false);
    expect(onPage.kind).toBe(inWorker.kind);
    expect(onPage.total).toBeGreaterThan(10);
    expect(onPage.during).toBe(0);
    expect(onPage.readyDuring).toBe(0);

    await bob.close();
    await ada.close();
  });

  it('sends our microphone while the page’s main thread is blocked, read by either capture path; from the page it waits', async () => {
    const cases = [
      { name: 'worker', transportInWorker: true, worklet: false },
      { name: 'worker, capture worklet', transportInWorker: true, worklet: true },
      { name: 'page', transportInWorker: false, worklet: false },
    ];
    const results: Record<string, { during: number; micOffThread: boolean }> = {};
    for (const { name, transportInWorker, worklet } of cases) {
      const room = `media-worker-send-${cases.findIndex((c) => c.name === name)}-${Date.now().toString(36)}`;
      const bob = await env.chromium.newPage(`${env.relay.url}/healthz`);
      const ada = await env.chromium.newPage(`${env.relay.url}/healthz`);
      await listen(bob, room);
      const blocked = await talkWhileBlocked(ada, room, transportInWorker, worklet);
      const received = await bob.evaluate(() => (globalThis as unknown as { received: () => number[] }).received());
      // Both pages run on this machine's clock: Bob's reads fall inside Ada's block or not.
      const during = received.filter((t) => t > blocked.from + 50 && t < blocked.to).length;
      results[name] = { during, micOffThread: blocked.micOffThread };
      console.log(`[media worker] microphone sent from the ${name}:`, {
        during,
        total: received.length,
        blockedMs: blocked.to - blocked.from,
        micOffThread: blocked.micOffThread,
      });
      await ada.close();
      await bob.close();
    }
    // 10 ms packets for 550 ms: about 55.
    for (const name of ['worker', 'worker, capture worklet']) {
      expect(results[name]!.micOffThread).toBe(true);
      expect(results[name]!.during).toBeGreaterThanOrEqual(25);
    }
    expect(results.page!.micOffThread).toBe(false);
    expect(results.page!.during).toBe(0);
  });
});
