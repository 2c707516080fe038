/**
 * Call statistics between two browsers: `getStats()` on each page shows the
 * other's media as received, the figures follow what the sender does, the
 * tiles carry a connection indicator with an accessible name, and the stats
 * panel opens from the settings panel.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../server/relay.js';
import type { CallStats, ParticipantStats } from '../../src/call/call-stats.js';
import { launchChromium, waitFor, type TestBrowser } from './browser.js';

function statsOf(page: Page): Promise<CallStats> {
  // Through JSON on purpose: what a host page would send to its own backend.
  return page.evaluate(async () =>
    JSON.parse(JSON.stringify(await document.querySelector('videocall-room')!.getStats())),
  ) as Promise<CallStats>;
}

/**
 * Every delay from the sender's camera to the receiver's screen, measured from
 * the two pages' frame timelines (one browser: one clock), independently of
 * the capture times the frames carry.
 */
async function measuredDelays(sender: Page, receiver: Page): Promise<number[]> {
  const senderId = await sender.evaluate(() => document.querySelector('videocall-room')!.roomClient!.sessionId);
  const [sent, shown] = await Promise.all(
    [sender, receiver].map((page) =>
      page.evaluate(() => document.querySelector('videocall-room')!.roomClient!.startTimeline().list()),
    ),
  );
  const captured = new Map<string, number>();
  for (const r of sent!)
    if (r.participant === '' && r.kind === 'video' && r.marks.capture !== undefined)
      captured.set(`${r.timestamp}|${r.layer}`, r.marks.capture);
  return shown!.flatMap((r) => {
    const capture = captured.get(`${r.timestamp}|${r.layer}`);
    return r.participant === senderId && r.kind === 'video' && r.marks.shown !== undefined && capture !== undefined
      ? [r.marks.shown - capture]
      : [];
  });
}

async function seen(page: Page, name: string): Promise<ParticipantStats | undefined> {
  return (await statsOf(page)).participants.find((p) => p.name === name);
}

/** The other's media as a host page reads it once it flows: frame rate, bitrate, codec, size, delay. */
async function flowing(page: Page, name: string): Promise<{ stats: CallStats; other: ParticipantStats }> {
  return waitFor(
    `${name}'s media in getStats()`,
    async () => {
      const stats = await statsOf(page);
      const other = stats.participants.find((p) => p.name === name);
      const v = other?.video;
      const a = other?.audio;
      const ok =
        v &&
        a &&
        (v.fps ?? 0) > 0 &&
        (v.bitrateKbps ?? 0) > 0 &&
        v.codec &&
        v.width > 0 &&
        v.glassToGlassMs !== null &&
        v.glassToGlassMs > 0 &&
        (a.bitrateKbps ?? 0) > 0 &&
        stats.rttMs !== null;
      // Not yet: say what was seen, should the wait time out.
      if (!ok) throw new Error(`seen so far: ${JSON.stringify({ rttMs: stats.rttMs, other })}`);
      return { stats, other: other! };
    },
    60_000,
    500,
  );
}

describe('call statistics between browsers', () => {
  let relay: Relay;
  let chromium: TestBrowser;

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await chromium?.close();
    await relay?.close();
  });

  it('shows each page the other’s media, follows the sender, and shows it on the tile and in the panel', async () => {
    const ada = await chromium.newPage(`${relay.url}/?room=stats&name=Ada`);
    const bob = await chromium.newPage(`${relay.url}/?room=stats&name=Bob`);
    // Both pages record each frame's path from the start, to check the glass-to-glass figure against.
    for (const page of [ada, bob])
      await page.evaluate(() => void document.querySelector('videocall-room')!.roomClient!.startTimeline());
    await bob.evaluate(() => {
      const w = window as unknown as { __quality: { id: string; quality: string; previous: string }[] };
      w.__quality = [];
      document
        .querySelector('videocall-room')!
        .addEventListener('vc-quality-changed', (e) =>
          w.__quality.push({ id: e.participantId, quality: e.quality, previous: e.previous }),
        );
    });

    for (const [page, other, sender] of [
      [bob, 'Ada', ada],
      [ada, 'Bob', bob],
    ] as const) {
      const { stats, other: p } = await flowing(page, other);
      // Plausible: a smoothed mean of the delays the frames shown so far really took, as the pages
      // measured them (within the clock estimate's error). On a quiet machine well under 2 s; on an
      // overloaded one the product's delay is seconds and the figure must say so.
      const delays = await measuredDelays(sender, page);
      expect(delays.length).toBeGreaterThan(0);
      expect(p.video!.glassToGlassMs).toBeGreaterThanOrEqual(Math.min(...delays) - 250);
      expect(p.video!.glassToGlassMs).toBeLessThanOrEqual(Math.max(...delays) + 250);
      expect(['websocket', 'webtransport']).toContain(stats.transport);
      expect(stats.rttMs).toBeGreaterThanOrEqual(0);
      expect(stats.rttMs).toBeLessThan(2000);
      expect(['vp8', 'vp9', 'av1', 'h264']).toContain(p.video!.codec);
      expect(p.video!.height).toBeGreaterThan(0);
      expect(p.video!.glassToGlassMs).toBeGreaterThan(0);
      expect(['good', 'fair', 'poor']).toContain(p.quality);
      // What the sender sends, as it measures it. Asked of the sender, which this page now sees
      // sending: asked of this page, it raced this page's own camera starting up.
      // Its figures are over the last second: on a starved machine its encoder can pause for that long
      // (ci21), so wait for a second in which it sent, and say what it reported should none come.
      const sent = await waitFor(
        'the sender’s own figures while it sends',
        async () => {
          const local = (await statsOf(sender)).local;
          if ((local.video?.fps ?? 0) > 0 && (local.video?.bitrateKbps ?? 0) > 0 && (local.audio?.bitrateKbps ?? 0) > 0)
            return local;
          throw new Error(`reported: ${JSON.stringify(local)}`);
        },
        10_000,
      );
      expect(sent.video!.fps).toBeGreaterThan(0);
      expect(sent.video!.bitrateKbps).toBeGreaterThan(0);
      expect(sent.audio!.bitrateKbps).toBeGreaterThan(0);
    }

    // The tile carries the connection indicator, named in words.
    const indicator = bob.locator('[part~="tile-remote"] [part~="quality"]');
    await waitFor('the quality indicator on Ada’s tile', async () =>
      (await indicator.count()) === 1 ? true : undefined,
    );
    expect(await indicator.getAttribute('role')).toBe('img');
    expect(await indicator.getAttribute('aria-label')).toMatch(/^Connection: (good|fair|poor)$/);

    // Ada's camera slows to 4 frames a second: Bob sees the frame rate fall, and the connection as poor.
    const adaId = await ada.evaluate(() => document.querySelector('videocall-room')!.roomClient!.sessionId);
    await ada.evaluate(() =>
      document.querySelector('videocall-room')!.roomClient!.local.videoTrack!.applyConstraints({ frameRate: 4 }),
    );
    const slow = await waitFor(
      'Ada slow and poor at Bob',
      async () => {
        const p = await seen(bob, 'Ada');
        if (p?.video && p.video.fps !== null && p.video.fps < 7 && p.quality === 'poor') return p;
        // Said on a timeout: what Bob saw, and what Ada's camera and encoder were doing.
        const sender = await ada.evaluate(() => {
          const room = document.querySelector('videocall-room')!.roomClient!;
          return { track: room.local.videoTrack?.getSettings(), constraints: room.local.videoTrack?.getConstraints() };
        });
        throw new Error(
          `Bob sees ${JSON.stringify({ video: p?.video, quality: p?.quality, reasons: p?.qualityReasons })}; Ada's camera ${JSON.stringify(sender)}`,
        );
      },
      30_000,
      500,
    );
    expect(slow.qualityReasons).toContain('frame-rate');
    await waitFor('the poor bars on Ada’s tile', async () =>
      (await indicator.getAttribute('aria-label')) === 'Connection: poor' ? true : undefined,
    );
    const events = await bob.evaluate(
      () => (window as unknown as { __quality: { id: string; quality: string; previous: string }[] }).__quality,
    );
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.id === adaId)).toBe(true);
    expect(events[events.length - 1]!.quality).toBe('poor');

    // Ada turns her camera off: Bob's stats say her video is off, while her audio goes on.
    await ada.evaluate(() => document.querySelector('videocall-room')!.setCameraEnabled(false));
    await waitFor('Ada’s video off at Bob', async () => {
      const p = await seen(bob, 'Ada');
      return p && p.video === null && (p.audio?.bitrateKbps ?? 0) > 0 ? true : undefined;
    });

    // The stats panel, from the settings panel: a table per participant, rows of figures.
    await bob.locator('[part~="settings-button"]').click();
    await bob.locator('[part~="stats-button"]').click();
    const adaRows = bob.locator(`videocall-stats-panel [part~="stats-table"][data-id="${adaId}"] [part~="stats-row"]`);
    await waitFor('Ada’s rows in the stats panel', async () => ((await adaRows.count()) > 0 ? true : undefined));
    expect(await bob.locator('videocall-stats-panel [part~="stats-table"][data-id="local"]').count()).toBe(1);
    const text = await bob.locator('videocall-stats-panel [part~="stats-panel"]').innerText();
    expect(text).toContain('Call statistics');
    expect(text).toContain('Ada');
    expect(text).toMatch(/Transport: (websocket|webtransport)/);
    expect(text).toContain('Jitter buffer');
    // Escape closes it.
    await bob.keyboard.press('Escape');
    await waitFor('the panel closed', async () =>
      (await bob.locator('videocall-stats-panel').count()) === 0 ? true : undefined,
    );
    await ada.close();
    await bob.close();
  });
});
