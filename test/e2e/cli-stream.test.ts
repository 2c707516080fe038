import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startRelay, type Relay } from '../../server/relay.js';
import { startCli, type RunningCli } from '../cli/run-cli.js';
import { launchChromium, readRemoteTiles, waitFor, type TestBrowser, type TileLook } from './browser.js';

/** A tile showing a live picture: not flat, at a real size. */
const live = (tiles: TileLook[]) => tiles.filter((t) => t.width >= 160 && t.height >= 90 && t.lumaSpread > 8);

function changed(a: TileLook, b: TileLook): number {
  let differing = 0;
  for (let i = 0; i < a.samples.length; i++) if (Math.abs(a.samples[i]! - (b.samples[i] ?? 0)) > 6) differing++;
  return differing;
}

/** Waits for the CLI's tile on `page` to show a moving picture and play audio with energy. */
async function expectLiveTileWithAudio(page: Page, name: string): Promise<void> {
  const first = await waitFor(
    `${name}'s live tile`,
    async () => live(await readRemoteTiles(page)).find((t) => t.name === name),
    60_000,
  );
  expect(first.width).toBe(640);
  expect(first.height).toBe(360);
  await waitFor(`${name}'s picture to move`, async () => {
    const again = live(await readRemoteTiles(page)).find((t) => t.id === first.id);
    return again && changed(first, again) > 0 ? true : undefined;
  });
  let loudest = 0;
  await waitFor(
    `${name}'s tone to play`,
    async () => {
      const tile = (await readRemoteTiles(page)).find((t) => t.id === first.id);
      loudest = Math.max(loudest, tile?.audioLevel ?? 0);
      return loudest > 0.01 ? true : undefined;
    },
    30_000,
    50,
  );
}

describe('videocall-cli stream into a room a browser is in', () => {
  let relay: Relay;
  let chromium: TestBrowser;
  const clis: RunningCli[] = [];

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
  });

  afterAll(async () => {
    for (const cli of clis) cli.child.kill('SIGKILL');
    await chromium?.close();
    await relay?.close();
  });

  async function stream(room: string, extra: string[], keyframeInterval = 1): Promise<RunningCli> {
    const cli = startCli([
      'stream',
      ...['--server', relay.url, '--room', room, '--name', 'CLI'],
      ...['--test-pattern', '--tone', '--size', '640x360', '--fps', '15'],
      ...['--keyframe-interval', String(keyframeInterval)],
      ...['--duration', '90', '--json', ...extra],
    ]);
    clis.push(cli);
    await waitFor(
      'the CLI to join',
      async () => (cli.events.some((e) => e.event === 'joined') ? true : undefined),
      30_000,
    );
    return cli;
  }

  async function leaves(cli: RunningCli, page: Page): Promise<void> {
    cli.child.kill('SIGINT');
    const result = await cli.exited;
    expect(result.code).toBe(0);
    const left = cli.events.find((e) => e.event === 'left')!;
    expect(left.framesSent as number).toBeGreaterThan(0);
    await waitFor('the CLI tile to go', async () =>
      (await readRemoteTiles(page)).some((t) => t.name === 'CLI') ? undefined : true,
    );
  }

  it('shows the test pattern as a live tile with its tone playing', async () => {
    const page = await chromium.newPage(`${relay.url}/?room=cli-plain&name=Viewer&camera=off&mic=off`);
    const cli = await stream('cli-plain', []);
    await expectLiveTileWithAudio(page, 'CLI');
    await leaves(cli, page);
    await page.close();
  });

  it('a viewer who comes in mid-stream sees the picture at once: the CLI makes a keyframe on request, not at its 60 s interval', async () => {
    const cli = await stream('cli-late', [], 60);
    // Its first keyframe is long gone (and went to nobody) by the time the viewer arrives.
    await new Promise((r) => setTimeout(r, 3000));
    const openedAt = Date.now();
    const page = await chromium.newPage(`${relay.url}/?room=cli-late&name=Viewer&camera=off&mic=off`);
    await waitFor(
      "the CLI's live tile",
      async () => live(await readRemoteTiles(page)).find((t) => t.name === 'CLI'),
      30_000,
    );
    console.log(
      `[cli-stream] a viewer joining mid-stream saw the picture ${Date.now() - openedAt} ms after opening the page`,
    );
    await leaves(cli, page);
    const left = cli.events.find((e) => e.event === 'left')!;
    expect(left.keyframesOnRequest as number).toBeGreaterThanOrEqual(1);
    expect(left.keyframeRequests as number).toBeGreaterThanOrEqual(1);
    await page.close();
  });

  it('does the same over WebTransport: the relay counts the CLI as a WebTransport session', async () => {
    const page = await chromium.newPage(`${relay.url}/?room=cli-wt&name=Viewer&camera=off&mic=off`);
    const before = relay.stats().webTransport?.sessionsTotal ?? 0;
    const cli = await stream('cli-wt', ['--transport', 'webtransport']);
    // The page may use WebTransport too: the CLI's session is the one more than before it joined.
    expect(relay.stats().webTransport?.sessionsTotal).toBeGreaterThan(before);
    expect(cli.events.find((e) => e.event === 'joined')?.transport).toBe('webtransport');
    await expectLiveTileWithAudio(page, 'CLI');
    const pageTransport = await page.evaluate(() => document.querySelector('videocall-room')!.transportInUse);
    const sessions = relay.stats().webTransport?.sessions ?? 0;
    expect(sessions).toBe(pageTransport === 'webtransport' ? 2 : 1);
    await leaves(cli, page);
    // Its close reached the relay at once (UDP: otherwise only the idle timeout would tell).
    await waitFor('the CLI session to close', async () =>
      (relay.stats().webTransport?.sessions ?? 0) === sessions - 1 ? true : undefined,
    );
    await page.close();
  });

  it('does the same end-to-end encrypted with a passphrase, verified by the browser', async () => {
    const page = await chromium.newPage(
      `${relay.url}/?room=cli-secret&name=Viewer&camera=off&mic=off&e2ee#vc-key=correct%20horse`,
    );
    const cli = await stream('cli-secret', ['--passphrase', 'correct horse']);
    await expectLiveTileWithAudio(page, 'CLI');
    const info = await page.evaluate(() => document.querySelector('videocall-room')!.participants);
    expect(info.find((p) => p.name === 'CLI')?.e2ee).toBe('verified');
    await waitFor('the CLI to see the browser verified', async () =>
      cli.events.some((e) => e.event === 'peer-security' && e.status === 'verified') ? true : undefined,
    );
    await leaves(cli, page);
    await page.close();
  });

  it('stops with exit code 5 when the browser holds another passphrase', async () => {
    const page = await chromium.newPage(
      `${relay.url}/?room=cli-wrong&name=Viewer&camera=off&mic=off&e2ee#vc-key=correct%20horse`,
    );
    const cli = await stream('cli-wrong', ['--passphrase', 'wrong guess']);
    const result = await cli.exited;
    if (result.code !== 5)
      console.error(
        cli.events.filter((e) => e.event !== 'stats'),
        result.stderr,
      );
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('different passphrase');
    expect(cli.events.find((e) => e.event === 'error')?.code).toBe('wrong-passphrase');
    await page.close();
  });
});
