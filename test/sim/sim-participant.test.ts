/**
 * Simulated participants against a real relay: a publisher that sends only the
 * layers someone watches, viewers that subscribe like a page of tiles and get
 * exactly those layers, and an active speaker on the large tile.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chooseTracks, layerFor, SimParticipant } from '../../cli/sim/index.js';
import { TrackKind } from '../../src/protocol/index.js';
import type { Relay } from '../../server/relay.js';
import { sleep, startTestRelay, waitFor } from '../server/helpers.js';

const LAYER_SIZES = [
  { width: 1280, height: 720 },
  { width: 640, height: 360 },
  { width: 320, height: 180 },
];

describe('tile page', () => {
  it('gives a tile the smallest layer at least as large as the tile', () => {
    expect(layerFor(LAYER_SIZES, { width: 320, height: 180 })).toBe(2);
    expect(layerFor(LAYER_SIZES, { width: 400, height: 225 })).toBe(1);
    expect(layerFor(LAYER_SIZES, { width: 1920, height: 1080 })).toBe(0);
    expect(layerFor([], { width: 320, height: 180 })).toBe(0);
  });

  it('subscribes to the current page, and to the active speaker on the large tile', () => {
    const publishers = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, camera: id !== 'b', videoLayers: LAYER_SIZES }));
    const view = {
      tiles: 2,
      page: 1,
      tileSize: { width: 320, height: 180 },
      speakerSize: { width: 1280, height: 720 },
    };
    expect(chooseTracks(publishers, view, 'a')).toEqual([
      { publisher: 'e', kind: TrackKind.VIDEO, layer: 2 },
      { publisher: 'a', kind: TrackKind.VIDEO, layer: 0 },
    ]);
    expect(chooseTracks(publishers, { ...view, page: 0 }, undefined).map((t) => t.publisher)).toEqual(['a', 'c']);
  });
});

describe('SimParticipant on a relay', () => {
  let relay: Relay | undefined;
  const sims: SimParticipant[] = [];
  afterEach(async () => {
    for (const s of sims.splice(0)) s.close();
    await relay?.close();
  });

  it('publishes only the watched layers; viewers get what their page shows', async () => {
    relay = await startTestRelay();
    const make = async (name: string, extra: Partial<ConstructorParameters<typeof SimParticipant>[0]>) => {
      const sim = new SimParticipant({ url: relay!.wsUrl, room: 'sim', name, probe: true, ...extra });
      sims.push(sim);
      await sim.join();
      sim.start();
      return sim;
    };
    const tiles = { tiles: 9, page: 0, tileSize: { width: 320, height: 180 } };
    // The publishers show no tiles (a participant without a view would take layer 0 of everyone).
    const none = { ...tiles, tiles: 0 };
    const speaker = await make('speaker', { camera: true, mic: true, speaking: () => true, view: none });
    const quiet = await make('quiet', { camera: true, view: none });
    const grid = await make('grid', { view: tiles });
    const large = await make('large', { view: { ...tiles, speakerSize: { width: 1280, height: 720 } } });
    // The speaker's 720p goes to `large`, its 180p to `grid`; nobody watches 360p.
    await waitFor(() => JSON.stringify(speaker.stats.demanded) === '[0,2]', 5000, 'speaker demand [0,2]');
    await waitFor(() => JSON.stringify(quiet.stats.demanded) === '[2]', 5000, 'quiet demand [2]');
    await sleep(300); // switches complete at the next keyframes, asked for
    for (const s of sims) s.resetCounts();
    await sleep(1000);
    expect(speaker.stats.videoOutByLayer[1] ?? 0).toBe(0);
    expect(speaker.stats.videoOutByLayer[0]).toBeGreaterThan(20);
    expect(quiet.stats.videoOutByLayer.slice(0, 2).every((n) => !n)).toBe(true);
    // grid: both publishers at 180p (15 fps each); large: the speaker at 720p on top.
    expect(grid.stats.videoInByLayer[0] ?? 0).toBe(0);
    expect(grid.stats.videoInByLayer[2]).toBeGreaterThan(20);
    expect(large.stats.videoInByLayer[0]).toBeGreaterThan(20);
    expect(large.stats.videoInByLayer[1] ?? 0).toBe(0);
    expect(large.stats.audioIn).toBeGreaterThan(30);
    expect(large.stats.activeSpeakers).toBeGreaterThan(0);
    for (const viewer of [grid, large]) {
      expect(viewer.stats.videoLost).toBe(0);
      expect(viewer.stats.errors).toEqual([]);
      expect(Math.max(...viewer.stats.latencyMs)).toBeLessThan(1000);
    }
  });
});
