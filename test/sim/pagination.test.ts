/**
 * Pagination through a real relay, with simulated participants: in a room of
 * 30 camera publishers, a receiver showing page 2 of 9 tiles gets video from
 * the page-2 publishers only (counted per publisher, in bytes on the wire);
 * turning the page moves the bytes to the new page within about a second,
 * each new publisher starting at a keyframe; and the publishers on other pages
 * cost the receiver nothing but their roster entry (and are not even encoded).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimParticipant, type PageView, type SimParticipantOptions } from '../../cli/sim/index.js';
import type { Relay } from '../../server/relay.js';
import { sleep, startTestRelay, waitFor } from '../server/helpers.js';

const PUBLISHERS = 30;
const PER_PAGE = 9;
/** Page n (from 0) of the publishers, in the order they joined (the roster's order). */
const pageOf = (publishers: SimParticipant[], n: number): string[] =>
  publishers.slice(n * PER_PAGE, (n + 1) * PER_PAGE).map((p) => p.id);
const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

describe('pagination on the relay', () => {
  let relay: Relay;
  const publishers: SimParticipant[] = [];
  let viewer: SimParticipant;
  let other: SimParticipant;
  /** Control bytes the viewer received by the time it was welcomed: the roster of everyone. */
  let rosterBytes = 0;
  const view: PageView = { tiles: PER_PAGE, page: 1, tileSize: { width: 320, height: 180 } };

  const make = async (options: Omit<SimParticipantOptions, 'url' | 'room'>): Promise<SimParticipant> => {
    const sim = new SimParticipant({ url: relay.wsUrl, room: 'pages', ...options });
    await sim.join();
    sim.start();
    return sim;
  };

  /** Publishers whose camera the relay asks for now, as `id: layers`. */
  const demanded = (): Map<string, string> =>
    new Map(publishers.filter((p) => p.stats.demanded.length > 0).map((p) => [p.id, p.stats.demanded.join()]));

  beforeAll(async () => {
    relay = await startTestRelay();
    for (let i = 0; i < PUBLISHERS; i++) {
      // Cameras only: no microphones, so what the viewers get is video and nothing the loudest-N choice adds.
      // They show no tiles themselves, so what they are asked for is what the viewers watch.
      publishers.push(await make({ name: `pub-${i}`, camera: true, view: { ...view, tiles: 0 } }));
    }
    viewer = await make({ name: 'viewer', probe: true, view });
    rosterBytes = viewer.stats.controlBytesIn;
    other = await make({ name: 'other', probe: true, view: { ...view, page: 0 } });
  }, 60_000);

  afterAll(async () => {
    for (const sim of [...publishers, viewer, other]) sim?.close();
    await relay?.close();
  });

  it('a receiver on page 2 gets bytes from the page-2 publishers only; the others cost it nothing but the roster', async () => {
    const page1 = pageOf(publishers, 0);
    const page2 = pageOf(publishers, 1);
    // The page is the roster's order, as the element pages it.
    expect(viewer.subscribedTracks.map((t) => t.publisher)).toEqual(page2);
    // Each shown publisher is asked for its 180p layer (the tiles' size) and only that; nobody else for anything.
    await waitFor(
      () => {
        const d = demanded();
        return d.size === 2 * PER_PAGE && [...page1, ...page2].every((id) => d.get(id) === '2');
      },
      10_000,
      'the two pages watched at 180p, nothing else',
    );
    await sleep(300); // the switches from the defaults complete at the keyframes asked for
    for (const sim of [...publishers, viewer, other]) sim.resetCounts();
    await sleep(2000);

    const got = viewer.stats.videoInByPublisher;
    expect(sorted(Object.keys(got))).toEqual(sorted(page2));
    for (const id of page2) {
      // 15 fps for 2 s; a loaded machine may delay some.
      expect(got[id]!.frames).toBeGreaterThanOrEqual(10);
      expect(got[id]!.bytes).toBeGreaterThan(10 * 800);
    }
    expect(viewer.stats.videoInByLayer.slice(0, 2).every((n) => !n)).toBe(true);
    expect(viewer.stats.videoLost).toBe(0);
    expect(sorted(Object.keys(other.stats.videoInByPublisher))).toEqual(sorted(page1));
    // Beyond video: nothing per publisher, only the heartbeat's answers (a Pong every 4 s is ~40 bytes).
    expect(viewer.stats.controlBytesIn).toBeLessThan(200);
    // The roster entry is what each one costs: a few dozen bytes in the Welcome.
    console.log(
      `roster: ${rosterBytes} bytes for ${PUBLISHERS} publishers; steady window: control ${viewer.stats.controlBytesIn} B`,
    );
    expect(rosterBytes / PUBLISHERS).toBeLessThan(200);
    // The publishers of page 3 and 4 send nothing at all: nobody watches them.
    for (const p of publishers.slice(2 * PER_PAGE)) expect(p.stats.framesOut).toBe(0);
    expect(viewer.stats.errors).toEqual([]);
  }, 30_000);

  it('turning the page moves the bytes to the new page within about a second, each new face from a keyframe', async () => {
    const page2 = pageOf(publishers, 1);
    const page3 = pageOf(publishers, 2);
    viewer.resetCounts();
    const turnedAt = performance.now();
    viewer.setView({ ...view, page: 2 });
    expect(viewer.subscribedTracks.map((t) => t.publisher)).toEqual(page3);
    await waitFor(
      () => page3.every((id) => viewer.stats.videoInByPublisher[id]),
      5000,
      'a frame from every publisher of the new page',
    );
    const got = viewer.stats.videoInByPublisher;
    const delays = page3.map((id) => got[id]!.firstAt - turnedAt);
    console.log(`page turned: first frames after ${delays.map((d) => Math.round(d)).join(', ')} ms`);
    expect(Math.max(...delays)).toBeLessThan(1000);
    // Each starts at a keyframe: the receiver decodes from its first frame on.
    for (const id of page3) expect(got[id]!.firstKeyframe).toBe(true);

    // The old page stops: not forwarded, and (nobody else watching it) not encoded.
    await waitFor(
      () => {
        const d = demanded();
        return page3.every((id) => d.get(id) === '2') && page2.every((id) => !d.has(id));
      },
      5000,
      'the new page watched, the old one not',
    );
    await sleep(300);
    for (const sim of [...publishers, viewer]) sim.resetCounts();
    await sleep(1500);
    expect(sorted(Object.keys(viewer.stats.videoInByPublisher))).toEqual(sorted(page3));
    for (const id of page3) expect(viewer.stats.videoInByPublisher[id]!.frames).toBeGreaterThanOrEqual(8);
    for (const p of publishers.filter((p) => page2.includes(p.id))) expect(p.stats.framesOut).toBe(0);
    expect(viewer.stats.videoLost).toBe(0);
    expect(viewer.stats.controlBytesIn).toBeLessThan(200);
    // The receiver on page 1 saw none of it.
    expect(sorted(Object.keys(other.stats.videoInByPublisher))).toEqual(sorted(pageOf(publishers, 0)));
  }, 30_000);
});
