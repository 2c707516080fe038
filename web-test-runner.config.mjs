// Element and media tests in real headless Chromium (Debian's), with fake camera and mic.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { build } from 'esbuild';
import { SignJWT } from 'jose';
import { chromiumArgs, CHROMIUM_PATH } from './test/chromium.mjs';

/** Serves `x.ts?worklet` imports as a string of the bundled module, like rollup's plugin. */
const workletInline = {
  name: 'worklet-inline',
  async serve(context) {
    if (!context.URL.search.includes('worklet')) return undefined;
    const entry = `.${context.path}`;
    const result = await build({ entryPoints: [entry], bundle: true, format: 'iife', write: false, target: 'es2022' });
    return { body: `export default ${JSON.stringify(result.outputFiles[0].text)};`, type: 'js' };
  },
};

/** The secured test relay's HS256 secret: test-only, like the relays themselves. */
const TOKEN_SECRET = 'the element tests token secret, 32+ bytes';

/**
 * Starts real relays (the built `dist/relay.js`, so `npm run build` first) for the
 * element tests, and tells the pages where they are at `/__relays.json`.
 */
function relays() {
  const running = {};
  return {
    name: 'relays',
    async serverStart() {
      const { startRelay } = await import('./dist/relay.js');
      running.open = await startRelay({ host: '127.0.0.1', port: 0 });
      running.tiny = await startRelay({ host: '127.0.0.1', port: 0, maxRoomSize: 1 });
      // For the transport tests: a relay whose /webtransport.json answers 404.
      running.noWebTransport = await startRelay({ host: '127.0.0.1', port: 0, webTransport: { enabled: false } });
      // For the access-token tests: a relay that requires tokens signed with TOKEN_SECRET (served by /__token).
      running.secured = await startRelay({ host: '127.0.0.1', port: 0, auth: { secret: TOKEN_SECRET } });
    },
    async serverStop() {
      await Promise.all(Object.values(running).map((relay) => relay.close()));
    },
    async serve(context) {
      // What a site's backend does: sign a token for the page (`/__token?room=&sub=&ttl=&grants=`, ttl in seconds).
      if (context.path === '/__token') {
        const q = context.URL.searchParams;
        const now = Math.floor(Date.now() / 1000);
        // `grants=admin,lobby`: those grants set (the others at their defaults).
        const grants = Object.fromEntries(
          (q.get('grants') ?? '')
            .split(',')
            .filter(Boolean)
            .map((g) => [g, true]),
        );
        const claims = { room: q.get('room') ?? '*', name: q.get('name') ?? undefined };
        if (Object.keys(grants).length > 0) claims.grants = grants;
        const body = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(q.get('sub') ?? 'tester')
          .setExpirationTime(now + Number(q.get('ttl') ?? 600))
          .sign(new TextEncoder().encode(TOKEN_SECRET));
        return { body, type: 'text' };
      }
      if (context.path !== '/__relays.json') return undefined;
      const urls = Object.fromEntries(Object.entries(running).map(([name, relay]) => [name, relay.url]));
      return { body: JSON.stringify(urls), type: 'json' };
    },
  };
}

export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: { exportConditions: ['browser', 'production'] },
  concurrency: 1,
  testsFinishTimeout: 10 * 60 * 1000,
  testFramework: { config: { timeout: 30000 } },
  plugins: [relays(), workletInline, esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' })],
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: {
        executablePath: CHROMIUM_PATH,
        headless: true,
        // Three fake cameras (the second is a Y16 depth camera that gives no picture; the third an
        // MJPEG one) and Chromium's two fake mics and speakers, for the device-picker tests.
        // `gc()` for test/browser/collect-garbage.ts.
        args: chromiumArgs(['--use-fake-device-for-media-stream=device-count=3', '--js-flags=--expose-gc']),
      },
    }),
  ],
};
