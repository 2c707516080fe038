// A relay on loopback serving test pages (file name → HTML) from a fresh directory, and a
// Chromium to open them in: what an e2e test of a page embedding the bundle starts with.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay, type Relay } from '../../server/relay.js';
import { launchChromium, type TestBrowser } from './browser.js';

export interface PageSite {
  relay: Relay;
  chromium: TestBrowser;
  /** Where the pages are: a test may add files before opening them. */
  dir: string;
  close(): Promise<void>;
}

export async function startPageSite(name: string, pages: Record<string, string>): Promise<PageSite> {
  const dir = mkdtempSync(join(tmpdir(), `vc-${name}-`));
  for (const [file, html] of Object.entries(pages)) writeFileSync(join(dir, file), html);
  const relay = await startRelay({ host: '127.0.0.1', port: 0, demoDir: dir });
  const chromium = await launchChromium().catch(async (error: unknown) => {
    await relay.close();
    throw error;
  });
  return {
    relay,
    chromium,
    dir,
    async close() {
      await chromium.close();
      await relay.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
