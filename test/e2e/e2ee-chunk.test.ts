// E2EE is a chunk of its own: a plain call never downloads it; a call with a passphrase
// fetches it (from the relay, beside the module) and joins.
import { describe, expect, it } from 'vitest';
import { relayAndChromium, waitFor } from './browser.js';

describe('the E2EE chunk', () => {
  const env = relayAndChromium();

  /** Opens the demo page at `query`, waits until it joined, and lists the scripts it fetched. */
  async function join(query: string): Promise<string[]> {
    const page = await env.chromium.context.newPage();
    const scripts: string[] = [];
    page.on('response', (res) => {
      if (res.request().resourceType() === 'script' || res.url().endsWith('.js'))
        scripts.push(`${res.status()} ${new URL(res.url()).pathname}`);
    });
    const before = env.relay.stats().participants;
    await page.goto(`${env.relay.url}/${query}`);
    await waitFor('the page to join', async () => (env.relay.stats().participants > before ? true : undefined), 60_000);
    const state = await page.evaluate(() => document.querySelector('videocall-room')?.state);
    expect(state).toBe('joined');
    await page.close();
    return scripts;
  }

  it('is not fetched by a plain call', async () => {
    const scripts = await join('?room=plain-call&name=Ada&camera=off&mic=off');
    expect(scripts).toContain('200 /videocall-room.js');
    expect(scripts.filter((s) => s.includes('/chunks/'))).toEqual([]);
  });

  it('is fetched, once, by a call with a passphrase, which then joins', async () => {
    const scripts = await join('?room=secret-call&name=Ada&camera=off&mic=off#vc-key=blue%20horse');
    // SHA-2 is a chunk of its own since the join commitment's fallback shares it; the
    // E2EE chunk imports it, so a call with a passphrase fetches both, each once.
    expect(scripts.filter((s) => s.includes('/chunks/')).sort()).toEqual([
      expect.stringMatching(/^200 \/chunks\/media-crypto-[A-Za-z0-9_-]+\.js$/),
      expect.stringMatching(/^200 \/chunks\/sha2-[A-Za-z0-9_-]+\.js$/),
    ]);
  });
});
