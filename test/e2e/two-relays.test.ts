import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPackageRoot } from '../../server/paths.js';
import type { Page } from 'playwright-core';
import { startClusterRelay, waitForNodes, type ClusterRelay } from '../nats/helpers.js';
import { NatsCluster } from '../nats/nats-cluster.js';
import { launchChromium, readRemoteTiles, waitFor, type TestBrowser } from './browser.js';

// Each page is served by, and connects to, its own relay; the relays share the
// room through a real two-node NATS cluster.
const root = findPackageRoot();

describe('a call across two relays on a NATS cluster', () => {
  let nats: NatsCluster;
  let relays: ClusterRelay[];
  let chromium: TestBrowser;
  let pages: Page[];

  beforeAll(async () => {
    nats = await NatsCluster.start({ size: 2 });
    // The real demo page and bundle (the test helpers default to empty directories).
    const site = { demoDir: join(root, 'demo'), distDir: join(root, 'dist') };
    relays = await Promise.all([0, 1].map((i) => startClusterRelay([nats.urls[i]!, nats.urls[1 - i]!], site)));
    await waitForNodes(relays, 2);
    chromium = await launchChromium();
    pages = [
      await chromium.newPage(`${relays[0]!.url}/?room=across&name=Ada`),
      await chromium.newPage(`${relays[1]!.url}/?room=across&name=Grace`),
    ];
  });

  afterAll(async () => {
    await chromium?.close();
    await Promise.all((relays ?? []).map((r) => r.close()));
    await nats?.stop();
  });

  it('shows each page the other one’s live, moving picture and plays its audio', async () => {
    for (const [page, other] of [
      [pages[0]!, 'Grace'],
      [pages[1]!, 'Ada'],
    ] as const) {
      const first = await waitFor(`${other}'s picture across relays`, async () => {
        const tile = (await readRemoteTiles(page)).find((t) => t.name === other && t.width >= 160 && t.lumaSpread > 8);
        return tile;
      });
      await waitFor(`${other}'s picture to move`, async () => {
        const again = (await readRemoteTiles(page)).find((t) => t.id === first.id);
        return again && again.samples.some((v, i) => Math.abs(v - first.samples[i]!) > 6) ? true : undefined;
      });
      let loudest = 0;
      await waitFor(
        `${other}'s audio across relays`,
        async () => {
          for (const tile of await readRemoteTiles(page)) loudest = Math.max(loudest, tile.audioLevel);
          return loudest > 0.01 ? true : undefined;
        },
        20_000,
        50,
      );
    }
    // Each relay holds one participant itself and knows the other through NATS.
    expect(relays.map((r) => r.stats().participants)).toEqual([1, 1]);
  });
});
