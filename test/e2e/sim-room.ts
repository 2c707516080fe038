// A room of simulated participants (cli/sim, the real protocol) on a fresh relay, and one Chromium
// page in it: the setup of the e2e tests about large rooms, people and speakers.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startRelay, type Relay, type RelayOptions } from '../../server/relay.js';
import { SimParticipant, type SimParticipantOptions } from '../../cli/sim/index.js';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';

export interface SimRoomOptions {
  room: string;
  /** How many simulated participants join before the page opens. */
  count: number;
  /** Runs first (e.g. making the clips the participants send). */
  prepare?(): Promise<void>;
  /** The `i`th simulated participant (its relay URL and room are filled in). */
  sim(i: number): Omit<SimParticipantOptions, 'url' | 'room'>;
  /** The demo page's query besides the room, e.g. `name=Viewer&mic=off&camera=off`. */
  query: string;
  viewport?: { width: number; height: number };
  /** Runs once the participants are in and Chromium is up, before the page opens (init scripts). */
  beforePage?(room: SimRoom): Promise<void>;
  /** What the page is waited for; default: its element has joined. */
  ready?: { what: string; check(page: Page): Promise<boolean> };
  /** Bound of the whole setup. Default 120 s. */
  setupTimeoutMs?: number;
  /** Relay options besides its address. */
  relay?: RelayOptions;
}

/** Filled in before the file's tests run. */
export interface SimRoom {
  relay: Relay;
  chromium: TestBrowser;
  page: Page;
  sims: SimParticipant[];
}

const joined = {
  what: 'the page to join',
  check: async (page: Page) =>
    (await page.evaluate(() => document.querySelector('videocall-room')?.state)) === 'joined',
};

/**
 * Starts, before a file's tests, a relay, `count` simulated participants sending
 * at real rates, and a Chromium page of the demo in their room; closes them all
 * after. Read the fields of the returned object inside the tests.
 */
export function simRoom(options: SimRoomOptions): SimRoom {
  const env = { sims: [] as SimParticipant[] } as SimRoom;
  beforeAll(async () => {
    await options.prepare?.();
    env.relay = await startRelay({ ...options.relay, host: '127.0.0.1', port: 0 });
    for (let i = 0; i < options.count; i++) {
      const sim = new SimParticipant({ ...options.sim(i), url: env.relay.wsUrl, room: options.room });
      await sim.join();
      sim.start();
      env.sims.push(sim);
    }
    env.chromium = await launchChromium();
    await options.beforePage?.(env);
    env.page = await env.chromium.newPage(`${env.relay.url}/?room=${options.room}&${options.query}`);
    if (options.viewport) await env.page.setViewportSize(options.viewport);
    const ready = options.ready ?? joined;
    // The machine is shared: joining may take a while, and the tests are about what comes after.
    await waitFor(ready.what, async () => ((await ready.check(env.page)) ? true : undefined), 60_000);
  }, options.setupTimeoutMs ?? 120_000);

  afterAll(async () => {
    for (const sim of env.sims) sim.close();
    await env.chromium?.close();
    await env.relay?.close();
  });
  return env;
}
