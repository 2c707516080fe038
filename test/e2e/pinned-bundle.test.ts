// A page pinning the bundle as the README shows: the versioned URL with Subresource
// Integrity. The relay sends it compressed (Brotli to Chromium); the browser checks the
// hash on what it decoded, so the pinned module and classic script load, and a wrong
// hash is refused.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './browser.js';
import { startPageSite, type PageSite } from './page-site.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const HASHES = JSON.parse(readFileSync(join(ROOT, 'dist', 'integrity.json'), 'utf8')) as Record<string, string>;
/** A valid SRI value that matches nothing we build. */
const WRONG = `sha384-${Buffer.alloc(48, 1).toString('base64')}`;

const page = (tag: string) => `<!doctype html><meta charset="utf-8"><title>pinned</title>
<script>window.loadErrors = 0;</script>
${tag}
<videocall-room></videocall-room>`;

interface Loaded {
  defined: boolean;
  version: string | undefined;
  errors: number;
  /** Resource Timing of the bundle: bytes on the wire, and decoded. */
  encoded: number;
  decoded: number;
}

describe('the bundle pinned with Subresource Integrity', () => {
  let site: PageSite;

  beforeAll(async () => {
    const versioned = `/v${VERSION}`;
    const script = (file: string, integrity: string, module: boolean) =>
      `<script ${module ? 'type="module" ' : ''}src="${versioned}/${file}" integrity="${integrity}" crossorigin="anonymous" onerror="window.loadErrors++"></script>`;
    site = await startPageSite('pinned', {
      'module.html': page(script('videocall-room.js', HASHES['videocall-room.js']!, true)),
      'classic.html': page(script('videocall-room.iife.js', HASHES['videocall-room.iife.js']!, false)),
      'wrong.html': page(script('videocall-room.js', WRONG, true)),
    });
  });
  afterAll(() => site?.close());

  async function open(name: string, file: string): Promise<Loaded> {
    const tab = await site.chromium.newPage(`${site.relay.url}/${name}`);
    try {
      await tab.waitForLoadState('load');
      return await tab.evaluate((path) => {
        const entry = performance.getEntriesByType('resource').find((e) => new URL(e.name).pathname.endsWith(path)) as
          PerformanceResourceTiming | undefined;
        const element = customElements.get('videocall-room') as unknown as { version?: string } | undefined;
        return {
          defined: element !== undefined,
          version: element?.version,
          errors: (window as unknown as { loadErrors: number }).loadErrors,
          encoded: entry?.encodedBodySize ?? 0,
          decoded: entry?.decodedBodySize ?? 0,
        };
      }, file);
    } finally {
      await tab.close();
    }
  }

  it('loads the module and the classic script from the versioned URL, compressed on the wire', async () => {
    for (const [name, file] of [
      ['module.html', 'videocall-room.js'],
      ['classic.html', 'videocall-room.iife.js'],
    ] as const) {
      const loaded = await open(name, file);
      expect(loaded, name).toMatchObject({ defined: true, version: VERSION, errors: 0 });
      // What a site would see: a quarter of the bytes or less (Brotli), the same file once decoded.
      expect(loaded.decoded, name).toBe(readFileSync(join(ROOT, 'dist', file)).length);
      expect(loaded.encoded, name).toBeGreaterThan(0);
      expect(loaded.encoded, name).toBeLessThan(loaded.decoded / 3);
    }
  });

  it('refuses a bundle whose hash does not match', async () => {
    const tab = await site.chromium.newPage(`${site.relay.url}/wrong.html`);
    try {
      await waitFor('the script’s error event', () =>
        tab.evaluate(() => (window as unknown as { loadErrors: number }).loadErrors === 1 || undefined),
      );
      expect(await tab.evaluate(() => customElements.get('videocall-room') === undefined)).toBe(true);
    } finally {
      await tab.close();
    }
  });
});
